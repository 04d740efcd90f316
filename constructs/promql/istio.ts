/**
 * Istio standard metrics for one rollout: raw selectors (service + namespace + reporter +
 * version) and references to the series the rollout's recording rules write.
 */
import {
  ALERT_LABEL_NAMESPACE,
  ALERT_LABEL_ROLLOUT,
  METRIC_DURATION_BUCKET,
  METRIC_REQUESTS,
  recordedSeriesName,
  type RecordedKind,
} from '../conventions.js';
import { metricsService } from '../istio/hosts.js';
import {
  ISTIO_DURATION_BUCKETS_MS,
  responseFlagRegex,
  type MetricVersionLabel,
  type Reporter,
} from '../istio/telemetry.js';
import type { RolloutModel } from '../model.js';
import {
  anyOf,
  binary,
  call,
  eq,
  range,
  re,
  selector,
  sum,
  type Expr,
  type LabelMatcher,
  type Selector,
} from './ast.js';
import { windowLabel } from './windows.js';

export type Role = 'stable' | 'canary';

export interface IstioTarget {
  readonly rollout: string;
  readonly namespace: string;
  /** `destination_service_name`: the Service's short name (or a ServiceEntry host), istio/hosts.ts. */
  readonly service: string;
  /** `destination_service_namespace`: the Service's namespace. */
  readonly serviceNamespace: string;
  readonly reporter: Reporter;
  /** Istio label carrying the version: destination_version or destination_canonical_revision. */
  readonly versionLabel: MetricVersionLabel;
  readonly versions: { readonly stable: string; readonly canary: string };
  /** What counts as a failed request: 5xx only (http) or 5xx plus server-side gRPC statuses (grpc). */
  readonly protocol: 'http' | 'grpc';
}

export function istioTarget(model: RolloutModel): IstioTarget {
  const svc = metricsService(model.service.host, model.namespace, model.service.serviceEntry === true);
  return {
    rollout: model.name,
    namespace: model.namespace,
    service: svc.name,
    serviceNamespace: svc.namespace,
    reporter: model.metrics.reporter,
    versionLabel: model.metrics.versionLabel,
    versions: { stable: model.stable, canary: model.canary },
    protocol: model.metrics.protocol,
  };
}

/** Labels the recording rules add, so series of different rollouts never mix. */
export function rolloutLabels(t: IstioTarget): Record<string, string> {
  return { [ALERT_LABEL_ROLLOUT]: t.rollout, [ALERT_LABEL_NAMESPACE]: t.namespace };
}

function baseMatchers(t: IstioTarget): LabelMatcher[] {
  return [
    eq('reporter', t.reporter),
    eq('destination_service_name', t.service),
    eq('destination_service_namespace', t.serviceNamespace),
    re(t.versionLabel, anyOf([t.versions.stable, t.versions.canary])),
  ];
}

/** `istio_requests_total` of both versions, optionally narrowed (e.g. 5xx, response flag UO). */
export function requestsSelector(t: IstioTarget, extra: readonly LabelMatcher[] = []): Selector {
  return selector(METRIC_REQUESTS, [...baseMatchers(t), ...extra]);
}

export function durationBucketSelector(t: IstioTarget): Selector {
  return selector(METRIC_DURATION_BUCKET, baseMatchers(t));
}

/**
 * Istio's default bucket bounds (istio/telemetry.ts). The p99 limit is rounded up to one of these
 * (alert-rules.ts); a mesh with custom buckets (`sidecar.istio.io/statsHistogramBuckets`) still
 * gets a valid, only less tight, comparison.
 */
export { ISTIO_DURATION_BUCKETS_MS };

/** 5xx responses: what the error ratio counts. */
export const SERVER_ERRORS: LabelMatcher = re('response_code', '5..');
/**
 * gRPC statuses that mean the *server* failed, so a canary returning more of them is a
 * regression: 2 UNKNOWN (unhandled exception), 4 DEADLINE_EXCEEDED (too slow), 8
 * RESOURCE_EXHAUSTED (overloaded), 13 INTERNAL, 14 UNAVAILABLE, 15 DATA_LOSS. Statuses a client
 * causes (3 INVALID_ARGUMENT, 5 NOT_FOUND, 7 PERMISSION_DENIED, 16 UNAUTHENTICATED…) and 1
 * CANCELLED (the caller gave up) follow the callers' traffic, not the version, like HTTP 4xx.
 * Istio reports these calls as response_code 200 with the status in `grpc_response_status`.
 */
export const GRPC_SERVER_FAILURE_CODES: readonly string[] = ['2', '4', '8', '13', '14', '15'];
/** Non-5xx responses carrying a server-side gRPC failure status (disjoint from SERVER_ERRORS). */
export const GRPC_SERVER_FAILURES: readonly LabelMatcher[] = [
  { label: 'response_code', op: '!~', value: '5..' },
  re('grpc_response_status', GRPC_SERVER_FAILURE_CODES.join('|')),
];
/**
 * Envoy shed the request because a circuit-breaker limit overflowed (connection pool). Envoy
 * comma-joins several flags ("UO,URX"; istio/telemetry.ts), so an exact match would miss those.
 */
export const UPSTREAM_OVERFLOW: LabelMatcher = re('response_flags', responseFlagRegex('UO'));

/** A recorded series of this rollout, one version or both (`role` omitted), optionally narrowed by `extra`. */
export function recorded(
  t: IstioTarget,
  kind: RecordedKind,
  windowMs: number,
  role?: Role,
  extra: readonly LabelMatcher[] = [],
): Selector {
  const matchers = [eq(ALERT_LABEL_ROLLOUT, t.rollout), eq(ALERT_LABEL_NAMESPACE, t.namespace)];
  if (role) matchers.push(eq(t.versionLabel, t.versions[role]));
  return selector(recordedSeriesName(kind, windowLabel(windowMs)), [...matchers, ...extra]);
}

/**
 * Failed requests by `by`, from request series that `of` selects narrowed by the given matchers.
 * The one place that decides what an error is, shared by the recording rules, the dashboard and
 * the gate's evidence. For grpc the two kinds
 * of failure are disjoint series (their response_code differs), so `or` is their union whichever
 * side is empty, and the sum adds them: no `+` that would drop a version having only one kind.
 */
export function errorsFrom(
  t: IstioTarget,
  of: (matchers: readonly LabelMatcher[]) => Expr,
  by: readonly string[],
): Expr {
  const serverErrors = of([SERVER_ERRORS]);
  if (t.protocol === 'http') return sum(serverErrors, by);
  return sum(binary('or', serverErrors, of(GRPC_SERVER_FAILURES)), by);
}

/**
 * Failed requests of the rollout by `by` over the raw series: `rate` (per second) or `increase`
 * over `windowMs`, narrowed by `extra` (errorsFrom says what an error is).
 */
export function errorsExpr(
  t: IstioTarget,
  windowMs: number,
  by: readonly string[],
  opts: { fn?: 'rate' | 'increase'; extra?: readonly LabelMatcher[] } = {},
): Expr {
  const fn = opts.fn ?? 'rate';
  const extra = opts.extra ?? [];
  return errorsFrom(t, (matchers) => call(fn, range(requestsSelector(t, [...matchers, ...extra]), windowMs)), by);
}
