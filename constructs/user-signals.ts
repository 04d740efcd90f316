/**
 * Rules of user-defined health signals (README "User-defined signals"), with the same labels and
 * the same blip/persistence design as the built-in error and latency alerts (alert-rules.ts,
 * docs/design.md §7):
 * - recording rules: the user's template filled for canary and for stable, on the signal's
 *   window W and on the short window S, aggregated to one series per version (the worst one: max
 *   when higher is bad, min when lower is) and labelled with the rollout and the version, like
 *   the built-in recorded series;
 * - fast alert: canary beyond the limits on W and on S, for `S + blip` (persistence);
 * - sustained backstop: beyond the limits on W alone, for `W + blip + slack`;
 * - both need at least minSamples evaluations of the canary's value in W (the significance
 *   stand-in: stagegate cannot know what the user's metric counts);
 * - hold on no data: fewer canary evaluations than minSamples in W, including none at all.
 * The limits: the absolute one as written; the ratio to stable applies when stable has a value,
 * else only the absolute limit decides (as for the built-ins); no floor is added, since the unit
 * of a user's metric is unknown.
 */
import type { AlertLabels, AlertRule, RecordingRule } from './alert-rules.js';
import {
  ALERT_LABEL_ACTION,
  ALERT_LABEL_NAMESPACE,
  ALERT_LABEL_ROLLOUT,
  ALERT_LABEL_SEVERITY,
  ALERT_LABEL_SIGNAL,
  userSignalLabel,
} from './conventions.js';
import { decisionWindowMs, shortWindowMs } from './detectability.js';
import { effectiveRouting, liveStage, type RolloutModel, type SignalModel } from './model.js';
import {
  binary,
  call,
  eq,
  num,
  ON_NOTHING,
  promDuration,
  range,
  render,
  selector,
  sum,
  type Expr,
} from './promql/ast.js';
import { istioTarget, rolloutLabels, type IstioTarget, type Role } from './promql/istio.js';
import { fillTemplate, type PlaceholderValues } from './promql/signal-template.js';
import {
  blipProofForMs,
  DEFAULT_WINDOW_MS,
  EVALUATION_INTERVAL_MS,
  persistenceForMs,
  scaleMs,
  tooFewRequestsForMs,
  windowLabel,
} from './promql/windows.js';

/** `stagegate:signal_checkout_success:value5m`: one series per version. */
export function userSignalSeriesName(signal: string, windowMs: number): string {
  return `stagegate:signal_${signal.replaceAll('-', '_')}:value${windowLabel(windowMs)}`;
}

/**
 * Windows of a signal at the live stage: W (given, scaled like every window; else the decision
 * window but at least the scaled 5m default, since a user's metric has no request count to size
 * it by), S ≤ W, and the window its evaluations are counted in: long enough to hold minSamples
 * evaluations plus one (a 1m window holds one evaluation at Prometheus' 1m default interval).
 */
export function userSignalWindowsMs(
  model: RolloutModel,
  s: SignalModel,
): { windowMs: number; shortMs: number; countMs: number } {
  const stage = liveStage(model);
  const scale = model.metrics.timeScale;
  const windowMs =
    s.windowMs === undefined
      ? Math.max(decisionWindowMs(model, stage), scaleMs(DEFAULT_WINDOW_MS, scale))
      : scaleMs(s.windowMs, scale);
  const countMs = Math.max(windowMs, (s.minSamples + 1) * scaleMs(EVALUATION_INTERVAL_MS, scale, 1000));
  return { windowMs, shortMs: Math.min(shortWindowMs(model, stage), windowMs), countMs };
}

/** What the placeholders stand for when `role` is judged on `windowMs` (promql/signal-template.ts). */
export function userSignalValues(model: RolloutModel, role: Role, windowMs: number): PlaceholderValues {
  const t = istioTarget(model);
  const weight = effectiveRouting(model).canaryWeight / 100;
  return {
    version: t.versions[role],
    service: t.service,
    namespace: model.namespace,
    window: promDuration(windowMs),
    weight: String(role === 'canary' ? weight : 1 - weight),
  };
}

/** The template filled for `role` on `windowMs`. */
export function userSignalQuery(model: RolloutModel, s: SignalModel, role: Role, windowMs: number): string {
  return fillTemplate(s.query, userSignalValues(model, role, windowMs));
}

function recordedValue(t: IstioTarget, s: SignalModel, windowMs: number, role: Role) {
  return selector(userSignalSeriesName(s.name, windowMs), [
    eq(ALERT_LABEL_ROLLOUT, t.rollout),
    eq(ALERT_LABEL_NAMESPACE, t.namespace),
    eq(t.versionLabel, t.versions[role]),
  ]);
}

/** The recorded value of `s` for `role` on its window W, as the alerts read it (for the gate's evidence). */
export function userSignalValueQuery(model: RolloutModel, s: SignalModel, role: Role): string {
  return render(recordedValue(istioTarget(model), s, userSignalWindowsMs(model, s).windowMs, role));
}

export function userSignalRecordingRules(model: RolloutModel): RecordingRule[] {
  const t = istioTarget(model);
  const rules: RecordingRule[] = [];
  for (const s of model.signals ?? []) {
    const { windowMs, shortMs } = userSignalWindowsMs(model, s);
    const worst = s.bad === 'higher' ? 'max' : 'min';
    for (const w of [...new Set([shortMs, windowMs])]) {
      for (const role of ['stable', 'canary'] as const) {
        rules.push({
          record: userSignalSeriesName(s.name, w),
          // The template is the user's text, so it is wrapped as text; it parsed (spec/signal-rules.ts).
          expr: `${worst}(${userSignalQuery(model, s, role, w)})`,
          labels: { ...rolloutLabels(t), [t.versionLabel]: t.versions[role] },
        });
      }
    }
  }
  return rules;
}

/** Canary beyond the signal's limits on `windowMs`. */
function beyondLimits(t: IstioTarget, s: SignalModel, windowMs: number): Expr {
  const canary = recordedValue(t, s, windowMs, 'canary');
  const cmp = s.bad === 'higher' ? '>' : '<';
  const parts: Expr[] = [];
  if (s.limit !== undefined) parts.push(binary(cmp, canary, num(s.limit)));
  if (s.maxVsStable !== undefined) {
    const stable = recordedValue(t, s, windowMs, 'stable');
    const scaled =
      s.bad === 'higher' ? binary('*', num(s.maxVsStable), stable) : binary('/', stable, num(s.maxVsStable));
    // Without a stable value only the absolute limit decides (none: no verdict on this part).
    const limit =
      s.limit === undefined ? scaled : binary('or', scaled, call('vector', num(s.limit)), { matching: ON_NOTHING });
    parts.push(binary(cmp, canary, limit, { matching: ON_NOTHING }));
  }
  return parts.reduce((a, b) => binary('and', a, b, { matching: ON_NOTHING }));
}

/** Evaluations of the canary's value on `windowMs` in the last `countMs`. */
function canarySamples(t: IstioTarget, s: SignalModel, windowMs: number, countMs: number): Expr {
  return call('count_over_time', range(recordedValue(t, s, windowMs, 'canary'), countMs));
}

function labelsOf(model: RolloutModel, s: SignalModel, action: SignalModel['action']): AlertLabels {
  return {
    [ALERT_LABEL_ROLLOUT]: model.name,
    [ALERT_LABEL_NAMESPACE]: model.namespace,
    [ALERT_LABEL_SIGNAL]: userSignalLabel(s.name),
    [ALERT_LABEL_ACTION]: action,
    [ALERT_LABEL_SEVERITY]: action === 'rollback' ? 'critical' : 'warning',
  };
}

const alertName = (s: SignalModel): string =>
  `StagegateSignal${s.name
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('')}`;

/** What the limits say, for annotations, `plan` and the rollback reason. */
export function describeLimits(model: RolloutModel, s: SignalModel): string {
  const word = s.bad === 'higher' ? 'above' : 'below';
  const parts: string[] = [];
  if (s.limit !== undefined) parts.push(`${word} ${s.limit}`);
  if (s.maxVsStable !== undefined)
    parts.push(
      s.bad === 'higher'
        ? `above ${s.maxVsStable}× stable (${model.stable})`
        : `below stable (${model.stable}) / ${s.maxVsStable}`,
    );
  return parts.join(' and ');
}

export function userSignalAlerts(model: RolloutModel): AlertRule[] {
  const t = istioTarget(model);
  const scale = model.metrics.timeScale;
  const who = `${model.namespace}/${model.name}`;
  const routing = effectiveRouting(model);
  const rules: AlertRule[] = [];
  for (const s of model.signals ?? []) {
    const { windowMs, shortMs, countMs } = userSignalWindowsMs(model, s);
    const window = windowLabel(windowMs);
    const enough = binary('>=', canarySamples(t, s, windowMs, countMs), num(s.minSamples));
    const significant = beyondLimits(t, s, windowMs);
    const persisting = beyondLimits(t, s, shortMs);
    const forFast = promDuration(persistenceForMs(shortMs, scale));
    const forSustained = promDuration(blipProofForMs(windowMs, scale));
    const limits = describeLimits(model, s);
    const what = `Canary ${model.canary} signal ${s.name} over ${window} is ${limits}, with at least ${s.minSamples} evaluations in ${windowLabel(countMs)}`;
    const verb = s.action === 'rollback' ? 'roll back' : 'hold the split';
    rules.push(
      {
        alert: alertName(s),
        expr: render(
          binary('and', binary('and', significant, persisting, { matching: ON_NOTHING }), enough, {
            matching: ON_NOTHING,
          }),
        ),
        for: forFast,
        labels: labelsOf(model, s, s.action),
        annotations: {
          summary: `${who}: canary ${model.canary} ${s.name} {{ $value }} over ${window}`,
          description: `${what}, and has stayed so over every ${windowLabel(shortMs)} for ${forFast}: ${verb}.`,
        },
      },
      {
        alert: `${alertName(s)}Sustained`,
        expr: render(binary('and', significant, enough, { matching: ON_NOTHING })),
        for: forSustained,
        labels: labelsOf(model, s, s.action),
        annotations: {
          summary: `${who}: canary ${model.canary} ${s.name} {{ $value }} over ${window}, sustained`,
          description: `${what}, for ${forSustained}: ${verb}.`,
        },
      },
    );
    if (routing.canaryWeight > 0 || routing.cohortRoute) {
      const count = binary('or', sum(canarySamples(t, s, windowMs, countMs)), call('vector', num(0)));
      rules.push({
        alert: `${alertName(s)}NoData`,
        expr: render(binary('<', count, num(s.minSamples))),
        for: promDuration(tooFewRequestsForMs(scale)),
        labels: labelsOf(model, s, 'hold'),
        annotations: {
          summary: `${who}: only {{ $value }} evaluations of signal ${s.name} for canary ${model.canary} in ${windowLabel(countMs)}, ${s.minSamples} needed`,
          description: `The query of signal ${s.name} returns too little for canary ${model.canary} (or nothing at all); no verdict until it has. Check the metric and its version label.`,
        },
      });
    }
  }
  return rules;
}
