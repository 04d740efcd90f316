import { App, Chart, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { RolloutResources, StagedRollout, type StagedRolloutProps, toModel } from '../../constructs/index.js';

const base: StagedRolloutProps = {
  namespace: 'shop',
  service: { host: 'checkout', port: 8080 },
  stable: 'v1',
  canary: 'v2',
  cohort: { header: 'x-stagegate-cohort', values: ['internal', 'qa'] },
  stages: [
    { name: 'internal', cohort: true, bake: '30m' },
    { name: 'one-percent', weight: 1, bake: '1h' },
    { name: 'half', weight: 50, bake: '2h' },
    { name: 'full', weight: 100 },
  ],
  stage: 'internal',
};

function synth(props: StagedRolloutProps) {
  const chart = Testing.chart();
  new StagedRollout(chart, 'checkout', props);
  return Testing.synth(chart) as Array<{ kind: string; spec: any; metadata: any }>;
}
const byKind = (objects: ReturnType<typeof synth>, kind: string) => objects.find((o) => o.kind === kind)!;

describe('StagedRollout (TypeScript)', () => {
  it('emits a VirtualService, a DestinationRule and a PrometheusRule named after the rollout', () => {
    const objects = synth(base);
    expect(objects.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'VirtualService/shop/checkout',
      'DestinationRule/shop/checkout',
      'PrometheusRule/shop/checkout-stagegate',
    ]);
  });

  it('routes the cohort header to canary before weights', () => {
    const http = byKind(synth(base), 'VirtualService').spec.http;
    expect(http[0].name).toBe('stagegate-cohort');
    expect(http[0].match).toEqual([
      { headers: { 'x-stagegate-cohort': { exact: 'internal' } } },
      { headers: { 'x-stagegate-cohort': { exact: 'qa' } } },
    ]);
    expect(http[0].route).toEqual([
      { destination: { host: 'checkout', port: { number: 8080 }, subset: 'canary' }, weight: 100 },
    ]);
    expect(http[1].name).toBe('stagegate-default');
    expect(http[1].route.map((r: any) => [r.destination.subset, r.weight])).toEqual([
      ['stable', 100],
      ['canary', 0],
    ]);
  });

  it('keeps the cohort on canary while the weight widens', () => {
    const http = byKind(synth({ ...base, stage: 'half' }), 'VirtualService').spec.http;
    expect(http.map((r: any) => r.name)).toEqual(['stagegate-cohort', 'stagegate-default']);
    expect(http[1].route.map((r: any) => r.weight)).toEqual([50, 50]);
  });

  it('sends everything to stable and drops the cohort route when aborted', () => {
    const vs = byKind(
      synth({ ...base, stage: 'half', abort: { reason: 'errors 4 %', at: '2026-11-26T10:00:00Z' } }),
      'VirtualService',
    );
    expect(vs.spec.http).toHaveLength(1);
    expect(vs.spec.http[0].route.map((r: any) => r.weight)).toEqual([100, 0]);
    expect(vs.metadata.annotations).toEqual({ 'stagegate.dev/abort-reason': 'errors 4 %' });
    expect(vs.metadata.labels['stagegate.dev/stage']).toBe('aborted');
  });

  it('selects subsets by the version label and carries the traffic policy', () => {
    const dr = byKind(
      synth({
        ...base,
        versionLabel: 'app.kubernetes.io/version',
        trafficPolicy: {
          timeout: '2s',
          retries: { attempts: 2, perTryTimeout: '500ms', retryOn: '5xx' },
          outlierDetection: {
            consecutive5xxErrors: 5,
            interval: '10s',
            baseEjectionTime: '30s',
            maxEjectionPercent: 50,
          },
          connectionPool: { http: { http1MaxPendingRequests: 1024 } },
        },
      }),
      'DestinationRule',
    );
    expect(dr.spec.subsets).toEqual([
      { name: 'stable', labels: { 'app.kubernetes.io/version': 'v1' } },
      { name: 'canary', labels: { 'app.kubernetes.io/version': 'v2' } },
    ]);
    expect(dr.spec.trafficPolicy).toEqual({
      // minHealthPercent 50: stagegate's default, so ejection never empties a subset (README "Traffic policy").
      outlierDetection: {
        consecutive5xxErrors: 5,
        interval: '10s',
        baseEjectionTime: '30s',
        maxEjectionPercent: 50,
        minHealthPercent: 50,
      },
      connectionPool: { http: { http1MaxPendingRequests: 1024 } },
    });
  });

  it('puts timeout and retries on every route', () => {
    const http = byKind(
      synth({ ...base, trafficPolicy: { timeout: '90s', retries: { attempts: 3, perTryTimeout: '1500ms' } } }),
      'VirtualService',
    ).spec.http;
    for (const route of http) {
      expect(route.timeout).toBe('90s');
      expect(route.retries).toEqual({ attempts: 3, perTryTimeout: '1.5s' });
    }
  });

  it('reports invalid props through cdk8s validation with the construct path and field', () => {
    const app = new App({ outdir: '/nonexistent' });
    const chart = new Chart(app, 'test');
    new StagedRollout(chart, 'checkout', { ...base, stages: [{ name: 'full', weight: 140 }], stage: 'full' });
    expect(() => app.synthYaml()).toThrow(
      /\[test\/checkout\] spec\.stages\[0\]\.weight: must be between 0 and 100 \(got 140\)/,
    );
  });

  it('takes its name from the construct id unless given one', () => {
    expect(byKind(synth({ ...base, name: 'checkout-eu' }), 'VirtualService').metadata.name).toBe('checkout-eu');
  });
});

describe('StagedRollout dashboard', () => {
  it('adds a Grafana dashboard ConfigMap only when asked', () => {
    expect(synth(base).map((o) => o.kind)).not.toContain('ConfigMap');
    const cm = byKind(synth({ ...base, dashboard: true }), 'ConfigMap');
    expect(cm.metadata.name).toBe('checkout-stagegate-dashboard');
    expect(cm.metadata.labels.grafana_dashboard).toBe('1');
  });
});

describe('RolloutResources', () => {
  const model = toModel({
    apiVersion: 'stagegate.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'checkout', namespace: 'shop' },
    spec: base,
  });

  it('always has its children, typed without optionals, built from a resolved model', () => {
    const resources = new RolloutResources(Testing.chart(), 'checkout', { rollout: model });
    expect(resources.model).toBe(model);
    expect(resources.virtualService!.apiObject.kind).toBe('VirtualService');
    expect(resources.destinationRule.apiObject.kind).toBe('DestinationRule');
    expect(resources.alerts.groups.map((g) => g.name)).toEqual([
      'stagegate.checkout.alerts',
      'stagegate.checkout.slow',
    ]);
    expect(resources.dashboard).toBeUndefined();
  });

  it('is what StagedRollout builds from valid props, and absent when they are invalid', () => {
    const chart = Testing.chart();
    const valid = new StagedRollout(chart, 'checkout', base);
    expect(valid.resources?.model).toEqual(model);
    const invalid = new StagedRollout(chart, 'broken', { ...base, stage: 'nowhere' });
    expect(invalid.resources).toBeUndefined();
    expect(() => Testing.synth(chart)).toThrow(/\[test\/broken\] spec\.stage: must be one of the stage names/);
  });
});
