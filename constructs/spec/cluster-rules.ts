/**
 * The cross-field rules of waves across clusters (README "Waves across clusters"): which names a
 * stage may list, and that a wave only widens. The schema (schema.ts) already checked that each
 * name is a DNS label; these rules relate the stages to `spec.clusters` and to each other.
 *
 * Why a list and not a share (`clusterShare: 50`): a share needs an order and a rounding rule
 * (50 % of 3 clusters?), and adding a cluster to `spec.clusters` mid-rollout would silently move
 * another one into the wave. A list names in the stage PR's diff exactly the clusters the merge
 * reaches, which is what the reviewer approves.
 */
import { closestMatch } from './schema.js';

type Rec = Record<string, unknown>;
type Add = (path: (string | number)[], message: string) => void;
const isRecord = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const names = (v: unknown): string[] | undefined =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== '') : undefined;
const show = (s: string): string => JSON.stringify(s);

export function clusterRules(spec: Rec, add: Add): void {
  const all = names(spec.clusters);
  if (all) duplicates(all, (i, c) => add(['clusters', i], `cluster ${show(c)} is listed twice`));
  abortRules(spec, all, add);
  const stages = Array.isArray(spec.stages) ? spec.stages : [];
  let previous: { label: string; reach: string[] } | undefined;
  stages.forEach((raw, index) => {
    if (!isRecord(raw)) return;
    const label = typeof raw.name === 'string' ? show(raw.name) : `spec.stages[${index}]`;
    const own = names(raw.clusters);
    if (own && !all) {
      add(
        ['stages', index, 'clusters'],
        `stage ${label} names clusters but spec.clusters is not set; list every cluster the rollout runs in there`,
      );
      return;
    }
    if (!all) return;
    duplicates(own ?? [], (i, c) => add(['stages', index, 'clusters', i], `cluster ${show(c)} is listed twice`));
    (own ?? []).forEach((c, i) => {
      if (all.includes(c)) return;
      const guess = closestMatch(c, all);
      const hint = guess ? `; did you mean ${show(guess)}?` : '';
      add(['stages', index, 'clusters', i], `cluster ${show(c)} is not in spec.clusters (${all.join(', ')})${hint}`);
    });
    // An unknown name is reported above; it must not also read as a cluster the next stage dropped.
    const reach = (own ?? all).filter((c) => all.includes(c));
    const dropped = previous ? previous.reach.filter((c) => !reach.includes(c)) : [];
    if (previous && dropped.length > 0) {
      add(
        ['stages', index, 'clusters'],
        `stage ${label} does not reach ${dropped.join(', ')}, which stage ${previous.label} already reached; ` +
          'a wave only widens (add them to this stage)',
      );
    }
    if (index === stages.length - 1) {
      const missing = all.filter((c) => !reach.includes(c));
      if (missing.length > 0)
        add(
          ['stages', index, 'clusters'],
          `the last stage ${label} does not reach ${missing.join(', ')}; it must reach every cluster of ` +
            'spec.clusters so the rollout ends with all traffic on canary everywhere',
        );
    }
    previous = { label, reach };
  });
}

/**
 * onClusterFailure and a per-cluster abort (`spec.abort.clusters`, what a cluster rollback PR
 * writes, or a person by hand) name clusters of the wave; rolling back every one of them is
 * the whole rollout's abort, written without `clusters`.
 */
function abortRules(spec: Rec, all: string[] | undefined, add: Add): void {
  if (spec.onClusterFailure !== undefined && !all)
    add(['onClusterFailure'], 'onClusterFailure needs spec.clusters: it says what a red cluster of a wave rolls back');
  const abort = isRecord(spec.abort) ? spec.abort : undefined;
  const own = names(abort?.clusters);
  if (!own) return;
  if (!all) {
    add(['abort', 'clusters'], 'abort.clusters needs spec.clusters; without clusters, abort rolls back the rollout');
    return;
  }
  duplicates(own, (i, c) => add(['abort', 'clusters', i], `cluster ${show(c)} is listed twice`));
  own.forEach((c, i) => {
    if (all.includes(c)) return;
    const guess = closestMatch(c, all);
    add(
      ['abort', 'clusters', i],
      `cluster ${show(c)} is not in spec.clusters (${all.join(', ')})${guess ? `; did you mean ${show(guess)}?` : ''}`,
    );
  });
  if (all.every((c) => own.includes(c)))
    add(
      ['abort', 'clusters'],
      'abort.clusters names every cluster of spec.clusters; drop abort.clusters to roll back the whole rollout',
    );
}

function duplicates(items: readonly string[], report: (index: number, item: string) => void): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    if (seen.has(item)) report(i, item);
    seen.add(item);
  });
}
