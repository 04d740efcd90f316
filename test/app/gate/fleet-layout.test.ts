/**
 * The gate in the fleet layout (issue 17; constructs/fleet-rules.ts, constructs/fleet-alerts.ts):
 * the built-in alerts of every rollout of a metrics shape are rules of one fleet group, each rule
 * serving many rollouts, so a rule's own state is whichever rollout's. The gate must read its
 * rollout's state from the alert instances labelled with it, over every rule of the alert's name.
 *
 * The Prometheus here answers /api/v1/rules as Prometheus does: the groups of the fleet layout's files,
 * each alerting rule with one active instance per series its expression returns (labels: the
 * series' with the rule's and `alertname`; its own `state`, `activeAt`, `value`; prometheus/
 * prometheus web/api/v1/api.go `Alert`, from `AlertingRule.ActiveAlerts()`), and the rule's state
 * the strongest of its instances' (rules/alerting.go `AlertingRule.State`). A rule has an instance
 * for a rollout only when its selectors match the rollout's series (its shape and window labels).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { evaluateGate, type AlertObservation } from '../../../app/gate/evaluate.js';
import {
  PrometheusApi,
  type AlertInstance,
  type RangeSeries,
  type RuleState,
  type Sample,
} from '../../../app/gate/prometheus-api.js';
import { alertRules, isAlertRule } from '../../../constructs/alert-rules.js';
import { ALERT_LABEL_NAMESPACE, ALERT_LABEL_ROLLOUT, ruleGroupName } from '../../../constructs/conventions.js';
import { parseDuration } from '../../../constructs/duration.js';
import { BURN_LABEL, ROLE_LABEL, SHAPE_LABEL, windowLabels } from '../../../constructs/fleet-params.js';
import { fleetGroupName, fleetRolloutGroup, fleetSharedGroups } from '../../../constructs/fleet-rules.js';
import type { RolloutModel } from '../../../constructs/model.js';
import { parseIntent } from '../../../constructs/spec/index.js';
import { rolloutModel } from '../../constructs/fixtures.js';

const NOW = new Date('2026-12-03T08:00:00Z');

const fleet = (m: RolloutModel): RolloutModel => ({
  ...m,
  alerts: { labels: {}, namespace: m.namespace, ...m.alerts, layout: 'fleet' },
});

/** Rollouts of one shape whose live stages have different windows, so an alert has several fleet rules. */
const rollout = (name: string, rps: number, stage: string, errorRatioMax = 0.01) =>
  fleet(
    rolloutModel({
      name,
      service: { host: name, port: 8080, gateways: ['mesh'] },
      stage,
      traffic: { requestsPerSecond: rps, baselineErrorRatio: 0.002 },
      health: { errorRatio: { max: errorRatioMax, maxVsStable: 2 } },
    }),
  );
const A = rollout('orders', 2000, 'half');
const B = rollout('search', 2000, 'half');
const C = rollout('basket', 200, 'one-percent');
const FLEET = [A, B, C];

interface Instance {
  readonly model: RolloutModel;
  readonly alert: string;
  readonly state: AlertInstance['state'];
}

/** The labels of `model`'s series in the fleet rules (fleet-rules.ts keeps these on every joined series). */
function seriesLabels(model: RolloutModel): Record<string, string> {
  const shape = /^stagegate\.fleet\.(.+)$/.exec(fleetGroupName(model))![1]!;
  return {
    [ALERT_LABEL_ROLLOUT]: model.name,
    [ALERT_LABEL_NAMESPACE]: model.namespace,
    [ROLE_LABEL]: 'canary',
    [SHAPE_LABEL]: shape,
    [model.metrics.versionLabel]: model.canary,
    ...windowLabels(model),
  };
}

/** Whether every shape and window matcher of `expr` matches `labels` (what decides which rule returns the rollout's series). */
function selects(expr: string, labels: Record<string, string>): boolean {
  for (const m of expr.matchAll(/\b(stagegate_(?:shape|decision|short|burn))(=~|=)"((?:[^"\\]|\\.)*)"/g)) {
    const value = labels[m[1]!] ?? '';
    const want = JSON.parse(`"${m[3]!}"`) as string;
    if (m[2] === '=' ? value !== want : !new RegExp(`^(?:${want})$`).test(value)) return false;
  }
  return true;
}

const strongest = (states: readonly string[]): RuleState['state'] =>
  states.includes('firing') ? 'firing' : states.includes('pending') ? 'pending' : 'inactive';

class FleetPrometheus extends PrometheusApi {
  constructor(
    private readonly models: readonly RolloutModel[],
    private readonly instances: readonly Instance[],
    private readonly opts: {
      /** Drop the fleet groups (the fleet's PrometheusRule is not applied). */
      readonly withoutFleet?: boolean;
      /** Whether the rollouts' recorded series exist. */
      readonly recorded?: boolean;
      /** Range-query answers of the expression fallback, by expression. */
      readonly ranges?: ReadonlyMap<string, RangeSeries[]>;
    } = {},
  ) {
    super('http://prometheus.invalid');
  }

  override async alertRules(): Promise<RuleState[]> {
    // What generated/stagegate-fleet.k8s.yaml and each rollout's file hold (docs/design.md §7).
    const shared = this.opts.withoutFleet ? [] : fleetSharedGroups(this.models, { alerts: 'fleet' });
    const groups = [...shared, ...this.models.map(fleetRolloutGroup)];
    return groups.flatMap((g) =>
      g.rules.filter(isAlertRule).map((rule): RuleState => {
        const alerts = this.instances
          .filter((i) => i.alert === rule.alert)
          .filter((i) => shared.includes(g) || g.name === ruleGroupName(i.model.name))
          .filter((i) => selects(rule.expr, seriesLabels(i.model)))
          .map(
            (i): AlertInstance => ({
              labels: { ...seriesLabels(i.model), ...rule.labels, alertname: rule.alert },
              state: i.state,
              activeAt: '2026-12-03T07:40:00Z',
              value: 0.2,
            }),
          );
        return {
          group: g.name,
          name: rule.alert,
          query: rule.expr,
          state: strongest(alerts.map((a) => a.state)),
          alerts,
        };
      }),
    );
  }

  override async query(expr: string): Promise<Sample[]> {
    // Telemetry audit (app/gate/telemetry-audit.ts): both versions' Istio series exist.
    if (expr.startsWith('count by ('))
      return ['v1', 'v2'].map((v) => ({ labels: { destination_version: v, version: v }, value: 1 }));
    // The recorded series the gate probes for (one per rollout whose rules are loaded).
    if (expr.startsWith('stagegate:istio_requests:rate5m{'))
      return this.opts.recorded === false
        ? []
        : this.models
            .filter((m) => expr.includes(`${ALERT_LABEL_ROLLOUT}="${m.name}"`))
            .map((m) => ({ labels: seriesLabels(m), value: 10 }));
    if (expr.startsWith('stagegate:signal_'))
      return [{ labels: {}, value: expr.includes('destination_version="v2"') ? 0.97 : 0.99 }];
    // Evidence: plenty of requests, no errors.
    if (expr.includes('increase('))
      return [
        { labels: { destination_version: 'v1' }, value: 1_000_000 },
        { labels: { destination_version: 'v2' }, value: 1_000_000 },
      ];
    return [];
  }

  override async queryRange(expr: string): Promise<RangeSeries[]> {
    return this.opts.ranges?.get(expr) ?? [];
  }
}

const gate = (model: RolloutModel, prometheus: PrometheusApi) => evaluateGate({ model, prometheus, now: NOW });
const stateOf = (alerts: readonly AlertObservation[], name: string) => alerts.find((a) => a.alert === name)?.state;

describe('the gate in the fleet layout', () => {
  it('fails the rollout whose instance fires, never another rollout of the same fleet rule', async () => {
    const prometheus = new FleetPrometheus(FLEET, [{ model: A, alert: 'StagegateCanaryErrorRatio', state: 'firing' }]);
    // One rule serves both (same windows), and its own state is firing.
    const rules = (await prometheus.alertRules()).filter((r) => r.name === 'StagegateCanaryErrorRatio');
    const serving = rules.filter((r) => selects(r.query, seriesLabels(A)) && selects(r.query, seriesLabels(B)));
    expect(serving.map((r) => r.state)).toEqual(['firing']);

    const a = await gate(A, prometheus);
    expect(a.kind).toBe('fail');
    expect(a.reasons.join('; ')).toContain('(StagegateCanaryErrorRatio firing)');
    const b = await gate(B, prometheus);
    expect(b.kind).toBe('pass');
    // From the rules API, not from evaluating the expressions itself.
    expect(new Set(b.alerts.map((x) => x.source))).toEqual(new Set(['rules-api']));
    expect(stateOf(b.alerts, 'StagegateCanaryErrorRatio')).toBe('inactive');
  });

  it("reads pending or firing from the rollout's own instance, over every fleet rule of the name", async () => {
    const prometheus = new FleetPrometheus(FLEET, [
      { model: A, alert: 'StagegateCanaryErrorRatio', state: 'pending' },
      { model: B, alert: 'StagegateCanaryErrorRatio', state: 'firing' },
      { model: C, alert: 'StagegateCanaryErrorRatio', state: 'firing' },
      { model: C, alert: 'StagegateCanaryErrorRatioSustained', state: 'pending' },
    ]);
    const a = await gate(A, prometheus);
    expect(stateOf(a.alerts, 'StagegateCanaryErrorRatio')).toBe('pending');
    expect(a.kind).toBe('hold');
    expect(a.reasons[0]).toMatch(/^suspected regression, confirming: .*\(StagegateCanaryErrorRatio pending\)$/);
    // C's instance is in another rule of the name than A's and B's.
    const rules = (await prometheus.alertRules()).filter((r) => r.name === 'StagegateCanaryErrorRatio');
    const holding = (m: RolloutModel) =>
      rules.findIndex((r) => r.alerts.some((x) => x.labels[ALERT_LABEL_ROLLOUT] === m.name));
    expect(holding(C)).not.toBe(holding(A));
    expect(holding(A)).toBe(holding(B));
    expect(rules[holding(A)]!.state).toBe('firing');
    const c = await gate(C, prometheus);
    expect(stateOf(c.alerts, 'StagegateCanaryErrorRatio')).toBe('firing');
    expect(stateOf(c.alerts, 'StagegateCanaryErrorRatioSustained')).toBe('pending');
    expect(c.kind).toBe('fail');
  });

  it("reads the user signals' alerts from the rollout's own group, where the fleet layout keeps them", async () => {
    const FILE = 'docs/examples/signals/checkout-signals.yaml';
    const parsed = parseIntent(FILE, readFileSync(FILE, 'utf8'));
    if (!parsed.ok) throw new Error(`${FILE} does not parse`);
    const model = fleet(parsed.model);
    const prometheus = new FleetPrometheus(
      [model],
      [{ model, alert: 'StagegateSignalCheckoutSuccessSustained', state: 'firing' }],
    );
    const verdict = await gate(model, prometheus);
    expect(verdict.kind).toBe('fail');
    expect(verdict.reasons.join('; ')).toContain('(StagegateSignalCheckoutSuccessSustained firing)');
    expect(new Set(verdict.alerts.map((x) => x.source))).toEqual(new Set(['rules-api']));
  });

  it('falls back as today without the fleet group: the expressions, and a hold naming both files without the series', async () => {
    // The recorded series exist (say the rollout's rules were evaluated before): its alert
    // expressions are evaluated here; this one held at every evaluation of its `for`.
    const rule = alertRules(A).find((r) => r.alert === 'StagegateCanaryErrorRatio')!;
    const forMs = parseDuration(rule.for!);
    const step = Math.max(1, Math.min(60, Math.floor(forMs / 5000)));
    const end = NOW.getTime() / 1000;
    const points: [number, number][] = [];
    for (let t = end - forMs / 1000; t <= end; t += step) points.push([t, 0.2]);
    const ranges = new Map([[rule.expr, [{ labels: seriesLabels(A), points }]]]);
    const expressions = await gate(A, new FleetPrometheus(FLEET, [], { withoutFleet: true, ranges }));
    expect(new Set(expressions.alerts.map((x) => x.source))).toEqual(new Set(['expression']));
    expect(stateOf(expressions.alerts, 'StagegateCanaryErrorRatio')).toBe('firing');
    expect(expressions.kind).toBe('fail');

    // Neither the fleet's rules nor the series: hold, naming what to apply.
    const missing = await gate(A, new FleetPrometheus(FLEET, [], { withoutFleet: true, recorded: false }));
    expect(missing.kind).toBe('hold');
    expect(missing.reasons[0]).toBe(
      'the rules of shop/orders are not loaded in Prometheus (no stagegate:istio_requests:rate5m series); ' +
        'apply the PrometheusRules in generated/stagegate-fleet.k8s.yaml and generated/orders.k8s.yaml',
    );
  });

  it("holds when the fleet's rules are loaded but were written without this rollout (no series of it)", async () => {
    const prometheus = new FleetPrometheus(FLEET, [], { recorded: false });
    const verdict = await gate(A, prometheus);
    expect(verdict.kind).toBe('hold');
    expect(verdict.reasons[0]).toBe(
      'the rules of shop/orders are not loaded in Prometheus (no stagegate:istio_requests:rate5m series); ' +
        'apply the PrometheusRules in generated/stagegate-fleet.k8s.yaml and generated/orders.k8s.yaml',
    );
  });

  it("evaluates the expressions itself when no fleet rule serves the rollout's windows (a fleet group older than its intent)", async () => {
    // The fleet's rules were written when orders had a 1 % error budget; its intent now says
    // 0.1 %, so its burn-rate alerts wait longer (another `for`) and no loaded burn rule selects it.
    const stricter = rollout('orders', 2000, 'half', 0.001);
    expect(windowLabels(stricter)[BURN_LABEL]).not.toBe(windowLabels(A)[BURN_LABEL]);
    const prometheus = new FleetPrometheus(FLEET, [{ model: B, alert: 'StagegateCanaryErrorRatio', state: 'firing' }]);
    const verdict = await gate(stricter, prometheus);
    expect(new Set(verdict.alerts.map((x) => x.source))).toEqual(new Set(['expression']));
    expect(verdict.kind).toBe('pass');
    // B's windows are the fleet's: its alerts come from the rules API.
    const b = await gate(B, prometheus);
    expect(new Set(b.alerts.map((x) => x.source))).toEqual(new Set(['rules-api']));
    expect(b.kind).toBe('fail');
  });
});
