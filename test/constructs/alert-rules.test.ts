import { describe, expect, it } from 'vitest';
import {
  buildRuleGroups,
  findAlert,
  findAlerts,
  isAlertRule,
  type AlertRule,
  type RuleGroup,
} from '../../constructs/alert-rules.js';
import { render, selector } from '../../constructs/promql/ast.js';
import { roundUpToBucketExpr } from '../../constructs/promql/rollout-queries.js';
import type { RolloutModel } from '../../constructs/model.js';
import { rolloutModel } from './fixtures.js';
import { promqlSyntaxError } from './promql/syntax.js';

const VARIANTS: Record<string, RolloutModel> = {
  'the 1 % stage': rolloutModel(),
  'the cohort stage': rolloutModel({ stage: 'internal' }),
  'the 100 % stage': rolloutModel({ stage: 'full' }),
  'an aborted rollout': rolloutModel({ abort: { reason: 'errors', at: '2026-11-26T10:00:00Z' } }),
  'source reporter and canonical revision': rolloutModel({
    metrics: { reporter: 'source', versionLabel: 'destination_canonical_revision' },
  }),
  'low traffic': rolloutModel({ traffic: { requestsPerSecond: 5 } }),
  'unknown traffic': rolloutModel({ traffic: { requestsPerSecond: undefined } }),
  'a fixed minimum sample': rolloutModel({ health: { minRequests: 1234 } }),
  'a tiny error budget': rolloutModel({
    health: { errorRatio: { max: 0.0005, maxVsStable: 2 } },
    traffic: { baselineErrorRatio: 0.00005 },
  }),
  'dotted versions': rolloutModel({ stable: 'v1.2.0', canary: 'v1.3.0' }),
};

const allRules = (groups: readonly RuleGroup[]) => groups.flatMap((g) => g.rules);
const alertNamed = (groups: readonly RuleGroup[], name: string): AlertRule =>
  allRules(groups)
    .filter(isAlertRule)
    .find((a) => a.alert === name)!;

describe('buildRuleGroups', () => {
  it.each(Object.entries(VARIANTS))('generates only PromQL the official grammar parses (%s)', (_, model) => {
    for (const rule of allRules(buildRuleGroups(model))) {
      expect({ rule: 'alert' in rule ? rule.alert : rule.record, error: promqlSyntaxError(rule.expr) }).toEqual({
        rule: 'alert' in rule ? rule.alert : rule.record,
        error: undefined,
      });
    }
  });

  it.each(Object.entries(VARIANTS))('labels every alert with the docs/design.md §2 labels (%s)', (_, model) => {
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
    expect(groups.map((g) => g.name)).toEqual(['stagegate.checkout.alerts', 'stagegate.checkout.slow']);
    // Raw windows 5m, the 2m short and the 10m recurring-errors window (the 5m decision window is
    // a burn window) × (request rate + error ratio) and the base 5m error rate, derived 30m/1h/6h
    // × (request rate + error ratio), the short window's bucket rates, p99 on both windows, the
    // p99 limit, the UO share; 10 alerts (with the recurring-errors rollback and the shared-errors
    // hold, docs/design.md Alert design).
    expect(allRules(groups).length).toBe(28);
    // The slow pair's derived 30m and 6h are the slow group's, evaluated every 2m.
    expect(groups[1]!.interval).toBe('2m');
    expect(
      groups[1]!.rules.map((r) => ('record' in r ? r.record : r.alert)).filter((r) => r.includes('ratio')),
    ).toEqual(['stagegate:istio_requests_5xx:ratio_rate30m', 'stagegate:istio_requests_5xx:ratio_rate6h']);
    // 1h decision and 30m short windows are burn windows and W ≥ 10m: nothing extra to record,
    // and no recurring-errors alert (the sustained backstop already counts over 1h).
    expect(allRules(buildRuleGroups(rolloutModel({ traffic: { requestsPerSecond: 40 } }))).length).toBe(23);
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
    expect(rollbacks).toHaveLength(6);
    for (const a of rollbacks)
      expect(a.expr).toMatch(/\(stagegate:istio_requests:rate\w+\{[^}]*destination_version="v2"\} \* \d+\) >= 1234\)$/);
  });

  it('compares canary with stable on() single series and falls back to the floor without stable traffic', () => {
    const groups = buildRuleGroups(rolloutModel());
    const sel = (kind: string, w: string, v: string) =>
      `stagegate:${kind}${w}{stagegate_rollout="checkout", stagegate_namespace="shop", destination_version="${v}"}`;
    const limit = `(((2 * ${sel('istio_requests_5xx:ratio_rate', '5m', 'v1')}) + 0.001) or on() vector(0.001))`;
    const sample = `((${sel('istio_requests:rate', '5m', 'v2')} * 300) >= 396)`;
    const above = (w: string) => `(${sel('istio_requests_5xx:ratio_rate', w, 'v2')} > 0.01) > on() ${limit}`;
    expect(alertNamed(groups, 'StagegateCanaryErrorRatioSustained').expr).toBe(`(${above('5m')}) and on() ${sample}`);
    // The fast alert: the same on the 5m decision window and on the 2m short window, against
    // the limit stable sets on the decision window.
    expect(alertNamed(groups, 'StagegateCanaryErrorRatio').expr).toBe(
      `((${above('5m')}) and on() (${above('2m')})) and on() ${sample}`,
    );
  });

  it('rounds the relative p99 limit up to the next Istio bucket bound above the absolute limit', () => {
    const groups = buildRuleGroups(rolloutModel());
    const rule = allRules(groups).find(
      (r) => 'record' in r && r.record === 'stagegate:istio_request_duration_milliseconds:p99_limit_rate5m',
    )!;
    const x =
      '((1.5 * stagegate:istio_request_duration_milliseconds:p99_rate5m{stagegate_rollout="checkout", stagegate_namespace="shop", destination_version="v1"}) + 5)';
    const bounds = [500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000]
      .map((c) => `label_replace(vector(${c}), "bound", "${c}", "", "")`)
      .reduce((acc, c) => `(${acc} or ${c})`);
    // The smallest bound above both 300 ms and x; x past the last bound; 300 when x is not above it.
    expect(rule.expr).toBe(
      `min(min(${bounds} >= on() group_left() (${x} > 300)) or on() ((${x} > 300) or on() vector(300)))`,
    );
    expect(render(roundUpToBucketExpr(selector('x'), 300, [100, 250, 500, 1000]))).toBe(
      'min(min((label_replace(vector(500), "bound", "500", "", "") or label_replace(vector(1000), "bound", "1000", "", "")) >= on() group_left() (x > 300)) or on() ((x > 300) or on() vector(300)))',
    );
    expect(render(roundUpToBucketExpr(selector('x'), 250, [100, 250]))).toBe('min((x > 250) or on() vector(250))');
    const latency = alertNamed(groups, 'StagegateCanaryLatencyP99').expr;
    expect(latency).toContain(
      '> on() (stagegate:istio_request_duration_milliseconds:p99_limit_rate5m{stagegate_rollout="checkout", stagegate_namespace="shop"} or on() vector(300))',
    );
    expect(latency).toContain('stagegate:istio_request_duration_milliseconds:p99_rate2m{');
  });

  it('finds alerts by their labels and says how to narrow an ambiguous selector', () => {
    const groups = buildRuleGroups(rolloutModel());
    expect(findAlerts(groups, { signal: 'latency' }).map((a) => a.labels.stagegate_action)).toEqual([
      'rollback',
      'rollback',
    ]);
    expect(findAlert(groups, { signal: 'traffic', action: 'hold' }).labels.severity).toBe('warning');
    expect(() => findAlert(groups, { signal: 'errors' })).toThrow(
      'expected exactly one alert with {"signal":"errors"}, found 6; narrow the selector (add severity), or pick the alert by name',
    );
  });

  it('drops the hold alert when the canary gets no traffic by design (aborted rollout)', () => {
    const groups = buildRuleGroups(rolloutModel({ abort: { reason: 'errors', at: '2026-11-26T10:00:00Z' } }));
    expect(findAlerts(groups, { signal: 'traffic' })).toEqual([]);
  });

  it('waits out a blip: fast alerts persist for short window + 1m blip, backstops for window + 1m blip + 2m slack', () => {
    const groups = buildRuleGroups(rolloutModel());
    expect(['StagegateCanaryErrorRatio', 'StagegateCanaryLatencyP99'].map((n) => alertNamed(groups, n).for)).toEqual([
      '3m',
      '3m',
    ]);
    expect(
      ['StagegateCanaryErrorRatioSustained', 'StagegateCanaryLatencyP99Sustained'].map(
        (n) => alertNamed(groups, n).for,
      ),
    ).toEqual(['8m', '8m']);
    expect(findAlert(groups, { signal: 'errors', action: 'rollback', severity: 'warning' }).for).toBe('15m');
    // Failures counted over 10m at every weight: 10m + 1m blip + 2m slack.
    expect(alertNamed(groups, 'StagegateCanaryErrorRatioRecurring').for).toBe('13m');
  });

  it('widens the decision and short windows at low traffic and lengthens for with them', () => {
    // 5 rps at 1 %: 0.05 canary rps; 2 × ~400 requests take ~4.4 h → the 6h window, and the
    // short window (400 requests: 2.2 h) is capped at it.
    const groups = buildRuleGroups(rolloutModel({ traffic: { requestsPerSecond: 5 } }));
    expect(alertNamed(groups, 'StagegateCanaryLatencyP99').expr).toContain('p99_rate6h');
    expect(alertNamed(groups, 'StagegateCanaryLatencyP99').for).toBe('6h1m');
    expect(alertNamed(groups, 'StagegateCanaryLatencyP99Sustained').for).toBe('6h3m');
  });

  it('gives the fast burn pair a blip-proof for when the budget is too small to dilute a blip', () => {
    const fastBurn = (model: RolloutModel) =>
      findAlerts(buildRuleGroups(model), { signal: 'errors', severity: 'critical' }).find((a) =>
        a.expr.includes('ratio_rate1h'),
      )!;
    expect(fastBurn(rolloutModel()).for).toBe('2m');
    expect(fastBurn(VARIANTS['a tiny error budget']!).for).toBe('8m');
  });
});
