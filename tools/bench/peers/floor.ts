/**
 * The corrected statistical floor: the fastest any detector could roll back a sustained
 * regression while never rolling back a lone blip (docs/design.md §7, "A lone blip of up to 60 s
 * (BLIP_MAX) never rolls back"), given how Prometheus sees the traffic.
 *
 * Three lower bounds, each one no detector reading these metrics can beat:
 * 1. Evidence. A one-sided test (α 0.05, power 0.8) needs
 *      n = (z₁₋α·√(L(1−L)) + z_power·√(p(1−p)))² / (p − L)²
 *    canary requests to tell the bad share p from the limit L; at the canary's rate r that is
 *    n / r seconds, and a counter only shows them at the next scrape: ⌈n / (r·S)⌉·S.
 *    (×2 errors at 10 rps: n ≈ 790 → 79 s → 90 s at S = 30 s.)
 * 2. The blip. A blip of B seconds of 100 % errors that does not start on a scrape touches
 *    ⌈B/S⌉ + 1 scrape intervals (B = 60 s, S = 30 s: three). Over those intervals a blip and a
 *    regression of any size look alike, so telling them apart needs the next interval too:
 *    (⌈B/S⌉ + 2)·S after onset = 120 s. (The old floor added B to n / r, but a blip is sat out
 *    while the evidence accrues, not after it; and it ignored the scrape grid.)
 * 3. Evaluation. Rules (and every peer's tick) decide only every E seconds: the decision is at the
 *    first evaluation at or after both bounds, ⌈max(1, 2) / E⌉·E (E = 60 s: 120 s).
 * The simulation starts regressions on the scrape and evaluation grid (minute 20), so no phase
 * term is added; with a random phase every detector pays on average another S/2 + E/2 alike.
 * Numbers here: S 30 s, E 60 s, B 60 s → 120 s for every regression at 10 % and 50 % weight of a
 * 100 rps service (the evidence bound is below 120 s in every case simulated).
 */
import { DEFAULT_ALPHA, DEFAULT_POWER, normalQuantile } from '../../../constructs/detectability.js';

export interface FloorInputs {
  /** The limit the bad share is judged against (a ratio). */
  readonly limit: number;
  /** The bad share during the regression. */
  readonly bad: number;
  /** Canary requests per second. */
  readonly rps: number;
  readonly scrapeSeconds: number;
  readonly evaluationSeconds: number;
  readonly blipSeconds: number;
}

/** Requests a one-sided test needs to tell `bad` from `limit` (bound 1). */
export function requestsNeeded(limit: number, bad: number): number {
  const zA = normalQuantile(1 - DEFAULT_ALPHA);
  const zB = normalQuantile(DEFAULT_POWER);
  return (zA * Math.sqrt(limit * (1 - limit)) + zB * Math.sqrt(bad * (1 - bad))) ** 2 / (bad - limit) ** 2;
}

export function floorSeconds(f: FloorInputs): number {
  const S = f.scrapeSeconds;
  const evidence = Math.ceil(requestsNeeded(f.limit, f.bad) / (f.rps * S)) * S;
  const blip = (Math.ceil(f.blipSeconds / S) + 2) * S;
  return Math.ceil(Math.max(evidence, blip) / f.evaluationSeconds) * f.evaluationSeconds;
}
