/**
 * The rules of one rollout, as data: recording rules per version and the alerts that compare
 * canary with stable. The PrometheusRule construct serialises these; the health gate evaluates
 * the very same `expr` strings through Prometheus's HTTP API, and finds alerts by their
 * DESIGN.md §2 labels (never by name).
 *
 * Alert design (why each piece is there):
 * - errors / latency → rollback, critical: canary above the absolute limit AND above
 *   maxVsStable × stable (+ a small floor, so 0 % vs 0.01 % is no regression; when stable has
 *   no traffic only the absolute limit applies) on the stage's decision window, with at least
 *   the minimum sample of canary requests in it, for `window + blip + slack` (see windows.ts).
 * - errors → rollback via multi-window burn rate of the budget errorRatio.max: fast 5m/1h at
 *   14.4× (critical), slow 30m/6h at 6× (warning); each also needs the minimum sample.
 * - every window and `for` is divided by `metrics.timeScale` (windows.ts), so the demo runs the
 *   same rules in seconds; at 1 (production) nothing changes.
 * - traffic → hold: fewer canary requests in the decision window than the minimum sample,
 *   including none at all (`or vector(0)`, so an empty denominator never means silence).
 * - saturation → hold, warning: share of canary requests Envoy answered with response flag UO
 *   above saturation.max and above maxVsStable × stable's share. Overflow is usually a capacity
 *   question of the (small) canary deployment rather than a code regression, and widening the
 *   split would make it worse, so it holds; UO responses are 503s, so if they grow into a real
 *   error regression the errors alerts roll back. Caveat: with reporter "source" a request
 *   rejected by the client's own circuit breaker has destination_version "unknown" and cannot
 *   be attributed; the default reporter "destination" sees the canary sidecar's own overflow.
 */
import {
  ALERT_LABEL_ACTION,
  ALERT_LABEL_NAMESPACE,
  ALERT_LABEL_ROLLOUT,
  ALERT_LABEL_SEVERITY,
  ALERT_LABEL_SIGNAL,
  alertGroupName,
  recordedSeriesName,
  recordingGroupName,
  type AlertAction,
  type AlertSeverity,
  type AlertSignal,
} from './conventions.js';
import { decisionWindowMs, ERROR_RATIO_FLOOR, LATENCY_FLOOR_MS, minCanaryRequests } from './detectability.js';
import { effectiveRouting, liveStage, type RolloutModel } from './model.js';
import { binary, histogramQuantile, num, promDuration, rate, render, sum } from './promql/ast.js';
import { durationBucketSelector, istioTarget, requestsSelector, rolloutLabels, SERVER_ERRORS, UPSTREAM_OVERFLOW } from './promql/istio.js';
import { burnRateExpr, canaryRequestsBelowExpr, ratioExpr, thresholdVsStableExpr } from './promql/rollout-queries.js';
import { blipProofForMs, burnForMs, burnPairs, recordedWindowsMs, tooFewRequestsForMs, windowLabel } from './promql/windows.js';

/** A type alias (not an interface) so it stays assignable to `Record<string, string>`. */
export type AlertLabels = {
  readonly [ALERT_LABEL_ROLLOUT]: string;
  readonly [ALERT_LABEL_NAMESPACE]: string;
  readonly [ALERT_LABEL_SIGNAL]: AlertSignal;
  readonly [ALERT_LABEL_ACTION]: AlertAction;
  readonly [ALERT_LABEL_SEVERITY]: AlertSeverity;
};

export interface RecordingRule {
  readonly record: string;
  readonly expr: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: AlertLabels;
  readonly annotations: { readonly summary: string; readonly description: string };
}

export type Rule = RecordingRule | AlertRule;

export interface RuleGroup {
  readonly name: string;
  readonly rules: readonly Rule[];
}

export function isAlertRule(rule: Rule): rule is AlertRule {
  return 'alert' in rule;
}

/** Recording rules: per recorded window, request rate, 5xx rate and 5xx ratio by version; p99 and UO share on the decision window. */
export function recordingRules(model: RolloutModel): RecordingRule[] {
  const t = istioTarget(model);
  const labels = rolloutLabels(t);
  const by = [t.versionLabel];
  const windowMs = decisionWindowMs(model, liveStage(model));
  const rules: RecordingRule[] = [];
  for (const w of recordedWindowsMs(windowMs, model.metrics.timeScale)) {
    const wl = windowLabel(w);
    rules.push(
      { record: recordedSeriesName('requests', wl), expr: render(sum(rate(requestsSelector(t), w), by)), labels },
      { record: recordedSeriesName('errors', wl), expr: render(sum(rate(requestsSelector(t, [SERVER_ERRORS]), w), by)), labels },
      { record: recordedSeriesName('error_ratio', wl), expr: render(ratioExpr(t, 'errors', w)), labels },
    );
  }
  const wl = windowLabel(windowMs);
  const buckets = sum(rate(durationBucketSelector(t), windowMs), [...by, 'le']);
  // `>= 0` drops the NaN histogram_quantile returns for a version without traffic.
  rules.push({ record: recordedSeriesName('p99', wl), expr: render(binary('>=', histogramQuantile(0.99, buckets), num(0))), labels });
  const overflow = sum(rate(requestsSelector(t, [UPSTREAM_OVERFLOW]), windowMs), by);
  rules.push({ record: recordedSeriesName('uo_ratio', wl), expr: render(ratioExpr(t, overflow, windowMs)), labels });
  return rules;
}

function alertLabels(model: RolloutModel, signal: AlertSignal, action: AlertAction, severity: AlertSeverity): AlertLabels {
  return {
    [ALERT_LABEL_ROLLOUT]: model.name,
    [ALERT_LABEL_NAMESPACE]: model.namespace,
    [ALERT_LABEL_SIGNAL]: signal,
    [ALERT_LABEL_ACTION]: action,
    [ALERT_LABEL_SEVERITY]: severity,
  };
}

const pct = (x: number) => `${+(x * 100).toPrecision(4)} %`;

/** The alerts of the live stage. */
export function alertRules(model: RolloutModel): AlertRule[] {
  const t = istioTarget(model);
  const stage = liveStage(model);
  const windowMs = decisionWindowMs(model, stage);
  const minRequests = minCanaryRequests(model);
  const window = windowLabel(windowMs);
  const { errorRatio, latencyP99Ms, saturation } = model.health;
  const scale = model.metrics.timeScale;
  const forThreshold = promDuration(blipProofForMs(windowMs, scale));
  const who = `${model.namespace}/${model.name}`;
  const rules: AlertRule[] = [
    {
      alert: 'StagegateCanaryErrorRatio',
      expr: render(thresholdVsStableExpr(t, 'error_ratio', windowMs, errorRatio.max, errorRatio.maxVsStable, ERROR_RATIO_FLOOR, minRequests)),
      for: forThreshold,
      labels: alertLabels(model, 'errors', 'rollback', 'critical'),
      annotations: {
        summary: `${who}: canary ${model.canary} 5xx ratio {{ $value | humanizePercentage }} over ${window}`,
        description: `Canary 5xx ratio is above ${pct(errorRatio.max)} and above ${errorRatio.maxVsStable}× stable (${model.stable}) with at least ${minRequests} canary requests in ${window}.`,
      },
    },
    {
      alert: 'StagegateCanaryLatencyP99',
      expr: render(thresholdVsStableExpr(t, 'p99', windowMs, latencyP99Ms.max, latencyP99Ms.maxVsStable, LATENCY_FLOOR_MS, minRequests)),
      for: forThreshold,
      labels: alertLabels(model, 'latency', 'rollback', 'critical'),
      annotations: {
        summary: `${who}: canary ${model.canary} p99 {{ $value }} ms over ${window}`,
        description: `Canary p99 latency is above ${latencyP99Ms.max} ms and above ${latencyP99Ms.maxVsStable}× stable (${model.stable}) with at least ${minRequests} canary requests in ${window}.`,
      },
    },
    ...burnPairs(scale).map((pair): AlertRule => ({
      alert: pair.name === 'fast' ? 'StagegateCanaryErrorBudgetFastBurn' : 'StagegateCanaryErrorBudgetSlowBurn',
      expr: render(burnRateExpr(t, pair, errorRatio.max, minRequests)),
      for: promDuration(burnForMs(pair, errorRatio.max, scale)),
      labels: alertLabels(model, 'errors', 'rollback', pair.severity),
      annotations: {
        summary: `${who}: canary ${model.canary} burns its error budget ${pair.factor}× too fast`,
        description: `Canary 5xx ratio is above ${pair.factor} × ${pct(errorRatio.max)} over both ${windowLabel(pair.shortMs)} and ${windowLabel(pair.longMs)}, with at least ${minRequests} canary requests in ${windowLabel(pair.longMs)}.`,
      },
    })),
    {
      alert: 'StagegateCanaryOverflow',
      expr: render(thresholdVsStableExpr(t, 'uo_ratio', windowMs, saturation.max, errorRatio.maxVsStable, ERROR_RATIO_FLOOR, minRequests)),
      for: forThreshold,
      labels: alertLabels(model, 'saturation', 'hold', 'warning'),
      annotations: {
        summary: `${who}: canary ${model.canary} sheds {{ $value | humanizePercentage }} of requests (Envoy UO) over ${window}`,
        description: `Share of canary requests rejected by circuit breaking (response flag UO) is above ${pct(saturation.max)} and above ${errorRatio.maxVsStable}× stable's; hold the split until the canary has capacity.`,
      },
    },
  ];
  // A stage that sends the canary nothing by design (or an aborted rollout) has nothing to wait for.
  const routing = effectiveRouting(model);
  if (routing.canaryWeight > 0 || routing.cohortRoute) {
    rules.push({
      alert: 'StagegateCanaryTooFewRequests',
      expr: render(canaryRequestsBelowExpr(t, windowMs, minRequests)),
      for: promDuration(tooFewRequestsForMs(scale)),
      labels: alertLabels(model, 'traffic', 'hold', 'warning'),
      annotations: {
        summary: `${who}: only {{ $value }} canary requests in ${window}, ${minRequests} needed for a verdict`,
        description: `Canary ${model.canary} has fewer requests than the minimum sample (or no data at all); no verdict until it has. Check the routes and the Istio metrics of ${model.service.host}.`,
      },
    });
  }
  return rules;
}

/** Both rule groups of a rollout, in PrometheusRule `spec.groups` order. */
export function buildRuleGroups(model: RolloutModel): RuleGroup[] {
  return [
    { name: recordingGroupName(model.name), rules: recordingRules(model) },
    { name: alertGroupName(model.name), rules: alertRules(model) },
  ];
}

export interface AlertSelector {
  readonly signal?: AlertSignal;
  readonly action?: AlertAction;
  readonly severity?: AlertSeverity;
}

/** Alerts of `groups` whose DESIGN labels match every given field. */
export function findAlerts(groups: readonly RuleGroup[], sel: AlertSelector): AlertRule[] {
  return groups.flatMap((g) => g.rules.filter(isAlertRule)).filter(
    (a) =>
      (sel.signal === undefined || a.labels[ALERT_LABEL_SIGNAL] === sel.signal) &&
      (sel.action === undefined || a.labels[ALERT_LABEL_ACTION] === sel.action) &&
      (sel.severity === undefined || a.labels[ALERT_LABEL_SEVERITY] === sel.severity),
  );
}

/** The one alert matching `sel`; throws when there is none or more than one. */
export function findAlert(groups: readonly RuleGroup[], sel: AlertSelector): AlertRule {
  const found = findAlerts(groups, sel);
  if (found.length !== 1) {
    throw new Error(`expected exactly one alert with ${JSON.stringify(sel)}, found ${found.length}; narrow the selector (add severity)`);
  }
  return found[0]!;
}
