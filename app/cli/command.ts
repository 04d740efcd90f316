/**
 * What every command shares: the `Io` it talks through, its shape, and its exit codes. This module
 * imports nothing of the command table, so any command module can be loaded first (docs/design.md §7).
 */
import type { ParseArgsConfig } from 'node:util';

export interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted on Ctrl-C; long-running commands (demo, advance --watch) stop on it. */
  readonly signal?: AbortSignal;
}

export type Options = NonNullable<ParseArgsConfig['options']>;

/** Exit codes, the same for every command: a verdict is never confused with an error. */
export const EXIT = {
  /** success; the gate's `pass` */
  ok: 0,
  /** the thing judged is bad: invalid intents, a failed check, the gate's `fail` */
  fail: 1,
  /** the command line is wrong */
  usage: 2,
  /** the gate's `hold`: not enough evidence yet */
  hold: 3,
  /** the command could not do its job: an API unreachable, an intent elsewhere invalid, a bug */
  error: 4,
} as const;

export interface Command {
  readonly name: string;
  /** e.g. "synth [--rollouts DIR] [--out DIR] [--stdout]" */
  readonly usage: string;
  readonly options: Options;
  run(args: { values: Record<string, unknown>; positionals: string[] }, io: Io): Promise<number>;
}

/** Thrown for a wrong command line; `main` prints it with the command's usage and exits 2. */
export class UsageError extends Error {}

export function processIo(): Io {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  process.once('SIGTERM', () => controller.abort());
  return {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    cwd: process.cwd(),
    env: process.env,
    signal: controller.signal,
  };
}

/** An error and its `cause` chain, one clause each, never a stack trace. */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  while (current !== undefined && current !== null && parts.length < 5) {
    parts.push(current instanceof Error ? current.message : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(': ');
}
