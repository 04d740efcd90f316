import { describe, expect, it } from 'vitest';
import { runBotBench } from '../../../tools/bench/bot.js';

describe('the bot benchmark', () => {
  it('measures every pass against the emulator and says when the hourly figures are scaled from a smaller size', async () => {
    const report = await runBotBench({ sizes: [2, 4] });
    const kinds = report.passes.filter((p) => p.rollouts === 4).map((p) => p.pass);
    expect(kinds).toEqual([
      'idle-first',
      'idle-repeat',
      'idle-steady',
      'idle-persisted',
      'idle-cold',
      'actions-scheduled',
      'actions-full',
      'actions-event',
      'idle-pushed',
      'advancing',
      'advanced',
      'settled',
      'gate-first',
      'gate-unchanged',
      'status-cold',
      'status-actions',
      'full-late',
      'dashboard-first',
      'dashboard-hourly',
      'dashboard-tick-all',
      'dashboard-tick',
    ]);
    const at = (k: string, n = 4) => report.passes.find((p) => p.pass === k && p.rollouts === n)!;
    expect(at('idle-first').opened).toBeGreaterThan(0);
    // Nothing changed: a long-lived process and a new one with the cache file spend nothing.
    expect(at('idle-steady').counted).toBe(0);
    expect(at('idle-persisted').counted).toBe(0);
    expect(at('idle-persisted').notModified).toBeGreaterThan(0);
    expect(at('idle-cold').counted).toBeGreaterThan(4);
    // An unrelated push costs a handful of reads for the whole repository, none per rollout.
    expect(at('idle-pushed').counted).toBeLessThanOrEqual(8);
    expect(at('advancing').merged).toBe(at('idle-first').opened);
    expect(report.extrapolatedFrom).toBe(4);
    expect(report.requestsPerHourAt500).toBe(0);
    expect(report.requestsPerHourAt500Cold).toBe(Math.round(((at('idle-cold').counted * 500) / 4) * 12));
    expect(report.countedPerAdvance).toBeGreaterThan(5);
    // The documented workflow, a new token per run (issue 10, item 10): every pass pays 4 fixed
    // reads (repository, default-branch ref, PR listing, branch rules); the 10-minute pass reads
    // no PR's checks, comments or statuses (--skip-open), the hourly one 3 per open PR, an event
    // pass one rollout's, and an unchanged gate verdict is not posted again (--state): only the
    // PR listing.
    const open = at('idle-first').opened;
    expect(at('actions-scheduled').counted).toBeLessThanOrEqual(4);
    expect(at('actions-full').counted).toBe(4 + 3 * open);
    expect(at('actions-event').counted).toBe(7);
    expect(at('gate-first').counted).toBe(1 + 2 * at('advanced').opened);
    expect(at('gate-unchanged').counted).toBe(1);
    const a = report.actions;
    expect(
      Math.abs(a.requestsPerHour - (a.scheduledPerPass * 6 + a.fullPerPass + a.gateIdlePerPass * 6)),
    ).toBeLessThanOrEqual(8);
    expect(a.ratioToLimit).toBeCloseTo(a.requestsPerHour / 5000, 3);
    // Scaled to 500 rollouts along the line through the two sizes (fixed costs stay fixed).
    const slope = (at('actions-full').counted - at('actions-full', 2).counted) / 2;
    expect(Math.abs(a.fullPerPass - (at('actions-full').counted + slope * 496))).toBeLessThanOrEqual(6);
    // The design target of issue 10: idle, the documented workflow leaves half the limit free.
    expect(a.ratioToLimit).toBeLessThanOrEqual(0.5);
  }, 180_000);
});
