import { describe, expect, it } from 'vitest';
import { runBench } from '../../../tools/bench/run.js';
import { firingAt, firstFiring } from '../../../tools/bench/prom-eval.js';
import { median } from '../../../tools/bench/detection.js';
import { floorSeconds, requestsNeeded } from '../../../tools/bench/peers/floor.js';

describe('bench', () => {
  it('applies for: like the rule manager, resetting on a missed evaluation', () => {
    const at = (...ts: number[]) => ts.map((t) => [t, 1] as const);
    expect(firstFiring(at(0, 60, 120, 180), 120, 60)).toBe(120);
    expect(firstFiring(at(0, 60, 180, 240, 300), 120, 60)).toBe(300);
    expect(firstFiring(at(0, 60), 120, 60)).toBeUndefined();
    expect(firingAt(at(0, 60, 120, 180), 180, 120, 60)).toBe(true);
    expect(firingAt(at(0, 60, 180, 240), 240, 120, 60)).toBe(false);
    expect(firingAt(at(0, 60, 120), 180, 60, 60)).toBe(false);
  });

  it('floors detection at the evidence, the blip and the scrape and evaluation grids', () => {
    const at = { limit: 0.01, scrapeSeconds: 30, evaluationSeconds: 60, blipSeconds: 60 };
    // ×2 of the limit: ~792 requests, 79 s at 10 rps → 90 s on the scrape grid; the blip's four
    // intervals (120 s) dominate, already on the evaluation grid.
    expect(Math.round(requestsNeeded(0.01, 0.02))).toBe(792);
    expect(floorSeconds({ ...at, bad: 0.02, rps: 10 })).toBe(120);
    expect(floorSeconds({ ...at, bad: 0.1, rps: 10 })).toBe(120);
    // At 1 rps the evidence dominates: 792 s → 810 s on the scrape grid → 840 s on the evaluation grid.
    expect(floorSeconds({ ...at, bad: 0.02, rps: 1 })).toBe(840);
    // A 20 s scrape: a 60 s blip touches four intervals, five needed = 100 s → 120 s at 60 s evaluations.
    expect(floorSeconds({ ...at, scrapeSeconds: 20, bad: 0.1, rps: 10 })).toBe(120);
    expect(floorSeconds({ ...at, scrapeSeconds: 20, evaluationSeconds: 20, bad: 0.1, rps: 10 })).toBe(100);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([1, Infinity, Infinity])).toBeNull();
  });

  it('reports synth ratios as finite numbers at tiny sizes, and synth --stdout through the bin', async () => {
    const report = await runBench(
      { quick: true, only: ['synth'] },
      { synthSizes: [2, 10], cdk8sMax: 10, synthRepeats: 2, stdoutRuns: 1, healthy: 0, perCase: 0, botSizes: [] },
    );
    const synth = report.synth!;
    expect(synth.runs.map((r) => r.rollouts)).toEqual([2, 10]);
    for (const value of [
      synth.growth,
      synth.growthCpu,
      synth.ratioToCdk8s,
      synth.ratioToCdk8sCpu,
      synth.stdout!.ratioToNode,
      synth.stdout!.cpuMs,
    ])
      expect(Number.isFinite(value)).toBe(true);
    expect(synth.ratioToCdk8sAt).toBe(10);
    expect(synth.stdout!.rollouts).toBe(10);
    expect(synth.peakRssBytes).toBeGreaterThan(10 * 1048576);
    // Goals are judged only at the sizes they are stated for (docs/design.md §5).
    expect(synth.goalsMet.ratioToCdk8s).toBeUndefined();
    expect(synth.goalsMet.growth).toBeUndefined();
    expect(synth.goalsMet.peakRssBytes).toBe(true);
    expect(report.detection).toBeUndefined();
  });
});
