import { afterEach, describe, expect, it } from 'vitest';
import { stageBranch } from '../../../constructs/conventions.js';
import type { GitHubPort } from '../../../app/bot/port.js';
import { aroundCalls, MIN, OWNER, REPO, world, type World } from './harness.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

/** Throws right after the named port call returns, once. */
function crashAfter(method: keyof GitHubPort): (p: GitHubPort) => GitHubPort {
  let armed = true;
  return (port) =>
    aroundCalls(port, async (called, call) => {
      const out = await call();
      if (armed && called === method) {
        armed = false;
        throw new Error(`crash after ${called}`);
      }
      return out;
    });
}

const r = { owner: OWNER, repo: REPO };
const branch = stageBranch('shop', 'checkout', 'one-percent');

describe('a crashed or interrupted pass is repaired by the next one', () => {
  it('moves the branch it left behind and opens exactly one PR', async () => {
    w = await world();
    expect((await w.bot({ wrapPort: crashAfter('commitToBranch') }).pass())[0]!.summary).toBe(
      'pass failed, the next one repairs it: crash after commitToBranch',
    );
    expect(await w.pulls()).toHaveLength(0);
    expect(w.gh.readFile(branch, 'rollouts/checkout.yaml')).toContain('stage: one-percent');
    expect((await w.bot().pass())[0]!.summary).toBe('opened #1 (internal → one-percent)');
    expect(await w.pulls()).toHaveLength(1);
  });

  it('adopts the PR it opened before crashing and labels it', async () => {
    w = await world();
    expect((await w.bot({ wrapPort: crashAfter('openPull') }).pass())[0]!.action).toBe('error');
    expect((await w.pulls())[0]!.labels).toEqual([]);
    expect((await w.bot().pass())[0]!.summary).toBe('adopted #1');
    const pulls = await w.pulls();
    expect(pulls).toHaveLength(1);
    expect(pulls[0]!.labels.map((l) => l.name)).toEqual(['stagegate']);
  });

  it('adopts the PR when GitHub applied the create but the answer was lost', async () => {
    w = await world();
    w.gh.faults.add({ kind: 'dropAfter', match: { method: 'POST', path: /\/pulls$/ } });
    expect((await w.bot().pass())[0]!.summary).toBe('opened #1 (internal → one-percent)');
    expect(await w.pulls()).toHaveLength(1);
    expect(w.gh.requests.filter((q) => q.method === 'POST' && q.path.endsWith('/pulls')).map((q) => q.status)).toEqual([
      0, 422,
    ]);
  });
});

describe('what people do is respected', () => {
  it('stays paused after a person closes the stage PR, and opens a new one once the intent changes', async () => {
    w = await world();
    const bot = w.bot();
    await bot.pass();
    await w.person.rest.pulls.update({ ...r, pull_number: 1, state: 'closed' });
    w.advance(MIN);
    expect((await bot.pass())[0]!.summary).toBe(
      'closed-by-person: #1 was closed; paused until it is reopened or the intent changes',
    );
    // A person edits the intent on main (a comment only); the bot tries again with a fresh PR.
    w.advance(MIN);
    const p = w.person.rest.git;
    const head = (await p.getRef({ ...r, ref: 'heads/main' })).data.object.sha;
    const text = w.gh.readFile('main', 'rollouts/checkout.yaml')!;
    const blob = await p.createBlob({ ...r, content: `${text}# ok to go on\n`, encoding: 'utf-8' });
    const tree = await p.createTree({
      ...r,
      base_tree: (await p.getCommit({ ...r, commit_sha: head })).data.tree.sha,
      tree: [{ path: 'rollouts/checkout.yaml', mode: '100644', type: 'blob', sha: blob.data.sha }],
    });
    const commit = await p.createCommit({ ...r, message: 'note', tree: tree.data.sha, parents: [head] });
    await p.updateRef({ ...r, ref: 'heads/main', sha: commit.data.sha });
    expect((await bot.pass())[0]!.summary).toBe('opened #2 (internal → one-percent)');
  });

  it('takes a stage PR a person merged as the new truth and moves on from it', async () => {
    w = await world();
    const bot = w.bot();
    await bot.pass();
    const pr = (await w.pulls())[0]!;
    w.advance(30 * MIN);
    await w.person.rest.pulls.merge({ ...r, pull_number: 1, sha: pr.head.sha, merge_method: 'merge' });
    expect((await bot.pass())[0]!.summary).toBe('opened #2 (one-percent → full)');
    // The bake of one-percent counts from the person's merge, not from when the bot wrote the commit.
    await w.greenChecks(stageBranch('shop', 'checkout', 'full'));
    expect((await bot.pass())[0]!.summary).toBe('waiting: bake 1h left'); // not 30m: the branch commit is 30m older
  });
});
