/**
 * Issue #10 item 8: the merge policy against the emulator's repository settings — allowed merge
 * methods (GET /repos allow_*_merge; 405 "Squash merges are not allowed on this repository.",
 * NielPieterse0/chatgpt-skill#153) and the base-moved race (405 "Base branch was modified.",
 * NixOS/nixpkgs-merge-bot#179). Each failed on the bot before (squash hard-wired, every 405 "wait").
 */
import { afterEach, describe, expect, it } from 'vitest';
import { stageBranch } from '../../../constructs/conventions.js';
import { MIN, OWNER, REPO, world, type World } from './harness.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

const r = { owner: OWNER, repo: REPO };
const STAGE = stageBranch('shop', 'checkout', 'one-percent');
const NEXT = stageBranch('shop', 'checkout', 'full');

describe('item 8: merge methods', () => {
  it('merges in a rebase-only repository with the method the repository allows', async () => {
    w = await world({}, { app: true, emulator: { mergeMethods: ['rebase'] } });
    const bot = w.bot();
    await bot.pass();
    w.advance(31 * MIN);
    await w.greenChecks(STAGE);
    expect((await bot.pass())[0]!.summary).toBe('merged #1 (internal → one-percent)');
    expect(w.gh.readFile('main', 'rollouts/checkout.yaml')).toContain('stage: one-percent');
  });

  it('uses --merge-method when given, and says GitHub’s words when the repository refuses it', async () => {
    w = await world({}, { app: true, emulator: { mergeMethods: ['squash'] } });
    const bot = w.bot({ mergeMethod: 'rebase' });
    await bot.pass();
    w.advance(31 * MIN);
    await w.greenChecks(STAGE);
    const refused = (await bot.pass())[0]!;
    expect(refused.summary).toContain('Rebase merges are not allowed on this repository.');
    expect(refused.action).toBe('stalled');
    const pr = (await w.ci.rest.pulls.get({ ...r, pull_number: 1 })).data;
    expect(pr.labels.map((l) => l.name)).toContain('stagegate:stalled');
    await bot.pass();
    const said = (await w.ci.rest.issues.listComments({ ...r, issue_number: 1 })).data;
    expect(said.filter((c) => c.body?.includes('merge-refused:method'))).toHaveLength(1);
  });

  it('in a merge-commit-only repository measures the next bake from the merge, not from when the branch commit was written', async () => {
    w = await world({}, { app: true, emulator: { mergeMethods: ['merge'] } });
    const bot = w.bot();
    await bot.pass(); // the branch commit is written now
    w.advance(3 * 60 * MIN); // health only turns green three hours later
    await w.greenChecks(STAGE);
    expect((await bot.pass())[0]!.summary).toBe('merged #1 (internal → one-percent)');
    expect((await bot.pass())[0]!.summary).toBe('opened #2 (one-percent → full)');
    // one-percent bakes 1h from the merge: 31 minutes after it, green checks must not merge.
    w.advance(31 * MIN);
    await w.greenChecks(NEXT);
    expect((await bot.pass())[0]!.summary).toMatch(/^waiting: bake 2\dm left$/);
  });

  it('retries next pass when GitHub says the base branch was modified during the merge', async () => {
    w = await world({}, { app: true });
    const bot = w.bot();
    await bot.pass();
    w.advance(31 * MIN);
    await w.greenChecks(STAGE);
    w.gh.faults.add({ kind: 'racePush', match: { method: 'PUT', path: /\/merge$/ }, times: 1 });
    const first = (await bot.pass())[0]!;
    expect(first.summary).toContain('Base branch was modified');
    expect(first.summary).toContain('merging again next pass');
    expect((await bot.pass())[0]!.summary).toBe('merged #1 (internal → one-percent)');
  });
});
