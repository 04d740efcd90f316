import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { App, Chart } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { compile, type IntentSource } from '../../constructs/compile.js';
import { RolloutResources } from '../../constructs/rollout-resources.js';
import { IntentError } from '../../constructs/spec/index.js';
import { benchSources } from '../../tools/bench/intents.js';

const ROOT = resolve(import.meta.dirname, '../..');
const checkout: IntentSource = {
  path: 'rollouts/checkout.yaml',
  text: readFileSync(join(ROOT, 'rollouts/checkout.yaml'), 'utf8'),
};

function problemsOf(sources: readonly IntentSource[]): string[] {
  try {
    compile(sources);
  } catch (err) {
    if (err instanceof IntentError) return err.problems.map((p) => `${p.file}:${p.line}: ${p.path}: ${p.message}`);
    throw err;
  }
  throw new Error('expected compile to throw');
}

describe('compile', () => {
  it('writes for each rollout the bytes cdk8s synth writes for a chart of its RolloutResources', () => {
    for (const rollout of compile(benchSources(20))) {
      const app = new App({ outdir: '/nonexistent' });
      new RolloutResources(new Chart(app, rollout.model.name), rollout.model.name, { rollout: rollout.model });
      expect(rollout.content).toBe(app.synthYaml());
      expect(rollout.content.split(/^---$/m)).toHaveLength(rollout.objects.length);
    }
  });

  it('sorts the result by file name, whatever the order of the sources', () => {
    const sources = benchSources(12);
    const files = compile(sources).map((c) => c.file);
    expect(compile([...sources].reverse()).map((c) => c.file)).toEqual(files);
    expect([...files].sort()).toEqual(files);
  });

  it('reports every invalid intent and every name clash in path order, nothing else', () => {
    const bad = { path: 'rollouts/a-bad.yaml', text: checkout.text.replace('weight: 10,', 'weight: 140,') };
    const twin = { path: 'rollouts/z-twin.yaml', text: checkout.text };
    const problems = problemsOf([twin, checkout, bad]);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^rollouts\/a-bad\.yaml:\d+: spec\.stages\[\d\]\.weight: must be between 0 and 100/);
    expect(problems[1]).toBe(
      'rollouts/z-twin.yaml:1: metadata.name: rollout "checkout" is also defined in rollouts/checkout.yaml; ' +
        'both would be written to checkout.k8s.yaml (names must be unique across namespaces)',
    );
  });
});
