import { resolve } from 'node:path';
import { compile } from '../../constructs/compile.js';
import { IntentError, formatProblem } from '../../constructs/spec/index.js';
import { DEFAULT_OUT_DIR, DEFAULT_ROLLOUTS_DIR } from '../../constructs/conventions.js';
import { UsageError, type Command, type Io } from '../cli/command.js';
import { compileParallel } from '../synth-workers.js';
import { readIntents, writeGenerated } from '../workspace.js';

export const synthCommand: Command = {
  name: 'synth',
  usage: 'synth [--rollouts DIR] [--out DIR] [--stdout] [--threads N] [--json]',
  options: {
    rollouts: { type: 'string' },
    out: { type: 'string' },
    stdout: { type: 'boolean' },
    threads: { type: 'string' },
  },
  async run({ values }, io) {
    const rolloutsDir = (values.rollouts as string | undefined) ?? DEFAULT_ROLLOUTS_DIR;
    const outDir = (values.out as string | undefined) ?? DEFAULT_OUT_DIR;
    const json = values.json === true;
    const threads = parseThreads(values.threads as string | undefined);
    const compiled = await reportProblems(
      () => compileParallel(readIntents(rolloutsDir, io.cwd), threads ? { threads } : {}),
      io,
      json,
    );
    if (!compiled) return 1;
    if (values.stdout) {
      if (compiled.length === 0) {
        // An empty manifest set makes Argo CD prune every live object of the app.
        io.stderr(`stagegate synth: no intents in ${rolloutsDir}; refusing to print an empty manifest set\n`);
        return 1;
      }
      io.stdout(compiled.map((c) => c.content).join('---\n'));
      return 0;
    }
    const report = writeGenerated(resolve(io.cwd, outDir), compiled);
    if (json) {
      io.stdout(`${JSON.stringify({ ok: true, out: outDir, ...report }, null, 2)}\n`);
    } else {
      io.stdout(
        `synth: ${compiled.length} rollout(s) → ${outDir}/ (${report.written.length} written, ` +
          `${report.unchanged.length} unchanged, ${report.removed.length} removed)\n`,
      );
      for (const file of report.written) io.stdout(`  wrote   ${outDir}/${file}\n`);
      for (const file of report.removed) io.stdout(`  removed ${outDir}/${file}\n`);
    }
    return 0;
  },
};

/** `--threads N`: threads for large inputs (default: one per idle core, see synth-workers.ts). */
function parseThreads(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64)
    throw new UsageError(`--threads takes a whole number from 1 to 64 (got "${value}")`);
  return n;
}

/** Compiles a directory, printing problems (text or JSON); undefined when there were any. */
export function compileDir(rolloutsDir: string, io: Io, json: boolean): ReturnType<typeof compile> | undefined {
  try {
    return compile(readIntents(rolloutsDir, io.cwd));
  } catch (err) {
    printProblems(err, io, json);
    return undefined;
  }
}

/** `run()`'s result, or undefined after printing its intent problems. */
async function reportProblems<T>(run: () => Promise<T>, io: Io, json: boolean): Promise<T | undefined> {
  try {
    return await run();
  } catch (err) {
    printProblems(err, io, json);
    return undefined;
  }
}

function printProblems(err: unknown, io: Io, json: boolean): void {
  if (!(err instanceof IntentError)) throw err;
  if (json) {
    io.stdout(`${JSON.stringify({ ok: false, problems: err.problems }, null, 2)}\n`);
  } else {
    for (const problem of err.problems) io.stderr(`${formatProblem(problem)}\n`);
    io.stderr(`stagegate: ${err.problems.length} problem(s); nothing was written\n`);
  }
}
