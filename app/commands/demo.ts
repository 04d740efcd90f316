/**
 * `stagegate demo [--out DIR] [--json]`: the end-to-end story on this machine (tools/demo/run.ts).
 * Exit 0 only when storefront reached its last stage and payments-api was rolled back by a
 * merged rollback PR with the health evidence; 1 otherwise.
 */
import { resolve } from 'node:path';
import { UsageError, type Command } from '../cli/command.js';
import { parseDuration } from '../../constructs/duration.js';
import { formatSummary } from '../../tools/demo/report.js';
import { runDemo } from '../../tools/demo/run.js';

export const demoCommand: Command = {
  name: 'demo',
  usage: 'demo [--out DIR] [--tick 2500ms] [--json]',
  options: { out: { type: 'string' }, tick: { type: 'string' } },
  async run({ values }, io) {
    let tickMs: number | undefined;
    if (typeof values.tick === 'string') {
      try {
        tickMs = parseDuration(values.tick);
      } catch (err) {
        throw new UsageError(`--tick: ${(err as Error).message}`);
      }
    }
    const json = values.json === true;
    const summary = await runDemo({
      outDir: resolve(io.cwd, (values.out as string | undefined) ?? 'demo-out'),
      ...(tickMs !== undefined ? { tickMs } : {}),
      // With --json, stdout carries only the document; progress goes to stderr.
      log: (line) => (json ? io.stderr(`${line}\n`) : io.stdout(`${line}\n`)),
      ...(io.signal ? { signal: io.signal } : {}),
    });
    io.stdout(json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary));
    return summary.ok ? 0 : 1;
  },
};
