/**
 * The alert of an abort drill (spec.drill.abort; README "Rehearsals (drill)", issue #16): it
 * counts the requests the injected fault answered and rolls back, so a drill rehearses the
 * rollback path (gate red → rollback PR → merged → 100 % stable). It does not rehearse the
 * built-in detection, and cannot: the abort is invisible to the rules that judge a canary.
 *
 * Why (read in Istio's and Envoy's source):
 * - Envoy's fault filter runs before the router filter ("must be inserted before any other
 *   filter, including the router filter": envoyproxy/envoy docs/root/configuration/http/
 *   http_filters/fault_filter.rst) and answers an abort itself: `abortWithHTTPStatus` sets
 *   response flag FaultInjected and sends a local reply (source/extensions/filters/http/fault/
 *   fault_filter.cc). No upstream host is picked, so the request never reaches a canary pod and
 *   reporter "destination" never counts it.
 * - The client proxy's stats filter then has no peer metadata and no upstream host to fall back on
 *   (istio/proxy@release-1.30 source/extensions/filters/http/istio_stats/istio_stats.cc
 *   `populatePeerInfo` l.973–985, `extractEndpointMetadata` l.91 reads `upstreamHost()`), so
 *   reporter "source" files it under destination_version "unknown" and destination_canonical_revision
 *   "latest" (l.1220–1231): it counts for neither version. The service's name and namespace are
 *   still known: they come from the route's cluster metadata (l.1002–1035), which the connection
 *   manager sets when it picks the route, before any filter runs (envoyproxy/envoy
 *   source/common/http/conn_manager_impl.cc `refreshCachedRoute` → `setUpstreamClusterInfo`).
 * - Envoy writes FaultInjected as "FI" in `response_flags` (source/common/stream_info/utility.cc).
 * So the built-in alerts see the canary lose requests (a hold), never fail. This alert reads
 * reporter "source", response_flags FI, of the rollout's service. The fault sits only on the
 * cohort route (virtual-service.ts `drillFault`), whose only destination is the canary, so every
 * FI response of the service while the drill is live is the drill's. It exists only while
 * spec.drill.abort is set and the cohort route carries the fault; the rollback removes both.
 */
import type { AlertLabels, AlertRule } from './alert-rules.js';
import {
  ALERT_LABEL_ACTION,
  ALERT_LABEL_NAMESPACE,
  ALERT_LABEL_ROLLOUT,
  ALERT_LABEL_SEVERITY,
  ALERT_LABEL_SIGNAL,
  DRILL_SIGNAL,
  METRIC_REQUESTS,
} from './conventions.js';
import { shortWindowMs } from './detectability.js';
import { responseFlagRegex } from './istio/telemetry.js';
import { effectiveRouting, liveStage, type RolloutModel } from './model.js';
import { binary, call, eq, num, promDuration, range, re, render, selector, sum } from './promql/ast.js';
import { istioTarget } from './promql/istio.js';
import { persistenceForMs, recordingIntervalMs, scrapeIntervalMs, windowLabel } from './promql/windows.js';

/** Envoy's short name of response flag FaultInjected (see above). */
export const FAULT_INJECTED_FLAG = 'FI';
export const DRILL_ALERT = 'StagegateDrillFaultInjected';

function faultCount(model: RolloutModel, windowMs: number) {
  const t = istioTarget(model);
  const sel = selector(METRIC_REQUESTS, [
    eq('reporter', 'source'),
    eq('destination_service_name', t.service),
    eq('destination_service_namespace', t.serviceNamespace),
    re('response_flags', responseFlagRegex(FAULT_INJECTED_FLAG)),
  ]);
  return sum(call('increase', range(sel, windowMs)));
}

/** How many FI responses of the rollout's service the client proxies reported over `windowMs`. */
export function drillFaultCountExpr(model: RolloutModel, windowMs: number): string {
  return render(faultCount(model, windowMs));
}

/** The FI responses of the rollout's service over `windowMs`, as the client proxy reports them. */
export function drillFaultExpr(model: RolloutModel, windowMs: number): string {
  return render(binary('>', faultCount(model, windowMs), num(0)));
}

/** The window the drill alert counts FI responses over at the live stage (its short window). */
export function drillWindowMs(model: RolloutModel): number {
  return shortWindowMs(model, liveStage(model));
}

function drillForMs(model: RolloutModel, shortMs: number): number {
  return persistenceForMs(shortMs, model.metrics.timeScale);
}

/** The parts of a drill's predicted time from fault live to its alert firing (`drillFiringMs`). */
export interface DrillFiringPrediction {
  /** Two scrapes: the FI series' first sample is no increase, `increase()` needs a second one. */
  readonly samplesMs: number;
  /** Up to one evaluation of the rule group until the expression is seen true (pending). */
  readonly evaluationMs: number;
  /** `for`, rounded up to whole evaluations: pending → firing. */
  readonly forMs: number;
  /** The sum: an upper bound, from the first faulted request to ALERTS{alertstate="firing"}. */
  readonly totalMs: number;
}

/**
 * How long the drill alert above takes, at most, from the first request the fault answers until
 * it fires, read off the rule itself (so `plan`, `drill --measure` and the ledger predict what the
 * alert does, not the built-in detection it stands in for). Prometheus computes `increase()` from
 * the samples inside the range ("the first and last sample", prometheus docs querying/functions,
 * increase/rate), and a new series' first sample has no predecessor, so the first increase is seen
 * at the second scrape of the FI series; the group (alert-rules.ts `buildRuleGroups`, one
 * interval `recordingIntervalMs`) sees it at its next evaluation; the alert fires once it was
 * pending for `for` (rules/alerting.go: `ts.Sub(a.ActiveAt) >= r.holdDuration`, checked at
 * evaluations). Not included, because the intent does not say: how long the mesh takes to apply the
 * merged fault (GitOps sync), and when the gate next runs after the firing (the workflow's schedule,
 * docs/examples/stagegate.yml) — a red verdict comes at the first gate run after `totalMs`.
 * Undefined for a stage without a cohort route: a drill cannot fault it (README "Rehearsals").
 */
export function drillFiringMs(model: RolloutModel, stageName = model.stage): DrillFiringPrediction | undefined {
  const stage = model.stages.find((s) => s.name === stageName);
  // The stage's own routing, whatever the rollout's state (a measured drill is read after its rollback).
  if (!stage?.cohort || model.cohort === undefined) return undefined;
  const evaluationMs = recordingIntervalMs(model.metrics.timeScale);
  const forMs = Math.ceil(drillForMs(model, shortWindowMs(model, stage)) / evaluationMs) * evaluationMs;
  const samplesMs = 2 * scrapeIntervalMs(model.metrics);
  return { samplesMs, evaluationMs, forMs, totalMs: samplesMs + evaluationMs + forMs };
}

/**
 * The drill's rollback alert; none without an abort drill, or once the fault is off the routes.
 * It waits as long as the fast errors alert (`S + blip`, windows.ts), so the time from fault to
 * first red is of the same order as the detection it stands in for.
 */
export function drillAlerts(model: RolloutModel): AlertRule[] {
  const abort = model.drill?.abort;
  if (!abort || !effectiveRouting(model).cohortRoute) return [];
  const shortMs = drillWindowMs(model);
  const forText = promDuration(drillForMs(model, shortMs));
  const who = `${model.namespace}/${model.name}`;
  const labels: AlertLabels = {
    [ALERT_LABEL_ROLLOUT]: model.name,
    [ALERT_LABEL_NAMESPACE]: model.namespace,
    [ALERT_LABEL_SIGNAL]: DRILL_SIGNAL,
    [ALERT_LABEL_ACTION]: 'rollback',
    [ALERT_LABEL_SEVERITY]: 'critical',
  };
  return [
    {
      alert: DRILL_ALERT,
      expr: drillFaultExpr(model, shortMs),
      for: forText,
      labels,
      annotations: {
        summary: `${who}: drill: the injected abort (${abort.httpStatus}, ${abort.percent} % of the cohort route) answered {{ $value }} requests over ${windowLabel(shortMs)}`,
        description: `A rollback drill is live: Envoy's fault filter answers ${abort.percent} % of the cohort route's requests with ${abort.httpStatus} (response flag FI, reporter source) before any canary pod sees them, so the canary's own alerts cannot see it. This alert stands in for them to rehearse the rollback path.`,
      },
    },
  ];
}
