/**
 * Argo Rollouts' AnalysisRun, as its source defines it (github:argoproj/argo-rollouts @9f8d111d):
 * - metricproviders/prometheus/prometheus.go `processResponse`: a vector becomes `result`, a list
 *   of its sample values (empty when the query selects nothing);
 * - utils/evaluate/evaluate.go `EvaluateResult`: with only a successCondition, a measurement fails
 *   when it is false; a condition that cannot be evaluated (`result[0]` of an empty list) is an
 *   Error measurement. NaN compares false, so 0/0 (a canary without requests) is a failure;
 * - analysis/analysis.go `assessMetricFailureInconclusiveOrError`: the metric is Failed when
 *   failed > failureLimit (default 0), Inconclusive when inconclusive > inconclusiveLimit
 *   (default 0), Error when consecutive errors > consecutiveErrorLimit (default 4,
 *   utils/defaults/defaults.go); a successful or failed measurement resets the error streak;
 *   `assessMetricStatus`: Successful once `count` measurements are taken without any of those.
 * - The first measurement is taken when the run starts, then one every `interval`.
 * A rollout aborts (rolls back) on a Failed or Error run and pauses on an Inconclusive one.
 */

export type ArgoMeasurement = 'Successful' | 'Failed' | 'Inconclusive' | 'Error';
export type ArgoPhase = 'Running' | 'Successful' | 'Failed' | 'Inconclusive' | 'Error';

export interface ArgoSetting {
  readonly intervalSeconds: number;
  /** Measurements before the run is Successful; undefined runs until the stage ends. */
  readonly count?: number;
  readonly failureLimit: number;
  readonly consecutiveErrorLimit?: number;
  readonly inconclusiveLimit?: number;
  /** The range of the query's irate (the docs' example uses [5m]). */
  readonly queryWindowSeconds: number;
}

export const ARGO_DEFAULT_CONSECUTIVE_ERROR_LIMIT = 4;

/** A `successCondition: result[0] <op> limit` measurement of a query's result list. */
export function argoMeasure(result: readonly number[], op: '>=' | '<=', limit: number): ArgoMeasurement {
  if (result.length === 0) return 'Error';
  const v = result[0]!;
  const ok = op === '>=' ? v >= limit : v <= limit;
  return ok ? 'Successful' : 'Failed';
}

/** Phase of one metric after each measurement; stops at the first completed phase. */
export function argoAssess(
  measurements: readonly ArgoMeasurement[],
  setting: Pick<ArgoSetting, 'count' | 'failureLimit' | 'consecutiveErrorLimit' | 'inconclusiveLimit'>,
): { readonly phase: ArgoPhase; readonly at?: number } {
  const errorLimit = setting.consecutiveErrorLimit ?? ARGO_DEFAULT_CONSECUTIVE_ERROR_LIMIT;
  let failed = 0;
  let inconclusive = 0;
  let consecutiveErrors = 0;
  for (let i = 0; i < measurements.length; i++) {
    const m = measurements[i]!;
    if (m === 'Failed') failed++;
    if (m === 'Inconclusive') inconclusive++;
    consecutiveErrors = m === 'Error' ? consecutiveErrors + 1 : 0;
    // Same order as assessMetricFailureInconclusiveOrError: a later check overrides an earlier one.
    let phase: ArgoPhase | undefined;
    if (setting.failureLimit >= 0 && failed > setting.failureLimit) phase = 'Failed';
    if (inconclusive > (setting.inconclusiveLimit ?? 0)) phase = 'Inconclusive';
    if (consecutiveErrors > errorLimit) phase = 'Error';
    if (phase) return { phase, at: i };
    if (setting.count !== undefined && i + 1 >= setting.count) return { phase: 'Successful', at: i };
  }
  return { phase: 'Running' };
}

/**
 * The run over several metrics: the first metric to complete as Failed or Error aborts the
 * rollout at that measurement; undefined when it never rolls back.
 */
export function argoRollbackIndex(
  perMetric: readonly (readonly ArgoMeasurement[])[],
  setting: ArgoSetting,
): number | undefined {
  let first: number | undefined;
  for (const ms of perMetric) {
    const r = argoAssess(ms, setting);
    if ((r.phase === 'Failed' || r.phase === 'Error') && (first === undefined || r.at! < first)) first = r.at;
  }
  return first;
}

/** The docs' Istio success-rate query (docs/analysis/prometheus.md), for the canary's version. */
export function argoQueries(namespace: string, version: string, windowSeconds: number, by: string) {
  const w = windowSeconds % 60 === 0 ? `${windowSeconds / 60}m` : `${windowSeconds}s`;
  const sel = `reporter="destination", destination_service_namespace="${namespace}", destination_version="${version}"`;
  return {
    successRatio:
      `sum by (${by}) (irate(istio_requests_total{${sel}, response_code!~"5.*"}[${w}])) / ` +
      `sum by (${by}) (irate(istio_requests_total{${sel}}[${w}]))`,
    p99Ms: `histogram_quantile(0.99, sum by (le, ${by}) (irate(istio_request_duration_milliseconds_bucket{${sel}}[${w}])))`,
  };
}
