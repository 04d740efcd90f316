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

const LABEL = '[a-z0-9](?:[-a-z0-9]*[a-z0-9])?';
const NAMES = {
  fail: new RegExp(`^fail: (${LABEL}(?:, ${LABEL})*): `),
  hold: new RegExp(`^hold: (${LABEL}(?:, ${LABEL})*): `),
} as const;

/** `fail: eu-1, us-1: ` — the start of a red wave's check-run title. */
export function redClustersPrefix(red: readonly string[]): string {
  return `fail: ${red.join(', ')}: `;
}

/**
 * The clusters a wave's health title names first, for a verdict of `kind`: `fail: eu-1, us-1: …`
 * (the red ones) or `hold: us-1: …` (the one it waits on, check-run.ts `hold: <first reason>`);
 * undefined when the title does not start in that form (foreign text, a one-cluster verdict).
 */
export function clustersOfTitle(title: string | undefined, kind: 'fail' | 'hold'): readonly string[] | undefined {
  const match = title === undefined ? null : NAMES[kind].exec(title);
  return match ? match[1]!.split(', ') : undefined;
}

/** The red clusters a health run's title names; undefined when it has none of the form (foreign text). */
export function redClustersOf(title: string | undefined): readonly string[] | undefined {
  return clustersOfTitle(title, 'fail');
}

/**
 * The abort reason the bot writes when a health run fails (planner.ts): the check, the PR, the
 * live stage, then the run's title, so the title's red clusters can be read back (status).
 */
export function verdictReason(check: string, pr: number, stage: string, title: string | undefined): string {
  return `${check} failed on #${pr} during ${stage}${title ? `: ${title}` : ''}`;
}

const VERDICT_REASON = /^[^\n:]{1,200} failed on #\d{1,9} during [^\s:]{1,100}: /;

/**
 * The red clusters an abort reason names, only when the reason is of {@link verdictReason}'s form
 * and its title of the gate's: `stagegate abort --reason "fail: eu-1: test"` names none (review F8).
 * spec.abort keeps only a reason and a time, so a person who types the whole bot form exactly can
 * still mimic it; what it changes is the "failed" note of status, never what is rolled back.
 */
export function redClustersOfReason(reason: string | undefined): readonly string[] | undefined {
  const match = reason === undefined ? null : VERDICT_REASON.exec(reason);
  return match ? redClustersOf(reason!.slice(match[0].length)) : undefined;
}
