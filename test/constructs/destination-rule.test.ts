import { describe, expect, it } from 'vitest';
import type { StagedRolloutProps } from '../../constructs/index.js';
import { CHECKOUT_PROPS, synthKind } from './rollout-props.js';

const base = CHECKOUT_PROPS;

function destinationRule(props: StagedRolloutProps): { trafficPolicy?: Record<string, unknown> } {
  return synthKind(props, 'DestinationRule')!.spec as { trafficPolicy?: Record<string, unknown> };
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
