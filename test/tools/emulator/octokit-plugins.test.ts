/**
 * The emulator against the client composition the bot uses (plugin-retry), with retry waits
 * shrunk to milliseconds: what a retried write looks like after each kind of fault.
 */
import { retry } from '@octokit/plugin-retry';
import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness, repo, statusOf, type Harness } from './helpers.js';

let h: Harness;
let client: Octokit;
let main: string;
beforeAll(async () => {
  h = await harness();
  const Retrying = Octokit.plugin(retry);
  client = new Retrying({
    baseUrl: h.emu.url,
    auth: 'x',
    retry: { retryAfterBaseValue: 1 },
    log: { debug() {}, info() {}, warn() {}, error() {} },
  });
  main = (await client.git.getRef({ ...repo, ref: 'heads/main' })).data.object.sha;
});
afterAll(async () => {
  await h.emu.close();
});

describe('faults seen through plugin-retry', () => {
  it('retries two 502s and applies the write exactly once', async () => {
    h.emu.resetLog();
    h.emu.faults.add({ match: { method: 'POST' }, kind: 'status', status: 502, times: 2 });
    const created = await client.git.createRef({ ...repo, ref: 'refs/heads/retried', sha: main });
    expect(created.status).toBe(201);
    expect(h.emu.requests.map((r) => r.status)).toEqual([502, 502, 201]);
  });

  it('turns a crash after commit into "Reference already exists" on the retry: the caller must read state, not retry blindly', async () => {
    h.emu.resetLog();
    h.emu.faults.add({ match: { method: 'POST' }, kind: 'dropAfter' });
    const res = await statusOf(client.git.createRef({ ...repo, ref: 'refs/heads/crashed', sha: main }));
    expect([res.status, (res.data as { message: string }).message]).toEqual([422, 'Reference already exists']);
    expect(h.emu.requests.map((r) => r.status)).toEqual([0, 422]);
    expect((await client.git.getRef({ ...repo, ref: 'heads/crashed' })).data.object.sha).toBe(main);
  });

  it('retries 409 and 405 by default, which the bot has to switch off with doNotRetry', async () => {
    await client.git.createRef({ ...repo, ref: 'refs/heads/guarded', sha: main });
    const tree = (await client.git.getCommit({ ...repo, commit_sha: main })).data.tree.sha;
    const next = await client.git.createCommit({
      ...repo,
      message: 'x',
      tree: (
        await client.git.createTree({
          ...repo,
          base_tree: tree,
          tree: [{ path: 'x', mode: '100644', type: 'blob', content: 'x' }],
        })
      ).data.sha,
      parents: [main],
    });
    await client.git.updateRef({ ...repo, ref: 'heads/guarded', sha: next.data.sha });
    const pr = await client.pulls.create({ ...repo, title: 'g', head: 'guarded', base: 'main' });
    h.emu.resetLog();
    const res = await statusOf(
      client.pulls.merge({ ...repo, pull_number: pr.data.number, sha: main, request: { retries: 1 } }),
    );
    expect(res.status).toBe(409);
    expect(h.emu.requests.map((r) => r.status)).toEqual([409, 409]);
  });
});
