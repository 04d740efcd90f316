/**
 * Timing policy of the generated alerts: which rate windows exist, how long a condition must
 * hold (`for`), and therefore how long a real regression takes to fire. Kept apart from the
 * rules so `plan` (detectability) and the rules read the same numbers.
 *
 * Two jobs, two windows. A rollback must be *significant* (enough canary requests say the
 * canary is worse) and *sustained* (not a blip of up to BLIP_MAX). One window cannot do both
 * quickly: a ratio over a window W stays elevated for about W + b after a blip of length b, so a
 * single-window alert must wait `for = W + BLIP_MAX + slack` (the sustained backstop below).
 * Instead the fast alerts split the jobs:
 * - the decision window W (sample-size driven, detectability.ts) carries significance: canary
 *   above both limits on W, with the minimum sample in W;
 * - a short window S carries persistence: the canary is above the limit on S at *every*
 *   evaluation for `for = S + BLIP_MAX` (persistenceForMs).
 *
 * Why `S + BLIP_MAX` is blip-proof: the ratio over S is above the limit at time t only if a whole
 * scrape increment of bad requests lies in [t − S, t]. A blip whose bad requests span b seconds
 * touches at most b/c + 1 increments of a scrape interval c (two partial ones at its ends), so
 * the instants at which the S-ratio can be elevated span at most b + S − c. `for` fires only
 * when the condition held at evaluations at least `for` apart, so `for = S + BLIP_MAX` never
 * fires on a blip of b <= BLIP_MAX; the margin is one scrape interval (and a ratio, unlike a
 * rate, is untouched by `rate()` extrapolation at the window edges, so no other slack is
 * needed). A real regression sets the S-ratio as soon as one increment is in, so it fires after
 * about one scrape + S + BLIP_MAX + one evaluation instead of W + W + BLIP_MAX + slack.
 *
 * S is at least two scrape intervals (SCRAPE_INTERVAL_MAX_MS, so `rate()` always has three
 * samples) and long enough to be expected to hold SHORT_WINDOW_LIMIT_EVENTS events at the limit
 * (detectability.ts): a thin short window would drop below the limit by chance during a real
 * regression and restart `for`. A dip of traffic still restarts it; that is the safe direction,
 * and the sustained backstop on W then decides, no later than the single-window design did.
 *
 * Time compression (`metrics.timeScale`, the demo): every window and `for` is divided by the
 * scale, so a 5m window becomes 5s at 60. Ratios between windows (and so the blip rule) are
 * kept; results are whole seconds, and ranges never drop below MIN_SCALED_WINDOW_MS so `rate()`
 * always sees a few scrapes. At scale 1 every number is exactly the unscaled one.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Longest error/latency blip that must never fire a rollback. */
export const BLIP_MAX_MS = MINUTE;
/** Margin of the sustained (single-window) backstop, for scrape offset and `rate()` extrapolation. */
export const FOR_SLACK_MS = 2 * MINUTE;
/**
 * Scrape interval the windows are sized for when the intent does not say (`metrics.scrapeInterval`):
 * Istio's own Prometheus scrapes every 15 s, most setups at 15–30 s. Every recorded window holds
 * at least two scrapes, so `rate()` always has two samples: a 1m window would be empty at
 * Prometheus' own default of 1m. At `timeScale` > 1 the default shrinks with the clock.
 */
export const SCRAPE_INTERVAL_MAX_MS = 30 * 1000;
export const DEFAULT_SCRAPE_INTERVAL_MS = SCRAPE_INTERVAL_MAX_MS;
/** Longest scrape interval an intent may name: the shortest burn-rate window (5m) must hold two. */
export const SCRAPE_INTERVAL_LIMIT_MS = 2 * MINUTE;
/** A window must hold this many scrape intervals. */
export const SCRAPES_PER_WINDOW = 2;

/** The scrape interval the rules are sized for (real time). */
export function scrapeIntervalMs(metrics: { readonly scrapeIntervalMs?: number; readonly timeScale: number }): number {
  return metrics.scrapeIntervalMs ?? Math.max(1000, Math.round(DEFAULT_SCRAPE_INTERVAL_MS / metrics.timeScale));
}

/**
 * Why `scrapeMs` is too long for the (scaled) burn-rate windows, or undefined: the decision
 * and short windows are picked among those long enough, but the burn pairs are fixed.
 */
export function scrapeIntervalProblem(scrapeMs: number, timeScale: number): string | undefined {
  const shortest = Math.min(...BURN_WINDOWS_MS.map((w) => scaleMs(w, timeScale)));
  if (shortest >= SCRAPES_PER_WINDOW * scrapeMs) return undefined;
  return `a scrape every ${scrapeMs / 1000}s leaves fewer than two samples in the ${windowLabel(shortest)} burn-rate window${timeScale > 1 ? ` (5m at timeScale ${timeScale})` : ''}; scrape more often or lower metrics.timeScale`;
}
/** Rule evaluation interval the predictions assume (Prometheus default 1m). */
export const EVALUATION_INTERVAL_MS = MINUTE;

/** Windows the burn-rate pairs need; always recorded. */
export const BURN_WINDOWS_MS: readonly number[] = [5 * MINUTE, 30 * MINUTE, HOUR, 6 * HOUR];
/**
 * Candidate decision windows of the threshold alerts (the chosen one is recorded too). The
 * short ones serve busy canaries: the window is picked by sample size, and a canary that gathers
 * twice the minimum sample in a minute has no reason to be judged over five.
 */
export const DECISION_WINDOWS_MS: readonly number[] = [
  MINUTE,
  2 * MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  6 * HOUR,
];
/** Candidate short (persistence) windows: from two scrape intervals up; never longer than W. */
export const SHORT_WINDOWS_MS: readonly number[] = DECISION_WINDOWS_MS.filter(
  (w) => w >= SCRAPES_PER_WINDOW * SCRAPE_INTERVAL_MAX_MS,
);

/**
 * `candidates` compressed by `timeScale`, keeping those that hold two scrapes of `scrapeMs`
 * (the longest always stays, so there is a window; the intent check refuses a scrape interval
 * that would empty it).
 */
export function usableWindowsMs(candidates: readonly number[], timeScale: number, scrapeMs: number): number[] {
  const scaled = candidates.map((w) => scaleMs(w, timeScale));
  const usable = scaled.filter((w) => w >= SCRAPES_PER_WINDOW * scrapeMs);
  return usable.length > 0 ? usable : [scaled[scaled.length - 1]!];
}
/**
 * A short window must be expected to hold this many "bad" events (5xx, or requests slower than
 * the p99) when the canary sits exactly at the limit: a regression at twice the limit then shows
 * above it on S at 95–97 % of evaluations (Poisson), so `for` rarely restarts by chance.
 */
export const SHORT_WINDOW_LIMIT_EVENTS = 4;

/**
 * Shortest range a compressed window may have: two scrapes at the demo's 1 s interval, doubled,
 * so `rate()` never runs on fewer than about four samples.
 */
export const MIN_SCALED_WINDOW_MS = 4_000;

/**
 * `ms` compressed by `timeScale`: unchanged at 1; otherwise rounded to whole seconds (PromQL
 * ranges and `for` must be whole durations, and recorded series are named after them) and at
 * least `minMs`.
 */
export function scaleMs(ms: number, timeScale: number, minMs = MIN_SCALED_WINDOW_MS): number {
  if (!(Number.isInteger(timeScale) && timeScale >= 1))
    throw new Error(`timeScale must be a whole number ≥ 1 (got ${timeScale})`);
  if (timeScale === 1) return ms;
  return Math.max(minMs, Math.round(ms / timeScale / 1000) * 1000);
}

/**
 * Windows recorded for a rollout whose (already scaled) decision and short windows are
 * `decisionMs` and `shortMs`: the burn-rate windows every rollout has first (so the first
 * recorded series of any rollout is the same, which the gate probes), then those that depend
 * on its traffic (short, decision and, when W is shorter, the recurring-errors window), shortest first.
 */
export function recordedWindowsMs(decisionMs: number, shortMs: number = decisionMs, timeScale = 1): number[] {
  const burn = [...new Set(BURN_WINDOWS_MS.map((w) => scaleMs(w, timeScale)))].sort((a, b) => a - b);
  const train = trainWindowMs(decisionMs, timeScale);
  const own = [...new Set([shortMs, decisionMs, ...(train === undefined ? [] : [train])])]
    .filter((w) => !burn.includes(w))
    .sort((a, b) => a - b);
  return [...burn, ...own];
}

/**
 * Interval of the recording group (docs/design.md §7): the predictions already assume the 1m
 * default (EVALUATION_INTERVAL_MS), and the derived windows below count its samples, so the group
 * states it instead of inheriting whatever the Prometheus' global `evaluation_interval` is.
 */
export function recordingIntervalMs(timeScale = 1): number {
  return scaleMs(EVALUATION_INTERVAL_MS, timeScale, 1000);
}

/** The raw window the long burn-rate windows are derived from: the fast pair's short window (5m). */
export function baseWindowMs(timeScale = 1): number {
  return scaleMs(BURN_WINDOWS_MS[0]!, timeScale);
}

/**
 * Recorded windows whose rates are derived from the recorded base window instead of re-reading
 * the raw Istio series (docs/design.md §7, rule cost): the burn-rate windows longer than the base
 * (30m, 1h, 6h) that are not also the rollout's short, decision or recurring-errors window (those
 * carry significance and persistence, and their request and 5xx rates stay exact raw rates; the
 * decision window's p99 is read from the short window's recorded bucket rates when W is longer
 * than S, which lags a raw histogram for about one S after a step: docs/design.md §7). The prometheus-rule-cost audit
 * measured the raw 30m/1h/6h rates at 37 % of all rule time at 500 and 1,000 rollouts: each
 * re-read 16 raw series of ~36 labels (720 samples each over 6h) where the derived one reads one
 * recorded series per version.
 */
export function derivedWindowsMs(decisionMs: number, shortMs: number = decisionMs, timeScale = 1): number[] {
  const base = baseWindowMs(timeScale);
  const train = trainWindowMs(decisionMs, timeScale);
  const exact = new Set([shortMs, decisionMs, ...(train === undefined ? [] : [train])]);
  return recordedWindowsMs(decisionMs, shortMs, timeScale).filter(
    (w) => w > base && !exact.has(w) && BURN_WINDOWS_MS.some((b) => scaleMs(b, timeScale) === w),
  );
}

/**
 * Derived windows only the slow burn-rate pair (30m/6h, a warning) reads, which go into the slow
 * group (docs/design.md §7, rule cost): evaluated every slowRecordingIntervalMs instead of every
 * minute. The fast pair's 1h stays in the rules group (a critical alert, `for` 2m).
 */
export function slowWindowsMs(decisionMs: number, shortMs: number = decisionMs, timeScale = 1): number[] {
  const slow = BURN_PAIRS.filter((p) => p.name === 'slow').flatMap((p) => [p.shortMs, p.longMs]);
  const fast = new Set(
    BURN_PAIRS.filter((p) => p.name === 'fast').flatMap((p) => [
      scaleMs(p.shortMs, timeScale),
      scaleMs(p.longMs, timeScale),
    ]),
  );
  return derivedWindowsMs(decisionMs, shortMs, timeScale).filter(
    (w) => !fast.has(w) && slow.some((b) => scaleMs(b, timeScale) === w),
  );
}

/**
 * Interval of the slow group: 2m (scaled). An alert reads the slow group's latest sample through
 * the instant-vector lookback (Prometheus' default `--query.lookback-delta` 5m, which timeScale
 * does not shrink), so two intervals must fit in it: one missed evaluation still leaves a sample.
 * The cost: the slow burn-rate alert sees its windows up to 2m late (its `for` is 15m).
 */
export const SLOW_RECORDING_INTERVAL_MS = 2 * MINUTE;
export function slowRecordingIntervalMs(timeScale = 1): number {
  return scaleMs(SLOW_RECORDING_INTERVAL_MS, timeScale, 1000);
}

/**
 * Shortest window the recurring-errors alert counts failures over, at every weight (docs/design.md,
 * Alert design: trains of short blips). The decision window shrinks with traffic (1m at a busy
 * 25 % stage), so without this a train of blips rolled back a 1 % canary (5m window) but not a
 * 25 % one: failures are counted over at least this long, whatever the weight. A lone blip of
 * BLIP_MAX keeps it elevated for T + BLIP_MAX − one scrape, under its `for` (blipProofForMs(T)).
 */
export const TRAIN_WINDOW_MS = 10 * MINUTE;

/** Window of the recurring-errors alert: TRAIN_WINDOW_MS (scaled), or undefined when W is at least that long. */
export function trainWindowMs(decisionMs: number, timeScale = 1): number | undefined {
  const train = scaleMs(TRAIN_WINDOW_MS, timeScale);
  return decisionMs < train ? train : undefined;
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

/** `pair` with its windows and base `for` compressed by `timeScale`. */
export function scaleBurnPair(pair: BurnPair, timeScale: number): BurnPair {
  if (timeScale === 1) return pair;
  return {
    ...pair,
    shortMs: scaleMs(pair.shortMs, timeScale),
    longMs: scaleMs(pair.longMs, timeScale),
    baseForMs: scaleMs(pair.baseForMs, timeScale),
  };
}

/** The burn-rate pairs at `timeScale`. */
export function burnPairs(timeScale = 1): BurnPair[] {
  return BURN_PAIRS.map((p) => scaleBurnPair(p, timeScale));
}

/** `for` of a single-window alert that outlasts a blip in a (scaled) window of `windowMs`: the sustained backstop. */
export function blipProofForMs(windowMs: number, timeScale = 1): number {
  // The blip and the slack shrink with the clock, but stay at least a second each.
  return windowMs + scaleMs(BLIP_MAX_MS, timeScale, 1000) + scaleMs(FOR_SLACK_MS, timeScale, 1000);
}

/** `for` of the hold alert on too little traffic. */
export function tooFewRequestsForMs(timeScale = 1): number {
  return scaleMs(2 * MINUTE, timeScale);
}

/**
 * `for` of a burn-rate pair with error budget `budget`. A 100 % blip of BLIP_MAX adds
 * BLIP_MAX / long to the long window's ratio; when `factor × budget` clears twice that plus the
 * budget itself (the baseline is below the budget), the blip cannot fire and the standard short
 * `for` is enough. Otherwise the pair falls back to the blip-proof `for` of its short window.
 */
export function burnForMs(pair: BurnPair, budget: number, timeScale = 1): number {
  // `pair` is already scaled (see burnPairs); the blip shrinks with it, so the share is the same.
  const blipShare = scaleMs(BLIP_MAX_MS, timeScale, 1000) / pair.longMs;
  return pair.factor * budget > 2 * blipShare + budget ? pair.baseForMs : blipProofForMs(pair.shortMs, timeScale);
}

/**
 * `for` of the fast threshold alerts whose persistence condition is on the (scaled) short
 * window `shortMs`: S + BLIP_MAX (see the header for why no slack is needed).
 */
export function persistenceForMs(shortMs: number, timeScale = 1): number {
  return shortMs + scaleMs(BLIP_MAX_MS, timeScale, 1000);
}

/**
 * Time from the start of a regression at twice the limit until the fast threshold alert on the
 * decision window `windowMs` and short window `shortMs` fires: both windows must show it (at
 * twice the limit the decision window needs at most half of itself filled, the short window is
 * taken whole), then it must persist for `for`, and the firing is seen at the next evaluation
 * (the demo evaluates every second at scale 60). A bigger regression needs less filling; one
 * just above the limit may wait for the sustained backstop instead.
 */
export function thresholdDetectionMs(windowMs: number, shortMs: number, timeScale = 1): number {
  return (
    Math.max(Math.ceil(windowMs / 2 / 1000) * 1000, shortMs) +
    persistenceForMs(shortMs, timeScale) +
    scaleMs(EVALUATION_INTERVAL_MS, timeScale, 1000)
  );
}

/** Time from the start of a regression at the limit until the sustained backstop on `windowMs` fires. */
export function sustainedDetectionMs(windowMs: number, timeScale = 1): number {
  // The window must fill with the regression, then the condition must hold for `for`.
  return windowMs + blipProofForMs(windowMs, timeScale) + scaleMs(EVALUATION_INTERVAL_MS, timeScale, 1000);
}

/** Prometheus duration label for a window ("5m", "1h", "6h", "5s"): part of recorded series names. */
export function windowLabel(ms: number): string {
  if (!Number.isInteger(ms) || ms <= 0) throw new Error(`a window must be a positive whole number of ms (got ${ms})`);
  if (ms % HOUR === 0) return `${ms / HOUR}h`;
  if (ms % MINUTE === 0) return `${ms / MINUTE}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  // "1.5s" would put a dot into a series name; whole milliseconds are a valid duration too.
  return `${ms}ms`;
}
