/**
 * Issue #10 item 8: the merge policy against the emulator's repository settings — allowed merge
 * methods (GET /repos allow_*_merge; 405 "Squash merges are not allowed on this repository.",
 * NielPieterse0/chatgpt-skill#153) and the base-moved race (405 "Base branch was modified.",
 * NixOS/nixpkgs-merge-bot#179). Each failed on the bot before (squash hard-wired, every 405 "wait").
 */
import { afterEach, describe, expect, it } from 'vitest';
import { stageBranch } from '../../../constructs/conventions.js';
import { MIN, OWNER, REPO, world, type World, REPO_REF as r, STAGE } from './harness.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

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

describe('item 8: branch rules (the emulator as a repository ruleset)', () => {
  const approve = (n: number) => w!.person.rest.pulls.createReview({ ...r, pull_number: n, event: 'APPROVE' });

  it('waits for an approving review on a stage PR (a human gate), then merges once a person approves', async () => {
    w = await world({}, { app: true, emulator: { protection: { main: { requiredApprovingReviews: 1 } } } });
    const bot = w.bot();
    await bot.pass();
    w.advance(31 * MIN);
    await w.greenChecks(STAGE);
    w.gh.resetLog();
    expect((await bot.pass())[0]!.summary).toBe(
      'waiting: waiting for an approving review (0 of 1; the branch rules ask for it)',
    );
    expect(w.gh.requests.filter((q) => q.method === 'PUT')).toEqual([]);
    await approve(1);
    expect((await bot.pass())[0]!.summary).toBe('merged #1 (internal → one-percent)');
  });

  it('does not count an approval from a person with read access only (GitHub: "by reviewers with write access")', async () => {
    // On a public repository anyone can approve; GitHub's rules count write access or more only.
    w = await world(
      {},
      {
        app: true,
        emulator: { protection: { main: { requiredApprovingReviews: 1 } }, permissions: { mallory: 'read' } },
      },
    );
    const bot = w.bot();
    await bot.pass();
    w.advance(31 * MIN);
    await w.greenChecks(STAGE);
    await w.mallory.rest.pulls.createReview({ ...r, pull_number: 1, event: 'APPROVE' });
    w.gh.resetLog();
    expect((await bot.pass())[0]!.summary).toBe(
      'waiting: waiting for an approving review (0 of 1; the branch rules ask for it)',
    );
    expect(w.gh.requests.filter((q) => q.method === 'PUT')).toEqual([]);
    expect(
      w.gh.requests.filter((q) => q.path.endsWith('/collaborators/mallory/permission')).map((q) => q.status),
    ).toEqual([200]);
    await approve(1);
    w.gh.resetLog();
    expect((await bot.pass())[0]!.summary).toBe('merged #1 (internal → one-percent)');
    // Asked again with its ETag: unchanged roles cost no rate limit (304).
    expect(w.gh.requests.filter((q) => q.path.includes('/collaborators/')).map((q) => `${q.path} ${q.status}`)).toEqual(
      [
        `/repos/${OWNER}/${REPO}/collaborators/mallory/permission 304`,
        `/repos/${OWNER}/${REPO}/collaborators/alice/permission 200`,
      ],
    );
  });

  it('with the App on the bypass list still waits for a person on stage PRs, and merges a rollback PR without one', async () => {
    w = await world(
      {},
      {
        app: true,
        emulator: { protection: { main: { requiredApprovingReviews: 1, bypass: ['stagegate'] } } },
      },
    );
    const bot = w.bot();
    await bot.pass();
    w.advance(31 * MIN);
    await w.greenChecks(STAGE);
    expect((await bot.pass())[0]!.summary).toMatch(/^waiting: waiting for an approving review/);
    await w.check((await w.pulls())[0]!.head.sha, 'stagegate/health', 'failure');
    expect((await bot.pass())[0]!.summary).toMatch(/^rolling back: #2 opened, #1 closed/);
    const rb = (await w.pulls()).find((p) => p.number === 2)!;
    await w.check(rb.head.sha, 'stagegate/verify', 'success');
    expect((await bot.pass())[0]!.summary).toBe('rolled back: merged #2 (100 % v1)');
  });

  it('without a bypass, says once that the rollback waits for an approving review, in GitHub’s words', async () => {
    w = await world({}, { app: true, emulator: { protection: { main: { requiredApprovingReviews: 1 } } } });
    const bot = w.bot();
    await bot.pass();
    await w.greenChecks(STAGE, 'failure');
    await bot.pass();
    const rb = (await w.pulls()).find((p) => p.number === 2)!;
    await w.check(rb.head.sha, 'stagegate/verify', 'success');
    const first = (await bot.pass())[0]!;
    expect(first.summary).toContain('At least 1 approving review is required by reviewers with write access.');
    await bot.pass();
    const said = (await w.ci.rest.issues.listComments({ ...r, issue_number: 2 })).data.map((c) => c.body ?? '');
    expect(said.filter((b) => b.includes('stagegate is waiting for an approving review'))).toHaveLength(1);
    await approve(2);
    expect((await bot.pass())[0]!.summary).toBe('rolled back: merged #2 (100 % v1)');
  });

  it('brings a branch behind a strict base up to date (rebuilt on the tip) and merges after checks run again', async () => {
    w = await world(
      {},
      {
        app: true,
        emulator: {
          protection: {
            main: { strict: true, requiredStatusChecks: [{ context: 'stagegate/verify', app: 'stagegate-ci' }] },
          },
        },
      },
    );
    const bot = w.bot();
    await bot.pass();
    const before = (await w.pulls())[0]!.head.sha;
    // Someone lands an unrelated change on main: the PR is now behind.
    const { push, headOf } = await import('./harness.js');
    await push(w.person, {
      parent: await headOf(w.ci, 'main'),
      files: { 'README.md': { content: '# deploy, updated\n' } },
      message: 'docs',
      branch: 'main',
    });
    w.advance(31 * MIN);
    await w.greenChecks(STAGE);
    const refused = (await bot.pass())[0]!;
    expect(refused.summary).toMatch(/^merge refused by GitHub \(.*\): #1 is behind its base/);
    const after = (await w.pulls())[0]!.head.sha;
    expect(after).not.toBe(before);
    await w.greenChecks(STAGE);
    expect((await bot.pass())[0]!.summary).toBe('merged #1 (internal → one-percent)');
    expect(w.gh.readFile('main', 'README.md')).toBe('# deploy, updated\n');
  });

  it('labels and comments once, with GitHub’s words, when merges must go through the merge queue', async () => {
    w = await world({}, { app: true, emulator: { protection: { main: { mergeQueue: true } } } });
    const bot = w.bot();
    await bot.pass();
    w.advance(31 * MIN);
    await w.greenChecks(STAGE);
    const first = (await bot.pass())[0]!;
    expect(first.action).toBe('stalled');
    expect(first.summary).toContain('Changes must be made through the merge queue');
    await bot.pass();
    const pr = (await w.ci.rest.pulls.get({ ...r, pull_number: 1 })).data;
    expect(pr.labels.map((l) => l.name)).toContain('stagegate:stalled');
    const said = (await w.ci.rest.issues.listComments({ ...r, issue_number: 1 })).data.map((c) => c.body ?? '');
    expect(said.filter((b) => b.includes('merge-refused:merge-queue'))).toHaveLength(1);
    expect(said[0]).toContain('Changes must be made through the merge queue');
  });
});
