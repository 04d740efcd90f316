/**
 * The expressions the alerts of one rollout are made of, built from recorded series. Every
 * canary/stable comparison uses `on()`: each side is exactly one series of this rollout, and the
 * result keeps the canary's labels (NOTES.md: `on()` keeps the left side's labels).
 */
import type { RecordedKind } from '../conventions.js';
import { binary, call, num, ON_NOTHING, sum, type Expr } from './ast.js';
import { recorded, type IstioTarget } from './istio.js';
import type { BurnPair } from './windows.js';

/**
 * `numerator / requests` per version over `windowMs`, with a version that had requests but no
 * matching numerator series counting as 0 (Istio creates a 5xx series only at the first 5xx),
 * and a version without requests dropped instead of producing NaN.
 */
export function ratioExpr(t: IstioTarget, numerator: 'errors' | Expr, windowMs: number): Expr {
  const requests = recorded(t, 'requests', windowMs);
  const top = numerator === 'errors' ? recorded(t, 'errors', windowMs) : numerator;
  // on(version): a raw numerator (`sum by (version)`) lacks the rollout labels a recorded one
  // has; matching on the version alone makes both kinds line up (one-to-one keeps only it).
  const byVersion = { on: [t.versionLabel] };
  return binary('/', binary('or', top, binary('*', requests, num(0)), { matching: byVersion }), binary('>', requests, num(0)), { matching: byVersion });
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
 * Canary `kind` above `max` and above `vsStable × stable + floor` on `windowMs`, with the
 * minimum sample. Without a stable series (stable gets no traffic) the relative bound is just
 * the floor, so the absolute limit decides.
 */
export function thresholdVsStableExpr(
  t: IstioTarget,
  kind: RecordedKind,
  windowMs: number,
  max: number,
  vsStable: number,
  floor: number,
  minRequests: number,
): Expr {
  const canary = recorded(t, kind, windowMs, 'canary');
  const stable = recorded(t, kind, windowMs, 'stable');
  const relative = binary('or', binary('+', binary('*', num(vsStable), stable), num(floor)), call('vector', num(floor)), { matching: ON_NOTHING });
  const above = binary('>', binary('>', canary, num(max)), relative, { matching: ON_NOTHING });
  return withSample(t, above, windowMs, minRequests);
}

/** Canary 5xx ratio above `factor × budget` on both windows of `pair`, with the minimum sample in the long one. */
export function burnRateExpr(t: IstioTarget, pair: BurnPair, budget: number, minRequests: number): Expr {
  const threshold = num(pair.factor * budget);
  const short = binary('>', recorded(t, 'error_ratio', pair.shortMs, 'canary'), threshold);
  const long = binary('>', recorded(t, 'error_ratio', pair.longMs, 'canary'), threshold);
  return withSample(t, binary('and', short, long, { matching: ON_NOTHING }), pair.longMs, minRequests);
}

/** Canary requests in the window below `minRequests`; no canary series at all counts as 0. */
export function canaryRequestsBelowExpr(t: IstioTarget, windowMs: number, minRequests: number): Expr {
  const count = binary('or', sum(recorded(t, 'requests', windowMs, 'canary')), call('vector', num(0)));
  return binary('<', binary('*', count, num(windowMs / 1000)), num(minRequests));
}
