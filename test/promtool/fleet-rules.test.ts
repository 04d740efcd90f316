/**
 * Fleet-wide recordings (constructs/fleet-rules.ts, docs/design.md §7) against the per-rollout
 * rules they stand in for, under promtool, in one run over the same series: seven rollouts of
 * different traffic (so different decision and short windows, raw and derived long windows, p99 on
 * the short window and summed over a longer one) and three metrics shapes, failing, slow, healthy,
 * starved and sharing an outage; one whose stable gets faster, so its relative p99 limit falls
 * under the absolute one. The per-rollout rules are loaded renamed (`stagegate:` → `ref:`, alerts
 * `Ref…`), so both sets run side by side, and every recorded series and every alert must be the
 * same at every evaluation.
 */
import { describe, expect, it } from 'vitest';
import { buildRuleGroups, isAlertRule, type Rule, type RuleGroup } from '../../constructs/alert-rules.js';
import { fleetRuleGroups } from '../../constructs/fleet-rules.js';
import type { RolloutModel } from '../../constructs/model.js';
import {
  promtoolWorkdir,
  testRules,
  writeRuleFile,
  type InputSeries,
  type PromqlExprTest,
} from '../../tools/promtool.js';
import { rolloutModel } from '../constructs/fixtures.js';
import { scenarioSeries, steady, stepAt, type Scenario } from './scenario.js';

const MINUTE = 60;
const DURATION_S = 100 * MINUTE;
const STEP_S = 30;
const REGRESSION_S = 40 * MINUTE;

const rollout = (name: string, rps: number, stage: string, metrics: Partial<RolloutModel['metrics']> = {}) =>
  rolloutModel({
    name,
    service: { host: name, port: 8080, gateways: ['mesh'] },
    stage,
    traffic: { requestsPerSecond: rps, baselineErrorRatio: 0.002 },
    metrics,
  });

/**
 * Rollouts whose windows differ (a cohort stage, a thin 1 %, a busy 50 %), and of three metrics
 * shapes (http; grpc, whose errors include gRPC statuses; reporter source), which must never read
 * or write each other's series.
 */
const scenarios: Scenario[] = [
  {
    model: rollout('orders', 2000, 'half'),
    canary: { ...steady(1000, 0.002), errorRatio: stepAt(REGRESSION_S, 0.002, 0.2) },
    stable: steady(1000, 0.002),
  },
  {
    model: rollout('search', 400, 'one-percent'),
    canary: { ...steady(40, 0.002), medianMs: stepAt(REGRESSION_S, 40, 400) },
    stable: steady(360, 0.002),
  },
  {
    model: rollout('basket', 200, 'internal'),
    canary: steady(5, 0.002),
    stable: steady(195, 0.002),
  },
  // Holds: a canary that gets nothing, and an outage both versions share while the canary sheds load.
  {
    model: rollout('stock', 400, 'ten-percent'),
    canary: steady(0, 0),
    // Stable gets faster: 1.5 × its p99 + floor falls from above the 300 ms limit to under it.
    stable: { ...steady(400, 0.002), medianMs: stepAt(REGRESSION_S, 40, 10) },
  },
  {
    model: rollout('payments', 800, 'half'),
    canary: {
      ...steady(400, 0.002),
      errorRatio: stepAt(REGRESSION_S, 0.002, 0.08),
      overflowRatio: stepAt(REGRESSION_S, 0, 0.05),
    },
    stable: { ...steady(400, 0.002), errorRatio: stepAt(REGRESSION_S, 0.002, 0.08) },
  },
  {
    model: rollout('ledger', 600, 'ten-percent', { protocol: 'grpc' }),
    canary: { ...steady(60, 0.002), grpcFailureStatus: '14', errorRatio: stepAt(REGRESSION_S, 0.002, 0.2) },
    stable: { ...steady(540, 0.002), grpcFailureStatus: '14' },
  },
  {
    model: rollout('profile', 600, 'ten-percent', { reporter: 'source' }),
    canary: { ...steady(60, 0.002), errorRatio: stepAt(REGRESSION_S, 0.002, 0.2) },
    stable: steady(540, 0.002),
  },
].map((s, i) => ({ ...s, durationS: DURATION_S, stepS: STEP_S, seed: 11 + i, pods: 2 }) as Scenario);
const models = scenarios.map((s) => s.model);

/** The per-rollout rules, renamed so they run beside the fleet's. */
function reference(groups: readonly RuleGroup[]): RuleGroup[] {
  const rename = (rule: Rule): Rule =>
    isAlertRule(rule)
      ? { ...rule, alert: `Ref${rule.alert}`, expr: rule.expr.replaceAll('stagegate:', 'ref:') }
      : {
          ...rule,
          record: rule.record.replace('stagegate:', 'ref:'),
          expr: rule.expr.replaceAll('stagegate:', 'ref:'),
        };
  return groups.map((g) => ({ ...g, name: `ref.${g.name}`, rules: g.rules.map(rename) }));
}

const slow = (g: RuleGroup) => g.name.endsWith('.slow');

function inputSeries(): InputSeries[] {
  const seen = new Map<string, InputSeries>();
  for (const s of scenarios) for (const x of scenarioSeries(s)) if (!seen.has(x.series)) seen.set(x.series, x);
  return [...seen.values()];
}

describe('fleet-wide recordings under promtool', () => {
  it.each(['per-rollout', 'fleet'] as const)(
    'write every series the per-rollout rules write, with the same values, and fire the same alerts (%s alerts)',
    async (mode) => {
      const fleet = fleetRuleGroups(models, { alerts: mode });
      const ref = reference(models.flatMap((m) => buildRuleGroups(m)));
      const recorded = [
        ...new Set(
          models.flatMap((m) =>
            buildRuleGroups(m)
              .flatMap((g) => g.rules)
              .filter((r) => !isAlertRule(r))
              .map((r) => (r as { record: string }).record),
          ),
        ),
        // The base 5xx rate and the short window's bucket rates feed only the rules that derive
        // from them; the fleet keeps those per service (stagegate:fleet_errors, stagegate:fleet_buckets).
      ].filter((name) => !/istio_requests_5xx:rate|_bucket:rate/.test(name));
      expect(recorded.length).toBeGreaterThan(15);
      const span = `[${DURATION_S - 5 * MINUTE}s:1m]`;
      const at = `${DURATION_S}s`;
      // The joined series carry the role and the rollout's windows too (fleet-alerts.ts); compared
      // on what the per-rollout series carry.
      const on = 'on(stagegate_rollout, stagegate_namespace, destination_version)';
      const differs = (a: string, b: string, m = on) =>
        `(abs(${a} - ${m} ${b}) > 1e-9) or (${a} unless ${m} ${b}) or (${b} unless ${m} ${a})`;
      const tests: PromqlExprTest[] = recorded.map((name) => ({
        // From minute 5: the first evaluations see the info series of the evaluation before.
        expr: `count_over_time((${differs(name, name.replace('stagegate:', 'ref:'))})${span})`,
        eval_time: at,
        exp_samples: [],
      }));
      // Alerts by name, state and the docs/design.md §2 labels the gate finds them by: one each.
      const by =
        'count by (alertname, alertstate, stagegate_rollout, stagegate_namespace, stagegate_signal, stagegate_action, severity)';
      const alerts = `${by} (ALERTS{alertname!~"Ref.*"})`;
      const refAlerts = `${by} (label_replace(ALERTS{alertname=~"Ref.*"}, "alertname", "$1", "alertname", "Ref(.*)"))`;
      tests.push({
        expr: `count_over_time((${differs(alerts, refAlerts, '')})${span})`,
        eval_time: at,
        exp_samples: [],
      });
      // Not vacuous: the failing and the slow canary are rolled back, the healthy one is not.
      const firing = (rollout: string) =>
        `count(count_over_time(ALERTS{alertname!~"Ref.*", alertstate="firing", stagegate_action="rollback", stagegate_rollout="${rollout}"}${span.replace(':1m', '')})) > bool 0`;
      for (const [rollout, value] of [
        ['orders', 1],
        ['search', 1],
      ] as const)
        tests.push({ expr: firing(rollout), eval_time: at, exp_samples: [{ value }] });
      tests.push({ expr: firing('basket').replace(' > bool 0', ''), eval_time: at, exp_samples: [] });
      const holds = (rollout: string, ...signals: string[]) => ({
        expr: `count by (stagegate_signal) (count_over_time(ALERTS{alertname!~"Ref.*", alertstate="firing", stagegate_action="hold", stagegate_rollout="${rollout}"}${span.replace(':1m', '')})) > bool 0`,
        eval_time: at,
        exp_samples: signals.map((n) => ({ labels: `{stagegate_signal="${n}"}`, value: 1 })),
      });
      tests.push(holds('stock', 'traffic'), holds('payments', 'errors', 'saturation'), holds('orders'));
      tests.push({ expr: firing('payments').replace(' > bool 0', ''), eval_time: at, exp_samples: [] });
      // Not vacuous either: stock's p99 limit is first the rounded relative one, then the absolute.
      const stockLimit =
        '{__name__=~"stagegate:istio_request_duration_milliseconds:p99_limit_rate.+", stagegate_rollout="stock"}';
      const stock = (op: string, evalTime: string) => ({
        expr: `max by (stagegate_rollout) (${stockLimit} ${op} bool 300)`,
        eval_time: evalTime,
        exp_samples: [{ labels: '{stagegate_rollout="stock"}', value: 1 }],
      });
      tests.push(stock('>', `${REGRESSION_S - 5 * MINUTE}s`), stock('==', at));

      const work = await promtoolWorkdir();
      try {
        await writeRuleFile(work.dir, { groups: [...fleet, ...ref] }, 'rules.json');
        const result = await testRules(work.dir, {
          rule_files: ['rules.json'],
          evaluation_interval: '1m',
          // The fleet's main group first, as it writes what the rollouts' groups read; each slow
          // group after the alerts, as harness.ts orders a rollout's (they read its previous value).
          group_eval_order: [...fleet.filter((g) => !slow(g)), ...fleet.filter(slow), ...ref].map((g) => g.name),
          tests: [{ interval: `${STEP_S}s`, input_series: inputSeries(), promql_expr_test: tests }],
        });
        expect(result.stdout + result.stderr).toContain('SUCCESS');
        expect(result.code).toBe(0);
      } finally {
        await work.dispose();
      }
    },
    120_000,
  );

  it('read the raw Istio series in the fleet groups only, as often for twice the rollouts', () => {
    const raw = /(^|[^:\w])istio_request\w*\{/g;
    const reads = (g: RuleGroup) => g.rules.reduce((n, r) => n + (r.expr.match(raw)?.length ?? 0), 0);
    const more = [
      ...models,
      ...models.map((m) => ({ ...m, name: `${m.name}-2`, service: { ...m.service, host: `${m.service.host}-2` } })),
    ];
    const fleetReads = (ms: readonly RolloutModel[]) =>
      fleetRuleGroups(ms)
        .filter((g) => g.name.startsWith('stagegate.fleet.'))
        .reduce((n, g) => n + reads(g), 0);
    const perRollout = fleetRuleGroups(more).filter((g) => !g.name.startsWith('stagegate.fleet.'));
    expect(perRollout).toHaveLength(more.length);
    expect(perRollout.map(reads)).toEqual(more.map(() => 0));
    expect(fleetReads(more)).toBe(fleetReads(models));
    // The per-rollout rules read them in every rollout's group.
    const refReads = more.flatMap((m) => buildRuleGroups(m)).reduce((n, g) => n + reads(g), 0);
    expect(refReads).toBeGreaterThan(2 * fleetReads(more));
  });

  it("serve every stage: a stage advance changes only the rollout's own group, never the fleet's", () => {
    const advanced = models.map((m, i) => (i === 1 ? { ...m, stage: 'half' } : m));
    const fleetOf = (ms: readonly RolloutModel[]) => fleetRuleGroups(ms, { alerts: 'fleet' });
    const isFleet = (g: RuleGroup) => g.name.startsWith('stagegate.fleet.');
    expect(fleetOf(advanced).filter(isFleet)).toEqual(fleetOf(models).filter(isFleet));
    const own = (ms: readonly RolloutModel[]) => fleetOf(ms).find((g) => g.name === 'stagegate.search.alerts');
    expect(own(advanced)).not.toEqual(own(models));
    // Only the live stage's windows: the fleet groups of the live stages alone are smaller.
    const live = fleetRuleGroups(models, { alerts: 'fleet', stages: 'live' }).filter(isFleet);
    const rules = (gs: readonly RuleGroup[]) => gs.reduce((n, g) => n + g.rules.length, 0);
    expect(rules(live)).toBeLessThan(rules(fleetOf(models).filter(isFleet)));
  });
});
