/**
 * The labels and params series of the fleet layout (docs/design.md §7, "Fleet layout (opt-in)"):
 * what every joined series and every rollout's params series carries (its role, its windows, its
 * metrics shape), the params series itself (`stagegate:rollout_param`: each number a rollout's
 * alerts compare with), and the selectors fleet-alerts.ts builds its rules from. Split from
 * fleet-alerts.ts so that fleet-reads.ts, fleet-rules.ts and the gate share them without the alerts.
 */
import { ALERT_LABEL_NAMESPACE, ALERT_LABEL_ROLLOUT, recordedSeriesName, type RecordedKind } from './conventions.js';
import { decisionWindowMs, minCanaryRequests, shortWindowMs } from './detectability.js';
import { effectiveRouting, liveStage, type RolloutModel } from './model.js';
import type { RecordingRule } from './alert-rules.js';
import {
  binary,
  call,
  eq,
  num,
  promDuration,
  render,
  selector,
  str,
  type Expr,
  type LabelMatcher,
  type VectorMatching,
} from './promql/ast.js';
import { burnForMs, burnPairs, windowLabel } from './promql/windows.js';

/** The role of a version in a joined series ("canary" or "stable"). */
export const ROLE_LABEL = 'stagegate_role';
/** Labels every joined series and params series carries: the rollout's windows and burn `for`s. */
export const DECISION_LABEL = 'stagegate_decision';
export const SHORT_LABEL = 'stagegate_short';
export const BURN_LABEL = 'stagegate_burn';
export const FLEET_WINDOW_LABELS = [DECISION_LABEL, SHORT_LABEL, BURN_LABEL] as const;
/** The metrics shape (reporter, version label, protocol, timeScale) whose fleet rules a series belongs to. */
export const SHAPE_LABEL = 'stagegate_shape';
/** The params series of each rollout, one per number its alerts compare with. */
export const ROLLOUT_PARAM = 'stagegate:rollout_param';
export const PARAM_LABEL = 'stagegate_param';

export type Param =
  | 'error_ratio_max'
  | 'error_vs_stable'
  | 'latency_max'
  | 'latency_vs_stable'
  | 'saturation_max'
  | 'min_requests'
  | 'too_few_min_requests';

export const ON: VectorMatching = { on: [ALERT_LABEL_ROLLOUT, ALERT_LABEL_NAMESPACE] };

/** The windows of `model`'s live stage, as fleet-rules.ts labels its series. */
export function windowLabels(model: RolloutModel): Record<(typeof FLEET_WINDOW_LABELS)[number], string> {
  const stage = liveStage(model);
  const scale = model.metrics.timeScale;
  const burn = burnPairs(scale).map((p) => promDuration(burnForMs(p, model.health.errorRatio.max, scale)));
  return {
    [DECISION_LABEL]: windowLabel(decisionWindowMs(model, stage)),
    [SHORT_LABEL]: windowLabel(shortWindowMs(model, stage)),
    [BURN_LABEL]: burn.join('/'),
  };
}

/** The params rule of one rollout: one series per number, labelled with its windows. */
export function paramsRule(model: RolloutModel, shape: string): RecordingRule {
  const { errorRatio, latencyP99Ms, saturation } = model.health;
  const min = minCanaryRequests(model);
  const routing = effectiveRouting(model);
  const params: [Param, number][] = [
    ['error_ratio_max', errorRatio.max],
    ['error_vs_stable', errorRatio.maxVsStable],
    ['latency_max', latencyP99Ms.max],
    ['latency_vs_stable', latencyP99Ms.maxVsStable],
    ['saturation_max', saturation.max],
    ['min_requests', min],
  ];
  // alert-rules.ts: no too-few-requests hold for a stage that sends the canary nothing by design.
  if (routing.canaryWeight > 0 || routing.cohortRoute || routing.mirrorPercent > 0)
    params.push(['too_few_min_requests', min]);
  const series = params.map(
    ([name, value]): Expr =>
      call('label_replace', call('vector', num(value)), str(PARAM_LABEL), str(name), str(''), str('')),
  );
  return {
    record: ROLLOUT_PARAM,
    expr: render(series.reduce((a, b) => binary('or', a, b))),
    labels: {
      [ALERT_LABEL_ROLLOUT]: model.name,
      [ALERT_LABEL_NAMESPACE]: model.namespace,
      [SHAPE_LABEL]: shape,
      ...windowLabels(model),
    },
  };
}

/** The series one rule selects: its shape's, narrowed to the rollouts of one window/`for` bucket. */
export interface Bucket {
  readonly m: readonly LabelMatcher[];
}

export const param = (name: Param, b: Bucket) => selector(ROLLOUT_PARAM, [eq(PARAM_LABEL, name), ...b.m]);
export const series = (kind: RecordedKind, w: number, role: 'canary' | 'stable', b: Bucket) =>
  selector(recordedSeriesName(kind, windowLabel(w)), [eq(ROLE_LABEL, role), ...b.m]);
