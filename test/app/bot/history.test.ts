import { afterEach, describe, expect, it } from 'vitest';
import { MIN, OWNER, REPO, world, type World } from './harness.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

const r = { owner: OWNER, repo: REPO };

/** A person's commit on main through the Git Data API (a plain, single-parent commit). */
async function commitOnMain(world: World, path: string, content: string, message: string): Promise<string> {
  const head = (await world.person.rest.git.getRef({ ...r, ref: 'heads/main' })).data.object.sha;
  const base = (await world.person.rest.git.getCommit({ ...r, commit_sha: head })).data.tree.sha;
  const tree = await world.person.rest.git.createTree({
    ...r,
    base_tree: base,
    tree: [{ path, mode: '100644', type: 'blob', content }],
  });
  const commit = await world.person.rest.git.createCommit({ ...r, message, tree: tree.data.sha, parents: [head] });
  await world.person.rest.git.updateRef({ ...r, ref: 'heads/main', sha: commit.data.sha });
  return commit.data.sha;
}

describe('intent histories when the default branch moves', () => {
  it('grows each history by the new commits that touch it, as GitHub lists them, without listing the paths again', async () => {
    w = await world({ 'rollouts/other.yaml': '# not an intent GitHub cares about here\n' });
    const { adapter } = w.bot();
    const paths = ['rollouts/checkout.yaml', 'rollouts/other.yaml'];
    const sha0 = (await adapter.defaultBranch()).sha;
    await adapter.histories(sha0, paths, 100);
    w.advance(MIN);
    await commitOnMain(w, 'README.md', '# deploy, edited\n', 'docs: readme');
    w.advance(MIN);
    const edit = await commitOnMain(w, 'rollouts/other.yaml', '# edited\n', 'other: edit');
    const sha1 = (await adapter.defaultBranch()).sha;
    const from = w.gh.requests.length;
    const grown = await adapter.histories(sha1, paths, 100);
    const routes = w.gh.requests.slice(from).map((q) => q.route);
    expect(routes).not.toContain('GET /repos/{owner}/{repo}/commits');
    expect(routes.filter((x) => x === 'GET /repos/{owner}/{repo}/compare/{basehead}')).toHaveLength(1);
    for (const path of paths)
      expect(grown.get(path), path).toEqual(await w.bot().adapter.commitsTouching(sha1, path, 100));
    expect(grown.get('rollouts/other.yaml')![0]!.sha).toBe(edit);
    // Asked again at the same sha: remembered, no request at all.
    const again = w.gh.requests.length;
    await adapter.histories(sha1, paths, 100);
    expect(w.gh.requests.length).toBe(again);
  });

  it('falls back to listing when the branch was force-moved to a commit that is not ahead', async () => {
    w = await world();
    const { adapter } = w.bot();
    const path = 'rollouts/checkout.yaml';
    const sha0 = (await adapter.defaultBranch()).sha;
    await commitOnMain(w, path, 'x: 1\n', 'edit the intent');
    const sha1 = (await adapter.defaultBranch()).sha;
    await adapter.histories(sha1, [path], 100);
    await w.person.rest.git.updateRef({ ...r, ref: 'heads/main', sha: sha0, force: true });
    const back = await adapter.histories(sha0, [path], 100);
    expect(back.get(path)).toEqual(await w.bot().adapter.commitsTouching(sha0, path, 100));
    expect(back.get(path)!.map((c) => c.message)).not.toContain('edit the intent');
  });
});
