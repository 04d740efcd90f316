/**
 * The opt-in fleet layout (rollouts/_defaults.yaml `alerts.layout: fleet`, docs/design.md §7
 * "Fleet layout (opt-in)"): the defaults field and what it refuses, and what compile writes under
 * it — one shared PrometheusRule stagegate-fleet, each rollout's own holding just its own group.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RuleGroup } from '../../constructs/alert-rules.js';
import { compile, compileRepository, generatedOutputs, type IntentSource } from '../../constructs/compile.js';
import { ruleGroupName } from '../../constructs/conventions.js';
import { schemaProblems } from '../../constructs/crd-schemas.js';
import { fleetRolloutGroup, fleetRuleGroups, fleetSharedGroups } from '../../constructs/fleet-rules.js';
import { parseDefaults } from '../../constructs/spec/defaults.js';
import { formatProblem, IntentError } from '../../constructs/spec/index.js';
import { setAbort, setStage } from '../../app/bot/edit-intent.js';

const ROOT = resolve(import.meta.dirname, '../..');
const intent = (name: string): IntentSource => ({
  path: `rollouts/${name}.yaml`,
  text: readFileSync(join(ROOT, `rollouts/${name}.yaml`), 'utf8'),
});
const checkout = intent('checkout');
const payments = intent('payments');
const defaults = (alerts: string): IntentSource => ({
  path: 'rollouts/_defaults.yaml',
  text: `apiVersion: stagegate.dev/v1alpha1\nkind: Defaults\nspec:\n  alerts:\n${alerts}`,
});
const FLEET = defaults(
  '    layout: fleet\n    namespace: monitoring\n    labels: { release: kube-prometheus-stack }\n',
);

function problems(sources: readonly IntentSource[]): string[] {
  try {
    compileRepository(sources);
    return [];
  } catch (err) {
    if (!(err instanceof IntentError)) throw err;
    return err.problems.map(formatProblem);
  }
}

const groupsOf = (objects: readonly { kind: string }[]) =>
  (objects.find((o) => o.kind === 'PrometheusRule') as unknown as { spec: { groups: RuleGroup[] } }).spec.groups;

describe('alerts.layout in the repository defaults', () => {
  it('is per-rollout unless the defaults say fleet, which they keep', () => {
    const parsed = parseDefaults('d.yaml', FLEET.text);
    expect(parsed.ok && parsed.defaults.alerts).toEqual({
      layout: 'fleet',
      namespace: 'monitoring',
      labels: { release: 'kube-prometheus-stack' },
    });
    const [own] = compile([checkout, FLEET]);
    expect(own!.model.alerts).toEqual({
      labels: { release: 'kube-prometheus-stack' },
      namespace: 'monitoring',
      layout: 'fleet',
    });
    expect(compile([checkout])[0]!.model.alerts?.layout).toBeUndefined();
  });

  it('refuses an unknown layout, and fleet without the namespace of the shared rule, at line and field', () => {
    expect(problems([checkout, defaults('    layout: shared\n')])).toEqual([
      'rollouts/_defaults.yaml:5:13: spec.alerts.layout: must be one of: per-rollout, fleet (got "shared")',
    ]);
    expect(problems([checkout, defaults('    labels: { team: x }\n    layout: fleet\n')])).toEqual([
      'rollouts/_defaults.yaml:6:13: spec.alerts.layout: fleet needs spec.alerts.namespace here too: the namespace of the shared PrometheusRule stagegate-fleet (where the Prometheus Operator reads rules, e.g. monitoring)',
    ]);
  });

  it('is refused in an intent, with or without defaults: it is repository-wide', () => {
    const own = { ...checkout, text: `${checkout.text}  alerts:\n    layout: fleet\n` };
    const expected =
      'rollouts/checkout.yaml:38:5: spec.alerts.layout: is repository-wide: set it in rollouts/_defaults.yaml (kind Defaults, spec.alerts.layout: per-rollout or fleet), not in an intent';
    expect(problems([own])).toEqual([expected]);
    expect(problems([own, FLEET])).toEqual([expected]);
  });

  it('refuses under fleet a wave across clusters and a rollout whose file is the shared rule', () => {
    const wave = { ...checkout, text: `${checkout.text}  clusters: [eu-1, us-1]\n` };
    expect(problems([wave])).toEqual([]);
    expect(problems([wave, FLEET])).toEqual([
      'rollouts/checkout.yaml:37:3: spec.clusters: cannot be used with alerts.layout: fleet (rollouts/_defaults.yaml): the shared PrometheusRule stagegate-fleet is one file for one cluster, not one per cluster; remove spec.clusters or set alerts.layout: per-rollout',
    ]);
    const clash = { path: 'rollouts/x.yaml', text: checkout.text.replace('name: checkout', 'name: stagegate-fleet') };
    expect(problems([clash])).toEqual([]);
    expect(problems([clash, FLEET])).toEqual([
      'rollouts/x.yaml:5:9: metadata.name: "stagegate-fleet" would be written to stagegate-fleet.k8s.yaml, the shared PrometheusRule of alerts.layout: fleet (rollouts/_defaults.yaml); choose another name',
    ]);
  });

  it('leaves the per-rollout output as it was, also when written out as per-rollout', () => {
    const plain = compileRepository([checkout, payments]);
    expect(plain.fleet).toBeUndefined();
    const explicit = compileRepository([checkout, payments, defaults('    layout: per-rollout\n')]);
    expect(generatedOutputs(explicit)).toEqual(generatedOutputs(plain));
  });
});

describe('compile under alerts.layout: fleet', () => {
  const out = compileRepository([checkout, payments, FLEET]);

  it('writes one more file, stagegate-fleet.k8s.yaml: the fleet groups in the shared namespace, schema-valid', () => {
    expect(generatedOutputs(out).map((o) => o.file)).toEqual([
      'checkout.k8s.yaml',
      'payments.k8s.yaml',
      'stagegate-fleet.k8s.yaml',
    ]);
    const fleet = out.fleet!;
    expect(fleet.source).toBe('rollouts/_defaults.yaml');
    expect(fleet.objects).toHaveLength(1);
    const [rule] = fleet.objects;
    expect(rule!.metadata).toEqual({
      name: 'stagegate-fleet',
      namespace: 'monitoring',
      labels: { release: 'kube-prometheus-stack', 'app.kubernetes.io/managed-by': 'stagegate' },
    });
    expect(schemaProblems(rule!)).toEqual([]);
    const models = out.rollouts.map((r) => r.model);
    // checkout (http, destination) and payments (grpc, source) are two metrics shapes.
    expect(groupsOf(fleet.objects).map((g) => g.name)).toEqual(
      fleetSharedGroups(models, { alerts: 'fleet' }).map((g) => g.name),
    );
    expect(groupsOf(fleet.objects)).toEqual(
      fleetRuleGroups(models, { alerts: 'fleet' }).filter((g) => g.name.startsWith('stagegate.fleet.')),
    );
    expect(new Set(groupsOf(fleet.objects).map((g) => g.name.split('.').slice(0, 3).join('.')))).toEqual(
      new Set(['stagegate.fleet.destination', 'stagegate.fleet.source']),
    );
  });

  it('gives each rollout a PrometheusRule holding just its own group', () => {
    for (const r of out.rollouts) {
      expect(groupsOf(r.objects)).toEqual([fleetRolloutGroup(r.model)]);
      expect(groupsOf(r.objects)[0]!.name).toBe(ruleGroupName(r.model.name));
      for (const o of r.objects) expect(schemaProblems(o)).toEqual([]);
    }
    // Per-rollout, the same rollout's rule holds the recordings and alerts: two groups, many rules.
    const [plain] = compile([checkout]);
    expect(groupsOf(plain!.objects).flatMap((g) => g.rules).length).toBeGreaterThan(
      groupsOf(out.rollouts[0]!.objects)[0]!.rules.length,
    );
  });

  it('is byte-for-byte the same whatever order the intents come in', () => {
    const again = compileRepository([FLEET, payments, checkout]);
    expect(generatedOutputs(again)).toEqual(generatedOutputs(out));
  });

  it('leaves the fleet file byte-identical on every stage advance, abort and drill: only the rollout changes', () => {
    const rolloutFile = (r: ReturnType<typeof compileRepository>) =>
      r.rollouts.find((x) => x.model.name === 'checkout')!;
    for (const stage of ['one-percent', 'ten-percent', 'half', 'full']) {
      const moved = compileRepository([{ ...checkout, text: setStage(checkout.text, stage) }, payments, FLEET]);
      expect(moved.fleet!.content).toBe(out.fleet!.content);
      expect(rolloutFile(moved).content).not.toBe(rolloutFile(out).content);
    }
    const aborted = setAbort(checkout.text, { reason: 'errors', at: '2026-12-03T08:00:00Z' });
    const rolledBack = compileRepository([{ ...checkout, text: aborted }, payments, FLEET]);
    expect(rolledBack.fleet!.content).toBe(out.fleet!.content);
    const drill = `${checkout.text}  drill: { abort: { httpStatus: 503, percent: 50 } }\n`;
    const drilled = compileRepository([{ ...checkout, text: drill }, payments, FLEET]);
    expect(drilled.fleet!.content).toBe(out.fleet!.content);
    expect(rolloutFile(drilled).content).not.toBe(rolloutFile(out).content);
  });

  it('compiles a rollout alone to the same file as with the others: what the bot regenerates', () => {
    const [alone] = compile([checkout, FLEET]);
    expect(alone!.content).toBe(out.rollouts.find((r) => r.model.name === 'checkout')!.content);
  });
});

describe('the README example of the fleet layout', () => {
  it('is a valid defaults file that selects the fleet layout', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('**Fleet layout (opt-in).**'));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
    const parsed = parseDefaults('README.md', yaml);
    expect(parsed.ok && parsed.defaults.alerts?.layout).toBe('fleet');
  });
});
