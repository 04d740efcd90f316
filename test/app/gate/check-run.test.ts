import { describe, expect, it } from 'vitest';
import { healthCheckRun } from '../../../app/gate/check-run.js';
import type { Verdict } from '../../../app/gate/evaluate.js';

const evidence = {
  stage: 'ten-percent',
  weight: 10,
  minRequests: 300,
  windowMs: 3_600_000,
  bakedMs: 1_800_000,
  bakeMs: 3_600_000,
  canary: { requests: 48_000, errorRatio: 0.001, p99Ms: 99 },
  stable: { requests: 432_000, errorRatio: 0.0011, p99Ms: 97 },
};
const verdict = (kind: Verdict['kind'], baking = false, reasons = ['r']): Verdict => ({
  rollout: 'shop/checkout',
  kind,
  summary: `${kind}: ${reasons[0]}`,
  reasons,
  alerts: [],
  evidence,
  baking,
  at: '2026-11-26T10:00:00.000Z',
});

describe('the stagegate/health check run', () => {
  it('is a completed failure at once on fail', () => {
    expect(healthCheckRun(verdict('fail', false, ['errors: canary 4 %']))).toMatchObject({
      name: 'stagegate/health',
      status: 'completed',
      conclusion: 'failure',
      title: 'fail: errors: canary 4 %',
    });
  });

  it('stays in progress on hold, so the bot waits and never merges', () => {
    const run = healthCheckRun(verdict('hold', false, ['too few canary requests: 12 of 300 needed']));
    expect(run.status).toBe('in_progress');
    expect(run.conclusion).toBeUndefined();
  });

  it('stays in progress while a healthy stage bakes, with the progress', () => {
    expect(healthCheckRun(verdict('pass', true))).toMatchObject({
      status: 'in_progress',
      title: 'baking, healthy so far: 50 % of the bake window',
    });
  });

  it('is a completed success only when healthy and baked', () => {
    const run = healthCheckRun(verdict('pass', false));
    expect(run).toMatchObject({ status: 'completed', conclusion: 'success' });
    // The evidence rides in the title, which the bot keeps in the merge commit (the ledger).
    expect(run.title).toMatch(
      /^pass: stage baked and healthy; 48,000 canary requests \(min [\d,]+\), 5xx canary 0\.10 % vs stable 0\.11 %, p99 canary 99 ms vs stable 97 ms/,
    );
    expect(run.summary).toContain('| canary | 48,000 | 0.10 % | 99 ms |');
    expect(run.summary).toContain('| stable | 432,000 | 0.11 % | 97 ms |');
  });
});
