/**
 * Reading and compiling the intents a command works on, and reporting their problems the same
 * way in every command (text on stderr, or one JSON document on stdout).
 */
import { compile, compileRepository, type Compiled, type CompiledRollout } from '../../constructs/compile.js';
import type { RolloutModel } from '../../constructs/model.js';
import { IntentError, formatProblem } from '../../constructs/spec/index.js';
import { readIntents } from '../workspace.js';
import { UsageError, type Io } from './command.js';

/** Compiles a directory, printing problems (text or JSON); undefined when there were any. */
export function compileDir(rolloutsDir: string, io: Io, json: boolean): CompiledRollout[] | undefined {
  return reportProblems(() => compile(readIntents(rolloutsDir, io.cwd)), io, json);
}

/**
 * Compiles a directory to everything the output directory holds (the rollouts and, under
 * `alerts.layout: fleet`, the shared rule): for the commands that write or compare it.
 */
export function compileRepositoryDir(rolloutsDir: string, io: Io, json: boolean): Compiled | undefined {
  return reportProblems(() => compileRepository(readIntents(rolloutsDir, io.cwd)), io, json);
}

/** `run()`'s result, or undefined after printing its intent problems; other errors propagate. */
export function reportProblems<T>(run: () => T, io: Io, json: boolean): T | undefined {
  try {
    return run();
  } catch (err) {
    printProblems(err, io, json);
    return undefined;
  }
}

/** The async form of {@link reportProblems}. */
export async function reportProblemsAsync<T>(run: () => Promise<T>, io: Io, json: boolean): Promise<T | undefined> {
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

/** The model named `name` (metadata.name or namespace/name); a usage error naming the known ones. */
export function findModel(models: readonly RolloutModel[], name: string): RolloutModel {
  const match = models.find((m) => m.name === name || `${m.namespace}/${m.name}` === name);
  if (match) return match;
  const known = models
    .map((m) => `${m.namespace}/${m.name}`)
    .sort()
    .join(', ');
  throw new UsageError(`no rollout "${name}"; known: ${known || '(none)'}`);
}
