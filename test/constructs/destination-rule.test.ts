import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../constructs/crd-schemas.js';
import { StagedRollout, type StagedRolloutProps } from '../../constructs/index.js';

const base: StagedRolloutProps = {
  namespace: 'shop',
  service: { host: 'checkout', port: 8080 },
  stable: 'v1',
  canary: 'v2',
  stages: [
    { name: 'one-percent', weight: 1, bake: '1h' },
    { name: 'full', weight: 100 },
  ],
  stage: 'one-percent',
};

function destinationRule(props: StagedRolloutProps): { trafficPolicy?: Record<string, unknown> } {
  const chart = Testing.chart();
  new StagedRollout(chart, 'checkout', props);
  const dr = (Testing.synth(chart) as KubeObject[]).find((o) => o.kind === 'DestinationRule')!;
  return dr.spec as { trafficPolicy?: Record<string, unknown> };
}

describe('RolloutDestinationRule: outlier detection', () => {
  // Was: no trafficPolicy at all for an intent without one (issue 11, "Outlier detection by default").
  it('gives an intent without trafficPolicy Envoy defaults written out, plus minHealthPercent 50', () => {
    expect(destinationRule(base).trafficPolicy).toEqual({
      outlierDetection: {
        consecutive5xxErrors: 5,
        interval: '10s',
        baseEjectionTime: '30s',
        maxEjectionPercent: 10,
        minHealthPercent: 50,
      },
    });
  });

  it('writes no outlier detection, and no empty trafficPolicy, for outlierDetection: false', () => {
    expect(destinationRule({ ...base, trafficPolicy: { outlierDetection: false } }).trafficPolicy).toBeUndefined();
    expect(
      destinationRule({
        ...base,
        trafficPolicy: { outlierDetection: false, connectionPool: { tcp: { maxConnections: 10 } } },
      }).trafficPolicy,
    ).toEqual({ connectionPool: { tcp: { maxConnections: 10 } } });
  });

  // pilot applyOutlierDetection leaves Envoy's consecutive_5xx 5 (enforcing 100) on when
  // consecutive5xxErrors is unset: the DestinationRule says so instead of hiding it.
  it('writes consecutive5xxErrors 5 beside consecutiveGatewayErrors, as Envoy applies it anyway', () => {
    const od = destinationRule({ ...base, trafficPolicy: { outlierDetection: { consecutiveGatewayErrors: 3 } } })
      .trafficPolicy?.outlierDetection;
    expect(od).toEqual({
      consecutive5xxErrors: 5,
      consecutiveGatewayErrors: 3,
      interval: '10s',
      baseEjectionTime: '30s',
      maxEjectionPercent: 10,
      minHealthPercent: 50,
    });
  });

  it('keeps what the intent says over the defaults, consecutive5xxErrors 0 (gateway errors only) included', () => {
    const od = destinationRule({
      ...base,
      trafficPolicy: {
        outlierDetection: { consecutive5xxErrors: 0, consecutiveGatewayErrors: 2, minHealthPercent: 0 },
      },
    }).trafficPolicy?.outlierDetection;
    expect(od).toMatchObject({ consecutive5xxErrors: 0, consecutiveGatewayErrors: 2, minHealthPercent: 0 });
  });
});
