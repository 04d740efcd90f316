/**
 * gRPC failures under promtool: Istio reports them as response_code 200 with a non-zero
 * `grpc_response_status`, so only `metrics.protocol: grpc` makes the error alerts see them.
 */
import { describe, expect, it } from 'vitest';
import { planStages } from '../../constructs/detectability.js';
import { rolloutModel } from '../constructs/fixtures.js';
import { firedWithin, neverFired, runScenario } from './harness.js';
import { steady, stepAt, type Scenario, type VersionBehaviour } from './scenario.js';

// The checkout fixture at its 1 % stage (error limit 1 %), as a gRPC service.
const grpcModel = rolloutModel({
  stage: 'one-percent',
  metrics: { protocol: 'grpc' },
  traffic: { requestsPerSecond: 400, baselineErrorRatio: 0.002 },
});
const httpModel = rolloutModel({ ...grpcModel, metrics: { ...grpcModel.metrics, protocol: 'http' } });
const ERRORS_ROLLBACK = { stagegate_rollout: 'checkout', stagegate_action: 'rollback', stagegate_signal: 'errors' };
const T0 = 1800;
const predictedS = planStages(grpcModel).find((s) => s.stage === grpcModel.stage)!.timeToDetectMs! / 1000;
const END = T0 + 2 * predictedS;

/** Stable fails 0.2 % with UNAVAILABLE; the canary fails 10 × the 1 % limit with `status` from T0. */
function scenario(model: Scenario['model'], status: string): Scenario {
  const stable: VersionBehaviour = { ...steady(396, 0.002), grpcFailureStatus: '14' };
  const canary: VersionBehaviour = {
    ...steady(4, 0.002),
    errorRatio: stepAt(T0, 0.002, 0.1),
    grpcFailureStatus: status,
  };
  return { model, durationS: END, stepS: 30, seed: 1, pods: 2, stable, canary };
}

function expectPass(result: { code: number; stdout: string; stderr: string }): void {
  expect(result.stdout + result.stderr).toContain('SUCCESS');
  expect(result.code).toBe(0);
}

describe('gRPC error alerts under promtool', () => {
  it('rolls back a canary answering 200 with UNAVAILABLE (14) at 10x the limit when the protocol is grpc', async () => {
    const result = await runScenario(scenario(grpcModel, '14'), [
      neverFired(ERRORS_ROLLBACK, T0, T0),
      firedWithin(ERRORS_ROLLBACK, END, END - T0),
    ]);
    expectPass(result);
  });

  it('does not see the same UNAVAILABLE responses when the protocol is http', async () => {
    const result = await runScenario(scenario(httpModel, '14'), [neverFired(ERRORS_ROLLBACK, END, END)]);
    expectPass(result);
  });

  it('does not roll back on client statuses such as INVALID_ARGUMENT (3) even when the protocol is grpc', async () => {
    const result = await runScenario(scenario(grpcModel, '3'), [neverFired(ERRORS_ROLLBACK, END, END)]);
    expectPass(result);
  });
});
