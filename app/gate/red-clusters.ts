/**
 * How the `stagegate/health` check run of a wave names its red clusters, for the bot to roll back
 * only those (README "Waves across clusters", onClusterFailure: cluster; docs/design.md §4c). One
 * definition for both sides: the gate writes the title's prefix, the bot reads it back.
 *
 * The title is what the bot sees of a run (app/bot/github-shapes.ts keeps output.title), and the
 * run counts only from a trusted App (docs/design.md §4a). The form `fail: us-1: <reason>` is the
 * one a wave's first reason already had (combineVerdicts prefixes each reason with its cluster),
 * so status' clusterNamed (app/bot/cluster-status.ts) reads it too; several red clusters are
 * `fail: eu-1, us-1: <reason>`. Cluster names are DNS labels, so the list cannot hold ": ". A
 * title naming no cluster of the rollout's reached ones (a one-cluster verdict reads
 * `fail: errors: …`) makes the bot roll back the whole rollout (constructs/clusters.ts
 * clusterRollback): the safe side, a rollback only sends traffic to stable.
 */

const NAMES = /^fail: ([a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:, [a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*): /;

/** `fail: eu-1, us-1: ` — the start of a red wave's check-run title. */
export function redClustersPrefix(red: readonly string[]): string {
  return `fail: ${red.join(', ')}: `;
}

/** The red clusters a health run's title names; undefined when it has none of the form (foreign text). */
export function redClustersOf(title: string | undefined): readonly string[] | undefined {
  const match = title === undefined ? null : NAMES.exec(title);
  return match ? match[1]!.split(', ') : undefined;
}
