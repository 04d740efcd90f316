/**
 * `alerts.layout: fleet` (docs/design.md §7, "Fleet layout (opt-in)") through the commands that
 * write or compare generated/: synth writes stagegate-fleet.k8s.yaml with the rollouts' files (and
 * removes it when the layout goes back), --stdout prints it, verify and check compare it, the
 * cdk8s app writes the same bytes, and a stage advance (the bot's regeneration of one rollout)
 * leaves it as it is.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { compilingRegenerate } from '../../../app/bot/setup.js';
import { setStage } from '../../../app/bot/edit-intent.js';
import { runCli } from '../../run-cli.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const FLEET_DEFAULTS = `apiVersion: stagegate.dev/v1alpha1
kind: Defaults
spec:
  alerts:
    layout: fleet
    namespace: monitoring
    labels: { release: kube-prometheus-stack }
`;
const cwd = mkdtempSync(join(tmpdir(), 'stagegate-fleet-'));
const run = (argv: string[]) => runCli(argv, cwd, { PATH: '/nonexistent' });
const file = (path: string) => readFileSync(join(cwd, path), 'utf8');

beforeEach(() => {
  rmSync(join(cwd, 'rollouts'), { recursive: true, force: true });
  rmSync(join(cwd, 'generated'), { recursive: true, force: true });
  cpSync(join(ROOT, 'rollouts'), join(cwd, 'rollouts'), { recursive: true });
  writeFileSync(join(cwd, 'rollouts/_defaults.yaml'), FLEET_DEFAULTS);
});
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

describe('the fleet layout in the commands', () => {
  it('synth writes the fleet file with the rollouts, and removes it when the layout goes back', async () => {
    const synth = await run(['synth']);
    expect(synth.code).toBe(0);
    expect(synth.stdout).toContain('  wrote   generated/stagegate-fleet.k8s.yaml\n');
    expect(file('generated/stagegate-fleet.k8s.yaml')).toMatch(/^kind: PrometheusRule\n/m);
    expect(file('generated/stagegate-fleet.k8s.yaml')).toContain('  name: stagegate-fleet\n  namespace: monitoring\n');
    // The rollout's own rule holds one group now, not the recordings.
    expect(file('generated/checkout.k8s.yaml')).not.toContain('stagegate:fleet_');
    expect(file('generated/stagegate-fleet.k8s.yaml')).toContain('stagegate:fleet_requests:rate5m');

    writeFileSync(join(cwd, 'rollouts/_defaults.yaml'), FLEET_DEFAULTS.replace('layout: fleet', 'layout: per-rollout'));
    const back = await run(['synth']);
    expect(back.code).toBe(0);
    expect(back.stdout).toContain('  removed generated/stagegate-fleet.k8s.yaml\n');
    expect(existsSync(join(cwd, 'generated/stagegate-fleet.k8s.yaml'))).toBe(false);
  });

  it('synth --stdout prints the fleet rule too (Argo CD would prune it otherwise)', async () => {
    const printed = await run(['synth', '--stdout']);
    expect(printed.code).toBe(0);
    expect(printed.stdout).toContain('  name: stagegate-fleet\n');
    // The four rollouts' PrometheusRules and the fleet's.
    expect(printed.stdout.match(/^kind: PrometheusRule$/gm)).toHaveLength(5);
  });

  it('verify and check pass when it is current, and catch it edited by hand or missing', async () => {
    expect((await run(['synth'])).code).toBe(0);
    expect((await run(['verify'])).code).toBe(0);
    appendFileSync(join(cwd, 'generated/stagegate-fleet.k8s.yaml'), '# hand edit\n');
    const edited = await run(['verify']);
    expect(edited.code).toBe(1);
    expect(edited.stdout).toContain(
      'error SG0001 generated/stagegate-fleet.k8s.yaml: differs from synth; run `stagegate synth`',
    );
    const checked = await run(['check']);
    expect(checked.code).toBe(1);
    expect(checked.stdout).toContain('error SG0001 generated/stagegate-fleet.k8s.yaml: differs from synth');
    rmSync(join(cwd, 'generated/stagegate-fleet.k8s.yaml'));
    expect((await run(['verify'])).stdout).toContain('error SG0001 generated/stagegate-fleet.k8s.yaml');
  });

  it('a stage advance as the bot makes it (one rollout regenerated) leaves the fleet file current', async () => {
    expect((await run(['synth'])).code).toBe(0);
    const fleetBefore = file('generated/stagegate-fleet.k8s.yaml');
    const path = 'rollouts/checkout.yaml';
    const advanced = setStage(file(path), 'one-percent', path);
    // What the bot commits: the intent and its regenerated file, nothing else (app/bot/content.ts).
    const regenerated = compilingRegenerate()(path, advanced, FLEET_DEFAULTS);
    expect(regenerated.file).toBe('checkout.k8s.yaml');
    expect(regenerated.others).toBeUndefined();
    writeFileSync(join(cwd, path), advanced);
    writeFileSync(join(cwd, 'generated/checkout.k8s.yaml'), regenerated.content);
    expect((await run(['verify'])).code).toBe(0);
    const synth = await run(['synth']);
    expect(synth.stdout).toContain('0 written');
    expect(file('generated/stagegate-fleet.k8s.yaml')).toBe(fleetBefore);
  });

  it('the cdk8s app (cdk8s.yaml) writes the same files as synth', async () => {
    expect((await run(['synth'])).code).toBe(0);
    const out = join(cwd, 'cdk8s-out');
    const app = spawnSync(
      'bash',
      // tsx as this project resolves it: cwd is a scratch directory without node_modules.
      [join(ROOT, 'tools/node.sh'), '--import', import.meta.resolve('tsx'), join(ROOT, 'app/cdk8s-app.ts')],
      { cwd, env: { ...process.env, CDK8S_OUTDIR: out, STAGEGATE_ROLLOUTS: 'rollouts' }, encoding: 'utf8' },
    );
    expect(app.status, app.stderr).toBe(0);
    for (const name of ['stagegate-fleet.k8s.yaml', 'checkout.k8s.yaml', 'payments.k8s.yaml'])
      expect(readFileSync(join(out, name), 'utf8')).toBe(file(`generated/${name}`));
  });
});
