/**
 * The `stagegate` command line. `main` is pure with respect to its `Io` so tests run every
 * command in-process and read exactly what a user would see.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { COMMANDS } from './commands/index.js';

export interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted on Ctrl-C; long-running commands (demo, advance --watch) stop on it. */
  readonly signal?: AbortSignal;
}

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface Command {
  readonly name: string;
  readonly summary: string;
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

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `usage: stagegate <command> [options]   (every command takes --json)\n\ncommands:\n${lines.join('\n')}\n`;
}

export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(help());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr(`stagegate: unknown command "${name}"\n${help()}`);
    return 2;
  }
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...rest],
      options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, ...command.options },
      allowPositionals: true,
      strict: true,
    }) as typeof parsed;
  } catch (err) {
    io.stderr(`stagegate ${name}: ${(err as Error).message}\nusage: stagegate ${command.usage}\n`);
    return 2;
  }
  if (parsed.values.help) {
    io.stdout(`usage: stagegate ${command.usage}\n\n${command.summary}\n`);
    return 0;
  }
  try {
    return await command.run(parsed, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`stagegate ${name}: ${err.message}\nusage: stagegate ${command.usage}\n`);
      return 2;
    }
    io.stderr(`stagegate ${name}: ${describeError(err)}\n`);
    return 1;
  }
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
