/**
 * Waves across clusters on the resolved model (README "Waves across clusters"): what each
 * cluster runs at the live stage. A cluster the rollout has not reached yet stays where it was:
 * at the weight of the last stage that reached it, stable 100 % before the first one.
 */
import { liveStageIndex, type RolloutModel, type StageModel } from './model.js';

/** The clusters the live stage reaches (the rollout's clusters an aborted rollout sends back); [] for one cluster. */
export function reachedClusters(model: RolloutModel): readonly string[] {
  if (!model.clusters) return [];
  const live = model.stages[liveStageIndex(model)];
  return live?.clusters ?? model.clusters;
}

/**
 * The one-cluster model of `cluster`: the same stages by name (so the bot's branches, the
 * PrometheusRule's labels and the changelog name the rollout's stages), each at the weight and
 * cohort this cluster runs in it. `clusters` is dropped, so every one-cluster construct applies.
 */
export function clusterModel(model: RolloutModel, cluster: string): RolloutModel {
  if (!model.clusters?.includes(cluster))
    throw new Error(`rollout ${model.namespace}/${model.name} does not run in cluster "${cluster}"`);
  // Routing of the last stage that reached the cluster: weight, cohort route and mirror (a shadow stage).
  let current: Pick<StageModel, 'weight' | 'cohort' | 'mirror'> = { weight: 0, cohort: false };
  const stages = model.stages.map((s): StageModel => {
    if (s.clusters?.includes(cluster) ?? true)
      current = { weight: s.weight, cohort: s.cohort, ...(s.mirror !== undefined ? { mirror: s.mirror } : {}) };
    const { clusters: _reach, mirror: _mirror, ...rest } = s;
    return { ...rest, ...current };
  });
  const { clusters: _all, ...rest } = model;
  return { ...rest, stages };
}
