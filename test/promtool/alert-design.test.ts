/**
 * The alert design rules of docs/design.md ("Alert design"), under promtool:
 * - both limits must be broken: an outage stable shares is a hold, never a rollback, for every
 *   rollback alert, the burn-rate pairs included;
 * - trains of short blips: a lone blip of up to 60 s never rolls back; failures that keep the
 *   canary's 10-minute error ratio above both limits for 13 minutes roll back, at every weight.
 */
import { describe, expect, it } from 'vitest';
import type { StageModel } from '../../constructs/model.js';
import { rolloutModel } from '../constructs/fixtures.js';
import { firedWithin, firingAt, neverFired, runScenario } from './harness.js';
import { steady, type Scenario, type VersionBehaviour } from './scenario.js';

const MINUTE = 60_000;
const STAGES: readonly StageModel[] = [
  { name: 'one-percent', weight: 1, cohort: false, bakeMs: 60 * MINUTE },
  { name: 'quarter', weight: 25, cohort: false, bakeMs: 60 * MINUTE },
  { name: 'full', weight: 100, cohort: false },
];
const RPS = 400;
const P0 = 0.002;
const model = (stage: string) =>
  rolloutModel({
    stages: STAGES,
    stage,
    cohort: undefined,
    traffic: { requestsPerSecond: RPS, baselineErrorRatio: P0 },
  });
const WEIGHTS = [
  { stage: 'one-percent', weight: 1 },
  { stage: 'quarter', weight: 25 },
] as const;
const ROLLOUT = { stagegate_rollout: 'checkout' };
const ROLLBACK = { ...ROLLOUT, stagegate_action: 'rollback' };
const STEP_S = 30;

function expectPass(result: { code: number; stdout: string; stderr: string }): void {
  expect(result.stdout + result.stderr).toContain('SUCCESS');
  expect(result.code).toBe(0);
}

function at(stage: string, weight: number, canary: Partial<VersionBehaviour>, stable: Partial<VersionBehaviour> = {}) {
  const canaryRps = (RPS * weight) / 100;
  return (durationS: number): Scenario => ({
    model: model(stage),
    durationS,
    stepS: STEP_S,
    seed: 3,
    pods: 2,
    stable: { ...steady(RPS - canaryRps, P0), ...stable },
    canary: { ...steady(canaryRps, P0), ...canary },
  });
}

/**
 * Blips of `lengthS` (< one scrape interval) of 100 % canary errors starting at `startsS`: the
 * scrape interval holding a blip carries lengthS / STEP_S of its requests as errors.
 */
function blips(startsS: readonly number[], lengthS: number): (t: number) => number {
  return (t) => (startsS.some((s) => t > s && t - STEP_S <= s) ? lengthS / STEP_S : P0);
}

describe('both limits must be broken (docs/design.md, Alert design)', () => {
  it.each(WEIGHTS)(
    'holds and never rolls back when stable fails as much as the canary, at $weight % (the burn-rate pairs included)',
    async ({ stage, weight }) => {
      // A shared outage: both versions answer 20 % of requests with 5xx for 90 minutes, far past
      // the fast burn-rate threshold (14.4 × 1 %) on both its windows.
      const t0 = 1800;
      const outage = (t: number) => (t > t0 ? 0.2 : P0);
      const end = t0 + 90 * 60;
      const result = await runScenario(at(stage, weight, { errorRatio: outage }, { errorRatio: outage })(end), [
        neverFired(ROLLBACK, end, end),
        firedWithin({ ...ROLLOUT, stagegate_action: 'hold', stagegate_signal: 'errors' }, end, end - t0),
      ]);
      expectPass(result);
    },
  );
});

describe('trains of short blips (docs/design.md, Alert design)', () => {
  it.each(WEIGHTS)('rolls back on two 20 s blips 5 minutes apart at $weight %', async ({ stage, weight }) => {
    const end = 3600 + 45 * 60;
    const s = at(stage, weight, { errorRatio: blips([3600, 3900], 20) })(end);
    expectPass(await runScenario(s, [neverFired(ROLLBACK, 3600, 3600), firedWithin(ROLLBACK, end, end - 3600)]));
  });

  it.each(WEIGHTS)('never rolls back on a lone 60 s blip at $weight %', async ({ stage, weight }) => {
    const end = 3600 + 45 * 60;
    const errorRatio = (t: number) => (t > 3600 && t <= 3660 ? 1 : P0);
    const result = await runScenario(at(stage, weight, { errorRatio })(end), [neverFired(ROLLBACK, end, end)]);
    expectPass(result);
  });

  it.each(WEIGHTS)('never rolls back on two 20 s blips 15 minutes apart at $weight %', async ({ stage, weight }) => {
    const end = 3600 + 60 * 60;
    const s = at(stage, weight, { errorRatio: blips([3600, 4500], 20) })(end);
    expectPass(await runScenario(s, [neverFired(ROLLBACK, end, end), firingAt(ROLLOUT, end, [])]));
  });
});
