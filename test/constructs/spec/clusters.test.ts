import { describe, expect, it } from 'vitest';
import { formatProblem, parseIntent } from '../../../constructs/spec/index.js';
import { clusterModel, clusterRollback, reachedClusters } from '../../../constructs/clusters.js';
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

/** The wave at `stage` with onClusterFailure and an abort of `aborted` clusters (what a cluster rollback PR writes). */
const rolledBack = (stage: string, aborted: string, scope = 'cluster') =>
  wave(GOOD_STAGES, stage).replace(
    '  stage: ',
    `  onClusterFailure: ${scope}\n  abort:\n    reason: "us-1 red"\n    at: "2026-12-02T10:00:00Z"\n    clusters: ${aborted}\n  stage: `,
  );

describe('waves across clusters: onClusterFailure and a cluster rolled back alone', () => {
  it('defaults to rollout for a wave, and is absent for one cluster', () => {
    expect(model(wave(GOOD_STAGES)).onClusterFailure).toBe('rollout');
    expect(model(wave(GOOD_STAGES).replace('  stage:', '  onClusterFailure: cluster\n  stage:')).onClusterFailure).toBe(
      'cluster',
    );
  });

  it('a cluster rolled back alone is on stable and out of every later stage; the others go on', () => {
    const m = model(rolledBack('half', '[us-1]'));
    // The rollout itself is not aborted: the other clusters run the live stage.
    expect(m.abort).toBeUndefined();
    expect(m.clusterAbort).toEqual({ reason: 'us-1 red', at: '2026-12-02T10:00:00Z', clusters: ['us-1'] });
    expect(reachedClusters(m)).toEqual(['eu-1', 'ap-1']);
    expect(effectiveRouting(clusterModel(m, 'us-1'))).toEqual({
      canaryWeight: 0,
      cohortRoute: false,
      mirrorPercent: 0,
    });
    expect(clusterModel(m, 'us-1').abort).toEqual({ reason: 'us-1 red', at: '2026-12-02T10:00:00Z' });
    expect(effectiveRouting(clusterModel(m, 'eu-1')).canaryWeight).toBe(50);
    expect(effectiveRouting(clusterModel(m, 'ap-1')).canaryWeight).toBe(50);
    expect(clusterModel(m, 'eu-1').abort).toBeUndefined();
    expect(clusterModel(m, 'eu-1').clusterAbort).toBeUndefined();
  });

  it('clusterRollback: the red clusters alone while a reached cluster vouches, else the whole rollout', () => {
    const m = model(wave(GOOD_STAGES, 'all-ten').replace('  stage:', '  onClusterFailure: cluster\n  stage:'));
    expect(clusterRollback(m, ['us-1'])).toEqual({ clusters: ['us-1'], red: ['us-1'] });
    // Every reached cluster red, a name the live stage does not reach, no name: the whole rollout.
    expect(clusterRollback(m, ['eu-1', 'us-1'])).toBeUndefined();
    expect(clusterRollback(m, ['ap-1'])).toBeUndefined();
    expect(clusterRollback(m, undefined)).toBeUndefined();
    expect(
      clusterRollback(model(wave(GOOD_STAGES, 'eu-ten').replace('  stage:', '  onClusterFailure: cluster\n  stage:')), [
        'eu-1',
      ]),
    ).toBeUndefined();
    // The default, rollout: always the whole rollout.
    expect(clusterRollback(model(wave(GOOD_STAGES, 'all-ten')), ['us-1'])).toBeUndefined();
    // A second red cluster adds to those rolled back before, in spec.clusters' order.
    expect(clusterRollback(model(rolledBack('half', '[us-1]')), ['ap-1'])).toEqual({
      clusters: ['us-1', 'ap-1'],
      red: ['ap-1'],
    });
    expect(clusterRollback(model(rolledBack('half', '[us-1]')), ['eu-1', 'ap-1'])).toBeUndefined();
  });

  it('refuses onClusterFailure without clusters, and an abort.clusters that names no cluster of the wave', () => {
    const oneCluster = wave(GOOD_STAGES.replace(/, clusters: \[[^\]]*\]/g, ''))
      .replace(/ {2}clusters: .*\n/, '')
      .replace('  stage:', '  onClusterFailure: cluster\n  stage:');
    expect(problems(oneCluster)).toEqual([
      'rollouts/checkout.yaml:13:21: spec.onClusterFailure: onClusterFailure needs spec.clusters: it says what a red cluster of a wave rolls back',
    ]);
    const byHand = oneCluster.replace(
      'onClusterFailure: cluster',
      'abort: { reason: x, at: "2026-12-02T10:00:00Z", clusters: [eu-1] }',
    );
    expect(problems(byHand)).toEqual([
      'rollouts/checkout.yaml:13:61: spec.abort.clusters: abort.clusters needs spec.clusters; without clusters, abort rolls back the rollout',
    ]);
    expect(problems(rolledBack('half', '[us-2, us-1]'))).toEqual([
      'rollouts/checkout.yaml:18:16: spec.abort.clusters[0]: cluster "us-2" is not in spec.clusters (eu-1, us-1, ap-1); did you mean "us-1"?',
    ]);
    expect(problems(rolledBack('half', '[us-1, us-1]'))).toEqual([
      'rollouts/checkout.yaml:18:22: spec.abort.clusters[1]: cluster "us-1" is listed twice',
    ]);
    expect(problems(rolledBack('half', '[eu-1, us-1, ap-1]'))).toEqual([
      'rollouts/checkout.yaml:18:15: spec.abort.clusters: abort.clusters names every cluster of spec.clusters; drop abort.clusters to roll back the whole rollout',
    ]);
    expect(problems(rolledBack('half', '[us-1]', 'cluster-ish'))).toEqual([
      'rollouts/checkout.yaml:14:21: spec.onClusterFailure: must be one of: rollout, cluster (got "cluster-ish")',
    ]);
  });
});
