/**
 * The two-cluster demo, in-process, as `npm run demo:waves` runs it (tools/demo/waves/run.ts):
 * two real Prometheus servers, an exporter per cluster, the emulated GitHub, the wave gate as CI
 * and the bot's reconcile passes. About 50 s of real time (Prometheus scrapes and evaluates on
 * its own clock); one run, every test reads its summary. The judge's own rows run without it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  judgeWaves,
  runWaveDemo,
  type WaveDemoSummary,
  type WaveRolloutSummary,
} from '../../../../tools/demo/waves/run.js';

let summary: WaveDemoSummary;
const progress: string[] = [];

beforeAll(async () => {
  summary = await runWaveDemo({ log: (line) => progress.push(line) });
}, 300_000);

const rollout = (name: string): WaveRolloutSummary => summary.rollouts.find((r) => r.name === name)!;

describe('the two-cluster demo (npm run demo:waves)', () => {
  it('ends as told: storefront at 100 % in both clusters and complete', () => {
    expect(summary.problems).toEqual([]);
    expect(summary.ok).toBe(true);
    const storefront = rollout('storefront');
    expect(storefront).toMatchObject({
      finalStage: 'full',
      aborted: false,
      lastAction: 'finish',
      lastReport: 'complete at full',
    });
    expect(storefront.weights).toEqual({ 'eu-1': { stable: 0, canary: 100 }, 'us-1': { stable: 0, canary: 100 } });
    expect(storefront.rollbackPulls).toEqual([]);
  });

  it('payments-api fails in us-1 only: us-1 rolled back alone by one merged PR, eu-1 at 100 %, not complete', () => {
    const payments = rollout('payments-api');
    expect(payments.aborted).toEqual(['us-1']);
    expect(payments.abortReason).toMatch(/^stagegate\/health failed on #\d+ during ten-percent: fail: us-1: /);
    expect(payments.weights).toEqual({ 'eu-1': { stable: 0, canary: 100 }, 'us-1': { stable: 100, canary: 0 } });
    expect(payments.rollbackPulls).toEqual([
      { number: expect.any(Number), title: 'stagegate: roll back payments-api in us-1 (100 % v41)', merged: true },
    ]);
    expect(payments.lastReport).toMatch(/^aborted: full is live in eu-1, but us-1 is rolled back \(/);
    // The gate judged each cluster on its own Prometheus; us-1 turned red while eu-1 passed.
    expect(progress.some((l) => /payments-api: gate #\d+ fail: us-1 fail, eu-1 pass$/.test(l))).toBe(true);
    expect(
      progress.filter((l) => /: prometheus http:\/\/127\.0\.0\.1:\d+ \(pid \d+\) scraping its own exporter/.test(l)),
    ).toHaveLength(2);
  });

  it('stops both Prometheus servers and removes its temp directories', () => {
    expect(summary.cleanup).toEqual({ prometheusExited: true, tempDirsRemoved: true });
  });
});

describe('judgeWaves', () => {
  const promoted: WaveRolloutSummary = {
    name: 'storefront',
    expected: 'promote',
    finalStage: 'full',
    lastStage: 'full',
    aborted: false,
    weights: { 'eu-1': { stable: 0, canary: 100 }, 'us-1': { stable: 0, canary: 100 } },
    lastReport: 'complete at full',
    lastAction: 'finish',
    rollbackPulls: [],
  };
  const rolledBack: WaveRolloutSummary = {
    ...promoted,
    name: 'payments-api',
    expected: { rolledBackIn: 'us-1' },
    aborted: ['us-1'],
    abortReason: 'stagegate/health failed on #3 during ten-percent: fail: us-1: errors',
    weights: { 'eu-1': { stable: 0, canary: 100 }, 'us-1': { stable: 100, canary: 0 } },
    lastReport: 'aborted: full is live in eu-1, but us-1 is rolled back',
    lastAction: 'nothing',
    rollbackPulls: [{ number: 5, title: 'stagegate: roll back payments-api in us-1 (100 % v41)', merged: true }],
  };

  it('passes the story as told, and names each way it could end otherwise', () => {
    expect(judgeWaves([promoted, rolledBack])).toEqual([]);
    expect(judgeWaves([{ ...promoted, weights: { ...promoted.weights, 'us-1': { stable: 90, canary: 10 } } }])).toEqual(
      ['storefront: us-1 sends 10 % to canary on main, not 100 %'],
    );
    // The whole wave rolled back where one cluster should have been.
    expect(
      judgeWaves([
        {
          ...rolledBack,
          aborted: 'rollout',
          weights: { 'eu-1': { stable: 100, canary: 0 }, 'us-1': { stable: 100, canary: 0 } },
          rollbackPulls: [{ number: 5, title: 'stagegate: roll back payments-api (100 % v41)', merged: true }],
        },
      ]),
    ).toEqual([
      'payments-api: main\'s spec.abort does not roll back us-1 alone ("rollout")',
      'payments-api: no merged rollback PR of us-1 alone',
      'payments-api: eu-1 sends 0 % to canary on main, not 100 %',
    ]);
    expect(judgeWaves([{ ...rolledBack, lastAction: 'finish' }])).toEqual([
      'payments-api: the bot called it complete while us-1 is rolled back',
    ]);
  });
});
