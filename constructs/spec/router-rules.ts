/**
 * Cross-field rules of `router: gateway-api` (http-route.ts): what an HTTPRoute of the Gateway
 * API version stagegate validates against (@kubernetes-models/gateway-api 0.5.1, Gateway API
 * v1.0 `gateway.networking.k8s.io/v1`) cannot say, refused where the intent says it.
 */
type Rec = Record<string, unknown>;
type Add = (path: (string | number)[], message: string) => void;
const isRecord = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);

export function routerRules(spec: Rec, add: Add): void {
  if (spec.router !== 'gateway-api') {
    if (spec.gatewayApi !== undefined) add(['gatewayApi'], 'is only read with router: gateway-api');
    return;
  }
  const service = isRecord(spec.service) ? spec.service : {};
  if (service.serviceEntry === true)
    add(
      ['service', 'serviceEntry'],
      'a ServiceEntry host has no Kubernetes Service for an HTTPRoute to weigh; use router: istio (the default)',
    );
  // The rules select destination_service_name = the rollout's Service. The client proxy labels a
  // request with the Service its cluster is for — the backendRef, `<svc>-canary` — so reporter
  // source would select nothing. Canary's own sidecar labels it with the first Service on its
  // inbound cluster, pilot's ServiceTargets sorted by creation time, then hostname (istio/istio
  // pilot/pkg/model/context.go SetServiceTargets; cluster_builder.go addTelemetryMetadata): the
  // rollout's Service when it is older than the per-version ones, or as old ("web" < "web-canary").
  const metrics = isRecord(spec.metrics) ? spec.metrics : {};
  if (metrics.reporter === 'source' || metrics.reporter === 'waypoint')
    add(
      ['metrics', 'reporter'],
      `must be destination with router gateway-api (got ${JSON.stringify(metrics.reporter)}): the client proxy labels each request with the backendRef Service it was sent to (the per-version Service), not the rollout's Service the rules select`,
    );
  const retries = isRecord(spec.trafficPolicy) ? spec.trafficPolicy.retries : undefined;
  if (retries !== undefined)
    add(
      ['trafficPolicy', 'retries'],
      'an HTTPRoute of Gateway API v1.0 (the schema stagegate checks it against) has no retry policy; remove retries or use router: istio',
    );
  const cohort = isRecord(spec.cohort) ? spec.cohort : {};
  (Array.isArray(cohort.match) ? cohort.match : []).forEach((alt, i) => {
    if (isRecord(alt) && alt.sourceLabels !== undefined)
      add(
        ['cohort', 'match', i, 'sourceLabels'],
        'an HTTPRoute match has no caller labels (Gateway API matches path, headers, query and method); match on headers or use router: istio',
      );
  });
}
