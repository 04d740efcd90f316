/**
 * Runs the generate command of plugin.yaml the way Argo CD's CMP sidecar does: `bash -c` in the
 * app's directory, parameters as PARAM_* / ARGOCD_ENV_* environment variables.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { main } from '../../app/cli/main.js';

const ROOT = resolve(import.meta.dirname, '../..');
const plugin = parse(readFileSync(join(ROOT, 'plugin.yaml'), 'utf8'));

/** A copy of the repo layout: intents copied (tests change them), the built tool (bin + dist) and deps linked. */
function appDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'stagegate-cmp-'));
  cpSync(join(ROOT, 'rollouts'), join(dir, 'rollouts'), { recursive: true });
  for (const name of ['bin', 'dist', 'node_modules']) symlinkSync(join(ROOT, name), join(dir, name));
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  return dir;
}

function generate(cwd: string, env: Record<string, string> = {}) {
  const [cmd, ...cmdArgs] = plugin.spec.generate.command as string[];
  const result = spawnSync(cmd!, [...cmdArgs, ...(plugin.spec.generate.args ?? [])], {
    cwd,
    // What the sidecar gives the command: no inherited npm/npx config, only PATH and HOME.
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? tmpdir(), ARGOCD_APP_NAME: 'shop', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

async function synthStdout(cwd: string, rolloutsDir: string): Promise<string> {
  let stdout = '';
  const code = await main(['synth', '--stdout', '--rollouts', rolloutsDir], {
    stdout: (t) => {
      stdout += t;
    },
    stderr: () => {},
    cwd,
    env: {},
  });
  expect(code).toBe(0);
  return stdout;
}

describe('Argo CD config-management plugin', () => {
  let dir: string;
  beforeAll(() => {
    dir = appDir();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is a ConfigManagementPlugin whose generate runs bash with errexit and pipefail', () => {
    expect(plugin.apiVersion).toBe('argoproj.io/v1alpha1');
    expect(plugin.kind).toBe('ConfigManagementPlugin');
    expect(plugin.metadata.name).toBe('stagegate');
    expect(plugin.spec.generate.command).toEqual(['bash', '-c']);
    const script: string = plugin.spec.generate.args[0];
    expect(script.split('\n')[0]).toBe('set -euo pipefail');
    expect(script).toContain('synth --stdout --rollouts "$rollouts"');
    expect(script).not.toMatch(/\bnpx\b/);
    expect(plugin.spec.parameters.static.map((p: { name: string }) => p.name)).toEqual(['rollouts', 'cluster']);
  });

  it('prints exactly what `synth --stdout` prints, as valid multi-document YAML, and exits 0', async () => {
    const run = generate(dir, { PARAM_ROLLOUTS: 'rollouts' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(await synthStdout(dir, 'rollouts'));
    const docs = parseAllDocuments(run.stdout);
    if (!Array.isArray(docs)) throw new Error('expected several YAML documents');
    for (const doc of docs) expect(doc.errors).toEqual([]);
    const kinds = docs.map((d) => (d.toJS() as { kind: string }).kind);
    expect(kinds).toContain('VirtualService');
    expect(kinds).toContain('DestinationRule');
  });

  it('reads the rollouts directory from the app env when no parameter is given', async () => {
    const other = appDir();
    try {
      cpSync(join(other, 'rollouts', 'checkout.yaml'), join(other, 'intents', 'checkout.yaml'), { recursive: true });
      const run = generate(other, { ARGOCD_ENV_STAGEGATE_ROLLOUTS: 'intents' });
      expect(run.status).toBe(0);
      expect(run.stdout).toBe(await synthStdout(other, 'intents'));
      expect(run.stdout).not.toContain('name: search');
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('fails non-zero with an empty stdout and file:line on stderr for a bad intent', () => {
    const bad = appDir();
    try {
      const text = readFileSync(join(bad, 'rollouts', 'checkout.yaml'), 'utf8').replace('weight: 10,', 'weight: 140,');
      writeFileSync(join(bad, 'rollouts', 'checkout.yaml'), text);
      const line = text.split('\n').findIndex((l) => l.includes('weight: 140')) + 1;
      const run = generate(bad, { PARAM_ROLLOUTS: 'rollouts' });
      expect(run.status).not.toBe(0);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain(`rollouts/checkout.yaml:${line}:`);
      expect(run.stderr).toContain('stagegate CMP: synth failed for shop (rollouts dir: rollouts); nothing rendered');
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });

  it('fails non-zero with an empty stdout when there are no intents, so auto-prune deletes nothing', () => {
    const empty = appDir();
    try {
      mkdirSync(join(empty, 'none'));
      const run = generate(empty, { PARAM_ROLLOUTS: 'none' });
      expect(run.status).not.toBe(0);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain('no intents in none');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('renders one cluster of a wave for PARAM_CLUSTER (an ApplicationSet parameter), and fails on an unknown one', async () => {
    const waves = appDir();
    try {
      cpSync(join(ROOT, 'test/fixtures/waves/storefront.yaml'), join(waves, 'rollouts/storefront.yaml'));
      let expected = '';
      await main(['synth', '--stdout', '--cluster', 'us-1'], {
        stdout: (t) => {
          expected += t;
        },
        stderr: () => {},
        cwd: waves,
        env: {},
      });
      const run = generate(waves, { PARAM_ROLLOUTS: 'rollouts', PARAM_CLUSTER: 'us-1' });
      expect(run.status).toBe(0);
      expect(run.stdout).toBe(expected);
      expect(run.stdout).toContain('name: storefront');
      expect(run.stdout).not.toContain('name: checkout');
      const typo = generate(waves, { PARAM_ROLLOUTS: 'rollouts', PARAM_CLUSTER: 'us-2' });
      expect(typo.status).not.toBe(0);
      expect(typo.stdout).toBe('');
      expect(typo.stderr).toContain('no intent runs in cluster "us-2"');
    } finally {
      rmSync(waves, { recursive: true, force: true });
    }
  });
});
