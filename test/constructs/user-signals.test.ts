import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildRuleGroups, isAlertRule } from '../../constructs/alert-rules.js';
import { parseIntent } from '../../constructs/spec/index.js';
import { userSignalAlerts, userSignalRecordingRules } from '../../constructs/user-signals.js';
import { rolloutModel } from './fixtures.js';
import { promqlSyntaxError } from './promql/syntax.js';

const FILE = 'docs/examples/signals/checkout-signals.yaml';

function exampleModel() {
  const r = parseIntent(FILE, readFileSync(FILE, 'utf8'));
  if (!r.ok) throw new Error(`${FILE} does not parse`);
  return r.model;
}

describe('user-defined signal rules', () => {
  it('compiles the example signals to the golden rules (update with vitest -u)', async () => {
    const model = exampleModel();
    const rules = { recording: userSignalRecordingRules(model), alerts: userSignalAlerts(model) };
    await expect(`${JSON.stringify(rules, null, 2)}\n`).toMatchFileSnapshot('__golden__/checkout-signals.rules.json');
  });

  it('writes only rules the official PromQL grammar parses', () => {
    const model = exampleModel();
    const exprs = [...userSignalRecordingRules(model), ...userSignalAlerts(model)].map((r) => r.expr);
    // 4 signals × 2 windows (W, S) × 2 versions, and 3 alerts each.
    expect(exprs.length).toBe(4 * 2 * 2 + 4 * 3);
    expect(exprs.map(promqlSyntaxError).filter((e) => e !== undefined)).toEqual([]);
  });

  it('puts the signal rules in the rollout groups, labelled like the built-in ones', () => {
    const groups = buildRuleGroups(exampleModel());
    const alerts = groups[0]!.rules.filter(isAlertRule).filter((a) => a.labels.stagegate_signal.startsWith('user:'));
    expect(alerts.map((a) => [a.alert, a.labels.stagegate_action, a.labels.severity, a.for])).toEqual([
      ['StagegateSignalCheckoutSuccess', 'rollback', 'critical', '2m'],
      ['StagegateSignalCheckoutSuccessSustained', 'rollback', 'critical', '13m'],
      ['StagegateSignalCheckoutSuccessNoData', 'hold', 'warning', '2m'],
      ['StagegateSignalQueueBacklog', 'rollback', 'critical', '2m'],
      ['StagegateSignalQueueBacklogSustained', 'rollback', 'critical', '8m'],
      ['StagegateSignalQueueBacklogNoData', 'hold', 'warning', '2m'],
      ['StagegateSignalCpuSaturation', 'hold', 'warning', '2m'],
      ['StagegateSignalCpuSaturationSustained', 'hold', 'warning', '8m'],
      ['StagegateSignalCpuSaturationNoData', 'hold', 'warning', '2m'],
      ['StagegateSignalThroughputConsistency', 'hold', 'warning', '2m'],
      ['StagegateSignalThroughputConsistencySustained', 'hold', 'warning', '8m'],
      ['StagegateSignalThroughputConsistencyNoData', 'hold', 'warning', '2m'],
    ]);
  });

  it('leaves a rollout without signals exactly as it was', () => {
    const model = rolloutModel();
    expect(userSignalRecordingRules(model)).toEqual([]);
    expect(userSignalAlerts(model)).toEqual([]);
  });

  it('fills $weight with each version’s share of the split', () => {
    const rules = userSignalRecordingRules(exampleModel()).filter((r) =>
      r.record.startsWith('stagegate:signal_throughput_consistency:'),
    );
    expect(rules.map((r) => [r.labels.destination_version, r.expr.trim().split('\n').at(-2)?.trim()])).toEqual([
      ['v1', '/ 0.9'],
      ['v2', '/ 0.1'],
      ['v1', '/ 0.9'],
      ['v2', '/ 0.1'],
    ]);
  });
});
