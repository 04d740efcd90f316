import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitFiles, git, harness, OWNER, repo, statusOf, type Harness } from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await harness({ users: { 'bot-token': 'stagegate[bot]', 'human-token': 'mallory' } });
});
afterAll(async () => {
  await h.emu.close();
});

describe('pull requests', () => {
  it("opens a PR, refuses a second one for the same head with GitHub's message, and finds it by head", async () => {
    const o = h.client('bot-token');
    const head = await commitFiles(o, 'stagegate/shop/checkout/one-percent', {
      'rollouts/checkout.yaml': 'stage: one-percent\n',
    });
    const pr = await o.pulls.create({
      ...repo,
      title: 'checkout: one-percent',
      head: 'stagegate/shop/checkout/one-percent',
      base: 'main',
      body: 'ledger',
    });
    expect(pr.status).toBe(201);
    expect([pr.data.number, pr.data.head.sha, pr.data.user.login, pr.data.mergeable_state]).toEqual([
      1,
      head,
      'stagegate[bot]',
      'clean',
    ]);

    const dup = await statusOf(
      o.pulls.create({ ...repo, title: 'again', head: `${OWNER}:stagegate/shop/checkout/one-percent`, base: 'main' }),
    );
    expect(dup.status).toBe(422);
    expect(dup.data).toMatchObject({
      message: 'Validation Failed',
      errors: [
        {
          resource: 'PullRequest',
          code: 'custom',
          message: 'A pull request already exists for acme:stagegate/shop/checkout/one-percent.',
        },
      ],
    });
    const found = await o.pulls.list({ ...repo, head: `${OWNER}:stagegate/shop/checkout/one-percent`, state: 'open' });
    expect(found.data.map((p) => p.number)).toEqual([1]);
    expect((await o.pulls.list({ ...repo, head: `${OWNER}:other` })).data).toEqual([]);
    const noChange = await statusOf(o.pulls.create({ ...repo, title: 'empty', head: 'main', base: 'main' }));
    expect(noChange.status).toBe(422);
  });

  it('pages the PR list with a Link header that octokit.paginate follows', async () => {
    const o = h.client('bot-token');
    for (const name of ['p-a', 'p-b', 'p-c']) {
      await commitFiles(o, name, { [`notes/${name}.txt`]: name });
      await o.pulls.create({ ...repo, title: name, head: name, base: 'main' });
    }
    const first = await o.pulls.list({ ...repo, per_page: 2 });
    expect(first.headers.link).toContain('rel="next"');
    expect(first.data.map((p) => p.title)).toEqual(['p-c', 'p-b']);
    const all = await o.paginate(o.pulls.list, { ...repo, per_page: 2 });
    expect(all.map((p) => p.number)).toEqual([4, 3, 2, 1]);
  });

  it('follows the head branch, edits title and body, closes and reopens', async () => {
    const o = h.client('bot-token');
    const moved = await commitFiles(o, 'p-a', { 'notes/p-a.txt': 'second' });
    expect((await o.pulls.get({ ...repo, pull_number: 2 })).data.head.sha).toBe(moved);
    const edited = await o.pulls.update({
      ...repo,
      pull_number: 2,
      title: 'renamed',
      body: 'new body',
      state: 'closed',
    });
    expect([edited.data.title, edited.data.body, edited.data.state, edited.data.merged]).toEqual([
      'renamed',
      'new body',
      'closed',
      false,
    ]);
    expect((await o.pulls.update({ ...repo, pull_number: 2, state: 'open' })).data.state).toBe('open');
    expect((await statusOf(o.pulls.get({ ...repo, pull_number: 99 }))).status).toBe(404);
  });

  it('answers 409 when the sha guard no longer matches the head, and merges nothing', async () => {
    const o = h.client('bot-token');
    const before = git(h.emu, 'rev-parse', 'main');
    const stale = (await o.pulls.get({ ...repo, pull_number: 1 })).data.head.sha;
    await commitFiles(o, 'stagegate/shop/checkout/one-percent', {
      'generated/checkout.k8s.yaml': 'kind: VirtualService\nweight: 1\n',
    });
    const res = await statusOf(o.pulls.merge({ ...repo, pull_number: 1, sha: stale }));
    expect([res.status, (res.data as { message: string }).message]).toEqual([
      409,
      'Head branch was modified. Review and try the merge again.',
    ]);
    expect(git(h.emu, 'rev-parse', 'main')).toBe(before);
  });

  it("squash-merges into a real commit on main whose tree is the PR head's, then refuses a second merge with 405", async () => {
    const o = h.client('bot-token');
    h.clock.advance(60_000);
    const pr = (await o.pulls.get({ ...repo, pull_number: 1 })).data;
    const merged = await o.pulls.merge({ ...repo, pull_number: 1, sha: pr.head.sha, merge_method: 'squash' });
    expect(merged.data).toEqual({ sha: merged.data.sha, merged: true, message: 'Pull Request successfully merged' });
    expect(git(h.emu, 'rev-parse', 'main')).toBe(merged.data.sha);
    expect(git(h.emu, 'log', '-1', '--format=%s|%P', 'main')).toBe(`checkout: one-percent (#1)|${pr.base.sha}`);
    expect(git(h.emu, 'rev-parse', 'main^{tree}')).toBe(git(h.emu, 'rev-parse', `${pr.head.sha}^{tree}`));
    expect(h.emu.readFile('main', 'rollouts/checkout.yaml')).toBe('stage: one-percent\n');

    const after = (await o.pulls.get({ ...repo, pull_number: 1 })).data;
    expect([after.state, after.merged, after.merged_at, after.merge_commit_sha, after.merged_by?.login]).toEqual([
      'closed',
      true,
      '2026-03-01T12:01:00Z',
      merged.data.sha,
      'stagegate[bot]',
    ]);
    expect((await statusOf(o.pulls.merge({ ...repo, pull_number: 1 }))).status).toBe(405);
    expect((await o.pulls.checkIfMerged({ ...repo, pull_number: 1 })).status).toBe(204);
  });

  it('merge-commits with two parents, and answers 405 for conflicts and for closed PRs', async () => {
    const o = h.client('bot-token');
    const merged = await o.pulls.merge({ ...repo, pull_number: 3, merge_method: 'merge' });
    expect(git(h.emu, 'log', '-1', '--format=%P', merged.data.sha).split(' ')).toHaveLength(2);
    expect(git(h.emu, 'log', '-1', '--format=%s', merged.data.sha)).toBe('Merge pull request #3 from acme/p-b');

    await commitFiles(o, 'conflict-a', { 'README.md': 'A\n' });
    await commitFiles(o, 'conflict-b', { 'README.md': 'B\n' });
    await o.pulls.create({ ...repo, title: 'a', head: 'conflict-a', base: 'main' });
    const b = await o.pulls.create({ ...repo, title: 'b', head: 'conflict-b', base: 'main' });
    await o.pulls.merge({ ...repo, pull_number: b.data.number - 1 });
    const dirty = (await o.pulls.get({ ...repo, pull_number: b.data.number })).data;
    expect([dirty.mergeable, dirty.mergeable_state]).toEqual([false, 'dirty']);
    const res = await statusOf(o.pulls.merge({ ...repo, pull_number: b.data.number }));
    expect([res.status, (res.data as { message: string }).message]).toEqual([405, 'Pull Request is not mergeable']);
    await o.pulls.update({ ...repo, pull_number: 4, state: 'closed' });
    expect((await statusOf(o.pulls.merge({ ...repo, pull_number: 4 }))).status).toBe(405);
  });

  it("lists a PR's commits with the login of the token that created each, and its files", async () => {
    const bot = h.client('bot-token');
    const human = h.client('human-token');
    await commitFiles(bot, 'mixed', { 'rollouts/checkout.yaml': 'stage: half\n' }, 'bot commit');
    await commitFiles(human, 'mixed', { 'src/evil.ts': 'export {}\n' }, 'human commit');
    const pr = await bot.pulls.create({ ...repo, title: 'mixed', head: 'mixed', base: 'main' });
    const commits = await bot.pulls.listCommits({ ...repo, pull_number: pr.data.number });
    expect(commits.data.map((c) => `${c.commit.message}:${c.author?.login}`)).toEqual([
      'bot commit:stagegate[bot]',
      'human commit:mallory',
    ]);
    const files = await bot.pulls.listFiles({ ...repo, pull_number: pr.data.number });
    expect(files.data.map((f) => `${f.status}:${f.filename}:+${f.additions}-${f.deletions}`)).toEqual([
      'modified:rollouts/checkout.yaml:+1-1',
      'added:src/evil.ts:+1-0',
    ]);
    const full = (await bot.pulls.get({ ...repo, pull_number: pr.data.number })).data;
    expect([full.commits, full.changed_files, full.additions, full.deletions]).toEqual([2, 2, 2, 1]);
  });

  it("rebase-merges by replaying the PR's commits onto main, keeping their authors", async () => {
    const o = h.client('bot-token');
    const base = git(h.emu, 'rev-parse', 'main');
    await commitFiles(o, 'linear', { 'notes/one.txt': '1' }, 'first');
    await commitFiles(o, 'linear', { 'notes/two.txt': '2' }, 'second');
    const pr = await o.pulls.create({ ...repo, title: 'linear', head: 'linear', base: 'main' });
    const merged = await o.pulls.merge({ ...repo, pull_number: pr.data.number, merge_method: 'rebase' });
    expect(git(h.emu, 'log', '--format=%s|%an|%cn', `${base}..main`).split('\n')).toEqual([
      'second|stagegate[bot]|GitHub',
      'first|stagegate[bot]|GitHub',
    ]);
    expect(git(h.emu, 'rev-parse', 'main')).toBe(merged.data.sha);
    expect(git(h.emu, 'rev-parse', 'main^^')).toBe(base);
  });

  it('serialises racing merges: of two conflicting PRs merged at once, exactly one lands', async () => {
    const o = h.client('bot-token');
    const base = git(h.emu, 'rev-parse', 'main');
    await commitFiles(o, 'race-a', { 'rollouts/checkout.yaml': 'stage: a\n' });
    await commitFiles(o, 'race-b', { 'rollouts/checkout.yaml': 'stage: b\n' });
    const a = await o.pulls.create({ ...repo, title: 'race a', head: 'race-a', base: 'main' });
    const b = await o.pulls.create({ ...repo, title: 'race b', head: 'race-b', base: 'main' });
    const results = await Promise.all(
      [a, b].map((pr) =>
        o.pulls.merge({ ...repo, pull_number: pr.data.number }).then(
          (r) => r.status,
          (e: { status: number }) => e.status,
        ),
      ),
    );
    expect(results.sort()).toEqual([200, 405]);
    expect(git(h.emu, 'rev-list', '--count', `${base}..main`, '--first-parent')).toBe('1');
  });

  it('closes an open PR when its head branch is deleted, as GitHub does', async () => {
    const o = h.client('bot-token');
    await commitFiles(o, 'doomed', { 'notes/doomed.txt': 'x' });
    const pr = await o.pulls.create({ ...repo, title: 'doomed', head: 'doomed', base: 'main' });
    await o.git.deleteRef({ ...repo, ref: 'heads/doomed' });
    const after = (await o.pulls.get({ ...repo, pull_number: pr.data.number })).data;
    expect([after.state, after.merged]).toEqual(['closed', false]);
  });
});

describe('lazy mergeability', () => {
  it('answers mergeable null to the first look after a push and the computed value to the next', async () => {
    const lazy = await harness({ lazyMergeability: true });
    try {
      const o = lazy.client();
      await commitFiles(o, 'lazy', { 'notes/lazy.txt': '1' });
      const pr = await o.pulls.create({ ...repo, title: 'lazy', head: 'lazy', base: 'main' });
      expect(pr.data.mergeable).toBeNull();
      const first = (await o.pulls.get({ ...repo, pull_number: pr.data.number })).data;
      const second = (await o.pulls.get({ ...repo, pull_number: pr.data.number })).data;
      expect([first.mergeable, first.mergeable_state, second.mergeable, second.mergeable_state]).toEqual([
        null,
        'unknown',
        true,
        'clean',
      ]);
      await commitFiles(o, 'lazy', { 'notes/lazy.txt': '2' });
      expect((await o.pulls.get({ ...repo, pull_number: pr.data.number })).data.mergeable).toBeNull();
    } finally {
      await lazy.emu.close();
    }
  });
});
