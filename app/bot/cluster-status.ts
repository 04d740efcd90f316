/**
 * Where each cluster of a wave stands (README "Waves across clusters"), for `status` and the
 * dashboard issue: the canary weight each cluster runs is the one in `generated/<cluster>/…` on
 * the default branch — the folder Argo CD applies to that cluster (docs/examples/applicationset.yaml)
 * — not only what the intent says.
 *
 * Cost (issue 15, "Scale"): the generated/ tree is listed once per default-branch commit (one
 * request, remembered by the commit sha). A file whose blob sha is the sha of what the intent
 * compiles to holds exactly those bytes, so its weight is the cluster model's and nothing is read;
 * only a file that differs (stale, edited by hand) is read, once per blob sha.
 */
import { parseAllDocuments } from 'yaml';
import { clusterModel, reachedClusters } from '../../constructs/clusters.js';
import { DEFAULT_OUT_DIR } from '../../constructs/conventions.js';
import { liveStage, type RolloutModel } from '../../constructs/model.js';
import { clustersOfTitle, redClustersOfReason } from '../gate/red-clusters.js';
import type { Regenerate } from './content.js';
import { gitBlobSha } from './reader.js';

export interface ClusterStatus {
  readonly cluster: string;
  /** The generated file of this cluster (generated/<cluster>/<name>.k8s.yaml). */
  readonly file: string;
  /** Canary weight of the default route in that file; null when the file is missing or holds no route. */
  readonly weight: number | null;
  /** The cohort route sends its requests to canary in that file. */
  readonly cohort: boolean;
  /** The live stage reaches this cluster: the gate judges it, and a merge moved its weight. */
  readonly reached: boolean;
  /**
   * Sent back to stable by a rollback: the whole rollout's (spec.abort), or this cluster's alone
   * (onClusterFailure: cluster, model.clusterAbort) — either way its cluster model is aborted.
   */
  readonly rolledBack: boolean;
  /** The latest trusted verdict names this cluster first: the wave waits on it (hold) or failed on it (fail). */
  readonly verdict?: 'hold' | 'fail';
  /** The file is not what the intent compiles to (stale or edited by hand); `weight` is the file's. */
  readonly stale?: true;
}

/**
 * The clusters a wave's health title names first, among the rollout's own. The gate words it
 * `<kind>: <cluster>: <reason>` (app/gate/waves.ts combineVerdicts orders the worst cluster first;
 * check-run.ts titles the run with the first reason), several red ones `fail: eu-1, us-1: <reason>`;
 * it is read with the gate's own anchored parser (app/gate/red-clusters.ts), so the form must start
 * the title. A name that is not the rollout's makes it name none; [] when the text names none.
 */
export function clustersNamed(text: string | undefined, kind: 'hold' | 'fail', clusters: readonly string[]): string[] {
  return ownOnly(clustersOfTitle(text, kind), clusters);
}

function ownOnly(names: readonly string[] | undefined, clusters: readonly string[]): string[] {
  return names?.every((n) => clusters.includes(n)) ? [...names] : [];
}

/**
 * The red clusters a rollback names: those of the health title its reason quotes, only for a
 * reason of the bot's form from a gate verdict (red-clusters.ts redClustersOfReason; review F8:
 * a person's `--reason "fail: eu-1: test"` marks no cluster failed).
 */
export function failedClusters(m: Pick<RolloutModel, 'abort' | 'clusterAbort' | 'clusters'>): string[] {
  return ownOnly(redClustersOfReason(m.abort?.reason ?? m.clusterAbort?.reason), m.clusters ?? []);
}

/** The first of {@link clustersNamed}. */
export function clusterNamed(
  text: string | undefined,
  kind: 'hold' | 'fail',
  clusters: readonly string[],
): string | undefined {
  return clustersNamed(text, kind, clusters)[0];
}

/**
 * The canary weight and cohort route of a generated file: the VirtualService's `stagegate-default`
 * and `stagegate-cohort` routes (constructs/istio/virtual-service.ts), or for the Gateway API
 * router the HTTPRoute rule without matches, its canary Service's share of the backend weights.
 */
export function weightIn(
  content: string,
  m: Pick<RolloutModel, 'gatewayApi' | 'sticky'>,
): { weight: number; cohort: boolean } | undefined {
  for (const doc of parseAllDocuments(content)) {
    if (!('toJS' in doc) || doc.errors.length > 0) continue;
    const o = doc.toJS() as { kind?: string; spec?: Record<string, unknown> } | null;
    if (o?.kind === 'VirtualService' && Array.isArray(o.spec?.http)) {
      type Route = { name?: string; route?: { destination?: { subset?: string }; weight?: number }[] };
      const http = o.spec.http as Route[];
      const canaryIn = (r: Route | undefined): number | undefined =>
        r?.route === undefined
          ? undefined
          : (r.route.find((d) => d.destination?.subset === 'canary')?.weight ??
            (r.route.length === 1 && r.route[0]?.destination?.subset === 'canary' ? 100 : 0));
      const weight = canaryIn(http.find((r) => r.name === 'stagegate-default'));
      if (weight === undefined) return undefined;
      return { weight, cohort: (canaryIn(http.find((r) => r.name === 'stagegate-cohort')) ?? 0) > 0 };
    }
    if (o?.kind === 'HTTPRoute' && Array.isArray(o.spec?.rules) && m.gatewayApi) {
      type Match = { headers?: { name?: string; value?: string }[] };
      type Rule = { matches?: Match[]; backendRefs?: { name?: string; weight?: number }[] };
      const rules = o.spec.rules as Rule[];
      // The sticky canary's cookie routes (istio/sticky.ts) send their holders to one version: not the cohort.
      const sticky = (r: Rule): boolean =>
        m.sticky !== undefined &&
        (r.matches ?? []).every((x) =>
          (x.headers ?? []).some((h) => h.name === 'cookie' && (h.value ?? '').includes(`${m.sticky!.cookie}=`)),
        );
      const share = (r: Rule): number => {
        const refs = r.backendRefs ?? [];
        const total = refs.reduce((s, b) => s + (b.weight ?? 1), 0);
        const canary = refs.filter((b) => b.name === m.gatewayApi!.canaryService);
        return total === 0 ? 0 : Math.round((canary.reduce((s, b) => s + (b.weight ?? 1), 0) / total) * 100);
      };
      const fallback = rules.find((r) => (r.matches ?? []).length === 0);
      if (!fallback) return undefined;
      const cohort = rules.some((r) => (r.matches ?? []).length > 0 && !sticky(r) && share(r) === 100);
      return { weight: share(fallback), cohort };
    }
  }
  return undefined;
}

export interface ClusterInputs {
  readonly path: string;
  readonly text: string;
  readonly model: RolloutModel;
  /** The pass's regenerate with the repository defaults (Observed.regenerate). */
  readonly regenerate: Regenerate;
  /** Blob shas under generated/ on the default branch (path → sha). */
  readonly generated: ReadonlyMap<string, string>;
  readonly blob: (sha: string) => Promise<string>;
  /** The latest trusted health run's title (the wave's verdict), if any. */
  readonly health?: string;
}

/** Every cluster of a wave, in spec.clusters' order; [] for a one-cluster intent. */
export async function clusterStatuses(inp: ClusterInputs): Promise<ClusterStatus[]> {
  const m = inp.model;
  if (!m.clusters) return [];
  const built = inp.regenerate(inp.path, inp.text);
  const expected = new Map(
    [built, ...(built.others ?? [])].map((g) => [`${DEFAULT_OUT_DIR}/${g.file}`, gitBlobSha(g.content)]),
  );
  const reached = new Set(reachedClusters(m));
  // The red clusters the rollback's reason names: the whole rollout's, or those rolled back alone (clusterAbort).
  const failed = failedClusters(m);
  const judged = m.abort
    ? undefined
    : (['fail', 'hold'] as const).find((k) => clustersNamed(inp.health, k, m.clusters!).length > 0);
  const named = judged === undefined ? [] : clustersNamed(inp.health, judged, m.clusters);
  const out: ClusterStatus[] = [];
  for (const cluster of m.clusters) {
    const own = clusterModel(m, cluster);
    const file = [...expected.keys()].find((p) => p.startsWith(`${DEFAULT_OUT_DIR}/${cluster}/`)) ?? '';
    const sha = inp.generated.get(file);
    let read: { weight: number; cohort: boolean } | undefined;
    let stale = false;
    if (sha !== undefined && sha === expected.get(file)) {
      const live = liveStage(own);
      read = { weight: own.abort ? 0 : live.weight, cohort: !own.abort && live.cohort && m.cohort !== undefined };
    } else {
      stale = true;
      read = sha === undefined ? undefined : weightIn(await inp.blob(sha), m);
    }
    const verdict = failed.includes(cluster) ? 'fail' : named.includes(cluster) ? judged : undefined;
    out.push({
      cluster,
      file,
      weight: read?.weight ?? null,
      cohort: read?.cohort ?? false,
      reached: reached.has(cluster),
      rolledBack: own.abort !== undefined,
      ...(verdict ? { verdict } : {}),
      ...(stale ? { stale: true as const } : {}),
    });
  }
  return out;
}

/** One line for people: `eu-1 10 %, us-1 0 % (not reached)`, with what the wave waits on. */
export function describeClusters(clusters: readonly ClusterStatus[]): string {
  return clusters
    .map((c) => {
      const weight = c.weight === null ? 'no file' : `${c.weight} %${c.cohort ? ' + cohort' : ''}`;
      const notes = [
        c.rolledBack ? 'rolled back' : c.reached ? undefined : 'not reached',
        c.verdict === 'fail' ? 'failed' : c.verdict === 'hold' ? 'waits on it' : undefined,
        c.stale ? 'generated file differs from the intent' : undefined,
      ].filter((n): n is string => n !== undefined);
      return `${c.cluster} ${weight}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`;
    })
    .join(', ');
}
