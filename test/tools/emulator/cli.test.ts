import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../app/cli/main.js';

const seed = mkdtempSync(join(tmpdir(), 'stagegate-emu-seed-'));
afterAll(() => rmSync(seed, { recursive: true, force: true }));

describe('stagegate emulator', () => {
  it('serves the seed directory (without node_modules) until the signal aborts, then exits 0', async () => {
    mkdirSync(join(seed, 'rollouts'));
    mkdirSync(join(seed, 'node_modules', 'x'), { recursive: true });
    writeFileSync(join(seed, 'rollouts', 'checkout.yaml'), 'stage: internal\n');
    writeFileSync(join(seed, 'node_modules', 'x', 'index.js'), 'module.exports = 1\n');
    const controller = new AbortController();
    let out = '';
    let printed!: () => void;
    const ready = new Promise<void>((resolve) => {
      printed = resolve;
    });
    const io = {
      stdout: (t: string) => {
        out += t;
        printed();
      },
      stderr: (t: string) => {
        out += t;
      },
      cwd: seed,
      env: {},
      signal: controller.signal,
    };
    const exit = main(['emulator', '--repo', 'acme/shop', '--seed', '.', '--json'], io);
    await ready;
    const { url } = JSON.parse(out) as { url: string };
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${url}/repos/acme/shop/contents/`, { headers: { authorization: 'token anything' } });
    const names = ((await res.json()) as Array<{ name: string }>).map((e) => e.name);
    expect(names).toEqual(['rollouts']);
    controller.abort();
    expect(await exit).toBe(0);
    await expect(fetch(`${url}/rate_limit`)).rejects.toThrow();
  });

  it('rejects a malformed --repo with exit code 2 and the usage', async () => {
    let err = '';
    const code = await main(['emulator', '--repo', 'nope'], {
      stdout: () => {},
      stderr: (t) => {
        err += t;
      },
      cwd: seed,
      env: {},
    });
    expect(code).toBe(2);
    expect(err).toContain('--repo must be OWNER/NAME (got "nope")');
  });
});
