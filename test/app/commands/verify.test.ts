import { Octokit } from '@octokit/rest';
import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../run-cli.js';
import { startEmulator, type Emulator } from '../../../tools/emulator/index.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const cwd = mkdtempSync(join(tmpdir(), 'stagegate-verify-'));
let emulator: Emulator;

beforeAll(async () => {
  cpSync(join(ROOT, 'rollouts'), join(cwd, 'rollouts'), { recursive: true });
  emulator = await startEmulator({ owner: 'acme', repo: 'platform', seedFiles: { 'README.md': 'x\n' }, port: 0 });
});
afterAll(async () => {
  await emulator?.close();
  rmSync(cwd, { recursive: true, force: true });
});

const run = (argv: string[]) => runCli(argv, cwd, { GITHUB_TOKEN: 'tok', GITHUB_API_URL: emulator.url });

describe('stagegate verify', () => {
  it('passes when generated/ is current, and posts a successful stagegate/verify', async () => {
    expect((await run(['synth'])).code).toBe(0);
    const sha = emulator.log('main')[0]!.sha;
    const result = await run(['verify', '--post', '--repo', 'acme/platform', '--sha', sha]);
    expect(result.code).toBe(0);
    const runs = (
      await new Octokit({ baseUrl: emulator.url, auth: 'r' }).rest.checks.listForRef({
        owner: 'acme',
        repo: 'platform',
        ref: sha,
      })
    ).data.check_runs;
    expect(runs.map((r) => [r.name, r.status, r.conclusion])).toEqual([['stagegate/verify', 'completed', 'success']]);
    expect(result.stdout).toBe(
      '4 rollout(s): valid, generated/ current, pre-flight clean\n' +
        `posted stagegate/verify (completed/success) as check run ${runs[0]!.id} on ${sha.slice(0, 7)}\n`,
    );
  });

  it('fails when a generated file was edited by hand', async () => {
    appendFileSync(join(cwd, 'generated/checkout.k8s.yaml'), '# hand edit\n');
    const result = await run(['verify']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      'error SG0001 generated/checkout.k8s.yaml: differs from synth; run `stagegate synth`',
    );
  });

  it('fails with the intent problems when an intent is invalid', async () => {
    appendFileSync(join(cwd, 'rollouts/catalog.yaml'), 'bogus: 1\n');
    const result = await run(['verify', '--json']);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).lines[1]).toMatch(/^rollouts\/catalog\.yaml:\d+:1: bogus: unknown field "bogus"/);
  });
});
