/**
 * Input series shaped exactly as Istio's proxy writes them, for the telemetry contract tests.
 * Written from Istio's source, apart from constructs/istio/telemetry.ts (so the rules are tested
 * against Istio's truth, not against the project's own reading of it). Sources:
 * - P: istio/proxy@release-1.30 source/extensions/filters/http/istio_stats/istio_stats.cc, label
 *   table l.1102–1245 (same structure on release-1.22 … release-1.28)
 * - M: istio/proxy extensions/common/metadata_object.cc: peer app/version from `version` only on
 *   release-1.28 (l.251–254); `app.kubernetes.io/version` first from release-1.29 (1.30 l.363–370);
 *   the endpoint fallback `convertEndpointMetadata` has no app/version (1.30 l.397–405)
 * - I: istio/istio@1.30.0 manifests/charts/istio-control/istio-discovery/files/injection-template.yaml
 *   l.38–39: canonical revision = the pod's canonical-revision label, else app.kubernetes.io/version,
 *   else version, else "latest"
 * - C: istio/istio@1.30.0 pilot/pkg/networking/core/cluster.go l.1000–1020: destination_service is
 *   the FQDN, destination_service_name the short name, destination_service_namespace the namespace
 * - E: envoyproxy/envoy source/common/stream_info/utility.cc ResponseFlagUtils::toShortString:
 *   "-" for none, several flags joined with ","
 * Prometheus drops a label whose value is empty, so an empty value is left out.
 */
import type { InputSeries } from '../../tools/promtool.js';

export interface Pod {
  readonly workload: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface Service {
  readonly name: string;
  readonly namespace: string;
}

/** I: what the injector writes as `service.istio.io/canonical-revision`. */
export function canonicalRevision(pod: Pod): string {
  const l = pod.labels;
  return l['service.istio.io/canonical-revision'] ?? l['app.kubernetes.io/version'] ?? l.version ?? 'latest';
}

/** M: the peer's app_version as metadata exchange carries it on Istio 1.`minor`. */
function peerAppVersion(pod: Pod, minor: number): string {
  return minor >= 29
    ? (pod.labels['app.kubernetes.io/version'] ?? pod.labels.version ?? '')
    : (pod.labels.version ?? '');
}

function service(svc: Service): Record<string, string> {
  // C: every request that reached the service's cluster.
  return {
    destination_service: `${svc.name}.${svc.namespace}.svc.cluster.local`,
    destination_service_name: svc.name,
    destination_service_namespace: svc.namespace,
  };
}

/** reporter=destination: the server's sidecar reads its *own* node labels (P l.1184–1200: ctx `version`). */
export function serverReported(pod: Pod, svc: Service): Record<string, string> {
  return dropEmpty({
    reporter: 'destination',
    source_workload: 'frontend',
    source_canonical_revision: 'latest',
    ...service(svc),
    destination_workload: pod.workload,
    destination_workload_namespace: pod.namespace,
    destination_app: pod.labels.app ?? '',
    destination_version: pod.labels.version ?? '', // empty, not "unknown", when the pod has no `version`
    destination_canonical_service: pod.labels.app ?? pod.workload,
    destination_canonical_revision: canonicalRevision(pod),
    connection_security_policy: 'mutual_tls',
  });
}

/**
 * reporter=source: the client's sidecar reads the *peer's* metadata (P l.1218–1245). `peer`
 * undefined: no pod answered through metadata exchange; `endpoint` is then the host Envoy had
 * picked (UF, UO, timeouts: the endpoint fallback, no app version), or none at all (UH: every
 * destination_* workload label "unknown", canonical revision "latest").
 */
export function clientReported(
  svc: Service,
  minor: number,
  who: { readonly peer?: Pod; readonly endpoint?: Pod },
): Record<string, string> {
  const { peer, endpoint } = who;
  const known = peer ?? endpoint;
  return dropEmpty({
    reporter: 'source',
    source_workload: 'frontend',
    source_canonical_revision: 'latest',
    ...service(svc),
    destination_workload: known?.workload ?? 'unknown',
    destination_workload_namespace: known?.namespace ?? 'unknown',
    destination_app: peer?.labels.app ?? 'unknown',
    destination_version: (peer && peerAppVersion(peer, minor)) || 'unknown',
    destination_canonical_service: known ? (known.labels.app ?? known.workload) : 'unknown',
    destination_canonical_revision: known ? canonicalRevision(known) : 'latest',
    connection_security_policy: 'unknown',
  });
}

/** reporter=waypoint (ambient): the upstream endpoint's metadata, app version "unknown" (P l.1129–1175). */
export function waypointReported(pod: Pod, svc: Service): Record<string, string> {
  return dropEmpty({
    reporter: 'waypoint',
    source_workload: 'frontend',
    ...service(svc),
    destination_workload: pod.workload,
    destination_workload_namespace: pod.namespace,
    destination_app: 'unknown',
    destination_version: 'unknown',
    destination_canonical_service: pod.labels.app ?? pod.workload,
    destination_canonical_revision: canonicalRevision(pod),
    connection_security_policy: 'mutual_tls',
  });
}

function dropEmpty(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).filter(([, v]) => v !== ''));
}

export function seriesName(metric: string, labels: Readonly<Record<string, string>>): string {
  return `${metric}{${Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(', ')}}`;
}

export interface CounterOptions {
  /** Scrapes (samples) in the test, the first at t = 0. */
  readonly steps: number;
  /** Requests added in the scrape interval ending at step `i` (i ≥ 1). */
  readonly perStep: (i: number) => number;
  /** The pod restarts just before this step: the counter starts again from 0 (a counter reset). */
  readonly resetAt?: number;
}

/**
 * One `istio_requests_total` series: the proxy creates it at its first request, so there is no
 * sample before that (`_`), and no zero sample either (the first sample already counts it).
 */
export function counter(labels: Readonly<Record<string, string>>, opts: CounterOptions): InputSeries | undefined {
  let total = 0;
  let exists = false;
  const values: string[] = [];
  for (let i = 0; i <= opts.steps; i += 1) {
    if (opts.resetAt !== undefined && i === opts.resetAt) total = 0;
    const n = i === 0 ? 0 : Math.round(opts.perStep(i));
    total += n;
    if (n > 0) exists = true;
    values.push(exists ? String(total) : '_');
  }
  if (!exists) return undefined;
  return { series: seriesName('istio_requests_total', labels), values: values.join(' ') };
}

export interface VersionTraffic {
  readonly labels: Readonly<Record<string, string>>;
  readonly rps: number;
  readonly errorRatio: (tS: number) => number;
  readonly stepS: number;
  readonly steps: number;
  /** Status of a failed request. @default "503" */
  readonly errorCode?: string;
  readonly resetAt?: number;
}

/** 200 and 5xx series of one version on one reporter (response_flags "-" for both, E). */
export function versionSeries(v: VersionTraffic): InputSeries[] {
  const per = v.rps * v.stepS;
  const out = [
    counter(
      { ...v.labels, response_code: '200', response_flags: '-' },
      { steps: v.steps, resetAt: v.resetAt, perStep: (i) => per * (1 - v.errorRatio(i * v.stepS)) },
    ),
    counter(
      { ...v.labels, response_code: v.errorCode ?? '503', response_flags: '-' },
      { steps: v.steps, resetAt: v.resetAt, perStep: (i) => per * v.errorRatio(i * v.stepS) },
    ),
  ];
  return out.filter((s): s is InputSeries => s !== undefined);
}
