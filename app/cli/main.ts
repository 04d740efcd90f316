/**
 * The `stagegate` command line. `main` is pure with respect to its `Io` so tests run every
 * command in-process and read exactly what a user would see.
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { COMMANDS } from '../commands/index.js';
import { EXIT, UsageError, describeError, processIo, type Io } from './command.js';

export type { Io } from './command.js';

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `usage: stagegate <command> [options]   (every command takes --json)\n\ncommands:\n${lines.join('\n')}\n`;
}

export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(help());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    io.stderr(`stagegate: unknown command "${name}"\n${help()}`);
    return EXIT.usage;
  }
  const command = await entry.load();
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
    return EXIT.usage;
  }
  if (parsed.values.help) {
    io.stdout(`usage: stagegate ${command.usage}\n\n${entry.summary}\n`);
    return EXIT.ok;
  }
  try {
    return await command.run(parsed, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`stagegate ${name}: ${err.message}\nusage: stagegate ${command.usage}\n`);
      return EXIT.usage;
    }
    io.stderr(`stagegate ${name}: ${describeError(err)}\n`);
    return EXIT.error;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
