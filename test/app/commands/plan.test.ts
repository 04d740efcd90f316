import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../run-cli.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const scratch = mkdtempSync(join(tmpdir(), 'stagegate-plan-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function run(argv: string[], cwd = ROOT) {
  return runCli(argv, cwd, {});
}

const INTENT = `apiVersion: stagegate.dev/v1alpha1
kind: Rollout
metadata: { name: web, namespace: shop }
spec:
  service: { host: web, port: 8080 }
  stable: v1
  canary: v2
  cohort: { header: x-cohort, values: [staff] }
  stages:
    - { name: staff, cohort: true, bake: 30m }
    - { name: one, weight: 1, bake: 30m }
    - { name: all, weight: 100 }
  stage: staff
  traffic: { requestsPerSecond: 400, baselineErrorRatio: 0.002 }
`;

describe('stagegate plan', () => {
  const dir = join(scratch, 'rollouts');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'web.yaml'), INTENT);

  it('prints one row per stage with min requests, time to detect and total time', async () => {
    const result = await run(['plan', 'web', '--rollouts', dir]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        'shop/web: 400 rps; stable errors 0.2 %, regression at 1 %',
        'minimum sample: one-sided two-proportion test, alpha 0.05, power 0.8; cohort stages: one-sample vs the baseline',
        // What the rules select on Istio's metrics (constructs/istio/telemetry.ts).
        'metrics: destination_service_name="web", destination_service_namespace="shop", reporter="destination"; windows hold two scrapes of 30s',
        'versions by destination_version (reporter destination, Istio 1.22+): follows pod label "version"',
        'cohort: x-cohort = "staff" (header regexes are RE2, full match)',
        '',
        'stage  weight  bake  min requests  canary rps  window  time to detect   total',
        'staff  cohort  30m   387           ?           1h      ? (cohort rate)  30m',
        'one    1 %     30m   396           4           5m      6m30s            1h',
        'all    100 %   -     387           400         1m      4m               1h',
        '',
        // The drill's own alert (constructs/drill-alert.ts): 2 scrapes of 30s, one 1m evaluation, for = S + blip 1m.
        // Every stage keeps the cohort route here (the cohort stays on canary), so each can be drilled.
        "abort drill at staff: its alert fires within 4m of the first faulted request (2 scrapes 1m, evaluation 1m, for 2m); red at the gate's next run (its schedule is the workflow's, not in the intent)",
        "abort drill at one: its alert fires within 5m of the first faulted request (2 scrapes 1m, evaluation 1m, for 3m); red at the gate's next run (its schedule is the workflow's, not in the intent)",
        "abort drill at all: its alert fires within 4m of the first faulted request (2 scrapes 1m, evaluation 1m, for 2m); red at the gate's next run (its schedule is the workflow's, not in the intent)",
        '',
      ].join('\n'),
    );
  });

  it('uses --rps instead of the intent rate and warns when bake is shorter than the time to detect', async () => {
    const result = await run(['plan', 'shop/web', '--rollouts', dir, '--rps', '40']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('shop/web: 40 rps;');
    expect(result.stdout).toContain('warning: one: bake is shorter than the time to detect');
  });

  it('prints the same plan as JSON, with never for an unreachable sample', async () => {
    const result = await run(['plan', 'web', '--rollouts', dir, '--rps', '0.5', '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({
      rollout: 'web',
      namespace: 'shop',
      requestsPerSecond: 0.5,
      alpha: 0.05,
      power: 0.8,
    });
    expect(report.stages.map((s: { stage: string }) => s.stage)).toEqual(['staff', 'one', 'all']);
    expect(report.stages[1]).toMatchObject({ minRequests: 396, timeToDetectMs: 'never', windowMs: 21_600_000 });
    expect(report.stages[0].timeToDetectMs).toBeNull();
    // A cohort stage has no time to detect, but an abort drill there has its own alert's time.
    expect(report.stages[0].abortDrill).toEqual({
      samplesMs: 60_000,
      evaluationMs: 60_000,
      forMs: 120_000,
      totalMs: 240_000,
    });
    expect(report.stages[1].abortDrill?.forMs).toBe(180_000);
  });

  it('plans every example rollout in the repository', async () => {
    for (const name of ['checkout', 'payments', 'search', 'catalog']) {
      const result = await run(['plan', name]);
      expect({ name, code: result.code, stderr: result.stderr }).toEqual({ name, code: 0, stderr: '' });
    }
  });

  // rollouts/_defaults.yaml applies to plan as to synth (constructs/spec/defaults.ts); was ignored.
  it('reads the repository defaults beside the intents, and is not confused by them', async () => {
    const withDefaults = join(scratch, 'with-defaults');
    mkdirSync(withDefaults, { recursive: true });
    writeFileSync(join(withDefaults, 'web.yaml'), INTENT);
    writeFileSync(
      join(withDefaults, '_defaults.yaml'),
      'apiVersion: stagegate.dev/v1alpha1\nkind: Defaults\nspec:\n  istio: { minVersion: "1.29" }\n',
    );
    const result = await run(['plan', 'web', '--rollouts', withDefaults]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('(reporter destination, Istio 1.29+)');
    const missing = await run(['plan', 'nope', '--rollouts', withDefaults]);
    expect(missing.stderr).toBe(`stagegate plan: no rollout "nope" in ${withDefaults} (found: web)\n`);
  });

  it('names the rollouts it knows when the one asked for is missing', async () => {
    const result = await run(['plan', 'nope', '--rollouts', dir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`stagegate plan: no rollout "nope" in ${dir} (found: web)\n`);
  });

  it('rejects a bad --rps and a missing rollout name as usage errors', async () => {
    expect((await run(['plan', 'web', '--rps', 'lots'])).stderr).toBe(
      'stagegate plan: --rps must be a positive number of requests per second (got "lots")\nusage: stagegate plan <rollout> [--rollouts DIR] [--rps N] [--json]\n' +
        '(stagegate plan --help for more)\n',
    );
    expect((await run(['plan'])).code).toBe(2);
  });

  it('shows a shadow stage: its mirrored share, the mirrored rate and its own minimum sample', async () => {
    const result = await run(['plan', 'pricing-shadow', '--rollouts', 'docs/examples/traffic']);
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines).toContain(
      `shadow: "shadow" mirrors 33.3 % for 1h of stable's requests to canary; users get stable's answers; judged on canary's reporter="destination" series, which in these stages hold mirrored requests only (the client proxy reports none)`,
    );
    expect(lines).toContain('shadow  shadow 33.3 %  1h    2000          49.95       2m      4m              1h');
  });
});
