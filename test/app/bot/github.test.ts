import { describe, expect, it } from 'vitest';
import { GitHubAdapter } from '../../../app/bot/github.js';

type Handler = (
  method: string,
  path: string,
  body: unknown,
  headers: Headers,
) => { status: number; body?: unknown; headers?: Record<string, string> };

/** A fetch that answers from `handler` and records every request, in order. */
function fakeFetch(handler: Handler): { fetch: typeof fetch; calls: string[]; headers: Headers[] } {
  const calls: string[] = [];
  const headers: Headers[] = [];
  const f = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const method = init?.method ?? 'GET';
    const h = new Headers(init?.headers);
    calls.push(`${method} ${url.pathname}${url.search}`);
    headers.push(h);
    const res = handler(
      method,
      decodeURIComponent(url.pathname),
      init?.body ? JSON.parse(String(init.body)) : undefined,
      h,
    );
    const body = res.status === 304 || res.status === 204 ? null : JSON.stringify(res.body ?? {});
    return new Response(body, { status: res.status, headers: { 'content-type': 'application/json', ...res.headers } });
  };
  return { fetch: f as typeof fetch, calls, headers };
}

const adapter = (f: typeof fetch) =>
  new GitHubAdapter({
    owner: 'acme',
    repo: 'deploy',
    token: 't0ken',
    baseUrl: 'http://gh.test',
    fetch: f,
    retryUnitMs: 1,
    writeSpacingMs: 0,
  });
const R = '/repos/acme/deploy';

describe('GitHubAdapter', () => {
  it('writes one commit as a tree with inline contents on base_tree, the commit, then the ref', async () => {
    const bodies: unknown[] = [];
    const { fetch, calls } = fakeFetch((method, path, body) => {
      bodies.push(body);
      if (path === `${R}/git/commits/p1`) return { status: 200, body: { sha: 'p1', tree: { sha: 'tree0' } } };
      if (path === `${R}/git/trees`) return { status: 201, body: { sha: 'tree1' } };
      if (path === `${R}/git/commits`) return { status: 201, body: { sha: 'c1' } };
      if (path === `${R}/git/refs` && method === 'POST')
        return { status: 422, body: { message: 'Reference already exists' } };
      if (path === `${R}/git/refs/heads/stagegate/shop/checkout/full`)
        return { status: 200, body: { object: { sha: 'c1' } } };
      return { status: 404 };
    });
    const a = adapter(fetch);
    const input = {
      branch: 'stagegate/shop/checkout/full',
      parentSha: 'p1',
      message: 'm',
      changes: [
        { path: 'rollouts/a.yaml', content: 'a' },
        { path: 'generated/a.k8s.yaml', content: 'b' },
        { path: 'old.txt', content: null },
      ],
    };
    expect(await a.commitToBranch(input)).toBe('c1');
    expect(calls).toEqual([
      `GET ${R}/git/commits/p1`,
      `POST ${R}/git/trees`,
      `POST ${R}/git/commits`,
      `POST ${R}/git/refs`,
      `PATCH ${R}/git/refs/heads%2Fstagegate%2Fshop%2Fcheckout%2Ffull`,
    ]);
    expect(bodies[1]).toEqual({
      base_tree: 'tree0',
      tree: [
        { path: 'rollouts/a.yaml', mode: '100644', type: 'blob', content: 'a' },
        { path: 'generated/a.k8s.yaml', mode: '100644', type: 'blob', content: 'b' },
        { path: 'old.txt', mode: '100644', type: 'blob', sha: null },
      ],
    });
    expect(bodies[2]).toMatchObject({ tree: 'tree1', parents: ['p1'] });
    expect(bodies[4]).toMatchObject({ sha: 'c1', force: true });
    // The parent's tree is a fact about a sha: the second commit on the same parent does not ask again.
    await a.commitToBranch(input);
    expect(calls.slice(5, 6)).toEqual([`POST ${R}/git/trees`]);
  });

  it('sends If-None-Match on repeated polls and serves the cached body on 304', async () => {
    const statuses = [
      { id: 3, context: 'ci', state: 'success' },
      { id: 2, context: 'lint', state: 'success' },
      { id: 1, context: 'ci', state: 'failure' },
    ];
    const { fetch, headers, calls } = fakeFetch((_m, _p, _b, h) =>
      h.get('if-none-match') === '"v1"' ? { status: 304 } : { status: 200, body: statuses, headers: { etag: '"v1"' } },
    );
    const a = adapter(fetch);
    // The latest status of each context counts (ci failed, then passed).
    expect(await a.combinedStatus('abc')).toEqual({ state: 'success', totalCount: 2 });
    expect(await a.combinedStatus('abc')).toEqual({ state: 'success', totalCount: 2 });
    expect(calls[1]).toBe(`GET ${R}/commits/abc/statuses?per_page=100&page=1`);
    expect(headers[1]!.get('if-none-match')).toBe('"v1"');
    expect(a.stats.notModified).toBe(1);
  });

  it('computes the combined state as GitHub does: failure on any error, pending on none or any pending', async () => {
    const cases: Array<[Array<{ id: number; context: string; state: string }>, string, number]> = [
      [[], 'pending', 0],
      [
        [
          { id: 1, context: 'a', state: 'success' },
          { id: 2, context: 'b', state: 'pending' },
        ],
        'pending',
        2,
      ],
      [
        [
          { id: 1, context: 'a', state: 'error' },
          { id: 2, context: 'b', state: 'success' },
        ],
        'failure',
        2,
      ],
    ];
    for (const [body, state, totalCount] of cases) {
      const { fetch } = fakeFetch(() => ({ status: 200, body }));
      expect(await adapter(fetch).combinedStatus('abc')).toEqual({ state, totalCount });
    }
  });

  it("sends If-None-Match on every page of a listing, asks past a full page, and leaves forks' PRs out", async () => {
    const pr = (n: number, repo: string) => ({
      number: n,
      state: 'open',
      merged_at: null,
      closed_at: null,
      created_at: 'x',
      html_url: 'u',
      head: { ref: `stagegate/b${n}`, sha: 's', repo: { full_name: repo } },
      base: { ref: 'main' },
      title: 't',
      body: null,
      labels: [],
    });
    const page1 = Array.from({ length: 100 }, (_, i) => pr(200 - i, 'acme/deploy'));
    const page2 = [pr(3, 'acme/deploy'), pr(2, 'mallory/deploy')];
    const { fetch, calls, headers } = fakeFetch((_m, _p, _b, h) => {
      const page = calls.at(-1)!.includes('page=2') ? 2 : 1;
      if (h.get('if-none-match') === `"p${page}"`) return { status: 304 };
      return { status: 200, body: page === 1 ? page1 : page2, headers: { etag: `"p${page}"` } };
    });
    const a = adapter(fetch);
    const first = await a.openPulls();
    expect(first).toHaveLength(101);
    expect(first.map((p) => p.number)).not.toContain(2);
    expect(await a.openPulls()).toEqual(first);
    expect(calls.slice(2)).toEqual([
      `GET ${R}/pulls?state=open&sort=created&direction=desc&per_page=100&page=1`,
      `GET ${R}/pulls?state=open&sort=created&direction=desc&per_page=100&page=2`,
    ]);
    expect(headers.slice(2).map((h) => h.get('if-none-match'))).toEqual(['"p1"', '"p2"']);
    expect(a.stats.notModified).toBe(2);
  });

  it('counts approvals only from write or admin (one permission GET per approver, 404 not counted, ETag kept)', async () => {
    const reviews = [
      { id: 1, state: 'APPROVED', user: { login: 'wendy' } },
      { id: 2, state: 'APPROVED', user: { login: 'rita' } },
      { id: 3, state: 'APPROVED', user: { login: 'gone' } },
      { id: 4, state: 'APPROVED', user: { login: 'ada' } },
      { id: 5, state: 'COMMENTED', user: { login: 'wendy' } },
      { id: 6, state: 'CHANGES_REQUESTED', user: { login: 'carl' } },
    ];
    // OA repos/get-collaborator-permission-level: maintain reports as write, triage as read.
    const roles: Record<string, [string, string]> = {
      wendy: ['write', 'maintain'],
      rita: ['read', 'triage'],
      ada: ['admin', 'admin'],
    };
    const { fetch, calls, headers } = fakeFetch((_m, path, _b, h) => {
      if (path === `${R}/pulls/7/reviews`) return { status: 200, body: reviews };
      const m = /\/collaborators\/([^/]+)\/permission$/.exec(path);
      const role = m ? roles[m[1]!] : undefined;
      if (!role) return { status: 404, body: { message: 'Not Found' } };
      if (h.get('if-none-match') === `"${m![1]}"`) return { status: 304 };
      return {
        status: 200,
        body: { permission: role[0], role_name: role[1], user: null },
        headers: { etag: `"${m![1]}"` },
      };
    });
    const a = adapter(fetch);
    expect(await a.approvals(7)).toEqual(['wendy', 'ada']);
    expect(calls.filter((c) => c.includes('/collaborators/'))).toEqual([
      `GET ${R}/collaborators/wendy/permission`,
      `GET ${R}/collaborators/rita/permission`,
      `GET ${R}/collaborators/gone/permission`,
      `GET ${R}/collaborators/ada/permission`,
    ]);
    expect(await a.approvals(7)).toEqual(['wendy', 'ada']);
    expect(headers.slice(-4).map((x) => x.get('if-none-match'))).toEqual(['"wendy"', '"rita"', null, '"ada"']);
    // A role outside the documented four stops the read (validated at the edge, app/bot/schemas.ts).
    const odd = fakeFetch((_m, path) =>
      path === `${R}/pulls/7/reviews`
        ? { status: 200, body: reviews }
        : { status: 200, body: { permission: 'owner', role_name: 'owner', user: null } },
    );
    await expect(adapter(odd.fetch).approvals(7)).rejects.toThrow(
      'reading the permission of wendy failed; the next pass retries',
    );
    await expect(adapter(odd.fetch).approvals(7)).rejects.toHaveProperty(
      'cause.message',
      'GitHub answered an unexpected permission: /permission must be equal to one of the allowed values',
    );
  });

  it('understands 405 and 409 on merge instead of retrying them', async () => {
    for (const [status, kind] of [
      [405, 'not-mergeable'],
      [409, 'head-moved'],
    ] as const) {
      const { fetch, calls } = fakeFetch(() => ({
        status,
        body: { message: status === 409 ? 'Head branch was modified' : 'not mergeable' },
      }));
      const result = await adapter(fetch).merge(3, { sha: 's', method: 'squash', title: 't', message: 'm' });
      expect(result.kind).toBe(kind);
      expect(calls).toEqual([`PUT ${R}/pulls/3/merge`]);
    }
  });

  it('adopts the open PR when GitHub answers 422 to a second PR on the same head', async () => {
    const open = {
      number: 4,
      state: 'open',
      merged_at: null,
      closed_at: null,
      created_at: 'x',
      html_url: 'u',
      head: { ref: 'b', sha: 's' },
      base: { ref: 'main' },
      title: 't',
      body: null,
      labels: [],
    };
    const { fetch, calls } = fakeFetch((method) =>
      method === 'POST'
        ? { status: 422, body: { message: 'A pull request already exists' } }
        : { status: 200, body: [open] },
    );
    const pr = await adapter(fetch).openPull({ head: 'b', base: 'main', title: 't', body: 'b' });
    expect(pr.number).toBe(4);
    expect(calls).toEqual([`POST ${R}/pulls`, `GET ${R}/pulls?head=acme%3Ab&state=all&per_page=100&page=1`]);
  });

  it('honours retry-after on a secondary rate limit, a bounded number of times', async () => {
    let n = 0;
    const { fetch, calls } = fakeFetch(() =>
      ++n <= 2
        ? {
            status: 403,
            body: { message: 'You have exceeded a secondary rate limit' },
            headers: { 'retry-after': '3' },
          }
        : { status: 200, body: { login: 'stagegate-bot' } },
    );
    const a = adapter(fetch);
    expect(await a.viewer()).toBe('stagegate-bot');
    expect(calls).toHaveLength(3);
    expect(a.stats.rateLimited).toBe(2);

    const always = fakeFetch(() => ({
      status: 403,
      body: { message: 'You have exceeded a secondary rate limit' },
      headers: { 'retry-after': '1' },
    }));
    await expect(adapter(always.fetch).viewer()).rejects.toThrow(
      "reading the token's user failed (HTTP 403); rate limited; the next pass retries",
    );
    expect(always.calls).toHaveLength(4); // first try + 3 retries
  });

  it('retries a 502 and keeps the token out of the error it finally throws', async () => {
    const { fetch, calls, headers } = fakeFetch(() => ({ status: 502, body: { message: 'Bad gateway' } }));
    const err = await adapter(fetch)
      .defaultBranch()
      .catch((e: unknown) => e as Error);
    expect(calls).toHaveLength(4);
    expect(headers[0]!.get('authorization')).toBe('token t0ken');
    expect(String(err)).toContain('reading the default branch failed (HTTP 502)');
    expect(JSON.stringify(err) + String((err as Error).cause) + String((err as Error).stack)).not.toContain('t0ken');
  });
});

describe('GitHubAdapter rate limits', () => {
  it('gives up at once when retry-after is longer than the pass may block', async () => {
    const { fetch, calls } = fakeFetch(() => ({
      status: 403,
      body: { message: 'You have exceeded a secondary rate limit' },
      headers: { 'retry-after': '3600' },
    }));
    const a = new GitHubAdapter({
      owner: 'acme',
      repo: 'deploy',
      token: 't',
      baseUrl: 'http://gh.test',
      fetch,
      retryUnitMs: 1,
      writeSpacingMs: 0,
      maxRetryAfterSeconds: 60,
    });
    await expect(a.viewer()).rejects.toThrow('(HTTP 403)');
    expect(calls).toHaveLength(1);
  });

  it('refuses a check run or PR answer without the shape the planner relies on (validated at the edge)', async () => {
    const { fetch } = fakeFetch((_m, path) => {
      if (path === `${R}/commits/abc/check-runs`)
        return {
          status: 200,
          body: { total_count: 1, check_runs: [{ id: 1, name: 'x', head_sha: 'abc', status: 'done' }] },
        };
      if (path === `${R}/pulls`) return { status: 200, body: [{ number: '7', state: 'open' }] };
      return { status: 404 };
    });
    const a = adapter(fetch);
    const cause = (p: Promise<unknown>) =>
      p.then(
        () => '',
        (e: Error) => (e.cause as Error).message,
      );
    expect(await cause(a.checkRuns('abc'))).toBe(
      'GitHub answered an unexpected checkRun: /status must be equal to one of the allowed values',
    );
    expect(await cause(a.openPulls())).toBe("GitHub answered an unexpected pull: / must have required property 'head'");
  });
});
