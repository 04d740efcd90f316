/**
 * The bot benchmark: GitHub requests of reconcile passes against the emulator, for many
 * rollouts. A 304 (ETag hit) does not count against GitHub's limit, so it is reported apart.
 * Passes, in order, on one emulated repository per size:
 * - idle-first: cold; every rollout with a next stage gets its stage PR (writes);
 * - idle-repeat: the first read of those PRs (their commits, files, checks);
 * - idle-steady: nothing changed, one long-lived process (`advance --watch`);
 * - idle-persisted: nothing changed, a new process with the cache file (`advance --cache`);
 * - idle-cold: nothing changed, a new process without a cache (Actions without --cache);
 * - idle-pushed: a person pushed an unrelated commit to main (every answer embedding the
 *   repository's pushed_at changes; the intents' histories grow by one commit);
 * - advancing: every bake over and CI green: every stage PR merges;
 * - advanced: the pass after (histories grow, the next stage PRs open);
 * - settled: the pass after that (the first read of the new PRs).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { compile } from '../../constructs/compile.js';
import { CHECK_HEALTH, CHECK_VERIFY } from '../../constructs/conventions.js';
import { ResponseCache } from '../../app/bot/cache.js';
import { botFromSettings, cacheScope, type BotSettings } from '../../app/bot/setup.js';
import { reconcile } from '../../app/bot/reconcile.js';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { benchIntent } from './intents.js';

export type BotPassKind =
  | 'idle-first'
  | 'idle-repeat'
  | 'idle-steady'
  | 'idle-persisted'
  | 'idle-cold'
  | 'idle-pushed'
  | 'advancing'
  | 'advanced'
  | 'settled';

export interface BotPass {
  readonly rollouts: number;
  readonly pass: BotPassKind;
  /** Requests that count against the rate limit (everything but 304). */
  readonly counted: number;
  readonly notModified: number;
  /** Rollouts that merged (advancing) or opened a PR in this pass. */
  readonly merged: number;
  readonly opened: number;
  readonly ms: number;
}

export interface BotReport {
  readonly passes: readonly BotPass[];
  /**
   * Counted requests per hour at a 5-minute reconcile with 500 rollouts in steady state (PRs
   * open, checks pending) for a bot that keeps its cache (`--watch`, or `--cache` on Actions).
   */
  readonly requestsPerHourAt500: number;
  /** The size the hourly figures come from (500 when measured there). */
  readonly scaledFrom: number;
  /** Present when 500 was not measured: the figures are scaled per rollout from this size. */
  readonly extrapolatedFrom?: number;
  /** The same steady state for a new process per pass without a cache file. */
  readonly requestsPerHourAt500Cold: number;
  /**
   * Steady state plus every rollout advancing one stage an hour (merge, then the next PR and
   * its first read), a pessimistic rate: stages bake 30 minutes to 4 hours.
   */
  readonly requestsPerHourAt500Advancing: number;
  /** Counted requests one stage advance costs (merge, next PR, its first read), per rollout. */
  readonly countedPerAdvance: number;
  /** GitHub's primary limit for an App installation / token. */
  readonly limitPerHour: 5000;
}

const PASSES_PER_HOUR = 12;
const OWNER = 'bench';
const REPO = 'platform';
const CI_TOKEN = 'bench-ci-token';

export async function runBotBench(opts: {
  readonly sizes: readonly number[];
  readonly log?: (l: string) => void;
}): Promise<BotReport> {
  const passes: BotPass[] = [];
  for (const n of opts.sizes) passes.push(...(await benchSize(n, opts.log)));
  const largest = Math.max(...opts.sizes);
  const at = (kind: BotPassKind): BotPass => passes.find((p) => p.pass === kind && p.rollouts === largest)!;
  const per500 = (counted: number): number => (counted * 500) / largest;
  const steady = per500(at('idle-steady').counted) * PASSES_PER_HOUR;
  const cold = per500(at('idle-cold').counted) * PASSES_PER_HOUR;
  const advancing = at('advancing');
  const advances = Math.max(1, advancing.merged);
  // What advancing adds over steady passes, per rollout that advanced: the merge, the next PR,
  // and its first read.
  const perAdvance =
    (advancing.counted + at('advanced').counted + at('settled').counted - 3 * at('idle-steady').counted) / advances;
  return {
    passes,
    requestsPerHourAt500: Math.round(steady),
    scaledFrom: largest,
    ...(largest !== 500 ? { extrapolatedFrom: largest } : {}),
    requestsPerHourAt500Cold: Math.round(cold),
    requestsPerHourAt500Advancing: Math.round(steady + perAdvance * 500),
    countedPerAdvance: Math.round(perAdvance * 10) / 10,
    limitPerHour: 5000,
  };
}

async function benchSize(n: number, log?: (l: string) => void): Promise<BotPass[]> {
  const seedFiles: Record<string, string> = {};
  const sources = Array.from({ length: n }, (_, i) => {
    const doc = benchIntent(i);
    return { path: `rollouts/${doc.metadata.name}.yaml`, text: dump(doc, { lineWidth: -1 }) };
  });
  for (const s of sources) seedFiles[s.path] = s.text;
  for (const c of compile(sources)) seedFiles[`generated/${c.file}`] = c.content;
  const start = new Date('2026-01-05T09:00:00Z');
  let now = start;
  const dir = mkdtempSync(join(tmpdir(), 'sg-bench-bot-'));
  const emulator = await startEmulator({
    owner: OWNER,
    repo: REPO,
    seedFiles,
    port: 0,
    now: () => now,
    rateLimit: 1_000_000,
    users: { 'bench-token': 'stagegate-bot', [CI_TOKEN]: 'ci-bot' },
  });
  const passes: BotPass[] = [];
  try {
    const settings: BotSettings = {
      owner: OWNER,
      repo: REPO,
      token: 'bench-token',
      apiUrl: emulator.url,
      now: () => now,
      github: { retryUnitMs: 1, writeSpacingMs: 0 },
    };
    const longLived = botFromSettings(settings);
    const cacheFile = join(dir, 'cache.json');
    const pass = async (kind: BotPassKind, options = longLived.options): Promise<void> => {
      emulator.resetLog();
      const t = performance.now();
      const reports = await reconcile(options);
      const bot = emulator.requests.filter((r) => r.login === 'stagegate-bot');
      const notModified = bot.filter((r) => r.status === 304).length;
      const entry: BotPass = {
        rollouts: n,
        pass: kind,
        counted: bot.length - notModified,
        notModified,
        merged: reports.filter((r) => r.action === 'merge' && r.summary.startsWith('merged')).length,
        opened: reports.filter((r) => r.action === 'open').length,
        ms: Math.round(performance.now() - t),
      };
      log?.(
        `bot ${n} rollouts, ${kind}: ${entry.counted} counted requests (+${notModified} 304), ${entry.merged} merged, ${entry.opened} opened, in ${entry.ms} ms`,
      );
      passes.push(entry);
    };
    const minutes = (m: number): Date => new Date(start.getTime() + m * 60_000);
    now = minutes(1);
    await pass('idle-first');
    now = minutes(6);
    await pass('idle-repeat');
    now = minutes(11);
    await pass('idle-steady');
    await longLived.adapter.cache.save(cacheFile);
    now = minutes(16);
    const loaded = await ResponseCache.load(cacheFile, cacheScope(settings), (l) => log?.(l));
    await pass('idle-persisted', botFromSettings({ ...settings, cache: loaded }).options);
    now = minutes(21);
    await pass('idle-cold', botFromSettings(settings).options);
    now = minutes(26);
    await pushUnrelated(emulator, now);
    await pass('idle-pushed');
    // Every bake over; CI reports verify and a fresh health on every open stage PR.
    now = minutes(8 * 60);
    await greenEverything(emulator, now);
    now = minutes(8 * 60 + 1);
    await pass('advancing');
    now = minutes(8 * 60 + 6);
    await pass('advanced');
    now = minutes(8 * 60 + 11);
    await pass('settled');
  } finally {
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return passes;
}

/** A person's commit on main that touches no intent (a README edit), through the Git Data API. */
async function pushUnrelated(emulator: Emulator, now: Date): Promise<void> {
  const headers = { authorization: `token ${CI_TOKEN}`, 'content-type': 'application/json' };
  const api = `${emulator.url}/repos/${OWNER}/${REPO}`;
  const call = async (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(`${api}${path}`, { method, headers, ...(body ? { body: JSON.stringify(body) } : {}) });
    if (res.status >= 300) throw new Error(`bench push: ${method} ${path} answered HTTP ${res.status}`);
    return (await res.json()) as Record<string, unknown>;
  };
  const parent = ((await call('GET', '/git/ref/heads/main')).object as { sha: string }).sha;
  const base = ((await call('GET', `/git/commits/${parent}`)).tree as { sha: string }).sha;
  const tree = (
    await call('POST', '/git/trees', {
      base_tree: base,
      tree: [
        { path: 'README.md', mode: '100644', type: 'blob', content: `# platform\n\nedited ${now.toISOString()}\n` },
      ],
    })
  ).sha;
  const commit = (await call('POST', '/git/commits', { message: 'docs: readme', tree, parents: [parent] })).sha;
  await call('PATCH', '/git/refs/heads/main', { sha: commit });
}

async function greenEverything(emulator: Emulator, now: Date): Promise<void> {
  const headers = { authorization: `token ${CI_TOKEN}`, 'content-type': 'application/json' };
  const api = `${emulator.url}/repos/${OWNER}/${REPO}`;
  for (let page = 1; ; page += 1) {
    const pulls = (await (
      await fetch(`${api}/pulls?state=open&per_page=100&page=${page}`, { headers })
    ).json()) as Array<{ head: { sha: string } }>;
    for (const pr of pulls) {
      for (const name of [CHECK_VERIFY, CHECK_HEALTH]) {
        const at = now.toISOString();
        const res = await fetch(`${api}/check-runs`, {
          method: 'POST',
          headers,
          body: JSON.stringify({
            name,
            head_sha: pr.head.sha,
            status: 'completed',
            conclusion: 'success',
            started_at: at,
            completed_at: at,
            output: { title: `${name}: success`, summary: 'bench CI' },
          }),
        });
        if (res.status !== 201) throw new Error(`bench CI could not post ${name}: HTTP ${res.status}`);
      }
    }
    if (pulls.length < 100) return;
  }
}
