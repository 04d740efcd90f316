/**
 * The fleet benchmark (issue 15, "Scale"): `stagegate status`, the dashboard issue and the bot's
 * documented workflow (docs/examples/stagegate.yml) for waves across three clusters, against the
 * same measured for one-cluster rollouts in the same run (the baseline), and against GitHub's
 * budget of one App installation (5,000 requests an hour). Both are the bot bench (bot.ts) on the
 * emulator, which ties ETags to the token as GitHub does; each Actions run gets a new token.
 * Measured at the run's sizes and scaled to 500 rollouts along the line through the two largest,
 * as the bot bench scales (fixed costs stay fixed; a PR-listing page per 100 open PRs).
 */
import { runBotBench, scaledTo500, type BotPassKind, type BotReport } from './bot.js';

export const FLEET_CLUSTERS: readonly string[] = ['eu-1', 'us-1', 'ap-1'];

/** One figure at 500 rollouts: one cluster (baseline), waves, and waves ÷ baseline. */
export interface FleetFigure {
  readonly one: number;
  readonly waves: number;
  readonly ratio: number;
}

export interface FleetReport {
  readonly sizes: readonly number[];
  readonly clusters: readonly string[];
  readonly scaledFrom: number;
  readonly at500: {
    /** `status --repo`, a new token, no cache file. */
    readonly statusCold: FleetFigure;
    /** `status --repo --cache FILE` in a workflow run: a new token, the cache file restored. */
    readonly statusActions: FleetFigure;
    /** What `--dashboard` adds to the hourly full pass (the issue listing; its re-reads are 304s). */
    readonly dashboardOnHourlyPass: FleetFigure;
    /** One tick's run (issues event, `advance --skip-open --dashboard --actor`): every rollout re-read (before). */
    readonly tickBefore: FleetFigure;
    /** The same, reading only the ticked rollout (now). */
    readonly tick: FleetFigure;
    /** The documented workflow idle, an hour (bot.ts `actions.requestsPerHour`). */
    readonly workflowPerHour: FleetFigure;
  };
  /** Waves at 500 rollouts × clusters: the workflow idle + the dashboard on the hourly pass. */
  readonly budget: {
    readonly perHour: number;
    readonly ratioToLimit: number;
    /** Ticks an hour that fit, with the workflow and dashboard, before half the limit. */
    readonly ticksPerHourInHeadroom: number;
    /** Stage advances an hour that fit before half the limit (bot.ts), the dashboard included. */
    readonly advancesPerHourInHeadroom: number;
  };
  readonly limitPerHour: 5000;
  readonly one: BotReport;
  readonly waves: BotReport;
}

export async function runFleetBench(opts: {
  readonly sizes: readonly number[];
  readonly clusters?: readonly string[];
  readonly log?: (l: string) => void;
}): Promise<FleetReport> {
  const clusters = opts.clusters ?? FLEET_CLUSTERS;
  const log = opts.log;
  const one = await runBotBench({ sizes: opts.sizes, ...(log ? { log: (l) => log(`one cluster: ${l}`) } : {}) });
  const waves = await runBotBench({
    sizes: opts.sizes,
    clusters,
    ...(log ? { log: (l) => log(`${clusters.length} clusters: ${l}`) } : {}),
  });
  const figure = (f: (r: BotReport) => number): FleetFigure => {
    const a = Math.round(f(one));
    const b = Math.round(f(waves));
    return {
      one: a,
      waves: b,
      ratio: a === 0 ? (b === 0 ? 1 : Number.POSITIVE_INFINITY) : Math.round((b / a) * 100) / 100,
    };
  };
  const at = (kind: BotPassKind) => (r: BotReport) => scaledTo500(r.passes, kind);
  const diff = (a: BotPassKind, b: BotPassKind) => (r: BotReport) => Math.max(0, at(a)(r) - at(b)(r));
  const dashboardOnHourlyPass = figure(diff('dashboard-hourly', 'full-late'));
  const tick = figure(at('dashboard-tick'));
  const perHour = waves.actions.requestsPerHour + dashboardOnHourlyPass.waves;
  const headroom = 2500 - perHour;
  return {
    sizes: opts.sizes,
    clusters,
    scaledFrom: Math.max(...opts.sizes),
    at500: {
      statusCold: figure(at('status-cold')),
      statusActions: figure(at('status-actions')),
      dashboardOnHourlyPass,
      tickBefore: figure(at('dashboard-tick-all')),
      tick,
      workflowPerHour: figure((r) => r.actions.requestsPerHour),
    },
    budget: {
      perHour,
      ratioToLimit: Math.round((perHour / 5000) * 1000) / 1000,
      ticksPerHourInHeadroom: Math.max(0, Math.floor(headroom / Math.max(1, tick.waves))),
      advancesPerHourInHeadroom: Math.max(0, Math.floor(headroom / Math.max(1, waves.actions.perAdvance))),
    },
    limitPerHour: 5000,
    one,
    waves,
  };
}

export function renderFleet(r: FleetReport): string[] {
  const f = (name: string, x: FleetFigure) =>
    `fleet  ${name}: ${x.waves} requests × ${r.clusters.length} clusters vs ${x.one} one-cluster (${x.ratio}×)`;
  const a = r.at500;
  return [
    `fleet  500 rollouts, scaled from ${r.sizes.join(' and ')} measured in this run (new installation token per run):`,
    f('status, no cache', a.statusCold),
    f('status --cache', a.statusActions),
    f('dashboard on the hourly pass (added)', a.dashboardOnHourlyPass),
    f('a tick, every rollout re-read (before)', a.tickBefore),
    f('a tick, the ticked rollout only (now)', a.tick),
    f('documented workflow idle, per hour', a.workflowPerHour),
    `fleet  budget: ${r.budget.perHour} requests/hour (workflow + dashboard) = ${(r.budget.ratioToLimit * 100).toFixed(1)} % ` +
      `of ${r.limitPerHour}/h; before half the limit ${r.budget.ticksPerHourInHeadroom} ticks/hour or ${r.budget.advancesPerHourInHeadroom} stage advances/hour fit`,
  ];
}
