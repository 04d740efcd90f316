import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const COMMANDS_DIR = join(ROOT, 'app/commands');

// Vitest's module graph hides load-order crashes (a cycle left the table full of undefineds),
// so each module is imported first in a fresh Node process, as a user's entry point would be.
function importFirst(file: string): string {
  const code =
    `const m = await import(${JSON.stringify(pathToFileURL(file).href)});` +
    `console.log(Object.entries(m).filter(([, v]) => v === undefined).map(([k]) => k).join(',') || 'ok');`;
  return execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: ROOT,
    encoding: 'utf8',
  }).trim();
}

describe('the CLI modules', () => {
  const modules = readdirSync(COMMANDS_DIR)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(COMMANDS_DIR, f));
  modules.push(join(ROOT, 'app/cli/main.ts'), join(ROOT, 'app/cli/command.ts'));

  it.each(modules.map((m) => [m.slice(ROOT.length + 1), m]))('%s loads first in a fresh process', (_name, file) => {
    expect(importFirst(file)).toBe('ok');
  });

  it('every entry of the command table loads a command of its own name', async () => {
    const { COMMANDS } = await import('../../../app/commands/index.js');
    const loaded = await Promise.all(COMMANDS.map(async (c) => ({ entry: c.name, command: (await c.load()).name })));
    expect(loaded.filter((l) => l.entry !== l.command)).toEqual([]);
  });
});
