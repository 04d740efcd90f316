/**
 * The rules of one rollout, as data: recording rules per version and the alerts that compare
 * canary with stable. The PrometheusRule construct serialises these; the health gate evaluates
 * the very same `expr` strings through Prometheus's HTTP API, and finds alerts by their
 * docs/design.md §2 labels (never by name).
 *
 * Alert design (why each piece is there):
 * - errors / latency → rollback, critical, fast: canary above the absolute limit AND above
 *   maxVsStable × stable (+ a small floor, so 0 % vs 0.01 % is no regression; when stable has
 *   no traffic only the absolute limit applies) on the stage's decision window W, with at least
 *   the minimum sample of canary requests in W (significance), AND above the same limits on the
 *   short window S, for `S + blip` (persistence). windows.ts explains why that `for` is
 *   blip-proof and why it is so much shorter than a single window's.
 * - errors / latency → rollback, critical, sustained backstop: the same limits on W alone, for
 *   `W + blip + slack`. It catches a regression so close to the limit that the short window
 *   keeps dipping below it and restarting the fast alert's `for`; it is never slower than the
 *   single-window design it replaced, and adds no false rollbacks (it is that design).
 * - p99 and Istio's coarse buckets: histogram_quantile interpolates linearly inside a bucket,
 *   and a canary whose p99 merely moved into the next, wider bucket (250 → 500 ms) reads up to a
 *   whole bucket higher than it is, while stable's p99 sits in a narrower one. Comparing those
 *   two interpolations rolled back canaries exactly at maxVsStable (the benchmark's ×1.5 case,
 *   40 of 40). So the relative p99 limit is rounded *up to the next bucket bound*: "canary p99
 *   above bound B" is exact on a histogram (more than 1 % of canary requests slower than B),
 *   whatever the interpolation. The cost is sensitivity of at most one bucket on the relative
 *   test; the absolute limit is the user's own number and is used as written (a limit on a
 *   bucket bound is exact; one between bounds reads through interpolation, as every
 *   histogram_quantile alert does). The rounded limit is recorded (`p99_limit`) per window.
 * - errors → rollback via multi-window burn rate of the budget errorRatio.max: fast 5m/1h at
 *   14.4× (critical), slow 30m/6h at 6× (warning); each also needs the minimum sample and the
 *   canary above maxVsStable × stable on both windows (docs/design.md §7: both limits, always).
 * - errors → rollback, recurring: the sustained condition on max(W, 10m), so a train of short
 *   blips is judged over the same span at every weight (docs/design.md §7, trains of blips).
 * - errors → hold: canary and stable both above errorRatio.max on W: a shared outage is the
 *   service's, not the canary's, so no verdict until stable recovers.
 * - every window and `for` is divided by `metrics.timeScale` (windows.ts), so the demo runs the
 *   same rules in seconds; at 1 (production) nothing changes.
 * - traffic → hold: fewer canary requests in the decision window than the minimum sample,
 *   including none at all (`or vector(0)`, so an empty denominator never means silence).
 * - saturation → hold, warning: share of canary requests Envoy answered with response flag UO
 *   above saturation.max and above maxVsStable × stable's share, single window (a hold needs no
 *   speed). Overflow is usually a capacity
 *   question of the (small) canary deployment rather than a code regression, and widening the
 *   split would make it worse, so it holds; UO responses are 503s, so if they grow into a real
 *   error regression the errors alerts roll back. Envoy comma-joins flags ("UO,URX"), so UO is
 *   matched inside a list. With reporter "source" a request rejected by the client's own
 *   circuit breaker has destination_version "unknown" (no pod answered, istio/telemetry.ts) and
 *   counts for neither version; the default reporter "destination" sees the canary sidecar's
 *   own overflow.
 */
import {
  ALERT_LABEL_ACTION,
  ALERT_LABEL_NAMESPACE,
  ALERT_LABEL_ROLLOUT,
  ALERT_LABEL_SEVERITY,
  ALERT_LABEL_SIGNAL,
  ruleGroupName,
  slowGroupName,
  type AlertAction,
  type AlertSeverity,
  type AlertSignal,
} from './conventions.js';
import { decisionWindowMs, ERROR_RATIO_FLOOR, minCanaryRequests, shortWindowMs } from './detectability.js';
import { effectiveRouting, liveStage, type RolloutModel } from './model.js';
import { recordingRuleSets, saturationWindowMs } from './recording-rules.js';
import { userSignalAlerts } from './user-signals.js';
import { drillAlerts } from './drill-alert.js';
import { promDuration, render } from './promql/ast.js';
import { istioTarget } from './promql/istio.js';
import {
  burnRateExpr,
  canaryRequestsBelowExpr,
  p99LimitExpr,
  persistentThresholdExpr,
  relativeLimitExpr,
  sharedErrorsExpr,
  thresholdExpr,
} from './promql/rollout-queries.js';
import {
  blipProofForMs,
  burnForMs,
  burnPairs,
  persistenceForMs,
  recordingIntervalMs,
  slowRecordingIntervalMs,
  tooFewRequestsForMs,
  trainWindowMs,
  windowLabel,
} from './promql/windows.js';

export { recordingRuleSets, recordingRules } from './recording-rules.js';

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
  /** Evaluation interval of the group; absent: the Prometheus' global one. */
  readonly interval?: string;
  readonly rules: readonly Rule[];
}

export function isAlertRule(rule: Rule): rule is AlertRule {
  return 'alert' in rule;
}

function alertLabels(
  model: RolloutModel,
  signal: AlertSignal,
  action: AlertAction,
  severity: AlertSeverity,
): AlertLabels {
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
  const shortMs = shortWindowMs(model, stage);
  const minRequests = minCanaryRequests(model);
  const window = windowLabel(windowMs);
  const short = windowLabel(shortMs);
  const { errorRatio, latencyP99Ms, saturation } = model.health;
  const scale = model.metrics.timeScale;
  const forPersistent = promDuration(persistenceForMs(shortMs, scale));
  const forSustained = promDuration(blipProofForMs(windowMs, scale));
  const who = `${model.namespace}/${model.name}`;
  const satMs = saturationWindowMs(model, windowMs);
  const errorLimit = relativeLimitExpr(t, 'error_ratio', windowMs, errorRatio.maxVsStable, ERROR_RATIO_FLOOR);
  const latencyLimit = p99LimitExpr(t, windowMs, latencyP99Ms.max);
  const errorsAbove = `above ${pct(errorRatio.max)} and above ${errorRatio.maxVsStable}× stable (${model.stable})`;
  const latencyAbove = `above ${latencyP99Ms.max} ms and above ${latencyP99Ms.maxVsStable}× stable (${model.stable}, rounded up to the next histogram bucket)`;
  const rules: AlertRule[] = [
    {
      alert: 'StagegateCanaryErrorRatio',
      expr: render(
        persistentThresholdExpr(t, 'error_ratio', windowMs, shortMs, errorRatio.max, errorLimit, minRequests),
      ),
      for: forPersistent,
      labels: alertLabels(model, 'errors', 'rollback', 'critical'),
      annotations: {
        summary: `${who}: canary ${model.canary} 5xx ratio {{ $value | humanizePercentage }} over ${window}`,
        description: `Canary 5xx ratio is ${errorsAbove} with at least ${minRequests} canary requests in ${window}, and has stayed above both over every ${short} for ${forPersistent}.`,
      },
    },
    {
      alert: 'StagegateCanaryErrorRatioSustained',
      expr: render(thresholdExpr(t, 'error_ratio', windowMs, errorRatio.max, errorLimit, minRequests)),
      for: forSustained,
      labels: alertLabels(model, 'errors', 'rollback', 'critical'),
      annotations: {
        summary: `${who}: canary ${model.canary} 5xx ratio {{ $value | humanizePercentage }} over ${window}, sustained`,
        description: `Canary 5xx ratio is ${errorsAbove} with at least ${minRequests} canary requests in ${window}, for ${forSustained}.`,
      },
    },
    {
      alert: 'StagegateCanaryLatencyP99',
      expr: render(persistentThresholdExpr(t, 'p99', windowMs, shortMs, latencyP99Ms.max, latencyLimit, minRequests)),
      for: forPersistent,
      labels: alertLabels(model, 'latency', 'rollback', 'critical'),
      annotations: {
        summary: `${who}: canary ${model.canary} p99 {{ $value }} ms over ${window}`,
        description: `Canary p99 latency is ${latencyAbove} with at least ${minRequests} canary requests in ${window}, and has stayed above both over every ${short} for ${forPersistent}.`,
      },
    },
    {
      alert: 'StagegateCanaryLatencyP99Sustained',
      expr: render(thresholdExpr(t, 'p99', windowMs, latencyP99Ms.max, latencyLimit, minRequests)),
      for: forSustained,
      labels: alertLabels(model, 'latency', 'rollback', 'critical'),
      annotations: {
        summary: `${who}: canary ${model.canary} p99 {{ $value }} ms over ${window}, sustained`,
        description: `Canary p99 latency is ${latencyAbove} with at least ${minRequests} canary requests in ${window}, for ${forSustained}.`,
      },
    },
    ...recurringErrorsAlert(model, windowMs, minRequests),
    ...burnPairs(scale).map(
      (pair): AlertRule => ({
        alert: pair.name === 'fast' ? 'StagegateCanaryErrorBudgetFastBurn' : 'StagegateCanaryErrorBudgetSlowBurn',
        expr: render(burnRateExpr(t, pair, errorRatio.max, minRequests, errorRatio.maxVsStable, ERROR_RATIO_FLOOR)),
        for: promDuration(burnForMs(pair, errorRatio.max, scale)),
        labels: alertLabels(model, 'errors', 'rollback', pair.severity),
        annotations: {
          summary: `${who}: canary ${model.canary} burns its error budget ${pair.factor}× too fast`,
          description: `Canary 5xx ratio is above ${pair.factor} × ${pct(errorRatio.max)} and above ${errorRatio.maxVsStable}× stable (${model.stable}) over both ${windowLabel(pair.shortMs)} and ${windowLabel(pair.longMs)}, with at least ${minRequests} canary requests in ${windowLabel(pair.longMs)}.`,
        },
      }),
    ),
    {
      alert: 'StagegateErrorsSharedWithStable',
      expr: render(sharedErrorsExpr(t, windowMs, errorRatio.max, minRequests)),
      for: promDuration(tooFewRequestsForMs(scale)),
      labels: alertLabels(model, 'errors', 'hold', 'warning'),
      annotations: {
        summary: `${who}: canary ${model.canary} and stable ${model.stable} both fail above ${pct(errorRatio.max)} over ${window}`,
        description: `Both versions' 5xx ratios are above ${pct(errorRatio.max)} with at least ${minRequests} canary requests in ${window}: the service fails as a whole, so no verdict on the canary until stable recovers (both limits must be broken to roll back).`,
      },
    },
    {
      alert: 'StagegateCanaryOverflow',
      expr: render(
        thresholdExpr(
          t,
          'uo_ratio',
          satMs,
          saturation.max,
          relativeLimitExpr(t, 'uo_ratio', satMs, errorRatio.maxVsStable, ERROR_RATIO_FLOOR),
          minRequests,
        ),
      ),
      for: promDuration(blipProofForMs(satMs, scale)),
      labels: alertLabels(model, 'saturation', 'hold', 'warning'),
      annotations: {
        summary: `${who}: canary ${model.canary} sheds {{ $value | humanizePercentage }} of requests (Envoy UO) over ${windowLabel(satMs)}`,
        description: `Share of canary requests rejected by circuit breaking (response flag UO) is above ${pct(saturation.max)} and above ${errorRatio.maxVsStable}× stable's; hold the split until the canary has capacity.`,
      },
    },
  ];
  // A stage that sends the canary nothing by design (or an aborted rollout) has nothing to wait for.
  const routing = effectiveRouting(model);
  if (routing.canaryWeight > 0 || routing.cohortRoute || routing.mirrorPercent > 0) {
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
  rules.push(...userSignalAlerts(model), ...drillAlerts(model));
  return rules;
}

/**
 * The recurring-errors alert (docs/design.md, Alert design: trains of short blips): the sustained
 * condition on a window of at least TRAIN_WINDOW_MS, so failures are counted over the same span
 * at every weight; none when the decision window is already that long (the sustained backstop
 * is then the same alert).
 */
function recurringErrorsAlert(model: RolloutModel, windowMs: number, minRequests: number): AlertRule[] {
  const scale = model.metrics.timeScale;
  const trainMs = trainWindowMs(windowMs, scale);
  if (trainMs === undefined) return [];
  const t = istioTarget(model);
  const { errorRatio } = model.health;
  const limit = relativeLimitExpr(t, 'error_ratio', trainMs, errorRatio.maxVsStable, ERROR_RATIO_FLOOR);
  const forText = promDuration(blipProofForMs(trainMs, scale));
  const train = windowLabel(trainMs);
  return [
    {
      alert: 'StagegateCanaryErrorRatioRecurring',
      expr: render(thresholdExpr(t, 'error_ratio', trainMs, errorRatio.max, limit, minRequests)),
      for: forText,
      labels: alertLabels(model, 'errors', 'rollback', 'critical'),
      annotations: {
        summary: `${model.namespace}/${model.name}: canary ${model.canary} 5xx ratio {{ $value | humanizePercentage }} over ${train}, recurring`,
        description: `Canary 5xx ratio is above ${pct(errorRatio.max)} and above ${errorRatio.maxVsStable}× stable (${model.stable}) with at least ${minRequests} canary requests in every ${train} for ${forText}: failures that recur, even as short blips.`,
      },
    },
  ];
}

/**
 * The rule groups of a rollout, in PrometheusRule `spec.groups` order (docs/design.md §7, rule
 * cost). The alerts follow the recordings in one group: Prometheus evaluates a group's rules one
 * after the other at one timestamp (prometheus/prometheus rules/group.go, `Group.Eval`: `for i,
 * rule := range g.rules`, each with the same `ts`; only rules that neither read nor feed another
 * rule may run concurrently), so an alert reads this evaluation's recordings. In separate groups,
 * which Prometheus runs concurrently at their own offsets, it read them up to one interval late.
 * The slow group holds the long windows only the slow burn-rate alert reads, evaluated less often.
 */
export function buildRuleGroups(model: RolloutModel): RuleGroup[] {
  const { main, slow } = recordingRuleSets(model);
  const scale = model.metrics.timeScale;
  const groups: RuleGroup[] = [
    {
      name: ruleGroupName(model.name),
      interval: promDuration(recordingIntervalMs(scale)),
      rules: [...main, ...alertRules(model)],
    },
  ];
  if (slow.length > 0) {
    groups.push({
      name: slowGroupName(model.name),
      interval: promDuration(slowRecordingIntervalMs(scale)),
      rules: slow,
    });
  }
  return groups;
}

export interface AlertSelector {
  readonly signal?: AlertSignal;
  readonly action?: AlertAction;
  readonly severity?: AlertSeverity;
}

/** Alerts of `groups` whose docs/design.md §2 labels match every given field. */
export function findAlerts(groups: readonly RuleGroup[], sel: AlertSelector): AlertRule[] {
  return groups
    .flatMap((g) => g.rules.filter(isAlertRule))
    .filter(
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
    throw new Error(
      `expected exactly one alert with ${JSON.stringify(sel)}, found ${found.length}; narrow the selector (add severity), or pick the alert by name`,
    );
  }
  return found[0]!;
}
