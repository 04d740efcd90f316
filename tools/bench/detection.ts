/**
 * The detection benchmark: the generated rules themselves, evaluated by a real Prometheus over
 * simulated canary traffic, against a Flagger-style check on the same data.
 *
 * Pipeline (all on 127.0.0.1, in one temp dir removed at the end):
 * 1. simulate every rollout (healthy, blip, regressions) into one OpenMetrics file; backfill;
 * 2. evaluate the recording rules of every rollout with query_range at the 1 m evaluation
 *    interval (rules of many rollouts joined with `or`, each wrapped in label_replace for the
 *    rule's `labels:`, which is what the rule manager adds), backfill the results, restart;
 *    rules that read other recorded series go in a second round;
 * 3. evaluate every rollback alert's `expr` the same way and apply its `for:` (prom-eval.ts).
 * The Flagger-style check: success rate ≥ 99 % and p99 ≤ the intent's latency limit, from 1 m
 * rates, checked every minute; no data is a failed check; the 5th failed check rolls back.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRuleGroups, isAlertRule, type AlertRule, type RecordingRule } from '../../constructs/alert-rules.js';
import { ALERT_LABEL_ACTION, ALERT_LABEL_ROLLOUT } from '../../constructs/conventions.js';
import { errorRatioLimit, normalQuantile, DEFAULT_ALPHA, DEFAULT_POWER } from '../../constructs/detectability.js';
import { parseDuration } from '../../constructs/duration.js';
import type { RolloutModel } from '../../constructs/model.js';
import { BLIP_MAX_MS } from '../../constructs/promql/windows.js';
import { toModel } from '../../constructs/spec/index.js';
import type { RolloutDocument } from '../../constructs/spec/types.js';
import { startPrometheus } from '../prometheus.js';
import { prng } from './intents.js';
import {
  createBlocks,
  firstFiring,
  queryRange,
  recordedOpenMetrics,
  type RangeQuery,
  type Series,
} from './prom-eval.js';
import { latencyCdf, writeOpenMetrics, type SimulatedService, type VersionBehaviour } from './traffic.js';

export interface DetectionOptions {
  readonly healthy: number;
  /** Rollouts per blip / regression case. */
  readonly perCase: number;
  readonly seed?: number;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  readonly log?: (line: string) => void;
}

const NAMESPACE = 'bench';
const SERVICE_RPS = 100;
const WEIGHT = 10;
const BASELINE_ERRORS = 0.001;
const MEDIAN_MS = 70;
const LATENCY_MAX_MS = 300;
const SCRAPE_SECONDS = 30;
const EVAL_SECONDS = 60;
const HORIZON_SECONDS = 60 * 60;
const ONSET_SECONDS = 20 * 60;
const BLIP_SECONDS = BLIP_MAX_MS / 1000;
const FLAGGER_THRESHOLD = 5;
const CHUNK = 200;

interface Case {
  readonly name: string;
  readonly kind: 'healthy' | 'blip' | 'regression';
  /** The intent calls it a regression: it must roll back. */
  readonly mustDetect: boolean;
  readonly canary: (onset: number) => VersionBehaviour;
  /** Canary share of requests above the latency limit / 5xx share after onset (for the floor). */
  readonly badShare?: number;
}

const stable: VersionBehaviour = {
  rps: SERVICE_RPS * (1 - WEIGHT / 100),
  errorRatio: () => BASELINE_ERRORS,
  medianMs: () => MEDIAN_MS,
};
const canaryRps = (SERVICE_RPS * WEIGHT) / 100;
// traffic.ts draws the requests of each scrape interval (t − scrape, t] with the behaviour at its
// end t, so a change "at onset" must apply from the first interval ending *after* it: with
// `t >= onset` the interval (onset − scrape, onset] was already bad and every detection time
// (measured from onset) came out one scrape interval too short, for both detectors.
const after = (onset: number, before: number, then: number) => (t: number) => (t > onset ? then : before);

function cases(errorMax: number): Case[] {
  const errors = (k: number): Case => ({
    name: `errors-x${k}`,
    kind: 'regression',
    mustDetect: true,
    badShare: k * errorMax,
    canary: (o) => ({ rps: canaryRps, errorRatio: after(o, BASELINE_ERRORS, k * errorMax), medianMs: () => MEDIAN_MS }),
  });
  const latency = (k: number, mustDetect: boolean): Case => ({
    name: `latency-x${k}`,
    kind: 'regression',
    mustDetect,
    badShare: 1 - latencyCdf(LATENCY_MAX_MS, MEDIAN_MS * k),
    canary: (o) => ({
      rps: canaryRps,
      errorRatio: () => BASELINE_ERRORS,
      medianMs: after(o, MEDIAN_MS, MEDIAN_MS * k),
    }),
  });
  return [
    { name: 'healthy', kind: 'healthy', mustDetect: false, canary: () => ({ ...stable, rps: canaryRps }) },
    {
      name: `blip-${BLIP_SECONDS}s`,
      kind: 'blip',
      mustDetect: false,
      canary: (o) => ({
        rps: canaryRps,
        errorRatio: (t) => (t > o && t <= o + BLIP_SECONDS ? 1 : BASELINE_ERRORS),
        medianMs: () => MEDIAN_MS,
      }),
    },
    errors(2),
    errors(5),
    errors(10),
    // ×1.5 puts the canary p99 exactly at maxVsStable × stable: the intent calls that healthy.
    latency(1.5, false),
    latency(3, true),
  ];
}

function simIntent(name: string): RolloutDocument {
  return {
    apiVersion: 'stagegate.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name, namespace: NAMESPACE },
    spec: {
      service: { host: name, port: 8080 },
      stable: 'v1',
      canary: 'v2',
      stages: [
        { name: 'ten-percent', weight: WEIGHT, bake: '1h' },
        { name: 'full', weight: 100 },
      ],
      stage: 'ten-percent',
      health: { errorRatio: { max: 0.01, maxVsStable: 2 }, latencyP99Ms: { max: LATENCY_MAX_MS, maxVsStable: 1.5 } },
      traffic: { requestsPerSecond: SERVICE_RPS, baselineErrorRatio: BASELINE_ERRORS },
    },
  };
}

/**
 * The statistical floor: canary requests a one-sided test (α 0.05, power 0.8) needs to tell the
 * observed bad share from the limit, at the canary's rate, plus the longest blip every detector
 * must sit out (docs/design.md §2). No detector that ignores blips can be faster on average.
 */
export function floorSeconds(limit: number, bad: number, rps: number): number {
  const zA = normalQuantile(1 - DEFAULT_ALPHA);
  const zB = normalQuantile(DEFAULT_POWER);
  const n = (zA * Math.sqrt(limit * (1 - limit)) + zB * Math.sqrt(bad * (1 - bad))) ** 2 / (bad - limit) ** 2;
  return BLIP_SECONDS + n / rps;
}

interface Rollout {
  readonly name: string;
  readonly testCase: Case;
  readonly model: RolloutModel;
}

export async function runDetectionBench(opts: DetectionOptions): Promise<DetectionReport> {
  const log = opts.log ?? (() => {});
  const random = prng(opts.seed ?? 7);
  const all = cases(0.01);
  const rollouts: Rollout[] = all.flatMap((c) =>
    Array.from({ length: c.kind === 'healthy' ? opts.healthy : opts.perCase }, (_, i) => {
      const name = `${c.name.replace(/[^a-z0-9]+/g, '-')}-${i}`.replace(/-+/g, '-');
      return { name, testCase: c, model: toModel(simIntent(name)) };
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
      versions: { v1: stable, v2: r.testCase.canary(ONSET_SECONDS) },
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

    const groups = rollouts.map((r) => buildRuleGroups(r.model).flatMap((g) => g.rules));
    const recording = groups.map((rules) => rules.filter((r): r is RecordingRule => !isAlertRule(r)));
    const template = recording[0]!;
    // Round 1: rules over raw Istio series; round 2: rules over recorded series.
    const rounds = [
      template.map((r, j) => ({ r, j })).filter(({ r }) => !r.expr.includes('stagegate:')),
      template.map((r, j) => ({ r, j })).filter(({ r }) => r.expr.includes('stagegate:')),
    ];
    for (const [round, picked] of rounds.entries()) {
      const families = await withPrometheus(data, async (url) => {
        const out = new Map<string, Series[]>();
        for (const { r, j } of picked) {
          const exprs = recording.map((rules) => withLabels(rules[j]!));
          out.set(r.record, await queryJoined(url, exprs, range, opts.signal));
        }
        return out;
      });
      // Blocks are added while Prometheus is down; the next start loads them.
      const file = join(work, `recorded-${round}.om`);
      writeFileSync(file, recordedOpenMetrics(families));
      await createBlocks(file, data, opts.timeoutMs);
      rmSync(file, { force: true });
    }
    // Round 3: alerts, and the Flagger-style check on the same raw series.
    const { stagegate, flagger } = await withPrometheus(data, async (url) => ({
      stagegate: await stagegateRollbacks(url, groups, range, opts.signal),
      flagger: await flaggerRollbacks(url, range, opts.signal),
    }));
    return summarize(rollouts, all, stagegate, flagger, start);
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
    out.push(
      ...(await queryRange(
        url,
        exprs
          .slice(i, i + CHUNK)
          .map((e) => `(${e})`)
          .join(' or '),
        range,
        signal,
      )),
    );
  }
  return out;
}

/** Rollout name → unix seconds of its first rollback alert firing. */
async function stagegateRollbacks(
  url: string,
  groups: readonly (readonly (AlertRule | RecordingRule)[])[],
  range: RangeQuery,
  signal?: AbortSignal,
) {
  const firing = new Map<string, number>();
  const alerts = groups.map((rules) =>
    rules.filter(isAlertRule).filter((a) => a.labels[ALERT_LABEL_ACTION] === 'rollback'),
  );
  for (const [j, alert] of alerts[0]!.entries()) {
    const forSeconds = parseDuration(alert.for) / 1000;
    // Labelled like the rule manager labels an alert: a comparison with `on()` returns no labels
    // of its own, so without the rule's labels the rollouts joined with `or` would collapse.
    const series = await queryJoined(
      url,
      alerts.map((a) => withLabels(a[j]!)),
      range,
      signal,
    );
    for (const s of series) {
      const rollout = s.metric[ALERT_LABEL_ROLLOUT];
      const at = firstFiring(s.values, forSeconds, range.stepSeconds);
      if (rollout !== undefined && at !== undefined) firing.set(rollout, Math.min(at, firing.get(rollout) ?? Infinity));
    }
  }
  return firing;
}

/** Rollout name → unix seconds of the Flagger-style rollback (5th failed 1 m check). */
async function flaggerRollbacks(url: string, range: RangeQuery, signal?: AbortSignal) {
  const canary = `reporter="destination", destination_service_namespace="${NAMESPACE}", destination_version="v2"`;
  const success = await queryRange(
    url,
    `sum by (destination_service_name) (rate(istio_requests_total{${canary}, response_code!~"5.*"}[1m])) / sum by (destination_service_name) (rate(istio_requests_total{${canary}}[1m])) * 100`,
    range,
    signal,
  );
  const p99 = await queryRange(
    url,
    `histogram_quantile(0.99, sum by (le, destination_service_name) (rate(istio_request_duration_milliseconds_bucket{${canary}}[1m])))`,
    range,
    signal,
  );
  const index = (series: Series[]) =>
    new Map(series.map((s) => [s.metric.destination_service_name!, new Map(s.values)]));
  const sr = index(success);
  const lat = index(p99);
  const names = new Set([...sr.keys(), ...lat.keys()]);
  const rollbacks = new Map<string, number>();
  for (const name of names) {
    let failed = 0;
    for (let t = range.start; t <= range.end; t += range.stepSeconds) {
      const s = sr.get(name)?.get(t);
      const l = lat.get(name)?.get(t);
      const ok =
        s !== undefined &&
        Number.isFinite(s) &&
        s >= 99 &&
        l !== undefined &&
        Number.isFinite(l) &&
        l <= LATENCY_MAX_MS;
      if (!ok && ++failed >= FLAGGER_THRESHOLD) {
        rollbacks.set(name, t);
        break;
      }
    }
  }
  return rollbacks;
}

export interface DetectorSummary {
  /** Healthy rollouts rolled back, per 1,000 (over one simulated hour of the stage). */
  readonly falseRollbacksPer1000: number;
  /** Median regression-start → rollback over every rollout of the must-detect cases; null when under half were caught. */
  readonly medianDetectSeconds: number | null;
  /** Median over must-detect cases of (case median time to detect / case floor). */
  readonly medianRatioToFloor: number | null;
  /** Blip rollouts rolled back. */
  readonly blipRollbacks: number;
  readonly blipRollouts: number;
}

export interface CaseResult {
  readonly case: string;
  readonly rollouts: number;
  readonly mustDetect: boolean;
  readonly floorSeconds?: number;
  readonly stagegate: { readonly rolledBack: number; readonly medianDetectSeconds: number | null };
  readonly flaggerStyle: { readonly rolledBack: number; readonly medianDetectSeconds: number | null };
}

export interface DetectionReport {
  readonly scenario: Readonly<Record<string, number | string>>;
  readonly cases: readonly CaseResult[];
  readonly stagegate: DetectorSummary;
  readonly flaggerStyle: DetectorSummary;
}

export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  return Number.isFinite(m) ? m : null;
}

function summarize(
  rollouts: readonly Rollout[],
  all: readonly Case[],
  stagegate: Map<string, number>,
  flagger: Map<string, number>,
  start: number,
): DetectionReport {
  const onset = start + ONSET_SECONDS;
  const limit = errorRatioLimit(rollouts[0]!.model);
  const results: CaseResult[] = all.map((c) => {
    const mine = rollouts.filter((r) => r.testCase === c);
    const detect = (m: Map<string, number>) => {
      // A rollback before the regression began is a false one, not a detection.
      const times = mine.map((r) => m.get(r.name)).map((t) => (t === undefined ? Infinity : t - onset));
      return {
        rolledBack: times.filter((t) => Number.isFinite(t)).length,
        medianDetectSeconds: c.kind === 'regression' ? median(times) : null,
        times,
      };
    };
    const s = detect(stagegate);
    const f = detect(flagger);
    return {
      case: c.name,
      rollouts: mine.length,
      mustDetect: c.mustDetect,
      ...(c.badShare !== undefined ? { floorSeconds: Math.round(floorSeconds(limit, c.badShare, canaryRps)) } : {}),
      stagegate: { rolledBack: s.rolledBack, medianDetectSeconds: s.medianDetectSeconds },
      flaggerStyle: { rolledBack: f.rolledBack, medianDetectSeconds: f.medianDetectSeconds },
      times: { stagegate: s.times, flagger: f.times },
    };
  });
  const detector = (key: 'stagegate' | 'flaggerStyle', which: 'stagegate' | 'flagger'): DetectorSummary => {
    const healthy = results.find((r) => r.case === 'healthy')!;
    const blip = results.find((r) => r.case.startsWith('blip'))!;
    const must = results.filter((r) => r.mustDetect);
    const pooled = must.flatMap((r) => (r as unknown as { times: Record<string, number[]> }).times[which]!);
    const ratios = must.map((r) => (r[key].medianDetectSeconds ?? Infinity) / r.floorSeconds!);
    return {
      falseRollbacksPer1000: Math.round((healthy[key].rolledBack / Math.max(1, healthy.rollouts)) * 1000 * 10) / 10,
      medianDetectSeconds: median(pooled),
      medianRatioToFloor: median(ratios) === null ? null : Math.round(median(ratios)! * 100) / 100,
      blipRollbacks: blip[key].rolledBack,
      blipRollouts: blip.rollouts,
    };
  };
  const report = {
    scenario: {
      serviceRps: SERVICE_RPS,
      canaryWeightPercent: WEIGHT,
      baselineErrorRatio: BASELINE_ERRORS,
      stableP99Ms: Math.round(MEDIAN_MS * Math.exp(2.326 * 0.5)),
      scrapeSeconds: SCRAPE_SECONDS,
      evaluationSeconds: EVAL_SECONDS,
      horizonSeconds: HORIZON_SECONDS,
      onsetSeconds: ONSET_SECONDS,
      flaggerStyle: `success rate >= 99 % and p99 <= ${LATENCY_MAX_MS} ms on 1m rates every 1m; no data fails; ${FLAGGER_THRESHOLD} failed checks roll back`,
    },
    cases: results.map(({ times: _t, ...r }: CaseResult & { times?: unknown }) => r),
    stagegate: detector('stagegate', 'stagegate'),
    flaggerStyle: detector('flaggerStyle', 'flagger'),
  };
  return report;
}
