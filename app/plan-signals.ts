/**
 * The user-defined signals in `stagegate plan` (README "User-defined signals"): per signal its
 * limits, action, windows, and the time to fire on a step regression past its limits, which
 * follows from the windows alone (promql/windows.ts). A minimum sample and power cannot be
 * computed: those need the distribution of the metric, which stagegate does not know.
 */
import { formatDuration } from '../constructs/duration.js';
import type { RolloutModel } from '../constructs/model.js';
import { sustainedDetectionMs, thresholdDetectionMs } from '../constructs/promql/windows.js';
import { describeLimits, userSignalWindowsMs } from '../constructs/user-signals.js';

export interface SignalPlan {
  readonly signal: string;
  /** The live stage, whose windows these are. */
  readonly stage: string;
  readonly action: 'rollback' | 'hold';
  readonly limits: string;
  readonly windowMs: number;
  readonly shortWindowMs: number;
  readonly minSamples: number;
  /** A step so large the window is past the limit half filled: then the short window and the fast alert's `for` (an estimate). */
  readonly timeToDetectMs: number;
  /** Any step past the limits: the window fills, then the sustained backstop's `for` (a bound). */
  readonly timeToDetectAtLimitMs: number;
  readonly detectability: string;
}

/** The live stage's plan of each user signal. */
export function signalPlans(model: RolloutModel): SignalPlan[] {
  const scale = model.metrics.timeScale;
  return (model.signals ?? []).map((s) => {
    const { windowMs, shortMs } = userSignalWindowsMs(model, s);
    return {
      signal: s.name,
      stage: model.stage,
      action: s.action,
      limits: describeLimits(model, s),
      windowMs,
      shortWindowMs: shortMs,
      minSamples: s.minSamples,
      timeToDetectMs: thresholdDetectionMs(windowMs, shortMs, scale),
      timeToDetectAtLimitMs: sustainedDetectionMs(windowMs, scale),
      detectability: `cannot be computed for a user signal: the distribution of ${s.name} is unknown to stagegate, so it waits for ${s.minSamples} evaluations instead of a minimum sample`,
    };
  });
}

/** Lines for the human plan; none without signals. */
export function formatSignalPlans(plans: readonly SignalPlan[]): string[] {
  if (plans.length === 0) return [];
  return [
    '',
    `user signals (stage ${plans[0]!.stage}):`,
    ...plans.flatMap((p) => [
      `  ${p.signal}: ${p.action} when ${p.limits}; window ${formatDuration(p.windowMs)}, short ${formatDuration(p.shortWindowMs)}; ` +
        `fires ≈${formatDuration(p.timeToDetectMs)} after a large step (past the limit with the window half filled), ≤ ${formatDuration(p.timeToDetectAtLimitMs)} after any step past the limits`,
      `    detectability ${p.detectability}`,
    ]),
  ];
}
