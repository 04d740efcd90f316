import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../constructs/crd-schemas.js';
import { schemaProblems } from '../../constructs/crd-schemas.js';
import { StagedRollout, type StagedRolloutProps } from '../../constructs/index.js';
import { CHECKOUT_PROPS, synthKind } from './rollout-props.js';

const base = CHECKOUT_PROPS;

function prometheusRule(props: StagedRolloutProps): KubeObject & { metadata: { labels: Record<string, string> } } {
  return synthKind(props, 'PrometheusRule') as never;
}

describe('RolloutAlerts: PrometheusRule metadata (issue 11 item 6)', () => {
  it('carries only the stagegate labels, in the rollout namespace, when the intent says nothing', () => {
    const rule = prometheusRule(base);
    expect(rule.metadata).toEqual({
      name: 'checkout-stagegate',
      namespace: 'shop',
      labels: { 'app.kubernetes.io/managed-by': 'stagegate', 'stagegate.dev/rollout': 'checkout' },
    });
  });

  // kube-prometheus-stack's Prometheus selects rules with `ruleSelector: {matchLabels: {release: <name>}}`;
  // the Prometheus CRD says a null ruleSelector matches no objects. Was: no way to add the label.
  it('adds the intent labels a ruleSelector asks for, and moves the rule to alerts.namespace', () => {
    const rule = prometheusRule({
      ...base,
      alerts: { labels: { release: 'kube-prometheus-stack', team: 'payments' }, namespace: 'monitoring' },
    });
    expect(rule.metadata).toEqual({
      name: 'checkout-stagegate',
      namespace: 'monitoring',
      labels: {
        release: 'kube-prometheus-stack',
        team: 'payments',
        'app.kubernetes.io/managed-by': 'stagegate',
        'stagegate.dev/rollout': 'checkout',
      },
    });
    expect(schemaProblems(rule)).toEqual([]);
  });

  it('refuses an intent label that would replace one stagegate selects its rules by', () => {
    const chart = Testing.chart();
    new StagedRollout(chart, 'checkout', { ...base, alerts: { labels: { 'stagegate.dev/rollout': 'x' } } });
    expect(() => Testing.synth(chart)).toThrow(
      'spec.alerts.labels["stagegate.dev/rollout"]: is set by stagegate on every PrometheusRule (stagegate.dev/rollout); choose another label',
    );
  });
});
