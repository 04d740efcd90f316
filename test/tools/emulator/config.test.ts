import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../app/cli/main.js';
import { ConfigError, parseConfig } from '../../../tools/emulator/index.js';

const dir = mkdtempSync(join(tmpdir(), 'stagegate-emu-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `stagegate emulator ARGS` in-process until `body` is done with its URL. */
async function serve(args: string[], body: (url: string) => Promise<void>): Promise<{ code: number; err: string }> {
  const controller = new AbortController();
  let out = '';
  let err = '';
  let ready!: () => void;
  const printed = new Promise<void>((resolve) => {
    ready = resolve;
  });
  const io = {
    stdout: (t: string) => {
      out += t;
      ready();
    },
    stderr: (t: string) => {
      err += t;
      ready();
    },
    cwd: dir,
    env: {},
    signal: controller.signal,
  };
  const exit = main(['emulator', ...args, '--json'], io);
  await Promise.race([printed, exit]);
  if (out !== '') await body((JSON.parse(out) as { url: string }).url);
  controller.abort();
  return { code: await exit, err };
}

describe('stagegate emulator --config FILE', () => {
  it('serves the identities, merge methods, faults and request log of the file', async () => {
    const config = {
      repo: 'acme/deploy',
      users: { 'alice-token': 'alice' },
      apps: { 'app-token': 'stagegate' },
      mergeMethods: ['squash'],
      faults: [{ kind: 'status', status: 502, match: { method: 'GET', path: '^/rate_limit$' }, times: 1 }],
      requestLog: 'requests.jsonl',
    };
    writeFileSync(join(dir, 'emu.json'), JSON.stringify(config));
    const { code } = await serve(['--config', 'emu.json'], async (url) => {
      const as = (token: string, path: string): Promise<Response> =>
        fetch(`${url}${path}`, { headers: { authorization: `token ${token}` } });
      expect((await as('app-token', '/user')).status).toBe(403);
      expect(((await (await as('alice-token', '/user')).json()) as { login: string }).login).toBe('alice');
      expect((await as('stolen', '/repos/acme/deploy')).status).toBe(401);
      const r = (await (await as('alice-token', '/repos/acme/deploy')).json()) as Record<string, unknown>;
      expect([r.allow_squash_merge, r.allow_merge_commit, r.allow_rebase_merge]).toEqual([true, false, false]);
      expect((await as('alice-token', '/rate_limit')).status).toBe(502);
      // Test hooks: a fault added at runtime, and the log.
      const added = await fetch(`${url}/_emulator/faults`, {
        method: 'POST',
        body: JSON.stringify({ kind: 'status', status: 503, match: { path: '^/user$' }, times: 'Infinity' }),
      });
      expect(added.status).toBe(201);
      expect((await as('alice-token', '/user')).status).toBe(503);
      const log = (await (await fetch(`${url}/_emulator/requests`)).json()) as Array<{ path: string; status: number }>;
      expect(log.map((e) => `${e.status} ${e.path}`)).toEqual([
        '403 /user',
        '200 /user',
        '401 /repos/acme/deploy',
        '200 /repos/acme/deploy',
        '502 /rate_limit',
        '503 /user',
      ]);
    });
    expect(code).toBe(0);
    const lines = readFileSync(join(dir, 'requests.jsonl'), 'utf8').trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { status: number }).status)).toEqual([403, 200, 401, 200, 502, 503]);
  });

  it('exits 4 naming the wrong field of a config file', async () => {
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ users: { t: 'a' }, protection: { main: { reviews: 1 } } }));
    const { code, err } = await serve(['--config', 'bad.json', '--repo', 'acme/deploy'], async () => {});
    expect(code).toBe(4);
    expect(err).toContain('--config: protection.main.reviews is not a rule');
  });

  it('parses fault rules with regex paths and "Infinity" times, and refuses unknown fields', () => {
    const c = parseConfig(
      JSON.stringify({ faults: [{ kind: 'racePush', match: { path: '/merge$' }, times: 'Infinity' }] }),
      'x.json',
    );
    expect(c.faults).toEqual([{ kind: 'racePush', match: { path: /\/merge$/ }, times: Number.POSITIVE_INFINITY }]);
    expect(() => parseConfig('{"usres":{}}', 'x.json')).toThrow(ConfigError);
    expect(() => parseConfig('{"mergeMethods":["fast-forward"]}', 'x.json')).toThrow(
      'mergeMethods[] must be merge | squash | rebase (got "fast-forward")',
    );
  });
});
