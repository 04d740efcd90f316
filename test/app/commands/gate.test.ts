import { Octokit } from '@octokit/rest';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../../tools/emulator/index.js';
import { freePort } from '../../../tools/prometheus.js';
import { runCli } from '../../run-cli.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const TOKEN = 'ghs_gate-test-token-4f9c';
let emulator: Emulator;
let sha: string;

beforeAll(async () => {
  emulator = await startEmulator({
    owner: 'acme',
    repo: 'platform',
    seedFiles: { 'README.md': 'platform\n' },
    port: 0,
  });
  sha = emulator.log('main')[0]!.sha;
});
afterAll(async () => emulator?.close());

async function run(argv: string[]) {
  return runCli(argv, ROOT, { GITHUB_TOKEN: TOKEN, GITHUB_API_URL: emulator.url });
}

describe('stagegate gate (command)', () => {
  it('holds with exit code 3 when Prometheus is down, and posts stagegate/health as in progress', async () => {
    const port = await freePort();
    const result = await run([
      'gate',
      'checkout',
      '--prometheus',
      `http://127.0.0.1:${port}`,
      '--post',
      '--repo',
      'acme/platform',
      '--sha',
      sha,
    ]);
    expect(result.code).toBe(3);
    expect(result.stdout).toContain(`shop/checkout: hold: Prometheus at http://127.0.0.1:${port} is unreachable`);
    expect(result.stdout).not.toContain(TOKEN);
    const octokit = new Octokit({ baseUrl: emulator.url, auth: 'reader' });
    const runs = (await octokit.rest.checks.listForRef({ owner: 'acme', repo: 'platform', ref: sha })).data.check_runs;
    expect(runs.map((r) => [r.name, r.status, r.conclusion])).toEqual([['stagegate/health', 'in_progress', null]]);
    expect(runs[0]!.output.title).toBe(`hold: Prometheus at http://127.0.0.1:${port} is unreachable`);
  });

  it('updates the open run instead of adding a second one', async () => {
    const port = await freePort();
    await run([
      'gate',
      'shop/checkout',
      '--prometheus',
      `http://127.0.0.1:${port}`,
      '--post',
      '--repo',
      'acme/platform',
      '--sha',
      sha,
    ]);
    const octokit = new Octokit({ baseUrl: emulator.url, auth: 'reader' });
    const runs = (await octokit.rest.checks.listForRef({ owner: 'acme', repo: 'platform', ref: sha })).data.check_runs;
    expect(runs).toHaveLength(1);
  });

  it('names the known rollouts when asked about an unknown one', async () => {
    const result = await run(['gate', 'nope', '--prometheus', 'http://127.0.0.1:1']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'no rollout "nope"; known: discovery/search, payments/payments, shop/catalog, shop/checkout',
    );
  });
});
