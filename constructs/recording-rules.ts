/**
 * The recording rules of one rollout, as data (docs/design.md §7, rule cost): what the alerts in
 * alert-rules.ts read. Per raw window the requests are read twice (all of them, and the errors'
 * subset), the buckets once; everything else is derived from recordings, in an order where a rule
 * reads only recordings above it.
 */
import { recordedSeriesName } from './conventions.js';
import { decisionWindowMs, LATENCY_FLOOR_MS, shortWindowMs } from './detectability.js';
import { liveStage, type RolloutModel } from './model.js';
import type { RecordingRule } from './alert-rules.js';
import { userSignalRecordingRules } from './user-signals.js';
import { binary, histogramQuantile, num, rate, render, sum, type Expr } from './promql/ast.js';
import {
  durationBucketSelector,
  errorsExpr,
  ISTIO_DURATION_BUCKETS_MS,
  istioTarget,
  recorded,
  requestsSelector,
  rolloutLabels,
  UPSTREAM_OVERFLOW,
} from './promql/istio.js';
import { bucketRatesExpr, derivedRateExpr, ratioExpr, roundUpToBucketExpr } from './promql/rollout-queries.js';
import {
  baseWindowMs,
  DEFAULT_WINDOW_MS,
  derivedWindowsMs,
  recordedWindowsMs,
  recordingIntervalMs,
  scaleMs,
  slowWindowsMs,
  windowLabel,
} from './promql/windows.js';

/**
 * Recording rules, in evaluation order (a rule reads only recordings above it): per raw window,
 * the request rate by version (a raw read of istio_requests_total), then the error ratio (a raw
 * read of the errors — 5xx, plus server-side gRPC statuses for protocol grpc, promql/istio.ts —
 * over the request rate just recorded); the error rate is recorded only on the 5m base, which the
 * derived windows sum (docs/design.md §7 rule cost). The bucket rates on the short window (the
 * one raw read of the histogram; recorded when the decision window is longer) and the p99 on the
 * short and decision windows from them; the canary's p99 limit and the UO share on the decision
 * window. The long burn-rate windows record the request rate and error ratio derived from the
 * recorded 5m requests and errors; those only the slow burn-rate alert reads are `slow` (their own
 * group, slowRecordingIntervalMs).
 */
export function recordingRuleSets(model: RolloutModel): {
  readonly main: RecordingRule[];
  readonly slow: RecordingRule[];
} {
  const t = istioTarget(model);
  const labels = rolloutLabels(t);
  const by = [t.versionLabel];
  const stage = liveStage(model);
  const windowMs = decisionWindowMs(model, stage);
  const shortMs = shortWindowMs(model, stage);
  const rules: RecordingRule[] = [];
  const slow: RecordingRule[] = [];
  const scale = model.metrics.timeScale;
  const intervalMs = recordingIntervalMs(scale);
  const derived = new Set(derivedWindowsMs(windowMs, shortMs, scale));
  const slowWindows = new Set(slowWindowsMs(windowMs, shortMs, scale));
  // Per window: the request rate, then the error ratio over this evaluation's request rate (the
  // group's rules run in order, each one's output stored before the next: rules/group.go). The
  // error rate is recorded only on the base window, which the derived windows sum; elsewhere the
  // ratio's numerator is its own read, not a series nothing else reads (docs/design.md §7).
  const base = baseWindowMs(scale);
  for (const w of recordedWindowsMs(windowMs, shortMs, scale)) {
    const wl = windowLabel(w);
    const into = derived.has(w) && slowWindows.has(w) ? slow : rules;
    if (derived.has(w)) {
      // docs/design.md §7 (rule cost): from the recorded base window, not the raw series again.
      const derive = (kind: 'requests' | 'errors') => derivedRateExpr(t, kind, w, base, intervalMs);
      into.push({ record: recordedSeriesName('requests', wl), expr: render(derive('requests')), labels });
      into.push({
        record: recordedSeriesName('error_ratio', wl),
        expr: render(ratioExpr(t, derive('errors'), w)),
        labels,
      });
      continue;
    }
    into.push({
      record: recordedSeriesName('requests', wl),
      expr: render(sum(rate(requestsSelector(t), w), by)),
      labels,
    });
    const errors = errorsExpr(t, w, by);
    if (w === base) into.push({ record: recordedSeriesName('errors', wl), expr: render(errors), labels });
    into.push({
      record: recordedSeriesName('error_ratio', wl),
      expr: render(ratioExpr(t, w === base ? 'errors' : errors, w)),
      labels,
    });
  }
  // The buckets are read once either way; recorded only when W is longer than S and sums them
  // (a recording of a window read once costs its writes and saves no read).
  if (windowMs === shortMs) {
    rules.push({
      record: recordedSeriesName('p99', windowLabel(shortMs)),
      expr: render(p99Of(sum(rate(durationBucketSelector(t), shortMs), [...by, 'le']))),
      labels,
    });
  } else {
    rules.push({
      record: recordedSeriesName('buckets', windowLabel(shortMs)),
      expr: render(sum(rate(durationBucketSelector(t), shortMs), [...by, 'le'])),
      labels,
    });
    for (const w of [shortMs, windowMs]) {
      rules.push({
        record: recordedSeriesName('p99', windowLabel(w)),
        expr: render(p99Of(bucketRatesExpr(t, w, shortMs, intervalMs))),
        labels,
      });
    }
  }
  rules.push(p99LimitRule(model, windowMs));
  const satMs = saturationWindowMs(model, windowMs);
  const overflow = sum(rate(requestsSelector(t, [UPSTREAM_OVERFLOW]), satMs), by);
  rules.push({
    record: recordedSeriesName('uo_ratio', windowLabel(satMs)),
    expr: render(ratioExpr(t, overflow, satMs)),
    labels,
  });
  rules.push(...userSignalRecordingRules(model));
  return { main: rules, slow };
}

/**
 * The canary's p99 limit on the decision window `windowMs`: `maxVsStable × stable p99 + floor`
 * rounded up to the next bucket bound when above `max`, else `max` (alert-rules.ts). It reads the
 * rollout's recorded stable p99, whoever wrote it (these rules, or the fleet's joins: fleet-reads.ts).
 */
export function p99LimitRule(model: RolloutModel, windowMs: number): RecordingRule {
  const t = istioTarget(model);
  const { max, maxVsStable } = model.health.latencyP99Ms;
  const relative = binary(
    '+',
    binary('*', num(maxVsStable), recorded(t, 'p99', windowMs, 'stable')),
    num(LATENCY_FLOOR_MS),
  );
  return {
    record: recordedSeriesName('p99_limit', windowLabel(windowMs)),
    expr: render(roundUpToBucketExpr(relative, max, ISTIO_DURATION_BUCKETS_MS)),
    labels: rolloutLabels(t),
  };
}

/** Every recording rule of the rollout: the rules group's, then the slow group's. */
export function recordingRules(model: RolloutModel): RecordingRule[] {
  const { main, slow } = recordingRuleSets(model);
  return [...main, ...slow];
}

/**
 * Window of the saturation hold: the decision window, but never shorter than the (scaled) 5m
 * burn window. The minimum sample is sized for the error limit, which is usually far above
 * saturation.max, so a one-minute window would let a real overflow flicker under its limit and
 * keep restarting `for`. A hold needs no speed.
 */
export function saturationWindowMs(model: RolloutModel, windowMs: number): number {
  return Math.max(windowMs, scaleMs(DEFAULT_WINDOW_MS, model.metrics.timeScale));
}

/** p99 of bucket rates; `>= 0` drops the NaN histogram_quantile returns for a version without traffic. */
export function p99Of(buckets: Expr): Expr {
  return binary('>=', histogramQuantile(0.99, buckets), num(0));
}
