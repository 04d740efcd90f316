import { describe, expect, it } from 'vitest';
import { buildRuleGroups, findAlert, findAlerts, isAlertRule, type RuleGroup } from '../../constructs/alert-rules.js';
import type { RolloutModel } from '../../constructs/model.js';
import { rolloutModel } from './fixtures.js';
import { promqlSyntaxError } from './promql/syntax.js';

const VARIANTS: Record<string, RolloutModel> = {
  'the 1 % stage': rolloutModel(),
  'the cohort stage': rolloutModel({ stage: 'internal' }),
  'the 100 % stage': rolloutModel({ stage: 'full' }),
  'an aborted rollout': rolloutModel({ abort: { reason: 'errors', at: '2026-11-26T10:00:00Z' } }),
  'source reporter and canonical revision': rolloutModel({ metrics: { reporter: 'source', versionLabel: 'destination_canonical_revision' } }),
  'low traffic': rolloutModel({ traffic: { requestsPerSecond: 5 } }),
  'unknown traffic': rolloutModel({ traffic: { requestsPerSecond: undefined } }),
  'a fixed minimum sample': rolloutModel({ health: { minRequests: 1234 } }),
  'a tiny error budget': rolloutModel({ health: { errorRatio: { max: 0.0005, maxVsStable: 2 } }, traffic: { baselineErrorRatio: 0.00005 } }),
  'dotted versions': rolloutModel({ stable: 'v1.2.0', canary: 'v1.3.0' }),
};

const allRules = (groups: readonly RuleGroup[]) => groups.flatMap((g) => g.rules);

describe('buildRuleGroups', () => {
  it.each(Object.entries(VARIANTS))('generates only PromQL the official grammar parses (%s)', (_, model) => {
    for (const rule of allRules(buildRuleGroups(model))) {
      expect({ rule: 'alert' in rule ? rule.alert : rule.record, error: promqlSyntaxError(rule.expr) }).toEqual({
        rule: 'alert' in rule ? rule.alert : rule.record,
        error: undefined,
      });
    }
  });

  it.each(Object.entries(VARIANTS))('labels every alert with the DESIGN.md labels (%s)', (_, model) => {
    const alerts = allRules(buildRuleGroups(model)).filter(isAlertRule);
    expect(alerts.length).toBeGreaterThan(0);
    for (const a of alerts) {
      expect(a.labels.stagegate_rollout).toBe(model.name);
      expect(['errors', 'latency', 'saturation', 'traffic']).toContain(a.labels.stagegate_signal);
      expect(['rollback', 'hold']).toContain(a.labels.stagegate_action);
      expect(['critical', 'warning']).toContain(a.labels.severity);
      expect(a.for).toMatch(/^(\d+h)?(\d+m)?(\d+s)?$/);
    }
  });

  it('names the groups after the rollout and keeps the rule count modest', () => {
    const groups = buildRuleGroups(rolloutModel());
    expect(groups.map((g) => g.name)).toEqual(['stagegate.checkout.recording', 'stagegate.checkout.alerts']);
    expect(allRules(groups).length).toBe(20);
    // A decision window that is not also a burn-rate window adds its three recorded series.
    expect(allRules(buildRuleGroups(rolloutModel({ traffic: { requestsPerSecond: 200 } }))).length).toBe(23);
  });

  it('selects the service, namespace, reporter and both versions in Istio metrics', () => {
    const model = rolloutModel({ metrics: { reporter: 'source', versionLabel: 'destination_canonical_revision' } });
    const first = allRules(buildRuleGroups(model))[0]!;
    expect(first.expr).toBe(
      'sum by (destination_canonical_revision) (rate(istio_requests_total{reporter="source", destination_service_name="checkout", ' +
        'destination_service_namespace="shop", destination_canonical_revision=~"v1|v2"}[5m]))',
    );
  });

  it('requires the minimum sample of canary requests in every rollback alert', () => {
    const groups = buildRuleGroups(rolloutModel({ health: { minRequests: 1234 } }));
    const rollbacks = findAlerts(groups, { action: 'rollback' });
    expect(rollbacks).toHaveLength(4);
    for (const a of rollbacks) expect(a.expr).toMatch(/\(stagegate:istio_requests:rate\w+\{[^}]*destination_version="v2"\} \* \d+\) >= 1234\)$/);
  });

  it('compares canary with stable on() single series and falls back to the floor without stable traffic', () => {
    const [threshold] = findAlerts(buildRuleGroups(rolloutModel()), { signal: 'errors', severity: 'critical' });
    const canary = 'stagegate:istio_requests_5xx:ratio_rate5m{stagegate_rollout="checkout", stagegate_namespace="shop", destination_version="v2"}';
    const stable = 'stagegate:istio_requests_5xx:ratio_rate5m{stagegate_rollout="checkout", stagegate_namespace="shop", destination_version="v1"}';
    const requests = 'stagegate:istio_requests:rate5m{stagegate_rollout="checkout", stagegate_namespace="shop", destination_version="v2"}';
    expect(threshold!.expr).toBe(
      `((${canary} > 0.01) > on() (((2 * ${stable}) + 0.001) or on() vector(0.001))) and on() ((${requests} * 300) >= 396)`,
    );
  });

  it('finds alerts by their labels and says how to narrow an ambiguous selector', () => {
    const groups = buildRuleGroups(rolloutModel());
    expect(findAlert(groups, { signal: 'latency' }).labels.stagegate_action).toBe('rollback');
    expect(findAlert(groups, { signal: 'traffic', action: 'hold' }).labels.severity).toBe('warning');
    expect(() => findAlert(groups, { signal: 'errors' })).toThrow(
      'expected exactly one alert with {"signal":"errors"}, found 3; narrow the selector (add severity)',
    );
  });

  it('drops the hold alert when the canary gets no traffic by design (aborted rollout)', () => {
    const groups = buildRuleGroups(rolloutModel({ abort: { reason: 'errors', at: '2026-11-26T10:00:00Z' } }));
    expect(findAlerts(groups, { signal: 'traffic' })).toEqual([]);
  });

  it('waits out a blip: threshold alerts hold for window + 1m blip + 2m slack', () => {
    const groups = buildRuleGroups(rolloutModel());
    expect(findAlert(groups, { signal: 'latency' }).for).toBe('8m');
    expect(findAlert(groups, { signal: 'errors', severity: 'warning' }).for).toBe('15m');
  });

  it('widens the decision window at low traffic and lengthens for with it', () => {
    // 5 rps at 1 %: 0.05 canary rps; 2 × ~400 requests take ~4.4 h → the 6h window.
    const groups = buildRuleGroups(rolloutModel({ traffic: { requestsPerSecond: 5 } }));
    const latency = findAlert(groups, { signal: 'latency' });
    expect(latency.expr).toContain('p99_rate6h');
    expect(latency.for).toBe('6h3m');
  });

  it('gives the fast burn pair a blip-proof for when the budget is too small to dilute a blip', () => {
    const fastBurn = (model: RolloutModel) =>
      findAlerts(buildRuleGroups(model), { signal: 'errors', severity: 'critical' }).find((a) => a.expr.includes('ratio_rate1h'))!;
    expect(fastBurn(rolloutModel()).for).toBe('2m');
    expect(fastBurn(VARIANTS['a tiny error budget']!).for).toBe('8m');
  });
});
