import { parser } from '@prometheus-io/lezer-promql';
import { App, Chart } from 'cdk8s';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { describe, expect, it } from 'vitest';
import { RolloutDashboard, dashboardUid } from '../../constructs/rollout-dashboard.js';
import type { RolloutModel } from '../../constructs/model.js';
import { objectLabels } from '../../constructs/virtual-service.js';
import { rolloutModel } from './fixtures.js';

function synth(model: RolloutModel): Record<string, any>[] {
  const chart = new Chart(new App({ outdir: '/nonexistent' }), 'test');
  new RolloutDashboard(chart, 'Dashboard', { rollout: model });
  return chart.toJson();
}

function dashboardOf(model: RolloutModel): Record<string, any> {
  const [cm] = synth(model);
  return JSON.parse(cm.data[`${model.name}.json`]);
}

function isValidPromql(expr: string): boolean {
  let ok = true;
  parser.parse(expr).iterate({
    enter: (n) => {
      if (n.type.isError) ok = false;
    },
  });
  return ok;
}

const panelByTitle = (d: Record<string, any>, prefix: string) => d.panels.find((p: any) => p.title.startsWith(prefix));

describe('RolloutDashboard', () => {
  it('emits one schema-valid ConfigMap the Grafana sidecar picks up, in the rollout namespace', () => {
    const objects = synth(rolloutModel());
    expect(objects).toHaveLength(1);
    const cm = objects[0]!;
    expect(() => new ConfigMap(cm as any).validate()).not.toThrow();
    expect(cm.apiVersion).toBe('v1');
    expect(cm.kind).toBe('ConfigMap');
    expect(cm.metadata).toEqual({
      name: 'checkout-stagegate-dashboard',
      namespace: 'shop',
      labels: { ...objectLabels(rolloutModel()), grafana_dashboard: '1' },
    });
    expect(Object.keys(cm.data)).toEqual(['checkout.json']);
  });

  it('is byte-identical across runs and carries a uid derived from namespace/name', () => {
    expect(JSON.stringify(synth(rolloutModel()))).toBe(JSON.stringify(synth(rolloutModel())));
    const d = dashboardOf(rolloutModel());
    expect(d.uid).toBe('stagegate-shop-checkout');
    expect(d.title).toBe('stagegate: shop/checkout');
    expect(d.panels.map((p: any) => p.id)).toEqual([1, 2, 3, 4]);
    expect(JSON.stringify(d)).not.toMatch(/20\d\d-\d\d-\d\dT/);
  });

  it("keeps long uids within Grafana's 40 characters and distinct per namespace", () => {
    const a = dashboardUid('a-very-long-namespace-name', 'a-very-long-rollout-name');
    const b = dashboardUid('another-long-namespace-nam', 'a-very-long-rollout-name');
    expect(a.length).toBeLessThanOrEqual(40);
    expect(a).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(a).not.toBe(b);
    expect(dashboardUid('a-very-long-namespace-name', 'a-very-long-rollout-name')).toBe(a);
  });

  it('draws request rate, 5xx ratio, p99 latency and canary weight with valid PromQL', () => {
    const d = dashboardOf(rolloutModel());
    expect(d.panels.map((p: any) => p.title)).toEqual([
      'Request rate by version',
      '5xx ratio: canary vs stable',
      'p99 latency: canary vs stable',
      'Canary weight (observed request share)',
    ]);
    const exprs: string[] = d.panels.flatMap((p: any) => p.targets.map((t: any) => t.expr));
    expect(exprs.length).toBe(6);
    for (const expr of [...exprs, d.annotations.list[0].expr]) expect(isValidPromql(expr), expr).toBe(true);
  });

  it('selects Istio series by service, namespace, reporter and the configured version label', () => {
    const d = dashboardOf(
      rolloutModel({ metrics: { reporter: 'source', versionLabel: 'destination_canonical_revision' } }),
    );
    const rate = panelByTitle(d, 'Request rate').targets[0].expr;
    expect(rate).toBe(
      'sum by (destination_canonical_revision) (rate(istio_requests_total{reporter="source", ' +
        'destination_service_name="checkout", destination_service_namespace="shop", destination_canonical_revision=~"v1|v2"}[5m]))',
    );
    expect(panelByTitle(d, 'Request rate').targets[0].legendFormat).toBe('{{destination_canonical_revision}}');
    expect(panelByTitle(d, '5xx ratio').targets[0].expr).toContain('response_code=~"5.."');
    expect(panelByTitle(d, 'p99').targets[0].expr).toMatch(
      /^histogram_quantile\(0\.99, sum by \(destination_canonical_revision, le\) \(rate\(istio_request_duration_milliseconds_bucket\{reporter="source"/,
    );
  });

  it('draws the errorRatio.max and latencyP99Ms.max limits as red threshold lines', () => {
    const d = dashboardOf(
      rolloutModel({
        health: { errorRatio: { max: 0.02, maxVsStable: 3 }, latencyP99Ms: { max: 250, maxVsStable: 1.2 } },
      }),
    );
    const errors = panelByTitle(d, '5xx ratio');
    expect(errors.fieldConfig.defaults.thresholds.steps).toEqual([
      { color: 'green', value: null },
      { color: 'red', value: 0.02 },
    ]);
    expect(errors.fieldConfig.defaults.custom.thresholdsStyle).toEqual({ mode: 'line' });
    expect(errors.fieldConfig.defaults.unit).toBe('percentunit');
    expect(errors.targets[1].expr).toMatch(
      /^3 \* \(sum by \(destination_version\) \(rate\(istio_requests_total\{.*destination_version="v1"\}\[5m\]\)\) \/ /,
    );
    const latency = panelByTitle(d, 'p99');
    expect(latency.fieldConfig.defaults.thresholds.steps.at(-1)).toEqual({ color: 'red', value: 250 });
    expect(latency.fieldConfig.defaults.unit).toBe('ms');
    expect(latency.targets[1].legendFormat).toBe('limit: 1.2 × stable');
  });

  it('shows the canary weight as the observed canary share of requests', () => {
    const weight = panelByTitle(dashboardOf(rolloutModel()), 'Canary weight');
    expect(weight.fieldConfig.defaults.unit).toBe('percent');
    expect(weight.targets[0].expr).toMatch(
      /^100 \* \(sum\(rate\(istio_requests_total\{.*destination_version="v2"\}\[5m\]\)\) \/ sum\(rate\(istio_requests_total\{[^}]*destination_version=~"v1\|v2"\}\[5m\]\)\)\)$/,
    );
  });

  it('stays byte-identical when only the live stage or abort changes, so a stage PR touches one object', () => {
    const base = synth(rolloutModel({ stage: 'one-percent' }));
    expect(synth(rolloutModel({ stage: 'half' }))).toEqual(base);
    expect(synth(rolloutModel({ abort: { reason: 'errors', at: '2026-11-20T14:02:11Z' } }))).toEqual(base);
  });

  it('annotates firing stagegate alerts of this rollout only', () => {
    const d = dashboardOf(rolloutModel({ name: 'search', namespace: 'discovery' }));
    expect(d.annotations.list[0].expr).toBe(
      'ALERTS{alertstate="firing", stagegate_rollout="search", stagegate_namespace="discovery"}',
    );
  });
});
