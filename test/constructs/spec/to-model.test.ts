import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, OUTLIER_DEFAULTS } from '../../../constructs/model.js';
import { parseIntent, toModel, validateDocument, type RolloutDocument } from '../../../constructs/spec/index.js';

const minimal: RolloutDocument = {
  apiVersion: 'stagegate.dev/v1alpha1',
  kind: 'Rollout',
  metadata: { name: 'checkout' },
  spec: {
    service: { host: 'checkout', port: 8080 },
    stable: 'v1',
    canary: 'v2',
    stages: [
      { name: 'ten', weight: 10, bake: '1h30m' },
      { name: 'full', weight: 100 },
    ],
    stage: 'ten',
  },
};

describe('toModel', () => {
  it('resolves every default of a minimal intent', () => {
    expect(validateDocument(minimal)).toEqual([]);
    expect(toModel(minimal)).toEqual({
      name: 'checkout',
      namespace: 'default',
      service: { host: 'checkout', port: 8080, gateways: ['mesh'] },
      versionLabel: 'version',
      stable: 'v1',
      canary: 'v2',
      stages: [
        { name: 'ten', weight: 10, cohort: false, bakeMs: 5_400_000 },
        { name: 'full', weight: 100, cohort: false },
      ],
      stage: 'ten',
      health: {
        errorRatio: { max: 0.01, maxVsStable: 2 },
        latencyP99Ms: { max: 500, maxVsStable: 1.5 },
        minRequests: 'auto',
        saturation: { max: 0.01 },
      },
      // Outlier detection by default (OUTLIER_DEFAULTS; issue 11).
      trafficPolicy: {
        outlierDetection: {
          consecutive5xxErrors: 5,
          intervalMs: 10_000,
          baseEjectionTimeMs: 30_000,
          maxEjectionPercent: 10,
          minHealthPercent: 50,
        },
      },
      timebox: { stageMs: 86_400_000, rolloutMs: 604_800_000 },
      metrics: { reporter: 'destination', versionLabel: 'destination_version', timeScale: 1, protocol: 'http' },
      traffic: { baselineErrorRatio: 0.001 },
      dashboard: false,
      alerts: { labels: {}, namespace: 'default' },
      istio: { apiVersion: 'networking.istio.io/v1' },
    });
  });

  it('takes its defaults from DEFAULTS', () => {
    const model = toModel(minimal);
    expect(model.namespace).toBe(DEFAULTS.namespace);
    expect(model.service.gateways).toEqual(DEFAULTS.gateways);
    expect(model.traffic.baselineErrorRatio).toBe(DEFAULTS.errorRatio.max / DEFAULTS.baselineDivisor);
  });

  it('counts errors the http way unless the intent says grpc', () => {
    expect(toModel(minimal).metrics.protocol).toBe('http');
    expect(DEFAULTS.metrics.protocol).toBe('http');
    const grpc = toModel({ ...minimal, spec: { ...minimal.spec, metrics: { protocol: 'grpc' } } });
    expect(grpc.metrics.protocol).toBe('grpc');
  });

  it('keeps the cohort route from the first cohort stage to the last, with weight 0 by default', () => {
    const doc: RolloutDocument = {
      ...minimal,
      spec: {
        ...minimal.spec,
        cohort: { header: 'x-cohort', values: ['internal'] },
        stages: [
          { name: 'warm', weight: 0, bake: '5m' },
          { name: 'internal', cohort: true, bake: '30m' },
          { name: 'ten', weight: 10, bake: '1h' },
          { name: 'full', weight: 100 },
        ],
        stage: 'warm',
      },
    };
    expect(validateDocument(doc)).toEqual([]);
    expect(toModel(doc).stages.map((s) => [s.name, s.weight, s.cohort])).toEqual([
      ['warm', 0, false],
      ['internal', 0, true],
      ['ten', 10, true],
      ['full', 100, true],
    ]);
  });

  it('derives the baseline error ratio from an explicit errorRatio.max', () => {
    const doc: RolloutDocument = { ...minimal, spec: { ...minimal.spec, health: { errorRatio: { max: 0.05 } } } };
    expect(toModel(doc).traffic.baselineErrorRatio).toBeCloseTo(0.005, 12);
    expect(toModel(doc).health.errorRatio).toEqual({ max: 0.05, maxVsStable: 2 });
  });

  it('converts every trafficPolicy duration to milliseconds and leaves unset fields out', () => {
    const doc: RolloutDocument = {
      ...minimal,
      spec: {
        ...minimal.spec,
        trafficPolicy: {
          timeout: '2s',
          retries: { attempts: 2, perTryTimeout: '500ms' },
          outlierDetection: { interval: '10s', baseEjectionTime: '30s' },
          connectionPool: { tcp: { connectTimeout: '1s' }, http: { idleTimeout: '1m', maxRetries: 0 } },
        },
      },
    };
    expect(validateDocument(doc)).toEqual([]);
    expect(toModel(doc).trafficPolicy).toEqual({
      timeoutMs: 2000,
      retries: { attempts: 2, perTryTimeoutMs: 500 },
      outlierDetection: { ...OUTLIER_DEFAULTS, intervalMs: 10_000, baseEjectionTimeMs: 30_000 },
      connectionPool: { tcp: { connectTimeoutMs: 1000 }, http: { idleTimeoutMs: 60_000, maxRetries: 0 } },
    });
  });

  it('gives an intent without outlierDetection the default ejection, and none for outlierDetection: false', () => {
    expect(toModel(minimal).trafficPolicy.outlierDetection).toEqual(OUTLIER_DEFAULTS);
    const off: RolloutDocument = { ...minimal, spec: { ...minimal.spec, trafficPolicy: { outlierDetection: false } } };
    expect(validateDocument(off)).toEqual([]);
    expect(toModel(off).trafficPolicy).toEqual({});
    // Envoy keeps consecutive_5xx 5 active when only gateway errors are given: written out.
    const gateway: RolloutDocument = {
      ...minimal,
      spec: { ...minimal.spec, trafficPolicy: { outlierDetection: { consecutiveGatewayErrors: 3 } } },
    };
    expect(toModel(gateway).trafficPolicy.outlierDetection).toEqual({
      ...OUTLIER_DEFAULTS,
      consecutiveGatewayErrors: 3,
    });
  });

  it('puts the PrometheusRule in the rollout namespace unless alerts.namespace says otherwise', () => {
    const doc: RolloutDocument = {
      ...minimal,
      metadata: { name: 'checkout', namespace: 'shop' },
      spec: { ...minimal.spec, alerts: { labels: { release: 'kube-prometheus-stack' } } },
    };
    expect(toModel(doc).alerts).toEqual({ labels: { release: 'kube-prometheus-stack' }, namespace: 'shop' });
    const moved = { ...doc, spec: { ...doc.spec, alerts: { namespace: 'monitoring' } } };
    expect(toModel(moved).alerts).toEqual({ labels: {}, namespace: 'monitoring' });
  });

  it('carries abort, traffic and dashboard through unchanged', () => {
    const doc: RolloutDocument = {
      ...minimal,
      spec: {
        ...minimal.spec,
        abort: { reason: 'errors: canary 4.1 % vs stable 0.2 %', at: '2026-11-26T10:00:00Z' },
        traffic: { requestsPerSecond: 120, baselineErrorRatio: 0.002 },
        dashboard: true,
      },
    };
    const model = toModel(doc);
    expect(model.abort).toEqual({ reason: 'errors: canary 4.1 % vs stable 0.2 %', at: '2026-11-26T10:00:00Z' });
    expect(model.traffic).toEqual({ requestsPerSecond: 120, baselineErrorRatio: 0.002 });
    expect(model.dashboard).toBe(true);
  });

  it('resolves the docs/design.md §1 example to the model the constructs expect', () => {
    const result = parseIntent(
      'rollouts/checkout.yaml',
      readFileSync('test/fixtures/good-intents/checkout.yaml', 'utf8'),
    );
    if (!result.ok) throw new Error(result.problems.map((p) => p.message).join('\n'));
    const { model, document } = result;
    expect('abort' in document.spec).toBe(false);
    expect(model.namespace).toBe('shop');
    expect(model.abort).toBeUndefined();
    expect(model.stages.map((s) => [s.name, s.weight, s.cohort, s.bakeMs])).toEqual([
      ['internal', 0, true, 1_800_000],
      ['one-percent', 1, true, 3_600_000],
      ['ten-percent', 10, true, 7_200_000],
      ['half', 50, true, 7_200_000],
      ['full', 100, true, undefined],
    ]);
    expect(model.health.latencyP99Ms).toEqual({ max: 300, maxVsStable: 1.5 });
    expect(model.trafficPolicy.outlierDetection).toEqual({
      consecutive5xxErrors: 5,
      intervalMs: 10_000,
      baseEjectionTimeMs: 30_000,
      maxEjectionPercent: 50,
      minHealthPercent: 50,
    });
    expect(model.timebox).toEqual({ stageMs: 86_400_000, rolloutMs: 604_800_000 });
  });
});
