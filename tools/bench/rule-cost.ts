/**
 * What the generated rules cost a real Prometheus (issue 17; method of
 * ../shared/audits/prometheus-rule-cost.md, cut to what one bench run can afford): N rollouts'
 * rule groups loaded into Debian's `prometheus` over backfilled Istio-shaped history
 * (rule-cost-series.ts) that a live scrape continues every 30 s, evaluated at 1 m, against a
 * Flagger-style load on the same data and the same Prometheus.
 *
 * Phases, one Prometheus per size, the rule file swapped by /-/reload (4: no rules again; the
 * lower of the two no-rules phases is the baseline):
 * 1. baseline: no rules (ingest and idle cost);
 * 2. stagegate: every rollout's groups (buildRuleGroups, exactly what the PrometheusRule holds);
 * 3. flagger-style: no rules; two instant queries per rollout per minute, evenly spread, as
 *    fluxcd/flagger pkg/metrics/observers/istio.go defines its built-in Istio checks
 *    (request-success-rate: non-5xx over all requests × 100; request-duration: p99 from
 *    `sum by (le)` of the buckets; reporter destination, the canary workload, `[1m]`).
 * Rule CPU = Prometheus CPU seconds in phase 2 minus phase 1, per wall second; the Flagger-style
 * CPU likewise (phase 3 minus phase 1). How a phase is measured: rule-cost-measure.ts.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRuleGroups, isAlertRule, type RuleGroup } from '../../constructs/alert-rules.js';
import { fleetRuleGroups } from '../../constructs/fleet-rules.js';
import { METRIC_DURATION_BUCKET, METRIC_REQUESTS } from '../../constructs/conventions.js';
import { parseDuration } from '../../constructs/duration.js';
import type { RolloutModel } from '../../constructs/model.js';
import { istioTarget } from '../../constructs/promql/istio.js';
import { toModel } from '../../constructs/spec/index.js';
import { backfillRecordingRules, startPrometheus, type RunningPrometheus } from '../prometheus.js';
import { benchIntent } from './intents.js';
import { createBlocks } from './prom-eval.js';
import { instant, measurePhase, type PhaseFigures, selfMetrics, sleep, slowest } from './rule-cost-measure.js';
import { exposition, podSeries, workloadName, writeHistory } from './rule-cost-series.js';

export type { PhaseFigures } from './rule-cost-measure.js';

export interface RuleCostOptions {
  readonly sizes: readonly number[];
  /** Request history backfilled (the 6h windows read 6 h). */
  readonly historyMinutes: number;
  /** Between a reload and the measured span: at least two evaluations. */
  readonly warmupSeconds: number;
  readonly measureSeconds: number;
  /** @default "1m" */
  readonly evaluationInterval?: string;
  /** @default "30s" */
  readonly scrapeInterval?: string;
  /**
   * Backfill the recordings over raw series (promtool create-blocks-from rules) when some rule
   * reads recorded history; promtool needs minutes for it at 100 rollouts. @default true
   */
  readonly backfillRecorded?: boolean;
  /** Rule groups of one rollout. @default buildRuleGroups */
  readonly groupsOf?: (model: RolloutModel) => readonly RuleGroup[];
  /** What is loaded (RuleCostVariant); anything but per-rollout ignores groupsOf. @default "per-rollout" */
  readonly variant?: RuleCostVariant;
  /**
   * Which stages the fleet groups serve: every stage of every rollout (what compile writes: a
   * stage advance leaves them unchanged), or only the live ones. @default "all"
   */
  readonly fleetStages?: 'all' | 'live';
  /** Applied to every group loaded (the tests drop the groups' own intervals). */
  readonly adjustGroup?: (group: RuleGroup) => RuleGroup;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  readonly log?: (line: string) => void;
}

/**
 * What is loaded: the per-rollout rules synth writes; the fleet-wide recordings with each
 * rollout's own alerts (constructs/fleet-rules.ts); or those with the fleet-wide alerts too
 * (constructs/fleet-alerts.ts).
 */
export type RuleCostVariant = 'per-rollout' | 'fleet' | 'fleet-alerts';
export const RULE_COST_VARIANTS: readonly RuleCostVariant[] = ['per-rollout', 'fleet', 'fleet-alerts'];

export interface RuleCostRun {
  readonly variant: RuleCostVariant;
  readonly rollouts: number;
  readonly groups: number;
  readonly rules: number;
  readonly recordedSeries: number;
  /** Raw Istio series the rollouts expose (what a scrape holds). */
  readonly istioSeries: number;
  readonly backfilledSamples: number;
  /** Cores the rules burn: CPU of phase 2 minus phase 1, per wall second. */
  readonly ruleCores: number;
  /** Cores the Flagger-style queries burn. */
  readonly flaggerCores: number;
  /** ruleCores / flaggerCores. */
  readonly ratioToFlagger: number;
  /** Mean Σ prometheus_rule_group_last_duration_seconds over the phase, and the slowest group. */
  readonly sumGroupSeconds: number;
  readonly maxGroupSeconds: number;
  readonly missedIterations: number;
  readonly evaluationFailures: number;
  /** (RSS with the rules − RSS without) / rollouts. */
  readonly rssPerRolloutBytes: number;
  /** The rules that took longest at their last evaluation (what the cost is made of). */
  readonly slowestRules: readonly { readonly name: string; readonly seconds: number }[];
  readonly flaggerQueries: number;
  readonly flaggerQueryErrors: number;
  readonly baseline: PhaseFigures;
  /**
   * The second no-rules phase. Rule and Flagger-style cores subtract the quieter of the two, so
   * their spread is how far either figure can move with the machine (the table prints both).
   */
  readonly baselineAgain: PhaseFigures;
  readonly stagegate: PhaseFigures;
  readonly flagger: PhaseFigures;
}

export interface RuleCostReport {
  readonly runs: readonly RuleCostRun[];
  /** ruleCores per rollout at the largest size over that at the smallest (1 = linear). */
  readonly growthPerRollout: number | null;
  /** Goals of issue 17, judged only at 500 rollouts (undefined otherwise). */
  readonly goalsMet: {
    readonly ratioToFlagger?: boolean;
    readonly tenthOfACore?: boolean;
    readonly rssPerRollout?: boolean;
    readonly noMissed?: boolean;
  };
}

export const GOALS = { size: 500, ratioToFlagger: 1.5, cores: 0.1, rssPerRolloutBytes: 1 << 20 } as const;

/** Flagger's two built-in Istio checks for the canary of `model` (istio.go, see the header). */
export function flaggerQueries(model: RolloutModel): [string, string] {
  const t = istioTarget(model);
  const sel = `reporter="destination",destination_workload_namespace="${t.serviceNamespace}",destination_workload=~"${workloadName(t.service, t.versions.canary)}"`;
  return [
    `sum(rate(${METRIC_REQUESTS}{${sel},response_code!~"5.*"}[1m])) / sum(rate(${METRIC_REQUESTS}{${sel}}[1m])) * 100`,
    `histogram_quantile(0.99, sum(rate(${METRIC_DURATION_BUCKET}{${sel}}[1m])) by (le))`,
  ];
}

/** Longest range `[...]` over raw buckets in `groups`, in seconds (how much bucket history they read). */
function longestBucketRangeSeconds(groups: readonly RuleGroup[]): number {
  let longest = 0;
  for (const rule of groups.flatMap((g) => g.rules)) {
    if (!rule.expr.includes(METRIC_DURATION_BUCKET)) continue;
    for (const m of rule.expr.matchAll(/\[(\w+)\]/g)) longest = Math.max(longest, parseDuration(m[1]!) / 1000);
  }
  return longest;
}

/**
 * Names of the recordings some rule reads over a range (`…_over_time(stagegate:…[…])`), which the
 * bench backfills. promtool evaluates a backfilled rule against the Prometheus it is given, where
 * no recording exists yet ("rules in the same group cannot see the results of previous rules",
 * prometheus/prometheus docs/storage.md, backfilling from recording rules): a recording read over
 * time that itself reads a recording would be backfilled empty and the bench would under-read
 * those windows, so that is refused.
 */
export function recordingsReadOverTime(groups: readonly RuleGroup[]): Set<string> {
  const rules = groups.flatMap((g) => g.rules);
  const names = new Set(
    rules.flatMap((r) => [...r.expr.matchAll(/_over_time\((stagegate:[\w:]+)/g)].map((m) => m[1]!)),
  );
  for (const rule of rules) {
    if (isAlertRule(rule) || !names.has(rule.record)) continue;
    const reads = /stagegate:[\w:]+/.exec(rule.expr);
    if (reads)
      throw new Error(
        `rule-cost: ${rule.record} is read over time but reads the recording ${reads[0]}; promtool cannot backfill a recording over another one, so its history would be empty`,
      );
  }
  return names;
}

async function runSize(n: number, opts: RuleCostOptions): Promise<RuleCostRun> {
  const log = opts.log ?? (() => {});
  const groupsOf = opts.groupsOf ?? buildRuleGroups;
  const variant = opts.variant ?? 'per-rollout';
  const models = Array.from({ length: n }, (_, i) => toModel(benchIntent(i)));
  // Each rollout's own groups (they say how much bucket history its series need), and the groups
  // loaded: the same, or the fleet-wide recordings with each rollout's alerts.
  const groups = models.map((m) => groupsOf(m));
  const adjust = opts.adjustGroup ?? ((g: RuleGroup) => g);
  const loaded = (
    variant === 'per-rollout'
      ? groups
      : [
          fleetRuleGroups(models, {
            alerts: variant === 'fleet-alerts' ? 'fleet' : 'per-rollout',
            stages: opts.fleetStages ?? 'all',
          }),
        ]
  ).map((gs) => gs.map(adjust));
  // Rules that read recorded series over long windows (docs/design.md §7: the derived windows)
  // would read only minutes of them on a fresh Prometheus, and look cheaper than they are in a
  // long-running one: give the recordings over raw series their history too.
  const readOverTime = opts.backfillRecorded === false ? new Set<string>() : recordingsReadOverTime(loaded.flat());
  const pods = podSeries(models);
  const scrapeSeconds = parseDuration(opts.scrapeInterval ?? '30s') / 1000;
  const work = mkdtempSync(join(tmpdir(), 'stagegate-rule-cost-'));
  let server: Server | undefined;
  let prom: RunningPrometheus | undefined;
  try {
    const now = Math.floor(Date.now() / 1000);
    const end = now - (now % scrapeSeconds) - scrapeSeconds;
    const requestSeconds = opts.historyMinutes * 60;
    const input = join(work, 'history.om');
    const backfilledSamples = writeHistory(input, pods, {
      end,
      scrapeSeconds,
      requestSeconds,
      bucketSeconds: (r) => Math.min(requestSeconds, longestBucketRangeSeconds(groups[r]!) + 600),
    });
    const data = join(work, 'data');
    mkdirSync(data);
    await createBlocks(input, data, opts.timeoutMs);
    rmSync(input, { force: true });
    log(`rule-cost: ${n} rollouts, ${pods.length} pods, ${backfilledSamples} samples backfilled`);

    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(exposition(pods, Date.now() / 1000));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const target = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    const ruleFile = join(work, 'rules.json');
    const setRules = (g: readonly RuleGroup[]) => writeFileSync(ruleFile, JSON.stringify({ groups: g }));
    setRules([]);
    const start = () =>
      startPrometheus({
        ruleFiles: [ruleFile],
        scrapeTargets: [target],
        scrapeInterval: opts.scrapeInterval ?? '30s',
        evaluationInterval: opts.evaluationInterval ?? '1m',
        tsdbDir: data,
        readyTimeoutMs: opts.timeoutMs,
      });
    prom = await start();
    if (readOverTime.size > 0 && opts.backfillRecorded !== false) {
      // Only the recordings read over time (the 5m rates), 100 rollouts per promtool run: each
      // run stays well inside backfillRecordingRules' bound (about 0.3 s per rule here).
      const perRollout = loaded.map((gs) =>
        gs.map((g) => ({
          name: g.name,
          ...(g.interval ? { interval: g.interval } : {}),
          rules: g.rules.filter((r) => !isAlertRule(r) && readOverTime.has(r.record)),
        })),
      );
      for (let from = 0; from < perRollout.length; from += 100) {
        const recFile = join(work, 'raw-recordings.json');
        writeFileSync(recFile, JSON.stringify({ groups: perRollout.slice(from, from + 100).flat() }));
        const t0 = performance.now();
        await backfillRecordingRules({
          url: prom.url,
          ruleFile: recFile,
          start: new Date((end - requestSeconds) * 1000),
          end: new Date(end * 1000),
          tsdbDir: data,
          evalInterval: opts.evaluationInterval ?? '1m',
          timeoutMs: opts.timeoutMs,
        });
        log(
          `rule-cost: recordings of ${variant !== 'per-rollout' ? 'the fleet' : `rollouts ${from}–${Math.min(from + 100, n) - 1}`} backfilled in ${Math.round((performance.now() - t0) / 1000)} s`,
        );
      }
      await prom.stop();
      prom = await start();
      log(`rule-cost: recorded series over raw ones backfilled for ${opts.historyMinutes} min`);
    }
    await sleep(Math.max(2 * scrapeSeconds, opts.warmupSeconds / 2) * 1000, opts.signal);
    const baseline = await measurePhase(prom, opts.measureSeconds, opts.signal);

    setRules(loaded.flat());
    await prom.reload();
    const before = await selfMetrics(prom.url);
    await sleep(opts.warmupSeconds * 1000, opts.signal);
    const stagegate = await measurePhase(prom, opts.measureSeconds, opts.signal);
    const after = await selfMetrics(prom.url);
    const recordedSeries = (await instant(prom.url, 'count({__name__=~"stagegate:.+"})')) ?? 0;
    const slowestRules = await slowest(prom.url, 8);
    const delta = (name: string) => (after.sum.get(name) ?? 0) - (before.sum.get(name) ?? 0);

    setRules([]);
    await prom.reload();
    const queries = models.flatMap(flaggerQueries);
    let sent = 0;
    let errors = 0;
    await sleep(scrapeSeconds * 1000, opts.signal);
    const flagger = await measurePhase(prom, opts.measureSeconds, opts.signal, async (stop) => {
      // Two queries per rollout per minute, evenly spread; a few in flight at most.
      const gapMs = 60_000 / queries.length;
      const started = performance.now();
      const inFlight = new Set<Promise<void>>();
      while (!stop.aborted) {
        const q = queries[sent % queries.length]!;
        sent++;
        const p: Promise<void> = instant(prom!.url, q)
          .then(
            () => undefined,
            () => void errors++,
          )
          .finally(() => inFlight.delete(p));
        inFlight.add(p);
        if (inFlight.size >= 8) await Promise.race(inFlight);
        const wait = started + sent * gapMs - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      await Promise.all(inFlight);
    });

    // No rules again: a restart after the recordings' backfill compacts the overlapping blocks
    // during the first baseline (seen at 100 rollouts: 0.22 cores), so the quieter one counts.
    const baselineAgain = await measurePhase(prom, opts.measureSeconds, opts.signal);
    const cores = (p: PhaseFigures) => p.cpuSeconds / p.wallSeconds;
    const idle = Math.min(cores(baseline), cores(baselineAgain));
    const ruleCores = Math.max(0, cores(stagegate) - idle);
    const flaggerCores = Math.max(0, cores(flagger) - idle);
    const figures = (p: PhaseFigures): PhaseFigures => ({
      cpuSeconds: p.cpuSeconds,
      wallSeconds: p.wallSeconds,
      rssBytes: p.rssBytes,
    });
    return {
      variant,
      rollouts: n,
      groups: loaded.reduce((a, g) => a + g.length, 0),
      rules: loaded.reduce((a, g) => a + g.reduce((b, x) => b + x.rules.length, 0), 0),
      recordedSeries,
      istioSeries: pods.length * 4 * 23,
      backfilledSamples,
      ruleCores,
      flaggerCores,
      ratioToFlagger: flaggerCores > 0 ? ruleCores / flaggerCores : Number.POSITIVE_INFINITY,
      sumGroupSeconds: stagegate.sumGroup,
      maxGroupSeconds: stagegate.maxGroup,
      missedIterations: delta('prometheus_rule_group_iterations_missed_total'),
      evaluationFailures: delta('prometheus_rule_evaluation_failures_total'),
      rssPerRolloutBytes: (stagegate.rssBytes - Math.min(baseline.rssBytes, baselineAgain.rssBytes)) / n,
      slowestRules,
      flaggerQueries: sent,
      flaggerQueryErrors: errors,
      baseline: figures(baseline),
      baselineAgain: figures(baselineAgain),
      stagegate: figures(stagegate),
      flagger: figures(flagger),
    };
  } finally {
    await prom?.stop();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    rmSync(work, { recursive: true, force: true });
  }
}

export async function runRuleCostBench(opts: RuleCostOptions): Promise<RuleCostReport> {
  const runs: RuleCostRun[] = [];
  for (const n of opts.sizes) runs.push(await runSize(n, opts));
  const first = runs[0];
  const last = runs[runs.length - 1];
  const perRollout = (r: RuleCostRun) => r.ruleCores / r.rollouts;
  const growthPerRollout =
    first && last && last !== first && perRollout(first) > 0 ? perRollout(last) / perRollout(first) : null;
  const at = runs.find((r) => r.rollouts === GOALS.size);
  return {
    runs,
    growthPerRollout,
    goalsMet: at
      ? {
          ratioToFlagger: at.ratioToFlagger <= GOALS.ratioToFlagger,
          tenthOfACore: at.ruleCores <= GOALS.cores,
          rssPerRollout: at.rssPerRolloutBytes <= GOALS.rssPerRolloutBytes,
          noMissed: at.missedIterations === 0,
        }
      : {},
  };
}

const f = (v: number, d = 3) => (Number.isFinite(v) ? v.toFixed(d) : 'n/a');

/** The table lines `stagegate bench` prints. */
export function renderRuleCost(r: RuleCostReport): string[] {
  const out = [
    'rules  variant      N     groups rules  recorded  rule cores  flagger cores  ratio   Σ group s  max group s  missed  RSS/rollout  idle cores',
  ];
  for (const run of r.runs) {
    out.push(
      `rules  ${run.variant.padEnd(12)} ${String(run.rollouts).padEnd(5)} ${String(run.groups).padEnd(6)} ${String(run.rules).padEnd(6)} ` +
        `${String(run.recordedSeries).padEnd(9)} ${f(run.ruleCores).padEnd(11)} ${f(run.flaggerCores).padEnd(14)} ` +
        `${f(run.ratioToFlagger, 2).padEnd(7)} ${f(run.sumGroupSeconds).padEnd(10)} ${f(run.maxGroupSeconds).padEnd(12)} ` +
        `${String(run.missedIterations).padEnd(7)} ${`${f(run.rssPerRolloutBytes / 1048576, 2)} MiB`.padEnd(12)} ` +
        `${[run.baseline, run.baselineAgain].map((p) => f(p.cpuSeconds / p.wallSeconds)).join(' / ')}`,
    );
  }
  if (r.growthPerRollout !== null)
    out.push(`rules  rule CPU per rollout, largest / smallest size: ${f(r.growthPerRollout, 2)}× (1 = linear)`);
  return out;
}
