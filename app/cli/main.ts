/**
 * The `stagegate` command line. `main` is pure with respect to its `Io` so tests run every
 * command in-process and read exactly what a user would see.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { COMMANDS } from '../commands/index.js';
import {
  CommandError,
  EXIT,
  GLOBAL_OPTIONS,
  UsageError,
  commandHelp,
  describeError,
  processIo,
  type Command,
  type Io,
  type Options,
} from './command.js';
import { closestFlag, mask, secretsOf } from './flags.js';

export type { Io } from './command.js';

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return (
    'usage: stagegate <command> [options]   (every command takes --json; `stagegate <command> --help` for its\n' +
    'flags, environment and exit codes)\n\n' +
    `commands:\n${lines.join('\n')}\n\n` +
    'exit codes: 0 ok / pass, 1 fail (the thing judged is bad), 2 usage, 3 hold (gate), 4 error\n'
  );
}

/** The package's version, from the package.json above this file (source or compiled). */
export function version(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'stagegate' && pkg.version) return pkg.version;
    }
    if (dirname(dir) === dir) return 'unknown';
  }
}

/** Every secret of the environment masked in everything printed (issue 10, item 13). */
function masked(io: Io): Io {
  const secrets = secretsOf(io.env);
  if (secrets.length === 0) return io;
  return { ...io, stdout: (t) => io.stdout(mask(t, secrets)), stderr: (t) => io.stderr(mask(t, secrets)) };
}

export async function main(argv: readonly string[], rawIo: Io = processIo()): Promise<number> {
  const io = masked(rawIo);
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(help());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-v') {
    io.stdout(`stagegate ${version()}\n`);
    return EXIT.ok;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    const guess = closestFlag(
      name,
      COMMANDS.map((c) => c.name),
    );
    io.stderr(`stagegate: unknown command "${name}"${guess ? `; did you mean "${guess}"?` : ''}\n${help()}`);
    return EXIT.usage;
  }
  const command = await entry.load();
  const usage = (message: string): number => {
    io.stderr(
      `stagegate ${name}: ${message}\nusage: stagegate ${command.usage}\n(stagegate ${name} --help for more)\n`,
    );
    return EXIT.usage;
  };
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseCommandLine(command, rest);
  } catch (err) {
    if (err instanceof UsageError) return usage(err.message);
    throw err;
  }
  if (parsed.values.help) {
    io.stdout(commandHelp(command));
    return EXIT.ok;
  }
  try {
    return await command.run(parsed, io);
  } catch (err) {
    if (err instanceof UsageError) return usage(err.message);
    io.stderr(`stagegate ${name}: ${err instanceof CommandError ? err.message : describeError(err)}\n`);
    return EXIT.error;
  }
}

/** parseArgs over the command's declared flags, with our own words for what it refuses. */
export function parseCommandLine(
  command: Command,
  args: readonly string[],
): { values: Record<string, unknown>; positionals: string[] } {
  const declared: Options = { ...command.options, ...GLOBAL_OPTIONS };
  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const [flag, o] of Object.entries(declared))
    options[flag] = { type: o.type, ...(o.multiple ? { multiple: true } : {}), ...(o.short ? { short: o.short } : {}) };
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (err) {
    const code = (err as { code?: string }).code;
    const message = (err as Error).message;
    const unknown = /Unknown option '([^']+)'/.exec(message)?.[1];
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown !== undefined) {
      const guess = closestFlag(unknown, Object.keys(declared));
      throw new UsageError(`unknown option ${unknown}${guess ? `; did you mean --${guess}?` : ''}`);
    }
    throw new UsageError(message.split('. To specify')[0]!);
  }
  if (parsed.values.help) return parsed;
  const p = command.positionals;
  const max = p?.max ?? 0;
  if (parsed.positionals.length > max)
    throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[max])}`);
  if (p && parsed.positionals.length < p.min) throw new UsageError(p.missing);
  return parsed;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
