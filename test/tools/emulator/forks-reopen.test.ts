import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitFiles, harness, repo, statusOf, type Harness } from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await harness({
    users: { 'mallory-token': 'mallory', 'alice-token': 'alice' },
    apps: { 'app-token': 'stagegate' },
  });
});
afterAll(async () => {
  await h.emu.close();
});

const app = () => h.client('app-token');
const mallory = () => h.client('mallory-token');

describe('a PR from a fork', () => {
  it("names the fork in head.label and head.repo (fork: true) while the branch name is the bot's", async () => {
    const branch = 'stagegate/shop/checkout/half';
    // Mallory's commit, made in the shared object store, on her fork's branch of the bot's name.
    const main = (await mallory().git.getRef({ ...repo, ref: 'heads/main' })).data.object.sha;
    const tree = (await mallory().git.getCommit({ ...repo, commit_sha: main })).data.tree.sha;
    const forked = await mallory().git.createTree({
      ...repo,
      base_tree: tree,
      tree: [{ path: 'rollouts/checkout.yaml', mode: '100644', type: 'blob', content: 'stage: full\n' }],
    });
    const commit = await mallory().git.createCommit({
      ...repo,
      message: 'fork',
      tree: forked.data.sha,
      parents: [main],
    });
    const set = await fetch(`${h.emu.url}/_emulator/forks/mallory/refs/${branch}`, {
      method: 'PUT',
      body: JSON.stringify({ sha: commit.data.sha }),
    });
    expect(set.status).toBe(200);
    const pr = (await mallory().pulls.create({ ...repo, head: `mallory:${branch}`, base: 'main', title: 'fork' })).data;
    expect([pr.head.label, pr.head.ref, pr.head.repo?.full_name, pr.head.repo?.fork, pr.base.repo.full_name]).toEqual([
      `mallory:${branch}`,
      branch,
      'mallory/shop',
      true,
      'acme/shop',
    ]);
    // The same branch name in the base repository is another PR, not a duplicate.
    await commitFiles(app(), branch, { 'rollouts/checkout.yaml': 'stage: half\n' });
    const own = (await app().pulls.create({ ...repo, head: branch, base: 'main', title: 'own' })).data;
    const byHead = await app().pulls.list({ ...repo, head: `acme:${branch}` });
    expect(byHead.data.map((p) => p.number)).toEqual([own.number]);
    const byFork = await app().pulls.list({ ...repo, head: `mallory:${branch}` });
    expect(byFork.data.map((p) => p.number)).toEqual([pr.number]);
    // Check runs list no fork PRs (OA check-run pull_requests).
    const run = await app().checks.create({ ...repo, name: 'x', head_sha: commit.data.sha });
    expect(run.data.pull_requests).toEqual([]);
  });
});

describe('a closed PR reopened (PATCH state open)', () => {
  it('reopens with the head its branch has now, and refuses when another open PR has that head or it was merged', async () => {
    await commitFiles(app(), 'stagegate/reopen', { 'notes/reopen.txt': '1\n' });
    const pr = (await app().pulls.create({ ...repo, head: 'stagegate/reopen', base: 'main', title: 'reopen' })).data;
    await mallory().pulls.update({ ...repo, pull_number: pr.number, state: 'closed' });
    const moved = await commitFiles(mallory(), 'stagegate/reopen', { 'notes/reopen.txt': '2\n' });
    const again = (await mallory().pulls.update({ ...repo, pull_number: pr.number, state: 'open' })).data;
    expect([again.state, again.head.sha, again.user.login]).toEqual(['open', moved, 'stagegate[bot]']);

    await app().pulls.update({ ...repo, pull_number: pr.number, state: 'closed' });
    const other = (await app().pulls.create({ ...repo, head: 'stagegate/reopen', base: 'main', title: 'other' })).data;
    const dup = await statusOf(mallory().pulls.update({ ...repo, pull_number: pr.number, state: 'open' }));
    expect([dup.status, (dup.data as { errors: Array<{ message: string }> }).errors[0]?.message]).toEqual([
      422,
      'A pull request already exists for acme:stagegate/reopen.',
    ]);
    await app().pulls.merge({ ...repo, pull_number: other.number });
    expect((await statusOf(mallory().pulls.update({ ...repo, pull_number: other.number, state: 'open' }))).status).toBe(
      422,
    );
  });
});
