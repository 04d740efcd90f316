/**
 * Fleet-wide alerts (docs/design.md §7, rule cost: "Fleet-wide recordings, measured"): the
 * alerts of alert-rules.ts written once per metrics shape and per `for`, for every rollout at once,
 * over the series fleet-rules.ts joins to each rollout. A rollout's numbers (its limits, its
 * minimum sample) come from a params series its own group writes (`stagegate:rollout_param`, fleet-params.ts),
 * and its windows from labels every joined series carries (FLEET_WINDOW_LABELS), so one rule
 * serves all the rollouts whose alert has the same windows and `for`: each selector matches only
 * them, and each comparison pairs a rollout's series `on(rollout, namespace)`.
 *
 * What this is for: the opt-in `alerts.layout: fleet` (docs/design.md §7, "Fleet layout (opt-in)"),
 * which synth writes into stagegate-fleet (fleet-prometheus-rule.ts), and the rule-cost bench
 * (`RULE_COST_VARIANT=fleet-alerts`); the equivalence test test/promtool/fleet-rules.test.ts shows
 * the same alerts fire at the same evaluations as the per-rollout rules.
 */
import {
  ALERT_LABEL_ACTION,
  ALERT_LABEL_NAMESPACE,
  ALERT_LABEL_ROLLOUT,
  ALERT_LABEL_SEVERITY,
  ALERT_LABEL_SIGNAL,
  recordedSeriesName,
  type AlertAction,
  type AlertSeverity,
  type AlertSignal,
  type RecordedKind,
} from './conventions.js';
import { decisionWindowMs, ERROR_RATIO_FLOOR, LATENCY_FLOOR_MS, shortWindowMs } from './detectability.js';
import { liveStage, type RolloutModel } from './model.js';
import type { AlertRule, RecordingRule, Rule } from './alert-rules.js';
import { saturationWindowMs } from './recording-rules.js';
import {
  aggregate,
  anyOf,
  binary,
  call,
  eq,
  num,
  promDuration,
  re,
  render,
  selector,
  str,
  sum,
  type Expr,
} from './promql/ast.js';
import { ISTIO_DURATION_BUCKETS_MS } from './promql/istio.js';
import { fleetName } from './fleet-reads.js';
import {
  BURN_LABEL,
  DECISION_LABEL,
  ON,
  param,
  series,
  SHAPE_LABEL,
  SHORT_LABEL,
  type Bucket,
  type Param,
  windowLabels,
} from './fleet-params.js';
import {
  blipProofForMs,
  burnPairs,
  persistenceForMs,
  tooFewRequestsForMs,
  trainWindowMs,
  windowLabel,
  type BurnPair,
} from './promql/windows.js';

/** promql/rollout-queries.ts relativeLimitExpr, per rollout: `vs × stable + floor`, or the floor. */
function relative(kind: RecordedKind, w: number, vs: Param, floor: number, b: Bucket): Expr {
  const scaled = binary('+', binary('*', series(kind, w, 'stable', b), param(vs, b), { matching: ON }), num(floor));
  return binary('or', scaled, binary('+', binary('*', param(vs, b), num(0)), num(floor)), { matching: ON });
}

/** Canary `kind` on `w` above `max` and above `limit`, per rollout. */
function above(kind: RecordedKind, w: number, max: Expr, limit: Expr, b: Bucket): Expr {
  return binary('>', binary('>', series(kind, w, 'canary', b), max, { matching: ON }), limit, { matching: ON });
}

/** `expr`, for the rollouts with at least their minimum sample of canary requests in `w`. */
function withSample(expr: Expr, w: number, b: Bucket): Expr {
  const count = binary('*', series('requests', w, 'canary', b), num(w / 1000));
  return binary('and', expr, binary('>=', count, param('min_requests', b), { matching: ON }), { matching: ON });
}

/** promql/rollout-queries.ts thresholdExpr, per rollout: above both limits on `w`, with the sample. */
function threshold(kind: RecordedKind, w: number, max: Expr, limit: Expr, b: Bucket): Expr {
  return withSample(above(kind, w, max, limit, b), w, b);
}

/** The recorded p99 limit (fleet-wide p99LimitRules below), or the absolute limit before it exists. */
function p99Limit(w: number, b: Bucket): Expr {
  const shape = b.m.filter((m) => m.label === SHAPE_LABEL);
  return binary('or', selector(recordedSeriesName('p99_limit', windowLabel(w)), shape), param('latency_max', b), {
    matching: ON,
  });
}

/**
 * recording-rules.ts's p99 limit for every rollout of decision window `w`: `vs × stable p99 +
 * floor` rounded up to the next bucket bound when above the absolute limit, else the limit
 * (promql/rollout-queries.ts roundUpToBucketExpr, with the limit a series). Two rules: the
 * rollouts above the limit (`stagegate:fleet_p99_over_max:rate<W>`), then the limit, whose 20
 * bucket ceilings read that recording. A rule runs after the one before it in the group, so it
 * reads this evaluation's recording, and a series that stops matching is marked stale at once
 * (prometheus/prometheus rules/group.go); only after a Prometheus restart or a failed evaluation,
 * when there is no previous evaluation to compare with, can a ceiling read an older sample, for up
 * to the 5m lookback, as every alert reading a recording can.
 */
function p99LimitRules(w: number, b: Bucket, shape: string): RecordingRule[] {
  const x = binary(
    '+',
    binary('*', series('p99', w, 'stable', b), param('latency_vs_stable', b), { matching: ON }),
    num(LATENCY_FLOOR_MS),
  );
  // `vs × stable p99 + floor` where above the absolute limit, recorded once for the ceilings below
  // to read: in one expression Prometheus would evaluate its two joins again for every bound.
  const aboveRecord = fleetName('p99_over_max', w);
  const above = {
    record: aboveRecord,
    expr: render(binary('>', x, param('latency_max', b), { matching: ON })),
    labels: { [SHAPE_LABEL]: shape },
  };
  // Its series keep only the rollout, the namespace and the shape: a one-to-one match `on(...)`
  // keeps only the `on` labels (Prometheus promql resultMetric); the name says the window.
  const xAbove = selector(
    aboveRecord,
    b.m.filter((m) => m.label === SHAPE_LABEL),
  );
  const ceilings = [...new Set(ISTIO_DURATION_BUCKETS_MS)]
    .sort((a, c) => a - c)
    .map(
      (c): Expr =>
        call(
          'label_replace',
          binary('+', binary('*', binary('<=', xAbove, num(c)), num(0)), num(c)),
          str('bound'),
          str(String(c)),
          str(''),
          str(''),
        ),
    )
    .reduce((a, c) => binary('or', a, c));
  const limited = binary('or', binary('or', ceilings, xAbove, { matching: ON }), param('latency_max', b), {
    matching: ON,
  });
  return [
    above,
    {
      record: recordedSeriesName('p99_limit', windowLabel(w)),
      expr: render(aggregate('min', limited, [ALERT_LABEL_ROLLOUT, ALERT_LABEL_NAMESPACE])),
      labels: { [SHAPE_LABEL]: shape },
    },
  ];
}

function alert(
  name: string,
  expr: Expr,
  forMs: number | string,
  signal: AlertSignal,
  action: AlertAction,
  severity: AlertSeverity,
  summary: string,
): Rule {
  // The rollout and namespace labels come from the series (every one carries them), not the rule.
  const rule = {
    alert: name,
    expr: render(expr),
    for: typeof forMs === 'string' ? forMs : promDuration(forMs),
    labels: { [ALERT_LABEL_SIGNAL]: signal, [ALERT_LABEL_ACTION]: action, [ALERT_LABEL_SEVERITY]: severity },
    annotations: {
      summary: `{{ $labels.${ALERT_LABEL_NAMESPACE} }}/{{ $labels.${ALERT_LABEL_ROLLOUT} }}: ${summary}`,
      description: `${summary}; the rollout's limits are its stagegate:rollout_param series.`,
    },
  };
  return rule as unknown as AlertRule;
}

/** `items` by `key`, each group in the order of `items`, the groups in the order of their first item. */
export const groupBy = <T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> => {
  const out = new Map<string, T[]>();
  for (const i of items) out.set(key(i), [...(out.get(key(i)) ?? []), i]);
  return out;
};

/**
 * The fleet's p99 limits, then its alerts, for `models` (one metrics shape): alert-rules.ts's
 * alerts, one rule per alert and distinct windows/`for` among the rollouts; user signals and
 * drills stay in each rollout's own group.
 */
export function fleetAlertRules(models: readonly RolloutModel[], shape: string): Rule[] {
  const own = eq(SHAPE_LABEL, shape);
  const scale = models[0]!.metrics.timeScale;
  const info = models.map((m) => {
    const stage = liveStage(m);
    return { m, W: decisionWindowMs(m, stage), S: shortWindowMs(m, stage), labels: windowLabels(m) };
  });
  const rules: Rule[] = [];
  const byW = groupBy(info, (i) => String(i.W));
  const wOf = (k: string) => Number(k);
  const decision = (W: number): Bucket => ({ m: [own, eq(DECISION_LABEL, windowLabel(W))] });
  // The rollouts of any of these decision windows.
  const byDecision = (of: readonly { W: number }[]): Bucket => ({
    m: [own, re(DECISION_LABEL, anyOf([...new Set(of.map((i) => windowLabel(i.W)))]))],
  });
  for (const k of [...byW.keys()].sort((a, c) => wOf(a) - wOf(c)))
    rules.push(...p99LimitRules(wOf(k), decision(wOf(k)), shape));

  // The fast thresholds: decision and short window, `for` by the short one.
  for (const [, group] of groupBy(info, (i) => `${i.W}/${i.S}`)) {
    const { W, S } = group[0]!;
    const b: Bucket = { m: [own, eq(DECISION_LABEL, windowLabel(W)), eq(SHORT_LABEL, windowLabel(S))] };
    const errorLimit = relative('error_ratio', W, 'error_vs_stable', ERROR_RATIO_FLOOR, b);
    const errMax = param('error_ratio_max', b);
    const fast = (kind: RecordedKind, max: Expr, limit: Expr) =>
      withSample(binary('and', above(kind, W, max, limit, b), above(kind, S, max, limit, b), { matching: ON }), W, b);
    const forMs = persistenceForMs(S, scale);
    rules.push(
      alert(
        'StagegateCanaryErrorRatio',
        fast('error_ratio', errMax, errorLimit),
        forMs,
        'errors',
        'rollback',
        'critical',
        `canary 5xx ratio {{ $value | humanizePercentage }} over ${windowLabel(W)}`,
      ),
      alert(
        'StagegateCanaryLatencyP99',
        fast('p99', param('latency_max', b), p99Limit(W, b)),
        forMs,
        'latency',
        'rollback',
        'critical',
        `canary p99 {{ $value }} ms over ${windowLabel(W)}`,
      ),
    );
  }
  // The sustained backstops, the shared-outage hold and the too-few-requests hold: decision window.
  for (const k of [...byW.keys()].sort((a, c) => wOf(a) - wOf(c))) {
    const W = wOf(k);
    const b = decision(W);
    const forMs = blipProofForMs(W, scale);
    const errMax = param('error_ratio_max', b);
    const errorLimit = relative('error_ratio', W, 'error_vs_stable', ERROR_RATIO_FLOOR, b);
    const shared = binary(
      'and',
      binary('>', series('error_ratio', W, 'canary', b), errMax, { matching: ON }),
      binary('>', series('error_ratio', W, 'stable', b), errMax, { matching: ON }),
      { matching: ON },
    );
    const canaryCount = binary(
      'or',
      sum(series('requests', W, 'canary', b), [ALERT_LABEL_ROLLOUT, ALERT_LABEL_NAMESPACE]),
      binary('*', param('too_few_min_requests', b), num(0)),
      { matching: ON },
    );
    rules.push(
      alert(
        'StagegateCanaryErrorRatioSustained',
        threshold('error_ratio', W, errMax, errorLimit, b),
        forMs,
        'errors',
        'rollback',
        'critical',
        `canary 5xx ratio {{ $value | humanizePercentage }} over ${windowLabel(W)}, sustained`,
      ),
      alert(
        'StagegateCanaryLatencyP99Sustained',
        threshold('p99', W, param('latency_max', b), p99Limit(W, b), b),
        forMs,
        'latency',
        'rollback',
        'critical',
        `canary p99 {{ $value }} ms over ${windowLabel(W)}, sustained`,
      ),
      alert(
        'StagegateErrorsSharedWithStable',
        withSample(shared, W, b),
        tooFewRequestsForMs(scale),
        'errors',
        'hold',
        'warning',
        `canary and stable both fail over ${windowLabel(W)}`,
      ),
      alert(
        'StagegateCanaryTooFewRequests',
        binary('<', binary('*', canaryCount, num(W / 1000)), param('too_few_min_requests', b), { matching: ON }),
        tooFewRequestsForMs(scale),
        'traffic',
        'hold',
        'warning',
        `only {{ $value }} canary requests in ${windowLabel(W)}`,
      ),
    );
  }
  // Recurring errors: every rollout whose decision window is shorter than the train window.
  const short = info.filter((i) => trainWindowMs(i.W, scale) !== undefined);
  if (short.length > 0) {
    const T = trainWindowMs(short[0]!.W, scale)!;
    const b = byDecision(short);
    const limit = relative('error_ratio', T, 'error_vs_stable', ERROR_RATIO_FLOOR, b);
    rules.push(
      alert(
        'StagegateCanaryErrorRatioRecurring',
        threshold('error_ratio', T, param('error_ratio_max', b), limit, b),
        blipProofForMs(T, scale),
        'errors',
        'rollback',
        'critical',
        `canary 5xx ratio {{ $value | humanizePercentage }} over ${windowLabel(T)}, recurring`,
      ),
    );
  }
  // Burn rates: one rule per pair and `for` (it depends on the budget, windows.ts burnForMs).
  burnPairs(scale).forEach((pair: BurnPair, p) => {
    for (const [forText] of groupBy(info, (i) => i.labels[BURN_LABEL].split('/')[p]!)) {
      const b: Bucket = { m: [own, re(BURN_LABEL, p === 0 ? `${forText}/.*` : `.*/${forText}`)] };
      const threshold = binary('*', param('error_ratio_max', b), num(pair.factor));
      const burning = (w: number) =>
        above('error_ratio', w, threshold, relative('error_ratio', w, 'error_vs_stable', ERROR_RATIO_FLOOR, b), b);
      rules.push(
        alert(
          pair.name === 'fast' ? 'StagegateCanaryErrorBudgetFastBurn' : 'StagegateCanaryErrorBudgetSlowBurn',
          withSample(binary('and', burning(pair.shortMs), burning(pair.longMs), { matching: ON }), pair.longMs, b),
          forText,
          'errors',
          'rollback',
          pair.severity,
          `canary burns its error budget ${pair.factor}× too fast`,
        ),
      );
    }
  });
  // Overflow: the saturation window, max(W, 5m).
  for (const [, group] of groupBy(info, (i) => String(saturationWindowMs(i.m, i.W)))) {
    const sat = saturationWindowMs(group[0]!.m, group[0]!.W);
    const b = byDecision(group);
    const limit = relative('uo_ratio', sat, 'error_vs_stable', ERROR_RATIO_FLOOR, b);
    rules.push(
      alert(
        'StagegateCanaryOverflow',
        threshold('uo_ratio', sat, param('saturation_max', b), limit, b),
        blipProofForMs(sat, scale),
        'saturation',
        'hold',
        'warning',
        `canary sheds {{ $value | humanizePercentage }} of requests (Envoy UO) over ${windowLabel(sat)}`,
      ),
    );
  }
  return rules;
}
