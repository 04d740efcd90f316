/**
 * Flagger's canary analysis, as its source defines it (github:fluxcd/flagger @15bd6ad5):
 * - pkg/metrics/observers/istio.go `istioQueries`: the built-in `request-success-rate` and
 *   `request-duration` PromQL, rate window `{{ interval }}` = the metric's interval;
 * - pkg/metrics/providers/prometheus.go `RunQuery`: no sample or NaN is `ErrNoValuesFound`;
 * - pkg/controller/scheduler_metrics.go: any error (no values included) or a value outside
 *   `thresholdRange` fails the check ("Halt advancement");
 * - pkg/controller/scheduler.go: each analysis tick first rolls back when
 *   `FailedChecks >= threshold`, else runs the checks and adds one to FailedChecks when they fail.
 *   Failed checks accumulate over the analysis (not reset by a passing check), and the rollback
 *   happens at the tick *after* the threshold-th failure.
 */

export interface FlaggerSetting {
  /** `analysis.interval` and the metrics' `interval` (the rate window), seconds. */
  readonly intervalSeconds: number;
  /** `analysis.threshold`: failed checks before rollback (Flagger's default 1 when unset). */
  readonly threshold: number;
}

const promDuration = (seconds: number) => (seconds % 60 === 0 ? `${seconds / 60}m` : `${seconds}s`);

/**
 * The built-in Istio queries with Flagger's placeholders filled in. `by` adds a grouping so one
 * range query evaluates many simulated canaries at once: with `destination_workload=~"<target>"`
 * selecting one workload, each group equals Flagger's ungrouped value for that target.
 */
export function flaggerQueries(namespace: string, target: string, intervalSeconds: number, by = '') {
  const w = promDuration(intervalSeconds);
  const sel = `reporter="destination", destination_workload_namespace="${namespace}", destination_workload=~"${target}"`;
  const group = by ? ` by (${by})` : '';
  return {
    successRate:
      `sum${group} (rate(istio_requests_total{${sel}, response_code!~"5.*"}[${w}])) / ` +
      `sum${group} (rate(istio_requests_total{${sel}}[${w}])) * 100`,
    durationP99Ms: `histogram_quantile(0.99, sum${by ? ` by (le, ${by})` : ' by (le)'} (rate(istio_request_duration_milliseconds_bucket{${sel}}[${w}])))`,
  };
}

/** One check: both metrics have a value (not NaN, not missing) inside their threshold ranges. */
export function flaggerCheckPasses(
  successRatePercent: number | undefined,
  p99Ms: number | undefined,
  minSuccessPercent: number,
  maxP99Ms: number,
): boolean {
  const has = (v: number | undefined): v is number => v !== undefined && !Number.isNaN(v);
  return has(successRatePercent) && successRatePercent >= minSuccessPercent && has(p99Ms) && p99Ms <= maxP99Ms;
}

/**
 * Index of the tick at which Flagger rolls back, given the outcome of the checks at each tick
 * (true = passed); undefined when it never does within the ticks.
 */
export function flaggerRollbackTick(passes: readonly boolean[], threshold: number): number | undefined {
  const limit = Math.max(1, threshold);
  let failed = 0;
  for (let i = 0; i < passes.length; i++) {
    if (failed >= limit) return i;
    if (!passes[i]) failed++;
  }
  return undefined;
}
