import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stageBranch } from '../../../constructs/conventions.js';
import { ResponseCache } from '../../../app/bot/cache.js';
import { runAdvance } from '../../../app/bot/run.js';
import { BOT_TOKEN, MIN, OWNER, REPO, world, type World, pushEvilScript } from './harness.js';

let w: World | undefined;
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sg-cache-'));
});
afterEach(async () => {
  await w?.close();
  w = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const scope = { api: 'http://gh.test', repo: 'acme/deploy' };

/** One `stagegate advance --json` process: a new adapter, the cache only through the file. */
async function advance(
  world: World,
  cacheFile?: string,
): Promise<{ summaries: string[]; stderr: string; botGets: Array<{ status: number; route?: string }> }> {
  const out: string[] = [];
  const err: string[] = [];
  const from = world.gh.requests.length;
  await runAdvance(
    {
      owner: OWNER,
      repo: REPO,
      token: BOT_TOKEN,
      apiUrl: world.gh.url,
      now: world.now,
      github: { retryUnitMs: 1, writeSpacingMs: 0 },
    },
    { watch: false, intervalMs: 0, json: true, ...(cacheFile ? { cacheFile } : {}) },
    { stdout: (t) => out.push(t), stderr: (t) => err.push(t), cwd: dir, env: {} },
  );
  const doc = JSON.parse(out.join('')) as { reports: Array<{ summary: string }> };
  const botGets = world.gh.requests
    .slice(from)
    .filter((q) => q.login === 'stagegate-bot' && q.method === 'GET')
    .map((q) => ({ status: q.status, ...(q.route ? { route: q.route } : {}) }));
  return { summaries: doc.reports.map((x) => x.summary), stderr: err.join(''), botGets };
}

const counted = (gets: ReadonlyArray<{ status: number }>): number => gets.filter((g) => g.status !== 304).length;

describe('advance --cache FILE across processes', () => {
  it('answers a repeated pass in a new process with 304s only, and keeps the token out of the file', async () => {
    w = await world();
    const file = join(dir, 'bot-cache.json');
    expect((await advance(w, file)).summaries).toEqual(['opened #1 (internal → one-percent)']);
    w.advance(MIN);
    const second = await advance(w, file); // first read of the new PR's details
    expect(second.summaries).toEqual(['waiting: bake 29m left']);
    w.advance(5 * MIN);
    const third = await advance(w, file);
    expect(third.summaries).toEqual(['waiting: bake 24m left']);
    expect(counted(third.botGets)).toBe(0);
    expect(third.botGets.length).toBeGreaterThan(0);
    // The same pass without the file pays for every read again.
    w.advance(5 * MIN);
    const cold = await advance(w);
    expect(cold.summaries).toEqual(['waiting: bake 19m left']);
    expect(counted(cold.botGets)).toBeGreaterThanOrEqual(10);

    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(BOT_TOKEN);
    expect(text.toLowerCase()).not.toContain('authorization');
    expect(readdirSync(dir)).toEqual(['bot-cache.json']); // no temporary file left behind
  });

  it('ignores a corrupt cache file, says so on stderr, and still does the right thing', async () => {
    w = await world();
    const file = join(dir, 'bot-cache.json');
    writeFileSync(file, '{"format":"stagegate-bot-cache/v2","scope":{"api"');
    const run = await advance(w, file);
    expect(run.stderr).toContain(`stagegate advance: cache ${file} ignored: not JSON`);
    expect(run.summaries).toEqual(['opened #1 (internal → one-percent)']);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ format: 'stagegate-bot-cache/v2' });
  });

  it('stays correct with a stale cache restored from an older pass: new checks are seen and the PR merges', async () => {
    w = await world();
    const file = join(dir, 'bot-cache.json');
    await advance(w, file);
    w.advance(MIN);
    await advance(w, file);
    const old = join(dir, 'old.json');
    copyFileSync(file, old);
    // The world moves on while the newer cache is lost (actions/cache restores an older key).
    const branch = stageBranch('shop', 'checkout', 'one-percent');
    w.advance(31 * MIN);
    await w.greenChecks(branch);
    w.advance(MIN);
    await w.greenChecks(branch);
    const run = await advance(w, old);
    expect(run.summaries).toEqual(['merged #1 (internal → one-percent)']);
    expect(w.gh.readFile('main', 'rollouts/checkout.yaml')).toContain('stage: one-percent');
  });

  it("re-reads the commits and files of a PR whose head sha changed, and refuses a person's commit", async () => {
    w = await world();
    const file = join(dir, 'bot-cache.json');
    await advance(w, file);
    w.advance(MIN);
    expect((await advance(w, file)).summaries).toEqual(['waiting: bake 29m left']);
    const branch = stageBranch('shop', 'checkout', 'one-percent');
    await pushEvilScript(w, branch);
    w.advance(MIN);
    const run = await advance(w, file);
    expect(run.summaries[0]).toContain('refused #1: commit');
    expect(run.summaries[0]).toContain('was written by alice, not stagegate-bot');
    expect(run.summaries[0]).toContain('file scripts/evil.sh is outside rollouts/ and generated/');
    expect(run.botGets.filter((g) => g.route?.endsWith('/pulls/{pull_number}/commits')).map((g) => g.status)).toEqual([
      200,
    ]);
  });
});

describe('ResponseCache', () => {
  it('ignores a file written for another repository or API, and one with a malformed entry', async () => {
    const warnings: string[] = [];
    const file = join(dir, 'c.json');
    const other = new ResponseCache({ api: 'http://gh.test', repo: 'acme/other' });
    other.set('blob:x', { body: 'x' });
    await other.save(file);
    expect((await ResponseCache.load(file, scope, (l) => warnings.push(l))).size).toBe(0);
    writeFileSync(
      file,
      JSON.stringify({ format: 'stagegate-bot-cache/v2', scope, entries: { 'GET /a': { etag: 7, body: 1 } } }),
    );
    expect((await ResponseCache.load(file, scope, (l) => warnings.push(l))).size).toBe(0);
    expect(warnings).toEqual([
      `cache ${file} ignored: it belongs to acme/other at http://gh.test, not acme/deploy at http://gh.test; starting without it`,
      `cache ${file} ignored: entry "GET /a" is malformed; starting without it`,
    ]);
    // A missing file is an ordinary cold start: nothing to say.
    await ResponseCache.load(join(dir, 'absent.json'), scope, (l) => warnings.push(l));
    expect(warnings).toHaveLength(2);
  });

  it('stays under its byte bound by dropping the least recently used entries', () => {
    const cache = new ResponseCache(scope, 4_000);
    for (let i = 0; i < 20; i += 1) cache.set(`k${i}`, { etag: `"${i}"`, body: 'x'.repeat(200) });
    expect(cache.approximateBytes).toBeLessThanOrEqual(4_000);
    expect(cache.get('k0')).toBeUndefined();
    expect(cache.get('k19')).toEqual({ etag: '"19"', body: 'x'.repeat(200) });
    cache.get('k10'); // used: survives the next evictions
    for (let i = 20; i < 30; i += 1) cache.set(`k${i}`, { body: 'y'.repeat(200) });
    expect(cache.get('k10')).toBeDefined();
    expect(cache.get('k11')).toBeUndefined();
  });

  it('round-trips through a file', async () => {
    const file = join(dir, 'c.json');
    const cache = new ResponseCache(scope);
    cache.set('GET http://gh.test/x', { etag: 'W/"1"', body: { a: [1, 2] } });
    cache.set('blob:abc', { body: 'text' });
    await cache.save(file);
    const back = await ResponseCache.load(file, scope, () => {
      throw new Error('no warning expected');
    });
    expect(back.get('GET http://gh.test/x')).toEqual({ etag: 'W/"1"', body: { a: [1, 2] } });
    expect(back.get('blob:abc')).toEqual({ body: 'text' });
  });
});
