import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitFiles, git, harness, repo, statusOf, type Harness } from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await harness({
    users: { 'alice-token': 'alice', 'bob-token': 'bob' },
    apps: { 'app-token': 'stagegate' },
    mergeMethods: ['rebase'],
  });
});
afterAll(async () => {
  await h.emu.close();
});

let branchNo = 0;
async function openPr(files: Record<string, string> = { [`notes/${branchNo}.txt`]: 'x\n' }): Promise<number> {
  branchNo += 1;
  const branch = `stagegate/policy/${branchNo}`;
  await commitFiles(h.client('app-token'), branch, files);
  return (await h.client('app-token').pulls.create({ ...repo, head: branch, base: 'main', title: branch })).data.number;
}

describe('allowed merge methods (get-repository fixture: allow_*_merge)', () => {
  it('reports the allowed methods on GET /repos and refuses the others with 405 "Squash merges are not allowed on this repository." (NielPieterse0/chatgpt-skill#153)', async () => {
    const o = h.client('app-token');
    const r = (await o.repos.get({ ...repo })).data;
    expect([r.allow_squash_merge, r.allow_merge_commit, r.allow_rebase_merge, r.allow_auto_merge]).toEqual([
      false,
      false,
      true,
      false,
    ]);
    const pr = await openPr();
    const squash = await statusOf(o.pulls.merge({ ...repo, pull_number: pr, merge_method: 'squash' }));
    const merge = await statusOf(o.pulls.merge({ ...repo, pull_number: pr }));
    expect([squash.status, (squash.data as { message: string }).message]).toEqual([
      405,
      'Squash merges are not allowed on this repository.',
    ]);
    expect([merge.status, (merge.data as { message: string }).message]).toEqual([
      405,
      'Merge commits are not allowed on this repository.',
    ]);
    expect((await o.pulls.merge({ ...repo, pull_number: pr, merge_method: 'rebase' })).data.merged).toBe(true);
  });
});

describe('a merge racing a push to the base', () => {
  it('answers 405 "Base branch was modified. Review and try the merge again." and leaves the pushed commit (NixOS/nixpkgs-merge-bot#179)', async () => {
    const pr = await openPr();
    h.emu.faults.add({ kind: 'racePush', match: { method: 'PUT', path: /\/merge$/ } });
    const res = await statusOf(h.client('app-token').pulls.merge({ ...repo, pull_number: pr, merge_method: 'rebase' }));
    expect([res.status, (res.data as { message: string }).message]).toEqual([
      405,
      'Base branch was modified. Review and try the merge again.',
    ]);
    expect(git(h.emu, 'log', '-1', '--format=%s', 'main')).toBe('concurrent push');
    const again = await h.client('app-token').pulls.merge({ ...repo, pull_number: pr, merge_method: 'rebase' });
    expect(again.data.merged).toBe(true);
  });

  it('keeps 409 "Head branch was modified" for a sha that is not the head (OA pulls/merge 409)', async () => {
    const pr = await openPr();
    const res = await statusOf(
      h.client('app-token').pulls.merge({ ...repo, pull_number: pr, sha: 'f'.repeat(40), merge_method: 'rebase' }),
    );
    expect([res.status, (res.data as { message: string }).message]).toEqual([
      409,
      'Head branch was modified. Review and try the merge again.',
    ]);
  });
});
