/**
 * The gate of a wave across clusters (README "Waves across clusters"): each cluster the live
 * stage reaches is judged on its own, by the one-cluster gate on the cluster's model, against
 * either that cluster's Prometheus or one global view (Thanos, Mimir) whose series carry a
 * cluster label. The wave passes only when every reached cluster passes; it holds when any
 * holds and fails when any fails, and a fail rolls the whole rollout back (its abort sends every
 * cluster to stable; a per-cluster rollback is not built, report-waves.md).
 */
import { parser } from '@prometheus-io/lezer-promql';
import { clusterModel, reachedClusters } from '../../constructs/clusters.js';
import type { RolloutModel } from '../../constructs/model.js';
import { evaluateGate, type GateInput, type Verdict, type VerdictKind } from './evaluate.js';
import type { PrometheusApi, RuleState } from './prometheus-api.js';

type Port = GateInput['prometheus'];

/** Where each cluster's metrics are: a Prometheus per cluster, or one view with a cluster label. */
export type WaveSource =
  | { readonly perCluster: ReadonlyMap<string, Port> }
  | { readonly global: Port; readonly clusterLabel: string };

export interface ClusterVerdict {
  readonly cluster: string;
  readonly verdict: Verdict;
}

export interface WaveVerdict extends Verdict {
  readonly clusters: readonly ClusterVerdict[];
}

/** `selector` with `label="value"` added to every vector selector, as prom-label-proxy enforces a label. */
export function scopeQuery(expr: string, label: string, value: string): string {
  const matcher = `${label}=${JSON.stringify(value)}`;
  const inserts: { at: number; text: string }[] = [];
  parser.parse(expr).iterate({
    enter(node) {
      if (node.name !== 'VectorSelector') return;
      const matchers = node.node.getChild('LabelMatchers');
      if (matchers) {
        const empty = expr.slice(matchers.from + 1, matchers.to - 1).trim() === '';
        inserts.push({ at: matchers.from + 1, text: empty ? matcher : `${matcher}, ` });
      } else {
        inserts.push({ at: node.to, text: `{${matcher}}` });
      }
    },
  });
  let out = expr;
  for (const { at, text } of inserts.sort((a, b) => b.at - a.at)) out = out.slice(0, at) + text + out.slice(at);
  return out;
}

/**
 * One cluster of a global view. Its rules API does not say which cluster's ruler an alert state
 * came from, so it answers no rules, and the gate evaluates each alert's expression itself,
 * scoped to the cluster (evaluate.ts `observeAlerts`, the `expression` source).
 */
export function scopedPort(global: Port, label: string, cluster: string): Port {
  return {
    query: (expr, time) => global.query(scopeQuery(expr, label, cluster), time),
    queryRange: (expr, start, end, step) => global.queryRange(scopeQuery(expr, label, cluster), start, end, step),
    alertRules: async (): Promise<RuleState[]> => [],
  } satisfies Pick<PrometheusApi, 'query' | 'queryRange' | 'alertRules'>;
}

const RANK: Record<VerdictKind, number> = { fail: 0, hold: 1, pass: 2 };

/** The wave's verdict from its clusters' (pure): worst of, every reason named by its cluster. */
export function combineVerdicts(wave: RolloutModel, at: Date, clusters: readonly ClusterVerdict[]): WaveVerdict {
  const ordered = [...clusters].sort((a, b) => RANK[a.verdict.kind] - RANK[b.verdict.kind]);
  const kind = ordered[0]?.verdict.kind ?? 'hold';
  const reasons =
    ordered.length === 0
      ? ['no cluster is reached by the live stage']
      : ordered.flatMap((c) => c.verdict.reasons.map((r) => `${c.cluster}: ${r}`));
  // A pass bakes until its least-baked cluster has: that cluster's evidence goes on the check run.
  const leastBaked = [...clusters]
    .filter((c) => c.verdict.evidence)
    .sort((a, b) => (a.verdict.evidence?.bakedMs ?? 0) - (b.verdict.evidence?.bakedMs ?? 0))[0];
  const evidence = kind === 'pass' ? leastBaked?.verdict.evidence : ordered[0]?.verdict.evidence;
  const status = ordered.map((c) => `${c.cluster} ${c.verdict.kind}`).join(', ');
  return {
    rollout: `${wave.namespace}/${wave.name}`,
    kind,
    summary: `${kind} (${status || 'no cluster'}): ${reasons.join('; ')}`,
    reasons,
    alerts: ordered.flatMap((c) => c.verdict.alerts),
    ...(evidence ? { evidence } : {}),
    baking: kind === 'pass' && clusters.some((c) => c.verdict.baking),
    at: at.toISOString(),
    clusters: ordered,
  };
}

/** Judges every cluster the live stage of `wave` reaches, in spec.clusters' order, then combines them. */
export async function evaluateWave(
  input: Omit<GateInput, 'model' | 'prometheus'> & { readonly wave: RolloutModel; readonly source: WaveSource },
): Promise<WaveVerdict> {
  const { wave, source, ...rest } = input;
  const clusters = await Promise.all(
    reachedClusters(wave).map(async (cluster): Promise<ClusterVerdict> => {
      const prometheus =
        'global' in source ? scopedPort(source.global, source.clusterLabel, cluster) : source.perCluster.get(cluster);
      if (!prometheus) throw new Error(`no Prometheus for cluster "${cluster}"`);
      return { cluster, verdict: await evaluateGate({ ...rest, model: clusterModel(wave, cluster), prometheus }) };
    }),
  );
  return combineVerdicts(wave, input.now, clusters);
}
