import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitFiles, git, harness, repo, statusOf, type Harness } from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h.emu.close();
});

describe('refs', () => {
  it("serves main seeded from files as a commit by the owner, from the owner's noreply email", async () => {
    const o = h.client();
    const ref = await o.git.getRef({ ...repo, ref: 'heads/main' });
    expect(ref.data.ref).toBe('refs/heads/main');
    expect(ref.data.object.sha).toBe(git(h.emu, 'rev-parse', 'main'));
    const commits = await o.repos.listCommits({ ...repo });
    expect(commits.data.map((c) => c.author?.login)).toEqual(['acme']);
    expect(commits.data[0]?.commit.author?.email).toMatch(/^\d+\+acme@users\.noreply\.github\.com$/);
    expect(h.emu.readFile('main', 'rollouts/checkout.yaml')).toBe('stage: internal\n');
  });

  it('creates, fast-forwards, force-moves and deletes a branch, refusing what GitHub refuses', async () => {
    const o = h.client();
    const main = (await o.git.getRef({ ...repo, ref: 'heads/main' })).data.object.sha;
    const created = await o.git.createRef({ ...repo, ref: 'refs/heads/stagegate/shop/checkout/half', sha: main });
    expect(created.status).toBe(201);
    const again = await statusOf(
      o.git.createRef({ ...repo, ref: 'refs/heads/stagegate/shop/checkout/half', sha: main }),
    );
    expect([again.status, again.message]).toEqual([422, expect.stringContaining('Reference already exists')]);
    expect((await statusOf(o.git.createRef({ ...repo, ref: 'heads/x', sha: main }))).status).toBe(422);

    const ahead = await commitFiles(o, 'stagegate/shop/checkout/half', { 'rollouts/checkout.yaml': 'stage: half\n' });
    const back = await statusOf(o.git.updateRef({ ...repo, ref: 'heads/stagegate/shop/checkout/half', sha: main }));
    expect([back.status, back.message]).toEqual([422, expect.stringContaining('Update is not a fast forward')]);
    expect(git(h.emu, 'rev-parse', 'stagegate/shop/checkout/half')).toBe(ahead);
    const forced = await o.git.updateRef({
      ...repo,
      ref: 'heads/stagegate/shop/checkout/half',
      sha: main,
      force: true,
    });
    expect(forced.data.object.sha).toBe(main);

    const matching = await o.git.listMatchingRefs({ ...repo, ref: 'heads/stagegate/' });
    expect(matching.data.map((r) => r.ref)).toEqual(['refs/heads/stagegate/shop/checkout/half']);
    expect((await o.git.deleteRef({ ...repo, ref: 'heads/stagegate/shop/checkout/half' })).status).toBe(204);
    expect((await statusOf(o.git.getRef({ ...repo, ref: 'heads/stagegate/shop/checkout/half' }))).status).toBe(404);
    expect((await statusOf(o.git.deleteRef({ ...repo, ref: 'heads/stagegate/shop/checkout/half' }))).status).toBe(422);
  });
});

describe('blobs, trees and commits', () => {
  it('stores utf-8 and base64 blobs and returns them base64-encoded', async () => {
    const o = h.client();
    const text = await o.git.createBlob({ ...repo, content: 'héllo\n', encoding: 'utf-8' });
    const binary = await o.git.createBlob({
      ...repo,
      content: Buffer.from([0, 1, 2, 255]).toString('base64'),
      encoding: 'base64',
    });
    expect(git(h.emu, 'cat-file', 'blob', text.data.sha)).toBe('héllo');
    const got = await o.git.getBlob({ ...repo, file_sha: text.data.sha });
    expect(Buffer.from(got.data.content, 'base64').toString('utf8')).toBe('héllo\n');
    expect(got.data.size).toBe(Buffer.byteLength('héllo\n'));
    const raw = await o.git.getBlob({ ...repo, file_sha: binary.data.sha });
    expect([...Buffer.from(raw.data.content, 'base64')]).toEqual([0, 1, 2, 255]);
    expect((await statusOf(o.git.getBlob({ ...repo, file_sha: 'f'.repeat(40) }))).status).toBe(404);
  });

  it('builds nested trees on a base tree, deletes entries with sha null, and lists them recursively', async () => {
    const o = h.client();
    const main = await o.git.getCommit({
      ...repo,
      commit_sha: (await o.git.getRef({ ...repo, ref: 'heads/main' })).data.object.sha,
    });
    const blob = await o.git.createBlob({ ...repo, content: 'kind: DestinationRule\n' });
    const tree = await o.git.createTree({
      ...repo,
      base_tree: main.data.tree.sha,
      tree: [
        { path: 'generated/nested/dr.yaml', mode: '100644', type: 'blob', sha: blob.data.sha },
        { path: 'rollouts/cart.yaml', mode: '100644', type: 'blob', content: 'stage: full\n' },
        { path: 'README.md', mode: '100644', type: 'blob', sha: null },
      ],
    });
    expect(tree.status).toBe(201);
    expect(git(h.emu, 'ls-tree', '-r', '--name-only', tree.data.sha).split('\n')).toEqual(
      [
        'generated/checkout.k8s.yaml',
        'generated/nested/dr.yaml',
        'rollouts/checkout.yaml',
        'rollouts/cart.yaml',
      ].sort(),
    );
    const recursive = await o.git.getTree({ ...repo, tree_sha: tree.data.sha, recursive: '1' });
    expect(recursive.data.tree.filter((e) => e.type === 'blob').map((e) => e.path)).toContain(
      'generated/nested/dr.yaml',
    );
    expect(recursive.data.tree.find((e) => e.path === 'generated/nested')?.type).toBe('tree');
    const top = await o.git.getTree({ ...repo, tree_sha: tree.data.sha });
    expect(top.data.tree.map((e) => e.path)).toEqual(['generated', 'rollouts']);
    const bad = await statusOf(
      o.git.createTree({ ...repo, tree: [{ path: 'a', mode: '100644', type: 'blob', sha: 'a'.repeat(40) }] }),
    );
    expect(bad.status).toBe(422);
  });

  it('deletes whole directories, drops emptied ones, and keeps odd file names intact', async () => {
    const o = h.client();
    const main = await o.git.getCommit({
      ...repo,
      commit_sha: (await o.git.getRef({ ...repo, ref: 'heads/main' })).data.object.sha,
    });
    const tree = await o.git.createTree({
      ...repo,
      base_tree: main.data.tree.sha,
      tree: [
        { path: 'generated', mode: '040000', type: 'tree', sha: null },
        { path: 'rollouts/checkout.yaml', mode: '100644', type: 'blob', sha: null },
        { path: 'notes/a "quoted"\\name é.txt', mode: '100644', type: 'blob', content: 'odd\n' },
        { path: 'missing/dir/file', mode: '100644', type: 'blob', sha: null },
      ],
    });
    expect(git(h.emu, 'ls-tree', '-r', '-z', '--name-only', tree.data.sha).split('\0').filter(Boolean)).toEqual([
      'README.md',
      'notes/a "quoted"\\name é.txt',
    ]);
    expect(git(h.emu, 'fsck', '--no-dangling')).toBe('');
  });

  it('creates commits whose author defaults to the token user and honours explicit authors', async () => {
    const o = h.client();
    const parent = (await o.git.getRef({ ...repo, ref: 'heads/main' })).data.object.sha;
    const tree = (await o.git.getCommit({ ...repo, commit_sha: parent })).data.tree.sha;
    const plain = await o.git.createCommit({ ...repo, message: 'plain', tree, parents: [parent] });
    expect(plain.data.author.name).toBe('stagegate-bot');
    expect(plain.data.author.date).toBe('2026-03-01T12:00:00Z');
    expect(plain.data.parents.map((p) => p.sha)).toEqual([parent]);
    const explicit = await o.git.createCommit({
      ...repo,
      message: 'explicit',
      tree,
      parents: [parent],
      author: { name: 'Ada', email: 'ada@example.com', date: '2025-01-02T03:04:05Z' },
    });
    expect(git(h.emu, 'log', '-1', '--format=%an <%ae> %aI', explicit.data.sha)).toBe(
      'Ada <ada@example.com> 2025-01-02T03:04:05+00:00',
    );
    expect((await o.git.getCommit({ ...repo, commit_sha: explicit.data.sha })).data.message).toBe('explicit');
    expect(
      (await statusOf(o.git.createCommit({ ...repo, message: 'x', tree, parents: ['b'.repeat(40)] }))).status,
    ).toBe(422);
    expect((await statusOf(o.git.getCommit({ ...repo, commit_sha: 'c'.repeat(40) }))).status).toBe(404);
  });
});

describe('contents, commits and compare', () => {
  it('reads a file as base64 with its blob sha, a directory as an array, and 404s the rest', async () => {
    const o = h.client();
    const file = await o.repos.getContent({ ...repo, path: 'rollouts/checkout.yaml' });
    const data = file.data as { type: string; content: string; sha: string };
    expect(data.type).toBe('file');
    expect(Buffer.from(data.content, 'base64').toString('utf8')).toBe('stage: internal\n');
    expect(data.sha).toBe(git(h.emu, 'rev-parse', 'main:rollouts/checkout.yaml'));
    const dir = await o.repos.getContent({ ...repo, path: 'rollouts' });
    expect((dir.data as Array<{ name: string }>).map((e) => e.name)).toEqual(['checkout.yaml']);
    const root = await o.repos.getContent({ ...repo, path: '' });
    expect((root.data as Array<{ name: string; type: string }>).map((e) => `${e.type}:${e.name}`)).toEqual([
      'file:README.md',
      'dir:generated',
      'dir:rollouts',
    ]);
    expect((await statusOf(o.repos.getContent({ ...repo, path: 'rollouts/none.yaml' }))).status).toBe(404);
    expect((await statusOf(o.repos.getContent({ ...repo, path: 'README.md', ref: 'no-such-branch' }))).status).toBe(
      404,
    );
  });

  it('lists history filtered by path, reads one commit with its files, and compares branches', async () => {
    const o = h.client();
    const sha = await commitFiles(
      o,
      'feature',
      { 'rollouts/checkout.yaml': 'stage: one-percent\n', 'generated/new.yaml': 'a: 1\n' },
      'move to one-percent',
    );
    const history = await o.repos.listCommits({ ...repo, sha: 'feature', path: 'generated/new.yaml' });
    expect(history.data.map((c) => c.sha)).toEqual([sha]);
    const one = await o.repos.getCommit({ ...repo, ref: sha });
    expect(one.data.files?.map((f) => `${f.status}:${f.filename}`)).toEqual([
      'added:generated/new.yaml',
      'modified:rollouts/checkout.yaml',
    ]);
    expect(one.data.stats).toEqual({ additions: 2, deletions: 1, total: 3 });
    const cmp = await o.repos.compareCommitsWithBasehead({ ...repo, basehead: 'main...feature' });
    expect([cmp.data.status, cmp.data.ahead_by, cmp.data.behind_by]).toEqual(['ahead', 1, 0]);
    expect(cmp.data.files?.find((f) => f.filename === 'rollouts/checkout.yaml')?.patch).toContain(
      '+stage: one-percent',
    );
    expect((await statusOf(o.repos.getCommit({ ...repo, ref: 'nope' }))).status).toBe(422);
  });
});

describe('a reused data directory', () => {
  it('serves a repository again after git gc packed its objects and refs', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'stagegate-emu-data-'));
    try {
      const before = await harness({ dataDir });
      const sha = await commitFiles(before.client(), 'kept', { 'rollouts/kept.yaml': 'stage: full\n' });
      await before.emu.close();
      git(before.emu, 'gc', '--quiet', '--prune=now');
      const after = await harness({ dataDir });
      try {
        expect((await after.client().git.getRef({ ...repo, ref: 'heads/kept' })).data.object.sha).toBe(sha);
        expect(after.emu.readFile('kept', 'rollouts/kept.yaml')).toBe('stage: full\n');
        expect(after.emu.log('kept').map((c) => c.sha)[0]).toBe(sha);
      } finally {
        await after.emu.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
