import { App, Chart } from 'cdk8s';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { describe, expect, it } from 'vitest';
import { buildRuleGroups } from '../../constructs/alert-rules.js';
import { RolloutAlerts } from '../../constructs/rollout-alerts.js';
import { rolloutModel } from './fixtures.js';

function synth(model = rolloutModel()) {
  const chart = new Chart(new App(), 'test');
  const alerts = new RolloutAlerts(chart, 'alerts', { rollout: model });
  return { alerts, manifest: alerts.apiObject.toJson() as Record<string, any> };
}

describe('RolloutAlerts', () => {
  it('creates one PrometheusRule that passes the prometheus-operator schema', () => {
    const { manifest } = synth();
    expect(() =>
      new PrometheusRule(manifest as ConstructorParameters<typeof PrometheusRule>[0]).validate(),
    ).not.toThrow();
    expect(manifest.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(manifest.kind).toBe('PrometheusRule');
  });

  it('names it <rollout>-stagegate in the rollout namespace with the managed-by and rollout labels', () => {
    const { manifest } = synth();
    expect(manifest.metadata).toEqual({
      name: 'checkout-stagegate',
      namespace: 'shop',
      labels: { 'app.kubernetes.io/managed-by': 'stagegate', 'stagegate.dev/rollout': 'checkout' },
    });
  });

  it('carries exactly the rule groups buildRuleGroups returns, also exposed as data', () => {
    const model = rolloutModel({ stage: 'ten-percent' });
    const { alerts, manifest } = synth(model);
    expect(manifest.spec.groups).toEqual(buildRuleGroups(model));
    expect(alerts.groups).toEqual(buildRuleGroups(model));
  });

  it('is deterministic: the same model gives byte-identical JSON', () => {
    expect(JSON.stringify(synth().manifest)).toBe(JSON.stringify(synth().manifest));
  });
});
