import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../run-cli.js';
import { fakeIstioctl } from '../fake-istioctl.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const scratch = mkdtempSync(join(tmpdir(), 'stagegate-waves-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function run(argv: string[], cwd: string) {
  return runCli(argv, cwd, { PATH: '' });
}

/** A checkout with the wave fixture and the repository's one-cluster checkout intent. */
function repo(name: string): string {
  const dir = join(scratch, name);
  mkdirSync(join(dir, 'rollouts'), { recursive: true });
  cpSync(join(ROOT, 'test/fixtures/waves/storefront.yaml'), join(dir, 'rollouts/storefront.yaml'));
  cpSync(join(ROOT, 'rollouts/checkout.yaml'), join(dir, 'rollouts/checkout.yaml'));
  return dir;
}

/** The canary route weight of the VirtualService in a generated file (the default route's last destination). */
function canaryWeight(yaml: string): number {
  const vs = parseAllDocuments(yaml)
    .map((d) => d.toJS())
    .find((o) => o.kind === 'VirtualService');
  const route = vs.spec.http[vs.spec.http.length - 1].route as { destination: { subset: string }; weight: number }[];
  return route.find((r) => r.destination.subset === 'canary')?.weight ?? 0;
}

describe('waves across clusters: output per cluster', () => {
  it('writes generated/<cluster>/<name>.k8s.yaml per cluster; one-cluster intents stay byte-for-byte', async () => {
    const dir = repo('synth');
    const first = await run(['synth'], dir);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(
      'synth: 3 rollout(s) → generated/ (3 written, 0 unchanged, 0 removed)\n' +
        '  wrote   generated/checkout.k8s.yaml\n  wrote   generated/eu-1/storefront.k8s.yaml\n' +
        '  wrote   generated/us-1/storefront.k8s.yaml\n',
    );
    expect(readFileSync(join(dir, 'generated/checkout.k8s.yaml'), 'utf8')).toBe(
      readFileSync(join(ROOT, 'generated/checkout.k8s.yaml'), 'utf8'),
    );
    const eu = readFileSync(join(dir, 'generated/eu-1/storefront.k8s.yaml'), 'utf8');
    const us = readFileSync(join(dir, 'generated/us-1/storefront.k8s.yaml'), 'utf8');
    // eu-1 is in the wave at 10 %; us-1 is not reached yet: stable 100 %.
    expect(canaryWeight(eu)).toBe(10);
    expect(canaryWeight(us)).toBe(0);
    const again = await run(['synth'], dir);
    expect(again.stdout).toBe('synth: 3 rollout(s) → generated/ (0 written, 3 unchanged, 0 removed)\n');
    expect(readFileSync(join(dir, 'generated/us-1/storefront.k8s.yaml'), 'utf8')).toBe(us);
  });

  it('prints one cluster with --stdout --cluster, and refuses a cluster no intent runs in', async () => {
    const dir = repo('stdout');
    await run(['synth'], dir);
    const us = await run(['synth', '--stdout', '--cluster', 'us-1'], dir);
    expect(us.code).toBe(0);
    expect(us.stdout).toBe(readFileSync(join(dir, 'generated/us-1/storefront.k8s.yaml'), 'utf8'));
    const typo = await run(['synth', '--stdout', '--cluster', 'us-2'], dir);
    expect(typo).toEqual({
      code: 1,
      stdout: '',
      stderr: 'stagegate synth: no intent runs in cluster "us-2" (spec.clusters name: eu-1, us-1); nothing printed\n',
    });
    expect((await run(['synth', '--cluster', 'us-1'], dir)).stderr).toContain('--cluster goes with --stdout');
    // Without --cluster only the one-cluster intents: both copies of storefront would clash.
    const plain = await run(['synth', '--stdout'], dir);
    expect(plain.stdout).toBe(readFileSync(join(dir, 'generated/checkout.k8s.yaml'), 'utf8'));
  });

  it('check finds a per-cluster file that is stale or left over', async () => {
    const dir = repo('check');
    await run(['synth'], dir);
    expect((await run(['check'], dir)).stdout).not.toContain('SG0001');
    const file = join(dir, 'generated/us-1/storefront.k8s.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('weight: 100', 'weight: 90'));
    mkdirSync(join(dir, 'generated/ap-1'));
    writeFileSync(join(dir, 'generated/ap-1/storefront.k8s.yaml'), 'kind: List\n');
    const checked = await run(['check'], dir);
    expect(checked.code).toBe(1);
    expect(checked.stdout).toContain(
      'error SG0001 generated/ap-1/storefront.k8s.yaml: differs from synth; run `stagegate synth`\n' +
        'error SG0001 generated/us-1/storefront.k8s.yaml: differs from synth; run `stagegate synth`\n',
    );
    const resynth = await run(['synth'], dir);
    expect(resynth.stdout).toContain(
      '  wrote   generated/us-1/storefront.k8s.yaml\n  removed generated/ap-1/storefront.k8s.yaml\n',
    );
    expect((await run(['check'], dir)).stdout).not.toContain('SG0001');
  });

  it('check judges each cluster’s mesh apart: a wave’s copies share a host; a one-cluster intent on it still conflicts', async () => {
    const dir = repo('meshes');
    await run(['synth'], dir);
    const clean = await run(['check'], dir);
    expect(clean.stdout).toContain('check: 3 rollout(s), 0 error(s), 0 warning(s)\n');
    expect(clean.code).toBe(0);
    // A one-cluster intent for the same host shares a mesh with each cluster's copy: reported once.
    const other = readFileSync(join(ROOT, 'rollouts/checkout.yaml'), 'utf8')
      .replace(/name: checkout\n/, 'name: storefront-old\n')
      .replace(/host: checkout\b/, 'host: storefront');
    writeFileSync(join(dir, 'rollouts/storefront-old.yaml'), other);
    await run(['synth'], dir);
    const conflict = await run(['check'], dir);
    expect(conflict.code).toBe(1);
    expect(conflict.stdout.match(/IST0109/g)).toHaveLength(1);
  });

  it('check runs istioctl analyze once per cluster, with that cluster’s files only (and the one-cluster intents)', async () => {
    const dir = repo('istioctl');
    await run(['synth'], dir);
    const fake = fakeIstioctl();
    const checked = await runCli(['check'], dir, { PATH: `${fake.dir}${delimiter}${process.env.PATH ?? ''}` });
    expect(checked.stdout).toContain('istioctl analyze (offline, all namespaces): ok\n');
    expect(checked.code).toBe(0);
    const file = (f: string) => readFileSync(join(dir, 'generated', f), 'utf8');
    const analyzed = fake
      .calls()
      .filter((c) => c.args[0] === 'analyze')
      .map((c) => c.files.filter((f) => !f.includes('stagegate.dev/stub')));
    expect(file('eu-1/storefront.k8s.yaml')).not.toBe(file('us-1/storefront.k8s.yaml'));
    expect(analyzed).toEqual([
      [file('checkout.k8s.yaml'), file('eu-1/storefront.k8s.yaml')],
      [file('checkout.k8s.yaml'), file('us-1/storefront.k8s.yaml')],
    ]);
  });

  it('check reports a message every cluster’s istioctl run gives once, naming the clusters, and fails on it', async () => {
    const dir = repo('istioctl-found');
    await run(['synth'], dir);
    const fake = fakeIstioctl();
    fake.answer([
      {
        code: 'IST0109',
        level: 'Error',
        message: 'The VirtualServices x conflict',
        origin: 'VirtualService shop/storefront',
      },
    ]);
    const checked = await runCli(['check'], dir, { PATH: `${fake.dir}${delimiter}${process.env.PATH ?? ''}` });
    expect(checked.stdout).toContain(
      'istioctl analyze (offline, all namespaces): failed\neu-1, us-1: Error [IST0109] (VirtualService shop/storefront) The VirtualServices x conflict\n',
    );
    expect(checked.stdout).toContain('check: 3 rollout(s), 1 error(s), 0 warning(s)\n');
    expect(checked.code).toBe(1);
  });
});
