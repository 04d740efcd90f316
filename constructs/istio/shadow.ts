/**
 * Shadow stage: Istio `mirror` + `mirrorPercentage` on the weighted route (then 100 % stable)
 * sends a copy of that share of stable's requests to canary; Envoy does not wait for the copy and
 * drops its answer, so users get stable's answers (Envoy ShadowWriterImpl: "fire and forget").
 *
 * How the mirrored requests show in Istio's metrics, and so what the health selectors are:
 * - Envoy rewrites a copy's authority to `<host>-shadow` (`<host>-shadow:<port>` with a port;
 *   envoy source/common/router/shadow_writer_impl.cc `newHost`) and sends it through the cluster's
 *   async HTTP client, not through the HTTP connection manager's filters. Istio's stats filter is
 *   one of those filters, so the *client's* proxy (reporter="source") and a waypoint report no
 *   mirrored request at all: shadow-rules.ts refuses those reporters with a shadow stage.
 * - Canary's own sidecar receives the copy like any request, and its stats filter (reporter=
 *   "destination") counts it. The `-shadow` host reaches no label: Istio's metrics have no host
 *   label (envoy contrib/istio/filters/http/istio_stats/source/istio_stats.cc: the tag list), and
 *   `destination_service` takes the Host header only as a fallback, replaced by the inbound
 *   cluster's `istio.services` metadata (same file, populatePeerInfo), which pilot writes on every
 *   inbound cluster of a Kubernetes Service (istio/istio pilot/pkg/networking/core/
 *   cluster_builder.go `addTelemetryMetadata`). A mirrored request is labelled exactly as a user's.
 * - So the stage itself makes the selectors mean "mirrored requests": weight 0, no cohort route
 *   and no sticky route (shadow-rules.ts; sticky has none at 0 %), so every request canary's
 *   sidecar reports in the stage is a copy. The usual canary selectors (reporter="destination",
 *   canary's version) then judge the copies, against stable's answers to the same requests;
 *   detectability.ts sizes the sample from the mirrored rate, with the stage's own minimum
 *   (spec.shadow.minRequests).
 */
import { formatDuration } from '../duration.js';
import type { RolloutModel } from '../model.js';

/** `plan`'s line about shadow stages. */
export function shadowSummary(model: RolloutModel): string | undefined {
  const stages = model.stages.filter((s) => s.mirror !== undefined);
  if (stages.length === 0) return undefined;
  const list = stages
    .map((s) => `"${s.name}" mirrors ${s.mirror} %${s.bakeMs === undefined ? '' : ` for ${formatDuration(s.bakeMs)}`}`)
    .join(', ');
  return `shadow: ${list} of stable's requests to canary; users get stable's answers; judged on canary's reporter="destination" series, which in these stages hold mirrored requests only (the client proxy reports none)`;
}
