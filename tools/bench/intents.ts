/**
 * Generated rollout intents for the benchmarks: many different rollouts (names, namespaces,
 * stage lists, live stages, traffic) from a seed, so a run measures realistic variety and two
 * runs measure the same thing.
 */
import { dump } from 'js-yaml';
import type { IntentSource } from '../../constructs/compile.js';
import type { RolloutDocument, StageSpec } from '../../constructs/spec/types.js';
import { seededRandom as prng } from '../random.js';

/** Benchmarks must not depend on Math.random; callers and tests take it from here. */
export { prng };

const STAGE_PLANS: readonly (readonly StageSpec[])[] = [
  [
    { name: 'internal', cohort: true, bake: '30m' },
    { name: 'one-percent', weight: 1, bake: '1h' },
    { name: 'ten-percent', weight: 10, bake: '2h' },
    { name: 'half', weight: 50, bake: '2h' },
    { name: 'full', weight: 100 },
  ],
  [
    { name: 'five', weight: 5, bake: '1h' },
    { name: 'twenty-five', weight: 25, bake: '1h' },
    { name: 'full', weight: 100 },
  ],
  [
    { name: 'staff', cohort: true, bake: '1h' },
    { name: 'two', weight: 2, bake: '2h' },
    { name: 'twenty', weight: 20, bake: '4h' },
    { name: 'all', weight: 100 },
  ],
];

/** The i-th generated intent (0-based): a valid `Rollout` document, different from its neighbours. */
export function benchIntent(i: number, seed = 1): RolloutDocument {
  const rnd = prng(seed * 1_000_003 + i);
  const stages = STAGE_PLANS[i % STAGE_PLANS.length]!;
  const live = stages[Math.floor(rnd() * stages.length)]!;
  const hasCohort = stages.some((s) => s.cohort);
  const name = `svc-${i.toString(36).padStart(4, '0')}`;
  return {
    apiVersion: 'stagegate.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name, namespace: `team-${i % 37}` },
    spec: {
      service: { host: name, port: 8000 + (i % 1000) },
      stable: `v${1 + (i % 7)}`,
      canary: `v${2 + (i % 7)}`,
      ...(hasCohort ? { cohort: { header: 'x-stagegate-cohort', values: ['internal'] } } : {}),
      stages,
      stage: live.name,
      health: {
        errorRatio: { max: [0.01, 0.02, 0.005][i % 3]!, maxVsStable: 2 },
        latencyP99Ms: { max: 200 + (i % 5) * 100, maxVsStable: 1.5 },
      },
      ...(i % 4 === 0 ? { trafficPolicy: { timeout: '2s', retries: { attempts: 2, perTryTimeout: '500ms' } } } : {}),
      traffic: { requestsPerSecond: 20 + Math.floor(rnd() * 2000) },
    },
  };
}

/** `n` generated intents as the files `rollouts/` would hold. */
export function benchSources(n: number, seed = 1): IntentSource[] {
  return Array.from({ length: n }, (_, i) => {
    const doc = benchIntent(i, seed);
    return { path: `rollouts/${doc.metadata.name}.yaml`, text: dump(doc, { lineWidth: -1 }) };
  });
}

/**
 * The i-th generated intent as a wave across `clusters` (README "Waves across clusters"): its
 * first stage reaches the first cluster only, every later stage all of them.
 */
export function benchWaveIntent(i: number, clusters: readonly string[], seed = 1): RolloutDocument {
  const doc = benchIntent(i, seed);
  const [first, ...rest] = doc.spec.stages;
  return {
    ...doc,
    spec: { ...doc.spec, clusters: [...clusters], stages: [{ ...first!, clusters: [clusters[0]!] }, ...rest] },
  };
}
