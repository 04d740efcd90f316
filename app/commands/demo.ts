/**
 * `stagegate demo [--out DIR] [--json]`: the end-to-end story on this machine (tools/demo/run.ts).
 * Exit 0 only when storefront reached its last stage and payments-api was rolled back by a
 * merged rollback PR with the health evidence; 1 otherwise.
 */
import { resolve } from 'node:path';
import { UsageError, defineCommand } from '../cli/command.js';
import { parseDuration } from '../../constructs/duration.js';
import { formatSummary } from '../../tools/demo/report.js';
import { runDemo } from '../../tools/demo/run.js';

export const demoCommand = defineCommand({
  name: 'demo',
  summary:
    'end to end on this machine: real Prometheus, emulated GitHub, one rollout promoted, one rolled back, one drill',
  options: {
    out: { type: 'string', value: 'DIR', help: 'where the demo writes its repository and report (default demo-out)' },
    tick: { type: 'string', value: 'DURATION', help: 'wall time per simulated step (default 2500ms)' },
  },
  exits: {
    ok: 'storefront reached its last stage and payments-api was rolled back with the health evidence',
    fail: 'the story did not end that way',
    error: 'the demo could not run (no Prometheus binary, a port in use)',
  },
  async run({ values }, io) {
    let tickMs: number | undefined;
    if (values.tick !== undefined) {
      try {
        tickMs = parseDuration(values.tick);
      } catch (err) {
        throw new UsageError(`--tick: ${(err as Error).message}`);
      }
    }
    const json = values.json === true;
    const summary = await runDemo({
      outDir: resolve(io.cwd, values.out ?? 'demo-out'),
      ...(tickMs !== undefined ? { tickMs } : {}),
      // With --json, stdout carries only the document; progress goes to stderr.
      log: (line) => (json ? io.stderr(`${line}\n`) : io.stdout(`${line}\n`)),
      ...(io.signal ? { signal: io.signal } : {}),
    });
    io.stdout(json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary));
    return summary.ok ? 0 : 1;
  },
});
