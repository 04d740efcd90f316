import { describe, expect, it } from 'vitest';
import { formatProblem, parseIntent } from '../../../constructs/spec/index.js';
import { clusterModel, reachedClusters } from '../../../constructs/clusters.js';
import { effectiveRouting, type RolloutModel } from '../../../constructs/model.js';

/** A three-stage wave: eu-1 first, then every cluster. */
const wave = (
  stagesYaml: string,
  stage = 'eu-ten',
  clusters = '[eu-1, us-1, ap-1]',
) => `apiVersion: stagegate.dev/v1alpha1
kind: Rollout
metadata: { name: checkout, namespace: shop }
spec:
  service: { host: checkout, port: 8080 }
  stable: v1
  canary: v2
  clusters: ${clusters}
  stages:
${stagesYaml}
  stage: ${stage}
`;
const GOOD_STAGES = `    - { name: eu-ten, weight: 10, bake: 1h, clusters: [eu-1] }
    - { name: all-ten, weight: 10, bake: 1h, clusters: [eu-1, us-1] }
    - { name: half, weight: 50, bake: 1h }
    - { name: full, weight: 100 }`;

function problems(text: string): string[] {
  const result = parseIntent('rollouts/checkout.yaml', text);
  return result.ok ? [] : result.problems.map(formatProblem);
}
function model(text: string): RolloutModel {
  const result = parseIntent('rollouts/checkout.yaml', text);
  if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
  return result.model;
}
const weights = (m: RolloutModel) => m.stages.map((s) => s.weight);

describe('waves across clusters: spec and model', () => {
  it('resolves each stage’s clusters, every cluster where a stage names none', () => {
    const m = model(wave(GOOD_STAGES));
    expect(m.clusters).toEqual(['eu-1', 'us-1', 'ap-1']);
    expect(m.stages.map((s) => s.clusters)).toEqual([
      ['eu-1'],
      ['eu-1', 'us-1'],
      ['eu-1', 'us-1', 'ap-1'],
      ['eu-1', 'us-1', 'ap-1'],
    ]);
    expect(reachedClusters(m)).toEqual(['eu-1']);
    expect(reachedClusters(model(wave(GOOD_STAGES, 'half')))).toEqual(['eu-1', 'us-1', 'ap-1']);
  });

  it('a cluster not yet reached stays on stable; a reached one runs the stage’s weight', () => {
    const m = model(wave(GOOD_STAGES, 'all-ten'));
    expect(weights(clusterModel(m, 'eu-1'))).toEqual([10, 10, 50, 100]);
    expect(weights(clusterModel(m, 'us-1'))).toEqual([0, 10, 50, 100]);
    expect(weights(clusterModel(m, 'ap-1'))).toEqual([0, 0, 50, 100]);
    expect(effectiveRouting(clusterModel(m, 'us-1')).canaryWeight).toBe(10);
    expect(effectiveRouting(clusterModel(m, 'ap-1')).canaryWeight).toBe(0);
    expect(clusterModel(m, 'ap-1').clusters).toBeUndefined();
    expect(clusterModel(m, 'ap-1').stages[0]).toEqual({ name: 'eu-ten', weight: 0, cohort: false, bakeMs: 3_600_000 });
    expect(() => clusterModel(m, 'sa-1')).toThrow('rollout shop/checkout does not run in cluster "sa-1"');
  });

  it('a shadow stage mirrors only in the clusters it reaches', () => {
    const stages = `    - { name: shadow, mirror: 10, bake: 1h, clusters: [eu-1] }
    - { name: ten, weight: 10, bake: 1h }
    - { name: full, weight: 100 }`;
    const shadow = (stage: string) =>
      model(wave(stages, stage).replace('  stages:', '  shadow: { duplicatesSafe: true }\n  stages:'));
    const m = shadow('shadow');
    expect(effectiveRouting(clusterModel(m, 'eu-1')).mirrorPercent).toBe(10);
    expect(effectiveRouting(clusterModel(m, 'us-1')).mirrorPercent).toBe(0);
    expect(clusterModel(shadow('ten'), 'us-1').stages.map((s) => s.mirror)).toEqual([undefined, undefined, undefined]);
  });

  it('an intent without clusters has none in its model (one cluster, output unchanged)', () => {
    const m = model(wave(GOOD_STAGES.replace(/, clusters: \[[^\]]*\]/g, '')).replace(/ {2}clusters: .*\n/, ''));
    expect(m.clusters).toBeUndefined();
    expect(m.stages.every((s) => s.clusters === undefined)).toBe(true);
    expect(reachedClusters(m)).toEqual([]);
  });

  it('refuses a cluster name that is not in spec.clusters, at its line and column, with a guess', () => {
    expect(problems(wave(GOOD_STAGES.replace('[eu-1]', '[eu-2]')))).toEqual([
      'rollouts/checkout.yaml:10:56: spec.stages[0].clusters[0]: cluster "eu-2" is not in spec.clusters (eu-1, us-1, ap-1); did you mean "eu-1"?',
    ]);
  });

  it('refuses a stage that reaches fewer clusters than the one before', () => {
    const narrowing = GOOD_STAGES.replace('clusters: [eu-1, us-1] }', 'clusters: [us-1] }');
    expect(problems(wave(narrowing))).toEqual([
      'rollouts/checkout.yaml:11:56: spec.stages[1].clusters: stage "all-ten" does not reach eu-1, which stage "eu-ten" already reached; a wave only widens (add them to this stage)',
    ]);
  });

  it('refuses a last stage that leaves a cluster out, and a name listed twice', () => {
    const stages = `    - { name: eu-ten, weight: 10, bake: 1h, clusters: [eu-1, eu-1] }
    - { name: full, weight: 100, clusters: [eu-1, us-1] }`;
    expect(problems(wave(stages))).toEqual([
      'rollouts/checkout.yaml:10:62: spec.stages[0].clusters[1]: cluster "eu-1" is listed twice',
      'rollouts/checkout.yaml:11:44: spec.stages[1].clusters: the last stage "full" does not reach ap-1; it must reach every cluster of spec.clusters so the rollout ends with all traffic on canary everywhere',
    ]);
  });

  it('refuses stage clusters without spec.clusters, and a cluster name that is no DNS label', () => {
    const noClusters = wave(GOOD_STAGES).replace(/ {2}clusters: .*\n/, '');
    expect(problems(noClusters)[0]).toBe(
      'rollouts/checkout.yaml:9:55: spec.stages[0].clusters: stage "eu-ten" names clusters but spec.clusters is not set; list every cluster the rollout runs in there',
    );
    expect(problems(wave(GOOD_STAGES, 'eu-ten', '[eu-1, us-1, EU_2, ap-1]'))).toEqual([
      'rollouts/checkout.yaml:8:26: spec.clusters[2]: must be a DNS-1123 label: at most 63 lowercase letters, digits or "-", starting and ending with a letter or digit (got "EU_2")',
    ]);
  });
});
