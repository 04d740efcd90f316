import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { StagedRollout, type StagedRolloutProps } from '../../constructs/index.js';

const base: StagedRolloutProps = {
  namespace: 'shop',
  service: { host: 'checkout', port: 8080 },
  stable: 'v1',
  canary: 'v2',
  stages: [
    { name: 'ten', weight: 10, bake: '1h' },
    { name: 'full', weight: 100 },
  ],
  stage: 'ten',
  signals: [
    {
      name: 'backlog',
      query: 'max(queue_depth{namespace="$namespace", version="$version"})',
      bad: 'higher',
      limit: 500,
      action: 'hold',
    },
  ],
};

describe('StagedRollout with user-defined signals (TypeScript props)', () => {
  it('puts the signal rules into the PrometheusRule', () => {
    const chart = Testing.chart();
    new StagedRollout(chart, 'checkout', base);
    const rule = (Testing.synth(chart) as { kind: string; spec: any }[]).find((o) => o.kind === 'PrometheusRule')!;
    const alerts = rule.spec.groups[0].rules.filter((r: any) => r.labels?.stagegate_signal === 'user:backlog');
    expect(alerts.map((a: any) => [a.alert, a.labels.stagegate_action])).toEqual([
      ['StagegateSignalBacklog', 'hold'],
      ['StagegateSignalBacklogSustained', 'hold'],
      ['StagegateSignalBacklogNoData', 'hold'],
    ]);
  });

  it('refuses a template that does not parse, naming the prop', () => {
    const chart = Testing.chart();
    const signal = { ...base.signals![0]!, query: 'max(queue_depth{version="$version"}' };
    new StagedRollout(chart, 'checkout', { ...base, signals: [signal] });
    expect(() => Testing.synth(chart)).toThrow(
      'spec.signals[0].query: is not valid PromQL: the expression ends too early',
    );
  });
});
