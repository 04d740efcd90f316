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
 * - actions-scheduled: the documented workflow's scheduled pass: a new process with the cache
 *   file and a NEW token (each Actions run mints one; GitHub's ETags are tied to the token, so
 *   no answer is a 304: every request counts, whatever the emulator answered);
 *   This is the 10-minute pass, `--skip-open`: only rollouts without an open PR;
 * - actions-full: the hourly pass of the workflow, over every rollout;
 * - actions-event: an event-driven pass (`advance --only <head branch>` of an open stage PR);
 * - gate-first / gate-unchanged: the workflow's gate job (`gate --open-prs --state FILE`, same
 *   installation) posting stagegate/health on every open stage PR, then again with nothing changed;
 * - advancing: every bake over and CI green: every stage PR merges;
 * - advanced: the pass after (histories grow, the next stage PRs open);
 * - settled: the pass after that (the first read of the new PRs);
 * - status-cold / status-actions: `stagegate status --repo` with a new token, without and with the
 *   cache file (issue 15, "Scale");
 * - full-late / dashboard-first / dashboard-hourly: the hourly pass of `advance --cache` in that state,
 *   then the same with `--dashboard` (creating the issue, then idle): the dashboard's cost is the
 *   difference (app/bot/run.ts renders it with the pass's adapter, so its re-reads are 304s);
 * - dashboard-tick-all / dashboard-tick: the run of a person's tick (the issues event:
 *   `advance --skip-open --dashboard --actor`), re-reading every rollout (before) and only the
 *   ticked one (now, dashboard.ts SyncOptions).
 * With `clusters`, every rollout is a wave across them (intents.ts benchWaveIntent).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { compile } from '../../constructs/compile.js';
import { ResponseCache } from '../../app/bot/cache.js';
import { botFromSettings, cacheScope, type BotSettings } from '../../app/bot/setup.js';
import { reconcile } from '../../app/bot/reconcile.js';
import { startEmulator } from '../emulator/index.js';
import { gateCommand } from '../../app/commands/gate.js';
import { onlyRollouts } from '../../app/cli/only.js';
import { CI_TOKEN, greenEverything, OWNER, openHeads, PERSON, PERSON_TOKEN, pushUnrelated, REPO } from './bot-ci.js';
import { fleetPasses } from './fleet-passes.js';
import { benchIntent, benchWaveIntent } from './intents.js';

export type BotPassKind =
  | 'idle-first'
  | 'idle-repeat'
  | 'idle-steady'
  | 'idle-persisted'
  | 'idle-cold'
  | 'idle-pushed'
  | 'actions-scheduled'
  | 'actions-full'
  | 'actions-event'
  | 'gate-first'
  | 'gate-unchanged'
  | 'advancing'
  | 'advanced'
  | 'settled'
  | 'status-cold'
  | 'status-actions'
  | 'full-late'
  | 'dashboard-first'
  | 'dashboard-hourly'
  | 'dashboard-tick-all'
  | 'dashboard-tick';

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
  /**
   * The documented workflow (docs/github-action.md) at 500 rollouts, every stage PR open and
   * baking: 6 scheduled passes an hour plus the event-driven passes (`--only`) of `eventsPerHour`
   * check runs, each pass with a new token (no 304s) and the content-addressed cache.
   */
  readonly actions: {
    readonly scheduledPerPass: number;
    readonly fullPerPass: number;
    readonly eventPerPass: number;
    /** The gate job: an idle pass (nothing changed), and one post on one PR head. */
    readonly gateIdlePerPass: number;
    readonly gatePerPost: number;
    /** Idle: 6 scheduled bot passes, one full bot pass and 6 gate passes an hour. */
    readonly requestsPerHour: number;
    /** What one stage advance adds: two event passes and the writes. */
    readonly perAdvance: number;
    /** requestsPerHour / limitPerHour; the design target is ≤ 0.5 (50 % headroom). */
    readonly ratioToLimit: number;
    /** Stage advances an hour (merge + next PR + its first read) that fit in the remaining half. */
    readonly advancesPerHourInHeadroom: number;
  };
  /** GitHub's primary limit for an App installation (shared by every token it mints). */
  readonly limitPerHour: 5000;
}

const PASSES_PER_HOUR = 12;
const BOT_APP = 'stagegate-bench';
const CI_APP = 'bench-ci';
const BOT_LOGIN = `${BOT_APP}[bot]`;

export async function runBotBench(opts: {
  readonly sizes: readonly number[];
  readonly log?: (l: string) => void;
  /** Every rollout a wave across these clusters. @default one cluster */
  readonly clusters?: readonly string[];
}): Promise<BotReport> {
  const passes: BotPass[] = [];
  for (const n of opts.sizes) passes.push(...(await benchSize(n, opts.log, opts.clusters)));
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
  // Idle, per hour (docs/github-action.md): 6 scheduled passes (cron */10, --skip-open) and one
  // full pass. Each stage advance adds two one-rollout event passes (stagegate/verify on the new
  // PR, the completed stagegate/health) and its writes (perAdvance).
  const to500 = (kind: BotPassKind): number => scaledTo500(passes, kind);
  const extraPages = extraListingPages(passes);
  const scheduled = to500('actions-scheduled');
  const full = to500('actions-full');
  const event = at('actions-event').counted + extraPages;
  // The gate shares the installation's budget: 6 scheduled gate passes an hour (nothing changed:
  // the PR listing only), and per stage advance two posts (in progress on the new PR, the
  // completed verdict after the bake), each what the first gate pass paid per open PR.
  const gateIdle = to500('gate-unchanged');
  // gate-first posts on the PRs the 'advanced' pass opened; gate-unchanged is its fixed part.
  const gatePerPost = (at('gate-first').counted - at('gate-unchanged').counted) / Math.max(1, at('advanced').opened);
  const actionsPerHour = scheduled * 6 + full + gateIdle * 6;
  const perAdvanceActions = perAdvance + 2 * event + 2 * gatePerPost;
  const headroom = 2500 - actionsPerHour;
  return {
    passes,
    actions: {
      scheduledPerPass: Math.round(scheduled),
      fullPerPass: Math.round(full),
      eventPerPass: event,
      gateIdlePerPass: Math.round(gateIdle),
      gatePerPost: Math.round(gatePerPost * 10) / 10,
      requestsPerHour: Math.round(actionsPerHour),
      perAdvance: Math.round(perAdvanceActions),
      ratioToLimit: Math.round((actionsPerHour / 5000) * 1000) / 1000,
      advancesPerHourInHeadroom: Math.max(0, Math.floor(headroom / Math.max(1, perAdvanceActions))),
    },
    requestsPerHourAt500: Math.round(steady),
    scaledFrom: largest,
    ...(largest !== 500 ? { extrapolatedFrom: largest } : {}),
    requestsPerHourAt500Cold: Math.round(cold),
    requestsPerHourAt500Advancing: Math.round(steady + perAdvance * 500),
    countedPerAdvance: Math.round(perAdvance * 10) / 10,
    limitPerHour: 5000,
  };
}

/** Pages of a 500-rollout PR listing (100 a page) beyond those of the largest size measured. */
function extraListingPages(passes: readonly BotPass[]): number {
  const largest = Math.max(...passes.map((p) => p.rollouts));
  const opened = passes.find((p) => p.pass === 'idle-first' && p.rollouts === largest)?.opened || 1;
  const openShare = opened / largest;
  return Math.ceil((500 * openShare) / 100) - Math.ceil((largest * openShare) / 100);
}

/**
 * A pass's counted requests at 500 rollouts. Fixed costs (default branch, ref, the PR listing) do
 * not grow with rollouts: the line through the two largest sizes measured, plus the extra pages of
 * a 500-rollout PR listing (100 a page).
 */
export function scaledTo500(passes: readonly BotPass[], kind: BotPassKind): number {
  const sizes = [...new Set(passes.map((p) => p.rollouts))].sort((a, b) => a - b);
  const largest = sizes[sizes.length - 1]!;
  const small = sizes.length > 1 ? sizes[sizes.length - 2]! : largest;
  const atSize = (size: number) => passes.find((p) => p.pass === kind && p.rollouts === size)!.counted;
  const big = atSize(largest);
  const slope = small === largest ? big / largest : (big - atSize(small)) / (largest - small);
  return big + slope * (500 - largest) + extraListingPages(passes);
}

async function benchSize(n: number, log?: (l: string) => void, clusters?: readonly string[]): Promise<BotPass[]> {
  const seedFiles: Record<string, string> = {};
  const sources = Array.from({ length: n }, (_, i) => {
    const doc = clusters ? benchWaveIntent(i, clusters) : benchIntent(i);
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
    // The bot and CI are GitHub Apps, as in the documented workflow; every Actions run of the bot
    // gets a new token of the same installation.
    apps: {
      'bench-token': BOT_APP,
      [CI_TOKEN]: CI_APP,
      ...Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`bench-run-token-${i}`, BOT_APP])),
    },
    // The person who ticks dashboard boxes (write access, the emulator's default for a configured account).
    users: { [PERSON_TOKEN]: PERSON },
  });
  const passes: BotPass[] = [];
  try {
    const settings: BotSettings = {
      owner: OWNER,
      repo: REPO,
      token: 'bench-token',
      apiUrl: emulator.url,
      appSlug: BOT_APP,
      trustedApps: [CI_APP],
      now: () => now,
      github: { retryUnitMs: 1, writeSpacingMs: 0 },
    };
    const longLived = botFromSettings(settings);
    const cacheFile = join(dir, 'cache.json');
    const pass = async (kind: BotPassKind, options = longLived.options, newToken = false): Promise<void> => {
      emulator.resetLog();
      const t = performance.now();
      const reports = await reconcile(options);
      const bot = emulator.requests.filter((r) => r.login === BOT_LOGIN);
      const notModified = bot.filter((r) => r.status === 304).length;
      const entry: BotPass = {
        rollouts: n,
        pass: kind,
        // The emulator keys ETags by token, as GitHub does: a new token's first asks are 200s,
        // its repeats within the run may be 304s (free).
        counted: bot.length - notModified,
        notModified,
        merged: reports.filter((r) => r.action === 'merge' && r.summary.startsWith('merged')).length,
        opened: reports.filter((r) => r.action === 'open').length,
        ms: Math.round(performance.now() - t),
      };
      log?.(
        `bot ${n} rollouts, ${kind}: ${entry.counted} counted requests (+${notModified} 304), ${entry.merged} merged, ${entry.opened} opened, in ${entry.ms} ms`,
      );
      if (newToken) {
        const byRoute = new Map<string, number>();
        for (const r of bot)
          byRoute.set(`${r.method} ${r.route ?? r.path}`, (byRoute.get(`${r.method} ${r.route ?? r.path}`) ?? 0) + 1);
        log?.(
          `  ${[...byRoute]
            .sort((a, b) => b[1] - a[1])
            .map(([k, v]) => `${v}× ${k}`)
            .join(', ')}`,
        );
      }
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
    // The documented workflow: each pass a new process, a new token, the cache file restored.
    const actionsRun = async (kind: BotPassKind, token: string, only: readonly string[], skipOpen = false) => {
      const cache = await ResponseCache.load(cacheFile, cacheScope(settings), (l) => log?.(l));
      const wrapPort = onlyRollouts(only, skipOpen);
      const run = botFromSettings({ ...settings, token, cache, ...(wrapPort ? { wrapPort } : {}) });
      await pass(kind, run.options, true);
      await run.adapter.cache.save(cacheFile);
    };
    now = minutes(22);
    await actionsRun('actions-scheduled', 'bench-run-token-0', [], true);
    now = minutes(23);
    await actionsRun('actions-full', 'bench-run-token-1', []);
    now = minutes(24);
    const [busy] = await openHeads(emulator);
    await actionsRun('actions-event', 'bench-run-token-2', busy ? [busy] : []);
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
    // The gate job: a checkout of the default branch, an unreachable Prometheus (every verdict a
    // hold: in_progress), the same App installation.
    // A clone of the default branch as it is now (the stages the last passes merged), as the
    // workflow's actions/checkout gives the gate job.
    const checkout = join(dir, 'checkout');
    execFileSync('git', ['clone', '--quiet', emulator.gitDir, checkout], { stdio: 'ignore' });
    const gatePass = async (kind: BotPassKind): Promise<void> => {
      emulator.resetLog();
      const t = performance.now();
      const quiet = { stdout: () => {}, stderr: (l: string) => log?.(l.trimEnd()), cwd: checkout };
      // The command itself, not main(): main.ts is the process's entry and awaits at top level.
      const values = {
        'open-prs': true,
        repo: `${OWNER}/${REPO}`,
        'app-slug': BOT_APP,
        prometheus: ['http://127.0.0.1:9'],
        state: join(dir, 'gate.json'),
      };
      await gateCommand.run(
        { values, positionals: [] },
        { ...quiet, env: { GITHUB_TOKEN: 'bench-run-token-3', GITHUB_API_URL: emulator.url } },
      );
      const mine = emulator.requests.filter((r) => r.login === BOT_LOGIN);
      const notModified = mine.filter((r) => r.status === 304).length;
      passes.push({
        rollouts: n,
        pass: kind,
        counted: mine.length - notModified,
        notModified,
        merged: 0,
        opened: 0,
        ms: Math.round(performance.now() - t),
      });
      log?.(`bot ${n} rollouts, ${kind}: ${mine.length - notModified} counted requests (+${notModified} 304)`);
    };
    now = minutes(8 * 60 + 12);
    // Last: its in-progress runs would otherwise hold the merges of the passes above.
    await gatePass('gate-first');
    await gatePass('gate-unchanged');
    // Issue 15, "Scale": status and the dashboard in that state (stage PRs open, health in progress).
    await longLived.adapter.cache.save(cacheFile);
    const counted = async (kind: BotPassKind, work: () => Promise<unknown>): Promise<void> => {
      emulator.resetLog();
      const t = performance.now();
      await work();
      const mine = emulator.requests.filter((r) => r.login === BOT_LOGIN);
      const notModified = mine.filter((r) => r.status === 304).length;
      const entry = { rollouts: n, pass: kind, counted: mine.length - notModified, notModified, merged: 0, opened: 0 };
      passes.push({ ...entry, ms: Math.round(performance.now() - t) });
      log?.(`bot ${n} rollouts, ${kind}: ${entry.counted} counted requests (+${notModified} 304)`);
    };
    await fleetPasses({ emulator, settings, cacheFile, dir, counted, ...(log ? { log } : {}) });
  } finally {
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return passes;
}
