/**
 * The expressions the alerts of one rollout are made of, built from recorded series. Every
 * canary/stable comparison uses `on()`: each side is exactly one series of this rollout, and the
 * result keeps the canary's labels (Prometheus docs, "Vector matching": a one-to-one match keeps
 * the left side's labels).
 */
import type { RecordedKind } from '../conventions.js';
import { aggregate, binary, call, num, ON_NOTHING, range, str, sum, type Expr } from './ast.js';
import { recorded, type IstioTarget } from './istio.js';
import type { BurnPair } from './windows.js';

/**
 * `numerator / requests` per version over `windowMs`, with a version that had requests but no
 * matching numerator series counting as 0 (Istio creates a 5xx series only at the first 5xx),
 * and a version without requests dropped instead of producing NaN.
 */
export function ratioExpr(
  t: IstioTarget,
  numerator: 'errors' | Expr,
  windowMs: number,
  requests: Expr = recorded(t, 'requests', windowMs),
): Expr {
  const top = numerator === 'errors' ? recorded(t, 'errors', windowMs) : numerator;
  // on(version): a raw numerator (`sum by (version)`) lacks the rollout labels a recorded one
  // has; matching on the version alone makes both kinds line up (one-to-one keeps only it).
  const byVersion = { on: [t.versionLabel] };
  return binary(
    '/',
    binary('or', top, binary('*', requests, num(0)), { matching: byVersion }),
    binary('>', requests, num(0)),
    { matching: byVersion },
  );
}

/**
 * Whole seconds half an interval short of `windowMs`, so a range over a recording written every
 * `intervalMs` holds exactly windowMs / intervalMs samples whether the range is left-open
 * (Prometheus 3) or closed (2.x) — when read in the group that writes it (the main group, same
 * timestamps). The slow group runs at its own offset (prometheus/prometheus rules/group.go, the
 * group's hash-based offset), so there a range may hold one sample less: a 30m rate up to 1/30 low,
 * the same on both versions, so the canary-vs-stable ratios are unaffected. A 1s interval at timeScale 60 has no half: then one interval
 * short, exact on Prometheus 2.x and one sample (1/60 of the 1m demo window) short on 3.x.
 */
export function derivedRangeMs(windowMs: number, intervalMs: number): number {
  return windowMs - ((intervalMs / 2) % 1000 === 0 ? intervalMs / 2 : intervalMs);
}

/**
 * The per-second rate of `kind` over `windowMs` by version, derived from the recorded rate of the
 * base window (`baseMs`, windows.ts `derivedWindowsMs`) instead of the raw series: the mean of the
 * base-window rates the recording group wrote every `intervalMs` over the last `windowMs`. It reads
 * the recorded requests or errors (one series per version). It divides the sum
 * by the number of evaluations the window holds, not by the samples found, so a version that
 * appeared (or a 5xx series Istio created) late in the window is diluted over the whole window as
 * a raw `rate()` would be, not overstated. Each mean base-window rate covers
 * `windowMs + baseMs − intervalMs` of traffic, weighted towards the middle: a slightly smoother
 * long window, which only the burn-rate alerts read (docs/design.md §7).
 */
export function derivedRateExpr(
  t: IstioTarget,
  kind: 'requests' | 'errors',
  windowMs: number,
  baseMs: number,
  intervalMs: number,
): Expr {
  const base = range(recorded(t, kind, baseMs), derivedRangeMs(windowMs, intervalMs));
  return binary('/', sum(call('sum_over_time', base), [t.versionLabel]), num(windowMs / intervalMs));
}

/**
 * Bucket rates by version and `le` over `windowMs`, for histogram_quantile, from the recorded
 * bucket rates of the short window `shortMs` (docs/design.md §7, rule cost: the raw buckets are
 * read once, recorded only when the decision window is longer than the short one). On the short
 * window itself that is the recording; on a longer one, the sum of the short-window rates written
 * every `intervalMs` over the window. A quantile reads only the
 * buckets' proportions, so the sum needs no division. With shortMs = intervalMs the summed
 * windows tile the window exactly; a longer short window covers `windowMs + shortMs − intervalMs`,
 * weighted towards the middle.
 */
export function bucketRatesExpr(t: IstioTarget, windowMs: number, shortMs: number, intervalMs: number): Expr {
  const buckets = recorded(t, 'buckets', shortMs);
  if (windowMs === shortMs) return buckets;
  return sum(call('sum_over_time', range(buckets, derivedRangeMs(windowMs, intervalMs))), [t.versionLabel, 'le']);
}

/** Canary requests in the window, as a count (rate × seconds). */
function canaryRequestCount(t: IstioTarget, windowMs: number): Expr {
  return binary('*', recorded(t, 'requests', windowMs, 'canary'), num(windowMs / 1000));
}

/** `... and on() (canary requests in window >= min)`: no rollback on a thin sample. */
function withSample(t: IstioTarget, expr: Expr, windowMs: number, minRequests: number): Expr {
  return binary('and', expr, binary('>=', canaryRequestCount(t, windowMs), num(minRequests)), { matching: ON_NOTHING });
}

/**
 * The relative limit `vsStable × stable + floor` on `windowMs`, one series; without a stable
 * series (stable gets no traffic) just the floor, so the absolute limit decides.
 */
export function relativeLimitExpr(
  t: IstioTarget,
  kind: RecordedKind,
  windowMs: number,
  vsStable: number,
  floor: number,
): Expr {
  const stable = recorded(t, kind, windowMs, 'stable');
  return binary('or', binary('+', binary('*', num(vsStable), stable), num(floor)), call('vector', num(floor)), {
    matching: ON_NOTHING,
  });
}

/**
 * `max(limit, the relative limit x rounded up to the next bucket bound)`: the bounds above
 * `limit` as constant series (`label_replace(vector(c), "bound", "c", "", "")`), those ≥ x kept
 * by a many-to-one comparison with x, the smallest taken; x itself past the last bound (never a
 * limit below x), and `limit` when x is not above it (or there is no x: stable has no traffic);
 * one series without labels in every case.
 * x is read twice, not once per bound: each read is an index lookup, and the detection
 * benchmark evaluates this for hundreds of rollouts in one query.
 */
export function roundUpToBucketExpr(x: Expr, limit: number, bounds: readonly number[]): Expr {
  const above = [...new Set(bounds)].filter((b) => b > limit).sort((a, b) => a - b);
  const xAbove = binary('>', x, num(limit));
  const fallback = binary('or', xAbove, call('vector', num(limit)), { matching: ON_NOTHING });
  // min() of the one series the `or`s leave: the result never carries x's labels, so the
  // recorded series keeps one identity whichever branch holds.
  if (above.length === 0) return aggregate('min', fallback);
  const constants = above
    .map((c): Expr => call('label_replace', call('vector', num(c)), str('bound'), str(String(c)), str(''), str('')))
    .reduce((acc, c) => binary('or', acc, c));
  const ceiling = aggregate('min', binary('>=', constants, xAbove, { matching: { on: [], groupLeft: [] } }));
  return aggregate('min', binary('or', ceiling, fallback, { matching: ON_NOTHING }));
}

/**
 * The recorded p99 limit of the canary (alert-rules.ts; it is the absolute `max` itself when
 * stable has no p99), or `max` before the recording rule has run.
 */
export function p99LimitExpr(t: IstioTarget, windowMs: number, max: number): Expr {
  return binary('or', recorded(t, 'p99_limit', windowMs), call('vector', num(max)), { matching: ON_NOTHING });
}

/** Canary `kind` on `windowMs` above `max` and above `limit` (one series, e.g. relativeLimitExpr). */
function aboveLimits(t: IstioTarget, kind: RecordedKind, windowMs: number, max: number, limit: Expr): Expr {
  return binary('>', binary('>', recorded(t, kind, windowMs, 'canary'), num(max)), limit, { matching: ON_NOTHING });
}

/**
 * The sustained (single-window) threshold: canary `kind` above `max` and above `limit` on
 * `windowMs`, with the minimum sample. Blip-proof only through a long `for` (windows.ts).
 */
export function thresholdExpr(
  t: IstioTarget,
  kind: RecordedKind,
  windowMs: number,
  max: number,
  limit: Expr,
  minRequests: number,
): Expr {
  return withSample(t, aboveLimits(t, kind, windowMs, max, limit), windowMs, minRequests);
}

/**
 * The fast threshold: significant on the decision window (as thresholdExpr) *and* above the same
 * limits on the short window `shortMs`, so that `for = short + blip` proves persistence
 * (windows.ts). The value is the canary's on the decision window.
 */
export function persistentThresholdExpr(
  t: IstioTarget,
  kind: RecordedKind,
  windowMs: number,
  shortMs: number,
  max: number,
  limit: Expr,
  minRequests: number,
): Expr {
  const significant = aboveLimits(t, kind, windowMs, max, limit);
  const persisting = aboveLimits(t, kind, shortMs, max, limit);
  return withSample(t, binary('and', significant, persisting, { matching: ON_NOTHING }), windowMs, minRequests);
}

/**
 * Canary 5xx ratio above `factor × budget` *and* above `vsStable × stable + floor` on both windows
 * of `pair`, with the minimum sample in the long one: a budget burnt as fast by stable is the
 * service's outage, not the canary's regression (both limits must be broken, docs/design.md).
 */
export function burnRateExpr(
  t: IstioTarget,
  pair: BurnPair,
  budget: number,
  minRequests: number,
  vsStable: number,
  floor: number,
): Expr {
  const threshold = pair.factor * budget;
  const above = (windowMs: number) =>
    aboveLimits(t, 'error_ratio', windowMs, threshold, relativeLimitExpr(t, 'error_ratio', windowMs, vsStable, floor));
  return withSample(
    t,
    binary('and', above(pair.shortMs), above(pair.longMs), { matching: ON_NOTHING }),
    pair.longMs,
    minRequests,
  );
}

/**
 * Canary *and* stable 5xx ratio above `max` on `windowMs`, with the minimum sample: the service
 * fails as a whole, so there is no verdict on the canary (a hold) until stable recovers.
 */
export function sharedErrorsExpr(t: IstioTarget, windowMs: number, max: number, minRequests: number): Expr {
  const canary = binary('>', recorded(t, 'error_ratio', windowMs, 'canary'), num(max));
  const stable = binary('>', recorded(t, 'error_ratio', windowMs, 'stable'), num(max));
  return withSample(t, binary('and', canary, stable, { matching: ON_NOTHING }), windowMs, minRequests);
}

/** Canary requests in the window below `minRequests`; no canary series at all counts as 0. */
export function canaryRequestsBelowExpr(t: IstioTarget, windowMs: number, minRequests: number): Expr {
  const count = binary('or', sum(recorded(t, 'requests', windowMs, 'canary')), call('vector', num(0)));
  return binary('<', binary('*', count, num(windowMs / 1000)), num(minRequests));
}
