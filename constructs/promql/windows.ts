/**
 * Timing policy of the generated alerts: which rate windows exist, how long a condition must
 * hold (`for`), and therefore how long a real regression takes to fire. Kept apart from the
 * rules so `plan` (detectability) and the rules read the same numbers.
 *
 * The blip rule: a ratio over a window W stays elevated for about W + b after a blip of length
 * b (plus one scrape). An alert whose shortest window is W therefore waits
 * `for = W + BLIP_MAX + FOR_SLACK` unless the blip cannot reach its threshold at all (the
 * multi-window burn-rate pairs, whose long window dilutes a blip below the burn factor).
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Longest error/latency blip that must never fire a rollback. */
export const BLIP_MAX_MS = MINUTE;
/** Margin for scrape offset and `rate()` extrapolation at the window edges. */
export const FOR_SLACK_MS = 2 * MINUTE;
/** Rule evaluation interval the predictions assume (Prometheus default 1m). */
export const EVALUATION_INTERVAL_MS = MINUTE;

/** Windows the burn-rate pairs need; always recorded. */
export const BURN_WINDOWS_MS: readonly number[] = [5 * MINUTE, 30 * MINUTE, HOUR, 6 * HOUR];
/** Candidate decision windows of the threshold alerts (the chosen one is recorded too). */
export const DECISION_WINDOWS_MS: readonly number[] = [5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 6 * HOUR];

/** Windows recorded for a rollout whose decision window is `decisionMs`, shortest first. */
export function recordedWindowsMs(decisionMs: number): number[] {
  return [...new Set([...BURN_WINDOWS_MS, decisionMs])].sort((a, b) => a - b);
}

/** Decision window when traffic is unknown: weighted stages react fast, cohort stages wait longer. */
export const DEFAULT_WINDOW_MS = 5 * MINUTE;
export const DEFAULT_COHORT_WINDOW_MS = HOUR;

/**
 * The decision window must be expected to hold this many times the minimum sample: `for`
 * needs the condition on *every* evaluation, so a window holding just the minimum sample would
 * flicker below the threshold and restart `for` (seen in promtool runs at 1.5×).
 */
export const WINDOW_SAMPLE_MARGIN = 2;

export interface BurnPair {
  readonly name: 'fast' | 'slow';
  readonly shortMs: number;
  readonly longMs: number;
  /** Burn-rate factor: the alert fires at `factor × budget` (Google SRE workbook, 30-day budget). */
  readonly factor: number;
  readonly severity: 'critical' | 'warning';
  /** `for` when the long window already dilutes a blip below the threshold. */
  readonly baseForMs: number;
}

export const BURN_PAIRS: readonly BurnPair[] = [
  { name: 'fast', shortMs: 5 * MINUTE, longMs: HOUR, factor: 14.4, severity: 'critical', baseForMs: 2 * MINUTE },
  { name: 'slow', shortMs: 30 * MINUTE, longMs: 6 * HOUR, factor: 6, severity: 'warning', baseForMs: 15 * MINUTE },
];

/** `for` that outlasts a blip in a window of `windowMs`. */
export function blipProofForMs(windowMs: number): number {
  return windowMs + BLIP_MAX_MS + FOR_SLACK_MS;
}

/**
 * `for` of a burn-rate pair with error budget `budget`. A 100 % blip of BLIP_MAX adds
 * BLIP_MAX / long to the long window's ratio; when `factor × budget` clears twice that plus the
 * budget itself (the baseline is below the budget), the blip cannot fire and the standard short
 * `for` is enough. Otherwise the pair falls back to the blip-proof `for` of its short window.
 */
export function burnForMs(pair: BurnPair, budget: number): number {
  const blipShare = BLIP_MAX_MS / pair.longMs;
  return pair.factor * budget > 2 * blipShare + budget ? pair.baseForMs : blipProofForMs(pair.shortMs);
}

/** Time from the start of a regression at the limit until the threshold alert on `windowMs` fires. */
export function thresholdDetectionMs(windowMs: number): number {
  // The window must fill with the regression, then the condition must hold for `for`, and the
  // firing is only seen at the next evaluation.
  return windowMs + blipProofForMs(windowMs) + EVALUATION_INTERVAL_MS;
}

/** Prometheus duration label for a window ("5m", "1h", "6h"): part of recorded series names. */
export function windowLabel(ms: number): string {
  if (ms % HOUR === 0) return `${ms / HOUR}h`;
  if (ms % MINUTE === 0) return `${ms / MINUTE}m`;
  return `${ms / 1000}s`;
}
