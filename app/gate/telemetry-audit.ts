/**
 * Telemetry audit (issue #16): before a stage is judged, and in `check --prometheus URL`, confirm
 * that both versions emit the series the rules read, with the label values the rules select.
 * A canary without a sidecar, pods without the version label, or a renamed metric otherwise
 * look like "no data" or, worse, like a healthy version whose errors nobody counts.
 *
 * Every fact about what Istio writes comes from constructs/istio/telemetry.ts, and the series
 * are the rules' own selectors (constructs/promql/istio.ts) with the version matcher left out,
 * so the audit can see which version values the service's series actually carry. A finding is
 * a `hold` (docs/design.md §4: "`hold` → wait"), so a stage the rules cannot see never merges.
 */
import { liveStage, effectiveRouting, type RolloutModel } from '../../constructs/model.js';
import { decisionWindowMs } from '../../constructs/detectability.js';
import {
  LATEST,
  METRIC_VERSION_LABELS,
  UNKNOWN,
  podLabelsFilling,
  targetedVersions,
  type MetricVersionLabel,
} from '../../constructs/istio/telemetry.js';
import { aggregate, call, promDuration, range, render, type Selector } from '../../constructs/promql/ast.js';
import {
  durationBucketSelector,
  istioTarget,
  requestsSelector,
  type IstioTarget,
  type Role,
} from '../../constructs/promql/istio.js';
import type { PrometheusApi, Sample } from './prometheus-api.js';

export interface TelemetryFinding {
  /** The version whose telemetry is wrong, or both. */
  readonly role: Role | 'both';
  /** The metric the rules read that is missing or mislabelled. */
  readonly metric: string;
  /** What is wrong and the fix, for people. */
  readonly message: string;
}

/** Shortest window the audit looks back over: long enough for a few scrapes of a quiet version. */
export const MIN_AUDIT_WINDOW_MS = 5 * 60_000;

/** The rules' selector without its version matcher: every series of the service on the reporter. */
export function serviceWide(sel: Selector, t: IstioTarget): Selector {
  return { ...sel, matchers: sel.matchers.filter((m) => m.label !== t.versionLabel) };
}

/** `count by (destination_version, destination_canonical_revision) (count_over_time(sel[w]))` */
export function seriesByVersionQuery(sel: Selector, windowMs: number): string {
  return render(aggregate('count', call('count_over_time', range(sel, windowMs)), METRIC_VERSION_LABELS));
}

export interface AuditInput {
  readonly model: RolloutModel;
  readonly prometheus: Pick<PrometheusApi, 'query'>;
  readonly now: Date;
  /** @default the live stage's decision window, at least {@link MIN_AUDIT_WINDOW_MS} */
  readonly windowMs?: number;
}

/** Findings of the audit; empty when both versions' telemetry is what the rules read. */
export async function auditTelemetry(input: AuditInput): Promise<TelemetryFinding[]> {
  const { model, now } = input;
  const t = istioTarget(model);
  const windowMs = input.windowMs ?? Math.max(MIN_AUDIT_WINDOW_MS, decisionWindowMs(model, liveStage(model)));
  const requestsSel = serviceWide(requestsSelector(t), t);
  const bucketsSel = serviceWide(durationBucketSelector(t), t);
  const [requests, buckets] = await Promise.all([
    input.prometheus.query(seriesByVersionQuery(requestsSel, windowMs), now),
    input.prometheus.query(seriesByVersionQuery(bucketsSel, windowMs), now),
  ]);
  // A version that gets no traffic in this stage (aborted, weight 0 without a cohort route) is
  // not expected to emit anything.
  const routing = effectiveRouting(model);
  const roles: Role[] = routing.canaryWeight > 0 || routing.cohortRoute ? ['stable', 'canary'] : ['stable'];
  return auditSamples(model, { requests, buckets }, roles, windowMs);
}

/** The audit's decision from the two queries' results; pure, so each situation is a test row. */
export function auditSamples(
  model: RolloutModel,
  found: { readonly requests: readonly Sample[]; readonly buckets: readonly Sample[] },
  roles: readonly Role[],
  windowMs: number,
): TelemetryFinding[] {
  const t = istioTarget(model);
  const label = t.versionLabel;
  const where = `reporter="${t.reporter}", destination_service_name="${t.service}", destination_service_namespace="${t.serviceNamespace}"`;
  const within = `in the last ${promDuration(windowMs)}`;
  const requestsMetric = requestsSelector(t).metric;
  const bucketsMetric = durationBucketSelector(t).metric;
  if (found.requests.length === 0) {
    return [
      {
        role: roles.length === 1 ? roles[0]! : 'both',
        metric: requestsMetric,
        message: `no ${requestsMetric} series with ${where} ${within}: the service gets no mesh traffic, its pods run without an Istio sidecar, Prometheus does not scrape the sidecars, or the metric is renamed; the rules read exactly this selector`,
      },
    ];
  }
  const findings: TelemetryFinding[] = [];
  const has = (samples: readonly Sample[], l: MetricVersionLabel, value: string) =>
    samples.some((s) => (s.labels[l] ?? '') === value);
  const podLabels = podLabelsFilling(label, t.reporter, targetedVersions(model).min);
  const labelFix = (version: string) =>
    podLabels.length > 0
      ? `give the ${version} pods the label ${podLabels.map((l) => `"${l}: ${version}"`).join(' (or ')}${podLabels.length > 1 ? ')' : ''}, which Istio copies into ${label} on reporter ${t.reporter}`
      : `the ${t.reporter} reporter does not fill ${label} from a pod label; choose another metrics.reporter`;
  const unattributed = [...new Set(found.requests.map((s) => s.labels[label] ?? ''))].filter(
    (v) => v === '' || v === UNKNOWN || (v === LATEST && label === 'destination_canonical_revision'),
  );
  for (const role of roles) {
    const version = t.versions[role];
    if (has(found.requests, label, version)) {
      if (!has(found.buckets, label, version))
        findings.push({
          role,
          metric: bucketsMetric,
          message: `${role} ${version} has ${requestsMetric} but no ${bucketsMetric} ${within}: the latency rules read that histogram; it was renamed or disabled (Istio Telemetry API metric overrides, a custom stats config, or histograms dropped at scrape): restore it, or remove health.latencyP99Ms`,
        });
      continue;
    }
    const other = METRIC_VERSION_LABELS.find((l) => l !== label && has(found.requests, l, version));
    if (other) {
      findings.push({
        role,
        metric: requestsMetric,
        message: `${role} ${version}: its ${requestsMetric} series carry ${other}="${version}" but not ${label}="${version}", which the rules select; ${labelFix(version)}, or set metrics.versionLabel: ${other}`,
      });
    } else if (unattributed.length > 0) {
      const values = unattributed.map((v) => (v === '' ? `no ${label}` : `${label}="${v}"`)).join(', ');
      findings.push({
        role,
        metric: requestsMetric,
        message: `${role} ${version} has no ${requestsMetric} series with ${label}="${version}" ${within}, while series of the service carry ${values}: the ${role} pods lack the version label, or their requests got no response Istio could attribute; ${labelFix(version)}`,
      });
    } else {
      const others = roles.filter((r) => r !== role && has(found.requests, label, t.versions[r]));
      findings.push({
        role,
        metric: requestsMetric,
        message: `${role} ${version} emits no ${requestsMetric} with ${label}="${version}" ${within}${others.length > 0 ? `, while ${others.map((r) => `${r} ${t.versions[r]}`).join(', ')} does` : ''}: its pods likely run without an Istio sidecar (no istio-proxy container: label the namespace istio-injection=enabled or the pods sidecar.istio.io/inject: "true", then restart them), or no traffic reached it yet`,
      });
    }
  }
  return findings;
}
