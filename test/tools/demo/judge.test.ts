import { describe, expect, it } from 'vitest';
import type { RolloutSummary } from '../../../tools/demo/report.js';
import { judge } from '../../../tools/demo/run.js';

const promoted: RolloutSummary = {
  name: 'storefront',
  expected: 'promote',
  stages: ['cohort', 'half', 'full'],
  finalStage: 'full',
  aborted: false,
  stagesReached: [
    { stage: 'cohort', t: 0, weight: 0 },
    { stage: 'half', t: 20, weight: 50, pr: 1 },
    { stage: 'full', t: 40, weight: 100, pr: 2 },
  ],
  verdicts: [],
  pulls: [],
  finalWeights: { stable: 0, canary: 100 },
  commits: [],
};
const rolledBack: RolloutSummary = {
  name: 'payments-api',
  expected: 'rollback',
  stages: ['one', 'quarter', 'full'],
  finalStage: 'quarter',
  aborted: true,
  stagesReached: [],
  verdicts: [],
  finalWeights: { stable: 100, canary: 0 },
  commits: [],
  pulls: [
    {
      number: 5,
      title: 'stagegate: roll back payments-api (100 % v41)',
      state: 'closed',
      merged: true,
      kind: 'rollback',
      createdAt: '',
      mergedAt: '',
      closedAt: '',
    },
  ],
  rollback: {
    pr: 5,
    redAt: 39,
    mergedAt: 41.8,
    secondsToRollback: 2.8,
    reason: 'errors',
    abortReason: 'stagegate/health failed on #4 during quarter: fail: errors',
  },
};

describe('judge', () => {
  it('accepts a rollout promoted to its last stage and one rolled back with health evidence', () => {
    expect(judge([promoted, rolledBack])).toEqual([]);
  });

  it('rejects a promoted rollout short of its last stage', () => {
    expect(judge([{ ...promoted, finalStage: 'half', finalWeights: { stable: 50, canary: 50 } }])).toEqual([
      'storefront did not reach its last stage full (at half)',
      'storefront: the VirtualService on main sends 50 % to canary, not 100 %',
    ]);
  });

  it('rejects a rollback without a merged rollback PR', () => {
    const { rollback: _, ...rest } = rolledBack;
    expect(judge([{ ...rest, pulls: [{ ...rolledBack.pulls[0]!, merged: false }] }])).toEqual([
      'payments-api has no merged rollback PR',
    ]);
  });

  it('rejects an abort that carries no health evidence', () => {
    expect(judge([{ ...rolledBack, rollback: { ...rolledBack.rollback!, abortReason: 'by hand' } }])).toEqual([
      'payments-api: the abort on main carries no health evidence ("by hand")',
    ]);
  });
});
