/**
 * The detection benchmark: the generated rules themselves, evaluated by a real Prometheus over
 * simulated canary traffic, against the peers' own algorithms (peers/: Flagger's analysis, Argo
 * Rollouts' AnalysisRun, a Kayenta-style Mann-Whitney judge) on the same data.
 *
 * Pipeline (all on 127.0.0.1, in one temp dir removed at the end):
 * 1. simulate every rollout (detection-cases.ts) into one OpenMetrics file; backfill;
 * 2. evaluate the recording rules of every rollout with query_range at the 1 m evaluation
 *    interval (rules of many rollouts joined with `or`, each wrapped in label_replace for the
 *    rule's `labels:`, which is what the rule manager adds), backfill the results, restart;
 *    rules that read other recorded series go in later rounds, one per depth;
 * 3. evaluate every rollback and hold alert's `expr` the same way and apply its `for:`
 *    (prom-eval.ts); run every peer setting's queries on the raw series (peers/run.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildRuleGroups,
  isAlertRule,
  type AlertRule,
  type RecordingRule,
  type RuleGroup,
} from '../../constructs/alert-rules.js';
import { ALERT_LABEL_ACTION, ALERT_LABEL_ROLLOUT } from '../../constructs/conventions.js';
import { parseDuration } from '../../constructs/duration.js';
import { toModel } from '../../constructs/spec/index.js';
import { startPrometheus } from '../prometheus.js';
import {
  allCases,
  BASELINE_ERRORS,
  BLIP_SECONDS,
  ERROR_MAX,
  EVAL_SECONDS,
  HORIZON_SECONDS,
  LATENCY_MAX_MS,
  MEDIAN_MS,
  NAMESPACE,
  ONSET_SECONDS,
  type Rollout,
  SCRAPE_SECONDS,
  SERVICE_RPS,
  simIntent,
  stable,
  WEIGHTS,
} from './detection-cases.js';
import { caseFloor, type DetectionReport, detectorResult, judge } from './detection-report.js';
import { prng } from './intents.js';
import { peerRollbacks } from './peers/run.js';
import {
  createBlocks,
  firingAt,
  firstFiring,
  queryRange,
  recordedOpenMetrics,
  type RangeQuery,
  type Series,
} from './prom-eval.js';
import { type SimulatedService, writeOpenMetrics } from './traffic.js';

export { median } from './detection-report.js';
export type { DetectionReport } from './detection-report.js';

export interface DetectionOptions {
  /** Healthy rollouts per canary weight. */
  readonly healthy: number;
  /** Rollouts per blip / regression / no-traffic case. */
  readonly perCase: number;
  readonly seed?: number;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  readonly log?: (line: string) => void;
}

const CHUNK = 200;

export async function runDetectionBench(opts: DetectionOptions): Promise<DetectionReport> {
  const log = opts.log ?? (() => {});
  const random = prng(opts.seed ?? 7);
  const all = allCases();
  const rollouts: Rollout[] = all.flatMap((c) =>
    Array.from({ length: c.kind === 'healthy' ? opts.healthy : opts.perCase }, (_, i) => {
      const name = `${c.name.replace(/[^a-z0-9]+/g, '-')}-${i}`.replace(/-+/g, '-');
      return { name, testCase: c, model: toModel(simIntent(name, c.weight)) };
    }),
  );
  const work = mkdtempSync(join(tmpdir(), 'stagegate-bench-detect-'));
  const data = join(work, 'data');
  const start = Math.floor(Date.now() / 1000 / 3600) * 3600 - 6 * 3600;
  const range: RangeQuery = { start: start + EVAL_SECONDS, end: start + HORIZON_SECONDS, stepSeconds: EVAL_SECONDS };
  try {
    const services: SimulatedService[] = rollouts.map((r) => ({
      service: r.name,
      namespace: NAMESPACE,
      versions: { v1: stable(r.testCase.weight), v2: r.testCase.canary(ONSET_SECONDS) },
    }));
    const raw = join(work, 'raw.om');
    const lines = writeOpenMetrics(
      raw,
      services,
      { start, durationSeconds: HORIZON_SECONDS, scrapeSeconds: SCRAPE_SECONDS },
      random,
    );
    await createBlocks(raw, data, opts.timeoutMs);
    rmSync(raw, { force: true });
    log(`detection: ${rollouts.length} simulated rollouts, ${lines} samples backfilled`);

    const ruleGroups = rollouts.map((r) => buildRuleGroups(r.model));
    const groups = ruleGroups.map((gs) => gs.flatMap((g) => g.rules));
    const recording = groups.map((rules) => rules.filter((r): r is RecordingRule => !isAlertRule(r)));
    // Rollouts whose rules have the same records (in order) are evaluated together, rule by rule.
    const shapes = groupByKey(recording.map((rules) => rules.map((r) => r.record).join('\n')));
    // Round k evaluates the rules reading recordings of rounds below k only (round 0: raw series);
    // each at its group's interval, as the rule manager does (the slow group every 2m).
    const plans = shapes.map((members) => recordingPlan(ruleGroups[members[0]!]!));
    const rounds = Math.max(...plans.flatMap((p) => p.map((r) => r.depth))) + 1;
    for (let round = 0; round < rounds; round++) {
      const families = await withPrometheus(data, async (url) => {
        const out = new Map<string, Series[]>();
        for (const [k, members] of shapes.entries()) {
          for (const [j, r] of plans[k]!.entries()) {
            if (r.depth !== round) continue;
            const exprs = members.map((m) => withLabels(recording[m]![j]!));
            const at = { ...range, stepSeconds: r.stepSeconds };
            out.set(r.record, [...(out.get(r.record) ?? []), ...(await queryJoined(url, exprs, at, opts.signal))]);
          }
        }
        return out;
      });
      // Blocks are added while Prometheus is down; the next start loads them.
      const file = join(work, `recorded-${round}.om`);
      writeFileSync(file, recordedOpenMetrics(families));
      await createBlocks(file, data, opts.timeoutMs);
      rmSync(file, { force: true });
    }
    // Round 3: stagegate's alerts, and every peer setting on the same raw series.
    const peerScenario = {
      namespace: NAMESPACE,
      start: range.start,
      end: range.end,
      minSuccessRatio: 1 - ERROR_MAX,
      maxP99Ms: LATENCY_MAX_MS,
      stable: 'v1',
      canary: 'v2',
    };
    const { rollback, hold, peers } = await withPrometheus(data, async (url) => ({
      rollback: await stagegateAlerts(url, groups, 'rollback', range, opts.signal),
      hold: await stagegateAlerts(url, groups, 'hold', range, opts.signal),
      peers: await peerRollbacks(
        url,
        rollouts.map((r) => r.name),
        peerScenario,
        opts.signal,
      ),
    }));
    const ours = detectorResult('stagegate', rollouts, all, rollback.first, start, hold.atEnd);
    const theirs = [...peers].map(([name, m]) => detectorResult(name, rollouts, all, m, start));
    return {
      scenario: {
        serviceRps: SERVICE_RPS,
        canaryWeightsPercent: WEIGHTS.join(', '),
        baselineErrorRatio: BASELINE_ERRORS,
        stableP99Ms: Math.round(MEDIAN_MS * Math.exp(2.326 * 0.5)),
        scrapeSeconds: SCRAPE_SECONDS,
        evaluationSeconds: EVAL_SECONDS,
        blipSeconds: BLIP_SECONDS,
        horizonSeconds: HORIZON_SECONDS,
        onsetSeconds: ONSET_SECONDS,
        healthyPerWeight: opts.healthy,
        perCase: opts.perCase,
      },
      cases: all.map((c) => {
        const floor = caseFloor(c);
        return {
          case: c.name,
          weight: c.weight,
          rollouts: rollouts.filter((r) => r.testCase === c).length,
          mustDetect: c.mustDetect,
          ...(floor !== undefined ? { floorSeconds: floor } : {}),
        };
      }),
      stagegate: ours,
      peers: theirs,
      ...judge(ours, theirs),
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function withPrometheus<T>(tsdbDir: string, fn: (url: string) => Promise<T>): Promise<T> {
  const prom = await startPrometheus({ tsdbDir, evaluationInterval: '1m', scrapeInterval: '1m' });
  try {
    return await fn(prom.url);
  } finally {
    await prom.stop();
  }
}

/** A rule's result as the rule manager labels it: its expr with its `labels:` set. */
function withLabels(rule: { readonly expr: string; readonly labels: Readonly<Record<string, string>> }): string {
  return Object.entries(rule.labels).reduce(
    (e, [k, v]) => `label_replace(${e}, "${k}", "${v}", "", "")`,
    `(${rule.expr})`,
  );
}

async function queryJoined(
  url: string,
  exprs: readonly string[],
  range: RangeQuery,
  signal?: AbortSignal,
): Promise<Series[]> {
  const out: Series[] = [];
  for (let i = 0; i < exprs.length; i += CHUNK) {
    const joined = exprs
      .slice(i, i + CHUNK)
      .map((e) => `(${e})`)
      .join(' or ');
    out.push(...(await queryRange(url, joined, range, signal)));
  }
  return out;
}

/**
 * Rollout name → unix seconds its first alert of `action` fires, and the rollouts with one
 * firing at the last evaluation (a hold still in force when the stage's bake ends).
 */
async function stagegateAlerts(
  url: string,
  groups: readonly (readonly (AlertRule | RecordingRule)[])[],
  action: 'rollback' | 'hold',
  range: RangeQuery,
  signal?: AbortSignal,
) {
  const first = new Map<string, number>();
  const atEnd = new Set<string>();
  const alerts = groups.map((rules) =>
    rules.filter(isAlertRule).filter((a) => a.labels[ALERT_LABEL_ACTION] === action),
  );
  const shapes = groupByKey(alerts.map((as) => as.map((a) => a.alert).join('\n')));
  for (const members of shapes) {
    for (const [j, alert] of alerts[members[0]!]!.entries()) {
      const forSeconds = parseDuration(alert.for) / 1000;
      // Labelled like the rule manager labels an alert: a comparison with `on()` returns no labels
      // of its own, so without the rule's labels the rollouts joined with `or` would collapse.
      const exprs = members.map((m) => withLabels(alerts[m]![j]!));
      for (const s of await queryJoined(url, exprs, range, signal)) {
        const rollout = s.metric[ALERT_LABEL_ROLLOUT];
        const at = firstFiring(s.values, forSeconds, range.stepSeconds);
        if (rollout === undefined || at === undefined) continue;
        first.set(rollout, Math.min(at, first.get(rollout) ?? Infinity));
        if (firingAt(s.values, range.end, forSeconds, range.stepSeconds)) atEnd.add(rollout);
      }
    }
  }
  return { first, atEnd };
}

/**
 * Each recording rule of one rollout's groups, in order, with its round (0 when it reads only raw
 * series, else one more than the deepest recording it reads) and its group's evaluation step.
 */
function recordingPlan(ruleGroups: readonly RuleGroup[]): { record: string; depth: number; stepSeconds: number }[] {
  const depth = new Map<string, number>();
  return ruleGroups.flatMap((g) =>
    g.rules
      .filter((r): r is RecordingRule => !isAlertRule(r))
      .map((r) => {
        const reads = [...r.expr.matchAll(/stagegate:[\w:]+/g)].map((m) => depth.get(m[0]) ?? 0);
        const d = reads.length === 0 ? 0 : 1 + Math.max(...reads);
        depth.set(r.record, d);
        return {
          record: r.record,
          depth: d,
          stepSeconds: g.interval ? parseDuration(g.interval) / 1000 : EVAL_SECONDS,
        };
      }),
  );
}

/** Indices grouped by equal key, in first-seen order: rollouts whose rules share one shape. */
function groupByKey(keys: readonly string[]): number[][] {
  const groups = new Map<string, number[]>();
  keys.forEach((k, i) => {
    const g = groups.get(k);
    if (g) g.push(i);
    else groups.set(k, [i]);
  });
  return [...groups.values()];
}
