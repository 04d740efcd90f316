import { describe, expect, it } from 'vitest';
import { runBench } from '../../../tools/bench/run.js';
import { firstFiring } from '../../../tools/bench/prom-eval.js';
import { floorSeconds, median } from '../../../tools/bench/detection.js';

describe('bench', () => {
  it('applies for: like the rule manager, resetting on a missed evaluation', () => {
    const at = (...ts: number[]) => ts.map((t) => [t, 1] as const);
    expect(firstFiring(at(0, 60, 120, 180), 120, 60)).toBe(120);
    expect(firstFiring(at(0, 60, 180, 240, 300), 120, 60)).toBe(300);
    expect(firstFiring(at(0, 60), 120, 60)).toBeUndefined();
  });

  it('needs more time to tell a small regression from the limit than a large one', () => {
    expect(floorSeconds(0.01, 0.02, 10)).toBeGreaterThan(floorSeconds(0.01, 0.1, 10));
    expect(floorSeconds(0.01, 0.1, 10)).toBeGreaterThan(60);
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
