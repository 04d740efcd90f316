import { describe, expect, it } from 'vitest';
import { allCases, ONSET_SECONDS, type Rollout } from '../../../tools/bench/detection-cases.js';
import { detectorResult, judge } from '../../../tools/bench/detection-report.js';
import { toModel } from '../../../constructs/spec/index.js';
import { simIntent } from '../../../tools/bench/detection-cases.js';

const all = allCases();
const byName = (n: string) => all.find((c) => c.name === n)!;
const model = toModel(simIntent('m', 10));
const rollouts: Rollout[] = [
  { name: 'h0', testCase: byName('healthy@10'), model },
  { name: 'h1', testCase: byName('healthy@10'), model },
  { name: 'b0', testCase: byName('blip-60s@10'), model },
  { name: 'e0', testCase: byName('errors-x2@10'), model },
  { name: 'e1', testCase: byName('errors-x2@10'), model },
  { name: 'z0', testCase: byName('no-traffic@10'), model },
];
const at = (seconds: number) => ONSET_SECONDS + seconds;

describe('detection report', () => {
  it('counts a rollback before onset as a miss for a regression and not as a blip rollback', () => {
    const r = detectorResult(
      'd',
      rollouts,
      all,
      new Map([
        ['h0', at(-600)],
        ['b0', at(-60)],
        ['e0', at(-30)],
        ['e1', at(150)],
      ]),
      0,
    );
    expect(r.falseRollbacksPer1000).toBe(500);
    expect(r.blipRollbacks).toBe(0);
    expect(r.cases['errors-x2@10']).toEqual({ rolledBack: 1, medianDetectSeconds: null });
    // The zero-traffic canary neither rolled back nor held: promoted.
    expect(r.noTrafficPromoted).toBe(1);
  });

  it('judges the goals: a peer that is faster and rolls back no more, the floor ratio, zero traffic held', () => {
    const ours = detectorResult(
      'stagegate',
      rollouts,
      all,
      new Map([
        ['e0', at(180)],
        ['e1', at(180)],
      ]),
      0,
      new Set(['z0']),
    );
    const faster = detectorResult(
      'fast',
      rollouts,
      all,
      new Map([
        ['e0', at(120)],
        ['e1', at(120)],
      ]),
      0,
    );
    const noisy = detectorResult(
      'noisy',
      rollouts,
      all,
      new Map([
        ['h0', at(0)],
        ['e0', at(60)],
        ['e1', at(60)],
      ]),
      0,
    );
    expect(ours.noTrafficPromoted).toBe(0);
    const verdict = judge(ours, [faster, noisy]);
    expect(verdict.fasterAndNoMoreRollbacks).toEqual(['fast']);
    expect(verdict.goalsMet).toEqual({
      noPeerDominates: false,
      // Every must-detect case not simulated here is a miss: the worst ratio is infinite.
      withinFloorRatio: false,
      noFalseRollbacks: true,
      neverPromotesOnZeroTraffic: true,
    });
  });
});
