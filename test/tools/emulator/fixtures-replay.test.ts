/**
 * Replays requests recorded from real GitHub (@octokit/fixtures normalized scenarios) against the
 * emulator and compares status codes, header formats and body shapes (keys and JSON types, not
 * values). Only the endpoints the emulator serves are replayed; placeholder shas of the fixtures
 * are mapped to real commits here.
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitFiles, harness, type Harness } from './helpers.js';

const require = createRequire(import.meta.url);
interface Recorded {
  method: string;
  path: string;
  body?: unknown;
  status: number;
  response: unknown;
  headers: Record<string, string>;
}
const scenario = (name: string): Recorded[] =>
  require(`@octokit/fixtures/scenarios/api.github.com/${name}/normalized-fixture.json`) as Recorded[];

let h: Harness;
let shas: Record<string, string>;
beforeAll(async () => {
  h = await harness({ users: { 'admin-token': 'acme' }, admins: ['acme'] });
  const main = (await h.client('admin-token').git.getRef({ owner: 'acme', repo: 'shop', ref: 'heads/main' })).data
    .object.sha;
  const second = await commitFiles(h.client('admin-token'), 'fixture-second', { 'x.txt': 'x\n' });
  shas = { [`${'0'.repeat(39)}1`]: main, [`${'0'.repeat(39)}2`]: second };
});
afterAll(async () => {
  await h.emu.close();
});

/** Placeholder shas → commits; `swap` for git-refs, whose ref moves from 0…2 forward to 0…1. */
let swap = false;
const mapShas = (text: string): string =>
  text.replace(/0{39}[12]/g, (m) => {
    const key = swap ? (m.endsWith('1') ? `${'0'.repeat(39)}2` : `${'0'.repeat(39)}1`) : m;
    return shas[key] ?? m;
  });

/** Keys of `recorded` missing from `actual`, or of another JSON type, as paths. */
function shapeDiff(recorded: unknown, actual: unknown, at = '', ignore: ReadonlySet<string> = new Set()): string[] {
  const kind = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
  if (recorded === null || actual === null) return [];
  if (kind(recorded) !== kind(actual)) return [`${at || '/'}: ${kind(recorded)} recorded, ${kind(actual)} served`];
  if (Array.isArray(recorded)) {
    const a = actual as unknown[];
    return recorded.length > 0 && a.length > 0 ? shapeDiff(recorded[0], a[0], `${at}/0`, ignore) : [];
  }
  if (kind(recorded) !== 'object') return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(recorded as Record<string, unknown>)) {
    const path = `${at}/${k}`;
    if (ignore.has(path.replace(/\/\d+/g, '/*'))) continue;
    if (!(k in (actual as Record<string, unknown>))) out.push(`${path}: missing`);
    else out.push(...shapeDiff(v, (actual as Record<string, unknown>)[k], path, ignore));
  }
  return out;
}

async function replay(rec: Recorded, path: string): Promise<{ res: Response; body: unknown }> {
  const res = await fetch(`${h.emu.url}${mapShas(path)}`, {
    method: rec.method.toUpperCase(),
    headers: { authorization: 'token admin-token', 'content-type': 'application/json' },
    body: rec.body === undefined || rec.body === '' ? undefined : mapShas(JSON.stringify(rec.body)),
  });
  const text = await res.text();
  return { res, body: text === '' ? undefined : JSON.parse(text) };
}

const toShop = (path: string): string => path.replace(/^\/repos\/octokit-fixture-org\/[^/?]+/, '/repos/acme/shop');

describe('recorded GitHub traffic (@octokit/fixtures)', () => {
  it('git-refs: create, update and delete a ref answer as recorded (status, body keys and types, Location)', async () => {
    swap = true;
    for (const rec of scenario('git-refs').filter((r) => r.method !== 'get')) {
      const { res, body } = await replay(rec, toShop(rec.path));
      expect(res.status, `${rec.method} ${rec.path}`).toBe(rec.status);
      if (rec.response !== '' && rec.response !== undefined) expect(shapeDiff(rec.response, body)).toEqual([]);
      if (rec.headers.location)
        expect(res.headers.get('location')).toMatch(/\/repos\/acme\/shop\/git\/refs\/heads\/test$/);
    }
    swap = false;
  });

  it('create-status: statuses, their list and the combined status have the recorded shapes', async () => {
    for (const rec of scenario('create-status')) {
      const { res, body } = await replay(rec, toShop(rec.path));
      expect(res.status, `${rec.method} ${rec.path}`).toBe(rec.status);
      // The recorded repository (in the combined status) is a public org repo with org-only fields.
      const ignore = new Set(['/repository/organization', '/creator/user_view_type']);
      expect(shapeDiff(rec.response, body, '', ignore), rec.path).toEqual([]);
    }
  });

  it('get-repository: the repository has every recorded key with its type, and GitHub-format headers', async () => {
    const [rec] = scenario('get-repository');
    const { res, body } = await replay(rec!, '/repos/acme/shop');
    expect(res.status).toBe(200);
    // Fields of org-owned public repos, a template repo or newer plans the emulator does not model.
    const ignore = new Set(['/organization', '/temp_clone_token', '/security_and_analysis', '/source', '/parent']);
    expect(shapeDiff(rec!.response, body, '', ignore)).toEqual([]);
    // Raw recordings: strong quoted 64-hex ETag, epoch-seconds reset, numeric limits.
    expect(res.headers.get('etag')).toMatch(/^"[0-9a-f]{64}"$/);
    for (const name of ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-used'])
      expect(res.headers.get(name)).toMatch(/^\d+$/);
    expect(res.headers.get('x-ratelimit-reset')).toMatch(/^\d{10}$/);
    expect(res.headers.get('x-ratelimit-resource')).toBe('core');
    expect(res.headers.get('content-type')).toBe(rec!.headers['content-type']);
  });

  it('errors: a label with a bad color gets the recorded 422 body', async () => {
    const [rec] = scenario('errors');
    const { res, body } = await replay(rec!, toShop(rec!.path));
    expect([res.status, (body as { errors: unknown }).errors]).toEqual([
      rec!.status,
      (rec!.response as { errors: unknown }).errors,
    ]);
    expect(shapeDiff(rec!.response, body)).toEqual([]);
  });

  it('labels: list, create and read a label with the recorded shapes', async () => {
    const recs = scenario('labels').filter((r) => r.method === 'post' || r.method === 'get');
    for (const rec of recs) {
      const { res, body } = await replay(rec, toShop(rec.path));
      expect(res.status, `${rec.method} ${rec.path}`).toBe(rec.status);
      expect(shapeDiff(rec.response, body), rec.path).toEqual([]);
    }
  });

  it('branch-protection: an unprotected branch answers the recorded 404 "Branch not protected" to an admin', async () => {
    const [rec] = scenario('branch-protection');
    const { res, body } = await replay(rec!, toShop(rec!.path));
    expect([res.status, (body as { message: string }).message]).toEqual([
      rec!.status,
      (rec!.response as { message: string }).message,
    ]);
  });

  it('paginate-issues: the Link header has the recorded form (rel="next", rel="last" on the first page)', async () => {
    const [rec] = scenario('paginate-issues');
    const recorded = rec!.headers.link!;
    expect(recorded).toMatch(/^<[^>]+page=2>; rel="next", <[^>]+page=\d+>; rel="last"$/);
    for (let i = 0; i < 4; i += 1)
      await commitFiles(h.client('admin-token'), `fixture-page-${i}`, { [`p${i}`]: `${i}\n` });
    const branches = ['fixture-page-0', 'fixture-page-1', 'fixture-page-2', 'fixture-page-3'];
    for (const head of branches)
      await h.client('admin-token').pulls.create({ owner: 'acme', repo: 'shop', head, base: 'main', title: head });
    const res = await fetch(`${h.emu.url}/repos/acme/shop/pulls?per_page=3`, {
      headers: { authorization: 'token admin-token' },
    });
    expect(res.headers.get('link')).toMatch(/^<[^>]+page=2>; rel="next", <[^>]+page=\d+>; rel="last"$/);
  });
});
