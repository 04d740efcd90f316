/**
 * How the `stagegate/health` check run of a wave names its red clusters, for the bot to roll back
 * only those (README "Waves across clusters", onClusterFailure: cluster; docs/design.md §4c). One
 * definition for both sides: the gate writes the title's prefix, the bot reads it back.
 *
 * The title is what the bot sees of a run (app/bot/github-shapes.ts keeps output.title), and the
 * run counts only from a trusted App (docs/design.md §4a). Cluster names are DNS labels, so the
 * list cannot hold ": "; a title that does not start with the prefix names no cluster, and the
 * bot then rolls back the whole rollout (the safe side: a rollback only sends traffic to stable).
 */

const PREFIX = 'fail in ';
const NAMES = /^fail in ([a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:, [a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*): /;

/** `fail in eu-1, us-1: ` — the start of a red wave's check-run title. */
export function redClustersPrefix(red: readonly string[]): string {
  return `${PREFIX}${red.join(', ')}: `;
}

/** The red clusters a health run's title names; undefined when it names none (one-cluster or foreign text). */
export function redClustersOf(title: string | undefined): readonly string[] | undefined {
  const match = title === undefined ? null : NAMES.exec(title);
  return match ? match[1]!.split(', ') : undefined;
}
