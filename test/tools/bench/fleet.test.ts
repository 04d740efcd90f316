import { describe, expect, it } from 'vitest';
import { runFleetBench } from '../../../tools/bench/fleet.js';
import { scaledTo500 } from '../../../tools/bench/bot.js';

describe('the fleet benchmark', () => {
  it('measures status, the dashboard and the workflow for waves × 3 clusters against one-cluster rollouts in the same run', async () => {
    const r = await runFleetBench({ sizes: [2, 3] });
    expect(r.clusters).toEqual(['eu-1', 'us-1', 'ap-1']);
    const pass = (report: typeof r.one, kind: string, n = 3) =>
      report.passes.find((p) => p.pass === kind && p.rollouts === n)!;
    for (const report of [r.one, r.waves]) {
      // Status makes reads only, and the cache file saves most of them.
      expect(pass(report, 'status-cold').counted).toBeGreaterThan(pass(report, 'status-actions').counted);
      // --dashboard on the hourly pass adds the issue listing; its re-reads are 304s for the pass's token.
      const added = pass(report, 'dashboard-hourly').counted - pass(report, 'full-late').counted;
      expect(added).toBe(1);
      // A tick re-reads only the ticked rollout (issue 15, "Scale"), fewer than every rollout.
      expect(pass(report, 'dashboard-tick').counted).toBeLessThan(pass(report, 'dashboard-tick-all').counted);
    }
    // A wave's PRs carry every cluster's file: its per-rollout reads are the one-cluster ones; status
    // lists generated/ once (one tree read), whatever the number of rollouts.
    expect(pass(r.waves, 'status-actions').counted - pass(r.one, 'status-actions').counted).toBe(1);
    expect(pass(r.waves, 'status-actions', 2).counted - pass(r.one, 'status-actions', 2).counted).toBe(1);
    const a = r.at500;
    expect(a.statusActions.waves).toBe(Math.round(scaledTo500(r.waves.passes, 'status-actions')));
    expect(a.statusActions.ratio).toBeCloseTo(a.statusActions.waves / a.statusActions.one, 2);
    expect(a.tick.waves).toBeLessThan(a.tickBefore.waves);
    expect(r.budget.perHour).toBe(r.waves.actions.requestsPerHour + a.dashboardOnHourlyPass.waves);
    expect(r.budget.ratioToLimit).toBeCloseTo(r.budget.perHour / 5000, 3);
    expect(r.budget.ratioToLimit).toBeLessThanOrEqual(0.5);
  }, 240_000);
});
