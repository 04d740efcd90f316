import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main, type Io } from '../../../app/cli/main.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

async function plan(...extra: string[]) {
  let stdout = '';
  const append = (t: string) => {
    stdout += t;
  };
  const io: Io = { stdout: append, stderr: append, cwd: ROOT, env: {} };
  const code = await main(['plan', 'checkout', '--rollouts', 'docs/examples/signals', ...extra], io);
  return { code, stdout };
}

describe('stagegate plan with user-defined signals', () => {
  it('lists each signal with its limits, windows, time to fire, and why detectability cannot be computed', async () => {
    const { code, stdout } = await plan();
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    const from = lines.indexOf('user signals (stage ten-percent):');
    expect(lines.slice(from, from + 3)).toEqual([
      'user signals (stage ten-percent):',
      '  checkout-success: rollback when below 0.95 and below stable (v1) / 1.02; window 10m, short 1m; fires ≈8m after a large step (past the limit with the window half filled), ≤ 24m after any step past the limits',
      '    detectability cannot be computed for a user signal: the distribution of checkout-success is unknown to stagegate, so it waits for 3 evaluations instead of a minimum sample',
    ]);
    expect(lines).toContain(
      '  throughput-consistency: hold when below 0.5; window 5m, short 1m; fires ≈5m30s after a large step (past the limit with the window half filled), ≤ 14m after any step past the limits',
    );
  });

  it('puts the signals in the JSON report', async () => {
    const { stdout } = await plan('--json');
    const report = JSON.parse(stdout) as { signals: { signal: string; action: string; timeToDetectMs: number }[] };
    expect(report.signals.map((s) => [s.signal, s.action, s.timeToDetectMs])).toEqual([
      ['checkout-success', 'rollback', 480_000],
      ['queue-backlog', 'rollback', 330_000],
      ['cpu-saturation', 'hold', 330_000],
      ['throughput-consistency', 'hold', 330_000],
    ]);
  });
});
