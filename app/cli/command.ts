/**
 * What every command shares: the `Io` it talks through, how it is declared (`defineCommand`), and
 * the exit codes. This module imports nothing of the command table, so any command module can be
 * loaded first (docs/design.md §3).
 *
 * Parsing is Node's own `util.parseArgs`; a command declares its flags once, with their help text,
 * and gets its `values` typed from that declaration (a string flag is `string | undefined`, a
 * repeatable one `string[] | undefined`), so no command casts what it parsed.
 */

export interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted on Ctrl-C; long-running commands (demo, advance --watch) stop on it. */
  readonly signal?: AbortSignal;
}

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
  /** the command could not do its job: an API unreachable, an intent elsewhere invalid, bad configuration */
  error: 4,
} as const;

export type ExitName = keyof typeof EXIT;

/** One flag: its parseArgs type plus what `--help` says about it. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly multiple?: boolean;
  readonly short?: string;
  /** One line for `--help`. */
  readonly help: string;
  /** The placeholder of a string flag's value in help and usage, e.g. `OWNER/NAME`. @default VALUE */
  readonly value?: string;
}

export type Options = Readonly<Record<string, OptionSpec>>;

type ValueOf<S extends OptionSpec> = S extends { type: 'boolean' }
  ? S extends { multiple: true }
    ? boolean[]
    : boolean
  : S extends { multiple: true }
    ? string[]
    : string;

/** What parseArgs (strict, no defaults) yields for `O`: every flag optional, typed by its declaration. */
export type Values<O extends Options> = { -readonly [K in keyof O]?: ValueOf<O[K]> };

/** Flags every command takes. */
export const GLOBAL_OPTIONS = {
  json: { type: 'boolean', help: 'print one JSON document on stdout instead of text' },
  help: { type: 'boolean', short: 'h', help: 'print this help' },
} as const satisfies Options;

export interface Positionals {
  /** How help and usage show them, e.g. `<rollout>`. */
  readonly usage: string;
  readonly min: number;
  readonly max: number;
  /** Said when too few are given, e.g. "which rollout? (name or namespace/name)". */
  readonly missing: string;
}

/** An environment variable a command reads, for `--help`. */
export interface EnvSpec {
  readonly name: string;
  readonly help: string;
}

export interface CommandSpec<O extends Options> {
  readonly name: string;
  /** One line, shown by `stagegate --help` and at the top of the command's help. */
  readonly summary: string;
  readonly options: O;
  /** @default none: any positional is an error */
  readonly positionals?: Positionals;
  /** @default none */
  readonly env?: readonly EnvSpec[];
  /** What each exit code means for this command; `usage` is added for every command. */
  readonly exits: Partial<Record<ExitName, string>>;
  run(args: { values: Values<O & typeof GLOBAL_OPTIONS>; positionals: string[] }, io: Io): Promise<number>;
}

/** A command as the table sees it (its option types erased). */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly options: Options;
  readonly positionals: Positionals | undefined;
  readonly env: readonly EnvSpec[];
  readonly exits: Partial<Record<ExitName, string>>;
  /** e.g. "gate <rollout> --prometheus URL [--rollouts DIR] [--json]" */
  readonly usage: string;
  run(args: { values: Record<string, unknown>; positionals: string[] }, io: Io): Promise<number>;
}

/**
 * Declares a command. `const O` keeps the flag declarations literal, so `run` sees
 * `values.rollouts` as `string | undefined` and `values.trust-app` (multiple) as `string[] | undefined`.
 */
export function defineCommand<const O extends Options>(spec: CommandSpec<O>): Command {
  return {
    name: spec.name,
    summary: spec.summary,
    options: spec.options,
    positionals: spec.positionals,
    env: spec.env ?? [],
    exits: spec.exits,
    usage: usageLine(spec.name, spec.options, spec.positionals),
    // parseArgs produced the values from exactly these declarations (see main.ts).
    run: (args, io) => spec.run(args as Parameters<typeof spec.run>[0], io),
  };
}

/** Required flags are the ones a command checks itself; usage shows them all in brackets but `--json`. */
function usageLine(name: string, options: Options, positionals: Positionals | undefined): string {
  const flags = Object.entries(options).map(([flag, o]) => `[${flagText(flag, o)}]${o.multiple ? '...' : ''}`);
  return [name, ...(positionals ? [positionals.usage] : []), ...flags, '[--json]'].join(' ');
}

function flagText(flag: string, o: OptionSpec): string {
  return o.type === 'string' ? `--${flag} ${o.value ?? 'VALUE'}` : `--${flag}`;
}

/** The full help of one command: usage, summary, flags, environment, exit codes. */
export function commandHelp(c: Command): string {
  const options = { ...c.options, ...GLOBAL_OPTIONS } as Options;
  const flags = Object.entries(options).map(
    ([flag, o]) =>
      [`${o.short ? `-${o.short}, ` : ''}${flagText(flag, o)}${o.multiple ? ' (repeatable)' : ''}`, o.help] as const,
  );
  const exits = { ...c.exits, usage: c.exits.usage ?? 'the command line is wrong (unknown flag, missing value)' };
  const codes = (Object.keys(EXIT) as ExitName[])
    .filter((k) => exits[k] !== undefined)
    .map((k) => [String(EXIT[k]), exits[k]!] as const);
  const out = [`usage: stagegate ${c.usage}`, '', c.summary, '', 'options:', ...table(flags)];
  if (c.env.length > 0) out.push('', 'environment:', ...table(c.env.map((e) => [e.name, e.help] as const)));
  out.push('', 'exit codes:', ...table(codes));
  return `${out.join('\n')}\n`;
}

function table(rows: ReadonlyArray<readonly [string, string]>): string[] {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`);
}

/** Thrown for a wrong command line; `main` prints it with the command's usage and exits 2. */
export class UsageError extends Error {}

/**
 * Thrown when the command cannot do its job for a reason the user can fix (configuration,
 * an intent elsewhere invalid); `main` prints the message alone and exits 4.
 */
export class CommandError extends Error {}

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
