import { describe, expect, it } from 'vitest';
import { runBotBench } from '../../../tools/bench/bot.js';

describe('the bot benchmark', () => {
  it('measures every pass against the emulator and says when the hourly figures are scaled from a smaller size', async () => {
    const report = await runBotBench({ sizes: [4] });
    const kinds = report.passes.map((p) => p.pass);
    expect(kinds).toEqual([
      'idle-first',
      'idle-repeat',
      'idle-steady',
      'idle-persisted',
      'idle-cold',
      'idle-pushed',
      'advancing',
      'advanced',
      'settled',
    ]);
    const at = (k: string) => report.passes.find((p) => p.pass === k)!;
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
  }, 60_000);
});
