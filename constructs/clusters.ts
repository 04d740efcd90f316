/**
 * Waves across clusters on the resolved model (README "Waves across clusters"): what each
 * cluster runs at the live stage. A cluster the rollout has not reached yet stays where it was:
 * at the weight of the last stage that reached it, stable 100 % before the first one.
 */
import { liveStageIndex, type RolloutModel, type StageModel } from './model.js';

/**
 * The clusters the live stage reaches (the rollout's clusters an aborted rollout sends back); [] for
 * one cluster. A cluster rolled back alone (clusterAbort) is out of the wave until a retry.
 */
export function reachedClusters(model: RolloutModel): readonly string[] {
  if (!model.clusters) return [];
  const live = model.stages[liveStageIndex(model)];
  return (live?.clusters ?? model.clusters).filter((c) => !model.clusterAbort?.clusters.includes(c));
}

/** The clusters a wave's red health rolls back alone (onClusterFailure: cluster) — see {@link clusterRollback}. */
export interface ClusterRollback {
  /** Every cluster the rollback PR leaves on stable: those rolled back before, and the red ones. */
  readonly clusters: readonly string[];
  /** The red clusters this rollback adds. */
  readonly red: readonly string[];
}

/**
 * What red health on a wave rolls back (README "Waves across clusters", onClusterFailure). The
 * whole rollout (undefined) unless the intent says `cluster`, the gate named the red clusters,
 * each of them is one the live stage reaches, and at least one reached cluster is not red: a
 * canary goes on only where a healthy cluster vouches for it, so when every reached cluster is
 * red (a first stage of one cluster, or the last healthy one failing), the rollout rolls back.
 * `red` undefined (a failure that names no cluster) is the whole rollout too.
 */
export function clusterRollback(model: RolloutModel, red: readonly string[] | undefined): ClusterRollback | undefined {
  if (model.onClusterFailure !== 'cluster' || !model.clusters || !red || red.length === 0) return undefined;
  const reached = reachedClusters(model);
  if (!red.every((c) => reached.includes(c))) return undefined;
  if (reached.every((c) => red.includes(c))) return undefined;
  const before = model.clusterAbort?.clusters ?? [];
  // In spec.clusters' order, so the rollback PR's diff and the ledger read the same each time.
  return { clusters: model.clusters.filter((c) => before.includes(c) || red.includes(c)), red: [...red] };
}

/**
 * The one-cluster model of `cluster`: the same stages by name (so the bot's branches, the
 * PrometheusRule's labels and the changelog name the rollout's stages), each at the weight and
 * cohort this cluster runs in it. `clusters` is dropped, so every one-cluster construct applies.
 */
export function clusterModel(model: RolloutModel, cluster: string): RolloutModel {
  if (!model.clusters?.includes(cluster))
    throw new Error(`rollout ${model.namespace}/${model.name} does not run in cluster "${cluster}"`);
  const { clusterAbort, onClusterFailure: _scope, ...whole } = model;
  // Rolled back alone: this cluster's model is an aborted one-cluster rollout (100 % stable).
  if (clusterAbort?.clusters.includes(cluster))
    return clusterModel({ ...whole, abort: { reason: clusterAbort.reason, at: clusterAbort.at } }, cluster);
  // Routing of the last stage that reached the cluster: weight, cohort route and mirror (a shadow stage).
  let current: Pick<StageModel, 'weight' | 'cohort' | 'mirror'> = { weight: 0, cohort: false };
  const stages = model.stages.map((s): StageModel => {
    if (s.clusters?.includes(cluster) ?? true)
      current = { weight: s.weight, cohort: s.cohort, ...(s.mirror !== undefined ? { mirror: s.mirror } : {}) };
    const { clusters: _reach, mirror: _mirror, ...rest } = s;
    return { ...rest, ...current };
  });
  const { clusters: _all, ...rest } = whole;
  return { ...rest, stages };
}
