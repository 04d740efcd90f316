import { appendFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Io } from '../../../app/cli/main.js';
import { COMMANDS } from '../../../app/commands/index.js';
import { startEmulator, type Emulator } from '../../../tools/emulator/index.js';
import { runCli } from '../../run-cli.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const scratch = mkdtempSync(join(tmpdir(), 'stagegate-cli-'));
let emulator: Emulator;

beforeAll(async () => {
  emulator = await startEmulator({ owner: 'acme', repo: 'platform', seedFiles: { 'README.md': 'x\n' }, port: 0 });
});
afterAll(async () => {
  await emulator?.close();
  rmSync(scratch, { recursive: true, force: true });
});

async function run(argv: string[], opts: { cwd?: string; env?: Io['env'] } = {}) {
  return runCli(argv, opts.cwd ?? ROOT, opts.env ?? {});
}

describe('the command line (issue 12: typed options, did you mean, extra arguments, help)', () => {
  it('suggests the flag that was meant when one is mistyped, with exit 2', async () => {
    const r = await run(['gate', 'checkout', '--prometeus', 'http://127.0.0.1:1']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe('stagegate gate: unknown option --prometeus; did you mean --prometheus?');
  });

  it('suggests a flag from a prefix and a command from a typo', async () => {
    expect((await run(['advance', '--repo=acme/platform', '--app=x'])).stderr).toContain(
      'unknown option --app; did you mean --app-slug?',
    );
    const r = await run(['advnce']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe('stagegate: unknown command "advnce"; did you mean "advance"?');
  });

  it('refuses an argument a command does not take instead of ignoring it', async () => {
    const synth = await run(['synth', 'rollouts/'], { cwd: scratch });
    expect(synth.code).toBe(2);
    expect(synth.stderr.split('\n')[0]).toBe('stagegate synth: unexpected argument "rollouts/"');
    const gate = await run(['gate', 'checkout', 'catalog', '--prometheus', 'http://127.0.0.1:1']);
    expect(gate.code).toBe(2);
    expect(gate.stderr.split('\n')[0]).toBe('stagegate gate: unexpected argument "catalog"');
  });

  it('shows per command the flags, the environment it reads and what each exit code means', async () => {
    const r = await run(['advance', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^usage: stagegate advance \[--repo OWNER\/NAME\] \[--app-slug SLUG\] \[--trust-app SLUG\]\.\.\./,
    );
    expect(r.stdout).toContain('  --trust-app SLUG (repeatable)');
    expect(r.stdout).toMatch(/environment:\n {2}GITHUB_TOKEN +the token/);
    expect(r.stdout).toContain('STAGEGATE_APP_SLUG');
    expect(r.stdout).toMatch(
      /exit codes:\n {2}0 +the pass ran[^\n]*\n {2}1 +[^\n]+\n {2}2 +the command line is wrong[^\n]*\n {2}4 +the pass could not run/,
    );
    const gate = await run(['gate', '--help']);
    expect(gate.stdout).toMatch(/ {2}1 +fail: the live stage is unhealthy/);
    expect(gate.stdout).toMatch(/ {2}3 +hold: /);
    expect(gate.stdout).toMatch(/ {2}4 +no verdict: an intent is invalid/);
  });

  it('every command has help with its exit codes, and the table lists it with its own summary', async () => {
    for (const entry of COMMANDS) {
      const command = await entry.load();
      expect(command.summary.startsWith(entry.summary), entry.name).toBe(true);
      const r = await run([entry.name, '-h']);
      expect(r.code, entry.name).toBe(0);
      expect(r.stdout, entry.name).toContain(`usage: stagegate ${command.usage}\n`);
      expect(r.stdout, entry.name).toMatch(/exit codes:\n {2}0 /);
    }
  });

  it('prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect((await run(['--version'])).stdout).toBe(`stagegate ${pkg.version}\n`);
  });
});

describe('command sources', () => {
  const dir = join(ROOT, 'app/commands');
  const sources = readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => [f, readFileSync(join(dir, f), 'utf8')] as const);

  it('never cast what they parsed: options are typed per command', () => {
    for (const [file, text] of sources) expect(text, file).not.toMatch(/values(\.\w+|\[[^\]]+\])? as /);
  });

  it('never import each other (shared helpers live in app/cli/)', () => {
    for (const [file, text] of sources.filter(([f]) => f !== 'index.ts'))
      expect(text.match(/from '\.\/[^']+'/g) ?? [], file).toEqual([]);
  });
});

describe('gate exit codes (issue 12: an error is not a fail)', () => {
  const cwd = join(scratch, 'gate');
  beforeAll(() => cpSync(join(ROOT, 'rollouts'), join(cwd, 'rollouts'), { recursive: true }));

  it('exits 4, not 1, when another intent is invalid', async () => {
    appendFileSync(join(cwd, 'rollouts/catalog.yaml'), 'bogus: 1\n');
    const r = await run(['gate', 'checkout', '--prometheus', 'http://127.0.0.1:1'], { cwd });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('bogus: unknown field "bogus"');
    expect(r.stderr).toContain('stagegate gate: no verdict while an intent is invalid (exit 4, not a fail)');
  });

  it('exits 4, not 1, when --prometheus is not an http(s) URL', async () => {
    const r = await run(['gate', 'checkout', '--prometheus', 'prometheus:9090']);
    expect(r.code).toBe(4);
    expect(r.stderr).toBe('stagegate gate: --prometheus must be an http(s) URL (got a prometheus: URL)\n');
  });
});

describe('GitHub access from one place (issue 10, item 13)', () => {
  it('never prints a credential written into GITHUB_API_URL, nor writes it into the cache file', async () => {
    const url = new URL(emulator.url);
    const withSecret = `${url.protocol}//x-access-token:ghs_URLSECRET0123@${url.host}`;
    const cache = join(scratch, 'cache.json');
    const r = await run(['advance', '--repo', 'acme/platform', '--cache', cache], {
      env: { GITHUB_TOKEN: 'ghs_TOKENSECRET0123', GITHUB_API_URL: withSecret },
      cwd: scratch,
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('GITHUB_API_URL carries credentials; they are ignored');
    const everything = r.stdout + r.stderr + readFileSync(cache, 'utf8');
    expect(everything).not.toContain('ghs_URLSECRET0123');
    expect(everything).not.toContain('ghs_TOKENSECRET0123');
  });

  it('masks the token and URL credentials in any message, even a failure that quotes them', async () => {
    const r = await run(['advance', '--repo', 'acme/platform'], {
      env: { GITHUB_TOKEN: 'ghs_TOKENSECRET0123', GITHUB_API_URL: 'ftp://u:ghs_URLSECRET0123@example.com' },
    });
    expect(r.code).toBe(4);
    expect(r.stderr).toBe('stagegate advance: GITHUB_API_URL must be an http(s) URL (got a ftp: URL)\n');
  });

  it('parses --repo the same way in every command', async () => {
    for (const argv of [
      ['advance', '--repo', 'acme'],
      ['abort', 'checkout', '--reason', 'x', '--repo', 'acme'],
      ['emulator', '--repo', 'acme'],
      ['verify', '--post', '--repo', 'acme', '--sha', 'a'.repeat(40)],
    ]) {
      const r = await run(argv, { env: { GITHUB_TOKEN: 't0ken' } });
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr, argv.join(' ')).toContain('--repo must be OWNER/NAME (got "acme")');
    }
  });
});
