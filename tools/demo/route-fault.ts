/**
 * Istio fault injection on a route, as the demo's exporter draws it (split out of exporter.ts).
 * How an injected fault shows in Istio's metrics, from the proxy's source:
 * - Envoy's fault filter runs before the router (envoyproxy/envoy docs/root/configuration/http/
 *   http_filters/fault_filter.rst: "must be inserted before any other filter, including the
 *   router filter"). `FaultFilter::decodeHeaders` (source/extensions/filters/http/fault/
 *   fault_filter.cc) first delays (response flag DelayInjected, "DI"), then, independently,
 *   aborts (`abortWithHTTPStatus`: flag FaultInjected, "FI", and a local reply with the status).
 * - An abort never reaches a pod: reporter "destination" does not count it, and reporter
 *   "source" has no peer and no upstream host, so destination_version "unknown",
 *   destination_canonical_revision "latest", destination_workload "unknown"
 *   (istio/proxy@release-1.30 source/extensions/filters/http/istio_stats/istio_stats.cc
 *   `populatePeerInfo` l.973–985, l.1208–1231; constructs/drill-alert.ts has the whole chain).
 * - A delayed request is then served by the canary as usual: the server's sidecar sees neither
 *   the delay nor the flag; the client's sidecar times the request from its start, so only
 *   reporter "source" carries the delay in istio_request_duration_milliseconds, with flag "DI".
 * - Envoy joins several flags with "," in its table order (DelayInjected before FaultInjected:
 *   source/common/stream_info/utility.cc), so delayed-then-aborted is "DI,FI".
 */
import { binomial } from '../random.js';
import type { LatencyProfile } from './sampling.js';

/** HTTPFaultInjection of one route: an abort with a status and/or a fixed delay, each on a percent of requests. */
export interface RouteFault {
  readonly abort?: { readonly httpStatus: number; readonly percent: number };
  readonly delay?: { readonly fixedDelayMs: number; readonly percent: number };
}

/** Requests of one route after the fault filter. */
export interface FaultSplit {
  /** Reached the upstream untouched. */
  readonly passed: number;
  /** Delayed, then reached the upstream (flag DI at the source reporter only). */
  readonly delayed: number;
  /** Answered by the client proxy (flag FI): never reach a pod. */
  readonly aborted: number;
  /** Delayed, then answered by the client proxy (flags "DI,FI"). */
  readonly delayedAborted: number;
}

/** Splits `count` requests of a route by its fault: delay first, then abort, independently (Envoy's order). */
export function splitByFault(random: () => number, count: number, fault: RouteFault | undefined): FaultSplit {
  const delayedAll = fault?.delay ? binomial(random, count, fault.delay.percent / 100) : 0;
  const abortShare = (fault?.abort?.percent ?? 0) / 100;
  const delayedAborted = binomial(random, delayedAll, abortShare);
  const aborted = binomial(random, count - delayedAll, abortShare);
  return {
    passed: count - delayedAll - aborted,
    delayed: delayedAll - delayedAborted,
    aborted,
    delayedAborted,
  };
}

/** A local reply from the client's own proxy: a fraction of a millisecond. */
export const LOCAL_REPLY_LATENCY: LatencyProfile = { p50: 0.2, p99: 1 };

/** The latency the client's proxy measures for a request delayed by `delayMs`. */
export function delayed(latency: LatencyProfile, delayMs: number): LatencyProfile {
  return { p50: latency.p50 + delayMs, p99: latency.p99 + delayMs };
}
