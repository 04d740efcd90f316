/**
 * How much canary traffic a verdict needs, and how long each stage takes to gather it.
 *
 * Minimum sample: a one-sided two-proportion test (the alert only cares about the canary being
 * *worse*) of the stable error ratio p0 (`traffic.baselineErrorRatio`) against the smallest
 * ratio the alerts call a regression, p1 = max(errorRatio.max, maxVsStable × p0 + floor), at
 * α = 0.05 and power 0.8. Groups are unequal: stable sees k = (100 − w) / w requests per canary
 * request, so n_canary = [z_α √(p̄q̄(1 + 1/k)) + z_β √(p1q1 + p0q0/k)]² / (p1 − p0)² with
 * p̄ = (p1 + k·p0) / (1 + k) (Fleiss). It depends on the model only; rps only sets the time.
 *
 * Cohort stages (weight 0, header-routed cohort) and weight 100 have no meaningful weight
 * ratio: they are treated as k → ∞, a one-sample test against the known baseline (stable's
 * history is large compared to the cohort's). The cohort's request rate is not in the intent,
 * so their time to detect is reported as unknown.
 */
import { liveStage, type RolloutModel, type StageModel } from './model.js';
import {
  DEFAULT_COHORT_WINDOW_MS,
  DEFAULT_WINDOW_MS,
  DECISION_WINDOWS_MS,
  SHORT_WINDOW_LIMIT_EVENTS,
  SHORT_WINDOWS_MS,
  WINDOW_SAMPLE_MARGIN,
  scaleMs,
  scrapeIntervalMs,
  usableWindowsMs,
  thresholdDetectionMs,
  windowLabel,
} from './promql/windows.js';

/** Absolute floor of the relative error test: canary must exceed maxVsStable × stable by 0.1 pp. */
export const ERROR_RATIO_FLOOR = 0.001;
/** Absolute floor of the relative p99 test, in ms. */
export const LATENCY_FLOOR_MS = 5;

export const DEFAULT_ALPHA = 0.05;
export const DEFAULT_POWER = 0.8;

export interface TestParameters {
  /** One-sided significance level. @default 0.05 */
  readonly alpha?: number;
  /** Probability of detecting a canary at p1. @default 0.8 */
  readonly power?: number;
}

/** Inverse of the standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`normal quantile needs 0 < p < 1 (got ${p})`);
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239,
  ];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  const poly = (coef: number[], x: number) => coef.reduce((acc, k) => acc * x + k, 0);
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return poly(c, q) / (poly(d, q) * q + 1);
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (poly(a, r) * q) / (poly(b, r) * r + 1);
}

/**
 * Canary requests needed to tell p0 from p1 (p1 > p0) when the control group has `k` times as
 * many requests (`Infinity`: the control ratio is known exactly).
 */
export function sampleSizeTwoProportions(p0: number, p1: number, k: number, params: TestParameters = {}): number {
  if (!(p0 >= 0 && p1 > p0 && p1 < 1)) {
    throw new Error(
      `cannot size a test of p0=${p0} against p1=${p1}: need 0 <= p0 < p1 < 1; lower traffic.baselineErrorRatio or raise health.errorRatio.max`,
    );
  }
  if (!(k > 0)) throw new Error(`group ratio k must be positive (got ${k})`);
  const zA = normalQuantile(1 - (params.alpha ?? DEFAULT_ALPHA));
  const zB = normalQuantile(params.power ?? DEFAULT_POWER);
  const q0 = 1 - p0;
  const q1 = 1 - p1;
  const inv = Number.isFinite(k) ? 1 / k : 0;
  const pBar = Number.isFinite(k) ? (p1 + k * p0) / (1 + k) : p0;
  const root = zA * Math.sqrt(pBar * (1 - pBar) * (1 + inv)) + zB * Math.sqrt(p1 * q1 + p0 * q0 * inv);
  return Math.ceil((root * root) / ((p1 - p0) * (p1 - p0)));
}

/** Smallest canary error ratio the alerts treat as a regression when stable runs at `p0`. */
export function errorRatioLimit(model: RolloutModel, p0 = model.traffic.baselineErrorRatio): number {
  const { max, maxVsStable } = model.health.errorRatio;
  return Math.max(max, maxVsStable * p0 + ERROR_RATIO_FLOOR);
}

/** Stable requests per canary request in `stage`; Infinity for cohort-only and 100 % stages. */
export function groupRatio(stage: StageModel): number {
  // A shadow stage compares each mirrored request with stable's (istio/shadow.ts).
  if (stage.mirror !== undefined) return 100 / stage.mirror;
  return stage.weight > 0 && stage.weight < 100 ? (100 - stage.weight) / stage.weight : Infinity;
}

/** Minimum canary requests for a verdict in `stage`; an integer `health.minRequests` wins. */
export function minCanaryRequestsForStage(model: RolloutModel, stage: StageModel, params: TestParameters = {}): number {
  // A shadow stage has its own minimum sample (spec.shadow.minRequests), else the analysis.
  const own = stage.mirror !== undefined ? model.shadow?.minRequests : undefined;
  if (typeof own === 'number') return own;
  if (own === undefined && typeof model.health.minRequests === 'number') return model.health.minRequests;
  const p0 = model.traffic.baselineErrorRatio;
  return sampleSizeTwoProportions(p0, errorRatioLimit(model, p0), groupRatio(stage), params);
}

/** Minimum canary requests for a verdict in the live stage (what `minRequests: auto` means). */
export function minCanaryRequests(model: RolloutModel): number {
  return minCanaryRequestsForStage(model, liveStage(model));
}

/** Canary requests per second in `stage` at service rate `rps`; undefined when unknowable (cohort). */
export function canaryRate(stage: StageModel, rps: number | undefined): number | undefined {
  // Mirrored copies of stable's share, which is all traffic in a shadow stage (weight 0).
  if (stage.mirror !== undefined) return rps === undefined ? undefined : (rps * stage.mirror) / 100;
  if (stage.weight > 0) return rps === undefined ? undefined : (rps * stage.weight) / 100;
  return stage.cohort ? undefined : 0;
}

/**
 * Window the stage's threshold alerts decide on: the shortest recorded window expected to hold
 * WINDOW_SAMPLE_MARGIN × the minimum sample; the longest when none does (then `hold` fires
 * until traffic grows); a default when the rate is unknown. Windows are compressed by
 * `metrics.timeScale` *before* the sample is counted: a 5s window at scale 60 holds 5 s of
 * traffic, not 5 minutes'.
 */
export function decisionWindowMs(
  model: RolloutModel,
  stage: StageModel,
  rps = model.traffic.requestsPerSecond,
): number {
  const scale = model.metrics.timeScale;
  const rate = canaryRate(stage, rps);
  if (rate === undefined || rate === 0)
    return scaleMs(stage.weight === 0 && stage.cohort ? DEFAULT_COHORT_WINDOW_MS : DEFAULT_WINDOW_MS, scale);
  const need = WINDOW_SAMPLE_MARGIN * minCanaryRequestsForStage(model, stage);
  const windows = usableWindowsMs(DECISION_WINDOWS_MS, scale, scrapeIntervalMs(model.metrics));
  return windows.find((w) => (rate * w) / 1000 >= need) ?? windows[windows.length - 1]!;
}

/**
 * Canary requests the short (persistence) window should hold: enough that a canary exactly at
 * the limit is expected to show SHORT_WINDOW_LIMIT_EVENTS bad events in it, for the error limit
 * and for the p99 (1 % of requests above it), whichever needs more.
 */
export function shortWindowRequests(model: RolloutModel): number {
  return Math.ceil(SHORT_WINDOW_LIMIT_EVENTS / Math.min(errorRatioLimit(model), 0.01));
}

/**
 * Window of the fast alerts' persistence condition (windows.ts): the shortest candidate expected
 * to hold shortWindowRequests, never longer than the decision window; the shortest candidate
 * when the rate is unknown (significance still rests on the decision window, and a thin short
 * window only delays the fast alert: the sustained backstop still fires).
 */
export function shortWindowMs(model: RolloutModel, stage: StageModel, rps = model.traffic.requestsPerSecond): number {
  const scale = model.metrics.timeScale;
  const decision = decisionWindowMs(model, stage, rps);
  const windows = usableWindowsMs(SHORT_WINDOWS_MS, scale, scrapeIntervalMs(model.metrics));
  const rate = canaryRate(stage, rps);
  if (rate === undefined || rate === 0) return Math.min(windows[0]!, decision);
  const need = shortWindowRequests(model);
  return Math.min(windows.find((w) => (rate * w) / 1000 >= need) ?? decision, decision);
}

export interface StagePlan {
  readonly stage: string;
  readonly weight: number;
  readonly cohort: boolean;
  /** Shadow stage: percent of stable's requests mirrored to canary. */
  readonly mirror?: number;
  readonly bakeMs?: number;
  readonly minRequests: number;
  /** Undefined when the canary's rate is unknown (no rps, or cohort traffic). */
  readonly canaryRequestsPerSecond?: number;
  /** Time to gather the minimum sample; Infinity when the canary gets no traffic. */
  readonly timeToMinSampleMs?: number;
  readonly windowMs: number;
  /** Short window of the fast alerts' persistence condition. */
  readonly shortWindowMs: number;
  /** Regression (at twice the limit) start → rollback alert firing; Infinity when the window can never hold the sample. */
  readonly timeToDetectMs?: number;
  /** Sum of the bakes up to and including this stage. */
  readonly totalMs: number;
  readonly warnings: readonly string[];
}

/** One row per stage: what `stagegate plan` prints. */
export function planStages(
  model: RolloutModel,
  opts: { requestsPerSecond?: number } & TestParameters = {},
): StagePlan[] {
  const rps = opts.requestsPerSecond ?? model.traffic.requestsPerSecond;
  let total = 0;
  return model.stages.map((stage) => {
    total += stage.bakeMs ?? 0;
    const minRequests = minCanaryRequestsForStage(model, stage, opts);
    const rate = canaryRate(stage, rps);
    const windowMs = decisionWindowMs(model, stage, rps);
    const shortMs = shortWindowMs(model, stage, rps);
    const warnings: string[] = [];
    let timeToMinSampleMs: number | undefined;
    let timeToDetectMs: number | undefined;
    if (rate !== undefined) {
      timeToMinSampleMs = rate > 0 ? Math.ceil((minRequests / rate) * 1000) : Infinity;
      const fits = (rate * windowMs) / 1000 >= minRequests;
      timeToDetectMs = fits ? thresholdDetectionMs(windowMs, shortMs, model.metrics.timeScale) : Infinity;
      if (!fits && rate > 0)
        warnings.push(
          `traffic too low: ${Math.floor((rate * windowMs) / 1000)} canary requests per ${windowLabel(windowMs)} window < ${minRequests}; raise the weight or set health.minRequests`,
        );
      if (stage.bakeMs !== undefined && timeToDetectMs > stage.bakeMs && rate > 0)
        warnings.push('bake is shorter than the time to detect');
    }
    return {
      stage: stage.name,
      weight: stage.weight,
      cohort: stage.cohort,
      ...(stage.mirror !== undefined ? { mirror: stage.mirror } : {}),
      ...(stage.bakeMs !== undefined ? { bakeMs: stage.bakeMs } : {}),
      minRequests,
      ...(rate !== undefined ? { canaryRequestsPerSecond: rate } : {}),
      ...(timeToMinSampleMs !== undefined ? { timeToMinSampleMs } : {}),
      windowMs,
      shortWindowMs: shortMs,
      ...(timeToDetectMs !== undefined ? { timeToDetectMs } : {}),
      totalMs: total,
      warnings,
    };
  });
}
