import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateResponse } from '../../../tools/emulator/openapi.js';
import { commitFiles, harness, repo, statusOf, type Harness } from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await harness({ users: { 'bot-token': 'stagegate-bot' } });
});
afterAll(async () => {
  await h.emu.close();
});

const mainSha = async (o: Octokit): Promise<string> =>
  (await o.git.getRef({ ...repo, ref: 'heads/main' })).data.object.sha;

describe('identity and errors', () => {
  it("answers 401 without a token and for a token outside the users map, in GitHub's error shape", async () => {
    const anonymous = new Octokit({ baseUrl: h.emu.url, log: { debug() {}, info() {}, warn() {}, error() {} } });
    const none = await statusOf(anonymous.repos.get({ ...repo }));
    expect([none.status, none.data]).toEqual([
      401,
      expect.objectContaining({ message: 'Requires authentication', documentation_url: expect.any(String) }),
    ]);
    const bad = await statusOf(h.client('stolen').repos.get({ ...repo }));
    expect([bad.status, (bad.data as { message: string }).message]).toEqual([401, 'Bad credentials']);
    expect((await h.client('bot-token').users.getAuthenticated()).data.login).toBe('stagegate-bot');
  });

  it('answers 400 "Problems parsing JSON" to a body that is not JSON', async () => {
    const res = await fetch(`${h.emu.url}/repos/acme/shop/git/blobs`, {
      method: 'POST',
      headers: { authorization: 'token bot-token' },
      body: '{nope',
    });
    expect([res.status, ((await res.json()) as { message: string }).message]).toEqual([400, 'Problems parsing JSON']);
  });

  it('answers 404 for another repository and for unknown paths', async () => {
    const o = h.client('bot-token');
    expect((await statusOf(o.repos.get({ owner: 'acme', repo: 'other' }))).status).toBe(404);
    expect((await statusOf(o.request('GET /nothing/here'))).status).toBe(404);
    expect((await o.repos.get({ ...repo })).data.default_branch).toBe('main');
  });
});

describe('rate limits and conditional requests', () => {
  it('sends x-ratelimit headers on every answer and resets the budget after an hour of the injected clock', async () => {
    const o = h.client('bot-token');
    const a = await o.repos.get({ ...repo });
    const b = await o.repos.get({ ...repo });
    expect(a.headers['x-ratelimit-limit']).toBe('5000');
    expect(a.headers['x-ratelimit-resource']).toBe('core');
    expect(Number(b.headers['x-ratelimit-used'])).toBe(Number(a.headers['x-ratelimit-used']) + 1);
    expect(Number(b.headers['x-ratelimit-remaining'])).toBe(5000 - Number(b.headers['x-ratelimit-used']));
    const limits = await o.rateLimit.get();
    expect(limits.data.resources.core.used).toBe(Number(b.headers['x-ratelimit-used']));
    h.clock.advance(3601_000);
    expect((await o.repos.get({ ...repo })).headers['x-ratelimit-used']).toBe('1');
  });

  it('answers 304 with an empty body to a matching If-None-Match, without spending the budget', async () => {
    const o = h.client('bot-token');
    const first = await o.pulls.list({ ...repo });
    const etag = first.headers.etag!;
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
    const notModified = await statusOf(o.pulls.list({ ...repo, headers: { 'if-none-match': etag } }));
    expect(notModified.status).toBe(304);
    expect(notModified.headers['x-ratelimit-used']).toBe(first.headers['x-ratelimit-used']);
    const again = await o.pulls.list({ ...repo });
    expect(Number(again.headers['x-ratelimit-used'])).toBe(Number(first.headers['x-ratelimit-used']) + 1);
    expect(h.emu.requests.filter((r) => r.status === 304)).toHaveLength(1);
  });
});

describe('ETags across time', () => {
  it("keeps a poll's ETag while only the clock moves, and changes it when the state does", async () => {
    const o = h.client('bot-token');
    const sha = await mainSha(o);
    const first = await o.repos.getCombinedStatusForRef({ ...repo, ref: sha });
    h.clock.advance(10 * 60_000);
    const still = await statusOf(
      o.repos.getCombinedStatusForRef({ ...repo, ref: sha, headers: { 'if-none-match': first.headers.etag } }),
    );
    expect(still.status).toBe(304);
    await o.repos.createCommitStatus({ ...repo, sha, state: 'success', context: 'ci' });
    const changed = await o.repos.getCombinedStatusForRef({
      ...repo,
      ref: sha,
      headers: { 'if-none-match': first.headers.etag },
    });
    expect([changed.status, changed.data.state]).toEqual([200, 'success']);
    expect(changed.headers.etag).not.toBe(first.headers.etag);
  });
});

describe('ETags of what the bot polls', () => {
  it("answers 304 to the bot's polls of an open PR while only the clock and other branches move, as GitHub's content ETags do", async () => {
    const o = h.client('bot-token');
    const head = await commitFiles(o, 'stagegate/etag/one', { 'rollouts/checkout.yaml': 'stage: one\n' });
    const pr = (await o.pulls.create({ ...repo, head: 'stagegate/etag/one', base: 'main', title: 'one' })).data;
    await o.checks.create({
      ...repo,
      name: 'stagegate/verify',
      head_sha: head,
      status: 'completed',
      conclusion: 'success',
    });
    await o.issues.createComment({ ...repo, issue_number: pr.number, body: 'hello' });
    const embedding = {
      pulls: (hd: Record<string, string>) =>
        o.pulls.list({ ...repo, state: 'open', per_page: 100, page: 1, headers: hd }),
      combined: (hd: Record<string, string>) => o.repos.getCombinedStatusForRef({ ...repo, ref: head, headers: hd }),
    };
    const pullsTag = (await embedding.pulls({})).headers.etag!;
    const combinedTag = (await embedding.combined({})).headers.etag!;
    const polls = [
      (hd: Record<string, string>) =>
        o.pulls.listCommits({ ...repo, pull_number: pr.number, per_page: 100, page: 1, headers: hd }),
      (hd: Record<string, string>) =>
        o.pulls.listFiles({ ...repo, pull_number: pr.number, per_page: 100, page: 1, headers: hd }),
      (hd: Record<string, string>) =>
        o.issues.listComments({ ...repo, issue_number: pr.number, per_page: 100, page: 1, headers: hd }),
      (hd: Record<string, string>) =>
        o.checks.listForRef({ ...repo, ref: head, filter: 'all', per_page: 100, page: 1, headers: hd }),
      (hd: Record<string, string>) =>
        o.repos.listCommitStatusesForRef({ ...repo, ref: head, per_page: 100, page: 1, headers: hd }),
      (hd: Record<string, string>) => o.git.getRef({ ...repo, ref: 'heads/main', headers: hd }),
    ];
    const etags: string[] = [];
    for (const poll of polls) etags.push((await poll({})).headers.etag!);
    h.clock.advance(25 * 60_000);
    await commitFiles(o, 'elsewhere', { 'README.md': '# another branch\n' });
    for (const [i, poll] of polls.entries())
      expect((await statusOf(poll({ 'if-none-match': etags[i]! }))).status, `poll ${i}`).toBe(304);
    // JSON that embeds the repository (its pushed_at) changes with any push, as on GitHub.
    for (const embeds of [embedding.pulls, embedding.combined])
      expect((await embeds({ 'if-none-match': embeds === embedding.pulls ? pullsTag : combinedTag })).status).toBe(200);
    // A new comment changes that poll's answer, and only that one.
    await o.issues.createComment({ ...repo, issue_number: pr.number, body: 'again' });
    const comments = await polls[2]!({ 'if-none-match': etags[2]! });
    expect([comments.status, comments.data]).toEqual([
      200,
      expect.arrayContaining([expect.objectContaining({ body: 'again' })]),
    ]);
    expect((await statusOf(polls[3]!({ 'if-none-match': etags[3]! }))).status).toBe(304);
  });
});

describe('primary rate limit', () => {
  it('answers 403 with remaining 0 once a user spends their hourly budget, while other users go on', async () => {
    const small = await harness({ rateLimit: 2, users: { a: 'alice', b: 'bob' } });
    try {
      const o = small.client('a');
      await o.repos.get({ ...repo });
      await o.repos.get({ ...repo });
      const res = await statusOf(o.repos.get({ ...repo }));
      expect([res.status, res.headers['x-ratelimit-remaining']]).toEqual([403, '0']);
      expect((res.data as { message: string }).message).toMatch(/^API rate limit exceeded for user ID \d+\.$/);
      expect(small.emu.requests.at(-1)?.rateLimited).toBe(true);
      expect((await small.client('b').repos.get({ ...repo })).status).toBe(200);
      small.clock.advance(3600_000);
      expect((await o.repos.get({ ...repo })).status).toBe(200);
    } finally {
      await small.emu.close();
    }
  });
});

describe('faults', () => {
  it('answers a scheduled 502 before the handler runs, so the write is not applied', async () => {
    const o = h.client('bot-token');
    const sha = await mainSha(o);
    h.emu.faults.add({ match: { method: 'POST', path: /\/git\/refs$/ }, kind: 'status', status: 502 });
    expect((await statusOf(o.git.createRef({ ...repo, ref: 'refs/heads/f502', sha }))).status).toBe(502);
    expect((await statusOf(o.git.getRef({ ...repo, ref: 'heads/f502' }))).status).toBe(404);
    expect((await o.git.createRef({ ...repo, ref: 'refs/heads/f502', sha })).status).toBe(201);
    expect(h.emu.faults.pending).toBe(0);
  });

  it("answers a secondary rate limit with 403, retry-after and GitHub's message", async () => {
    const o = h.client('bot-token');
    h.emu.faults.add({ kind: 'secondaryRateLimit', retryAfter: 7 });
    const res = await statusOf(o.repos.get({ ...repo }));
    expect(res.status).toBe(403);
    expect(res.headers['retry-after']).toBe('7');
    expect((res.data as { message: string }).message).toMatch(/^You have exceeded a secondary rate limit/);
    expect(h.emu.requests.at(-1)).toMatchObject({ status: 403, rateLimited: true, fault: 'secondaryRateLimit' });
  });

  it('drops the connection before a write with drop, and after applying it with dropAfter', async () => {
    const o = h.client('bot-token');
    const sha = await mainSha(o);
    h.emu.faults.add({ match: { path: /\/git\/refs$/ }, kind: 'drop' });
    await expect(o.git.createRef({ ...repo, ref: 'refs/heads/dropped', sha })).rejects.toThrow();
    expect((await statusOf(o.git.getRef({ ...repo, ref: 'heads/dropped' }))).status).toBe(404);
    h.emu.faults.add({ match: { path: /\/git\/refs$/ }, kind: 'dropAfter' });
    await expect(o.git.createRef({ ...repo, ref: 'refs/heads/applied', sha })).rejects.toThrow();
    expect((await o.git.getRef({ ...repo, ref: 'heads/applied' })).data.object.sha).toBe(sha);
    expect(h.emu.requests.filter((r) => r.fault === 'drop' || r.fault === 'dropAfter').map((r) => r.status)).toEqual([
      0, 0,
    ]);
  });

  it('delays with latency, hits a rule only `times` times, and draws the same random schedule from the same seed', async () => {
    const o = h.client('bot-token');
    h.emu.faults.add({ kind: 'latency', ms: 5, times: 2 });
    await o.repos.get({ ...repo });
    await o.repos.get({ ...repo });
    await o.repos.get({ ...repo });
    expect(h.emu.requests.slice(-3).map((r) => r.fault)).toEqual(['latency', 'latency', undefined]);

    const run = async (): Promise<number[]> => {
      h.emu.faults.random(42, 0.5, [{ kind: 'status', status: 503 }]);
      const out: number[] = [];
      for (let i = 0; i < 12; i++)
        out.push(
          await o.repos.get({ ...repo }).then(
            (r) => r.status,
            (e: { status: number }) => e.status,
          ),
        );
      h.emu.faults.clear();
      return out;
    };
    const first = await run();
    expect(await run()).toEqual(first);
    expect(new Set(first)).toEqual(new Set([200, 503]));
  });
});

describe('faults by client', () => {
  it('hits only the requests of the login a rule names', async () => {
    const two = await harness({ users: { 'bot-token': 'stagegate-bot', 'ci-token': 'ci' } });
    try {
      two.emu.faults.add({ match: { login: 'stagegate-bot' }, kind: 'status', status: 503, times: Infinity });
      expect((await two.client('ci-token').repos.get({ ...repo })).status).toBe(200);
      expect((await statusOf(two.client('bot-token').repos.get({ ...repo }))).status).toBe(503);
      expect(two.emu.faults.pending).toBe(1);
    } finally {
      await two.emu.close();
    }
  });
});

describe('request log', () => {
  it('records method, path, status and time of every request and can be reset', async () => {
    const o = h.client('bot-token');
    h.emu.resetLog();
    await o.git.getRef({ ...repo, ref: 'heads/main' });
    expect(h.emu.requests).toEqual([
      expect.objectContaining({
        method: 'GET',
        path: '/repos/acme/shop/git/ref/heads%2Fmain',
        status: 200,
        rateLimited: false,
        at: h.clock.now,
        login: 'stagegate-bot',
      }),
    ]);
  });
});

describe('OpenAPI validation', () => {
  it("reports what a response lacks against GitHub's schema and accepts nullable fields as null", () => {
    const problems = validateResponse({ method: 'GET', template: '/repos/{owner}/{repo}/git/ref/{ref}' }, 200, {
      ref: 'refs/heads/main',
      url: 'http://x/y',
      object: {},
    });
    expect(problems).toEqual(
      expect.arrayContaining([expect.stringContaining("must have required property 'node_id'")]),
    );
    const label = {
      id: 1,
      node_id: 'L',
      url: 'http://127.0.0.1/l',
      name: 'x',
      description: null,
      color: 'ffffff',
      default: false,
    };
    expect(validateResponse({ method: 'GET', template: '/repos/{owner}/{repo}/labels' }, 200, [label])).toEqual([]);
    expect(
      validateResponse({ method: 'GET', template: '/repos/{owner}/{repo}/labels' }, 200, [{ ...label, color: null }]),
    ).not.toEqual([]);
  });
});
