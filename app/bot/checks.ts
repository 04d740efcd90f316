/**
 * How the bot reads check runs: the latest run per name on the head SHA counts (as on GitHub's
 * checks tab); runs on other SHAs are stale and never count. Pure.
 */
import type { CheckRun, CombinedStatus } from './port.js';

/** Conclusions that let a non-health check pass (docs/design.md §4 (d)). */
const PASSING = new Set(['success', 'neutral', 'skipped']);

export type CheckState =
  | { readonly kind: 'pass'; readonly run: CheckRun }
  | { readonly kind: 'pending'; readonly run: CheckRun }
  | { readonly kind: 'missing' }
  /** cancelled, timed_out, action_required, stale: not a verdict, so the bot waits for a re-run. */
  | { readonly kind: 'inconclusive'; readonly run: CheckRun }
  | { readonly kind: 'failure'; readonly run: CheckRun };

function completedMs(run: CheckRun): number {
  const t = run.completedAt === null ? Number.NaN : Date.parse(run.completedAt);
  return Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
}

/**
 * Newer first, the way GitHub picks the latest run of a name ("Filters check runs by their
 * `completed_at` timestamp", OpenAPI checks/list-for-ref `filter`): a run not completed yet is
 * newer than every completed one (it will complete later); completed runs by `completed_at`;
 * ties by id (ids grow with creation). So an older job that reports last — timed_out, cancelled —
 * is the latest, whenever it started (issue #10 item 11).
 */
export function compareRuns(a: CheckRun, b: CheckRun): number {
  const aOpen = a.status !== 'completed';
  const bOpen = b.status !== 'completed';
  if (aOpen !== bOpen) return aOpen ? -1 : 1;
  if (!aOpen) {
    const byDone = completedMs(b) - completedMs(a);
    if (byDone !== 0 && !Number.isNaN(byDone)) return byDone;
  }
  return b.id - a.id;
}

/**
 * Runs whose App is trusted (matched by the run's `app.slug`, never by the check's name: anyone
 * with write access can post a run of any name from a workflow). `trusted` undefined: every run
 * counts (a personal token without --trust-app, local use only).
 */
export function trustedRuns(runs: readonly CheckRun[], trusted: readonly string[] | undefined): CheckRun[] {
  if (trusted === undefined) return [...runs];
  return runs.filter((r) => r.app !== undefined && r.app !== null && trusted.includes(r.app.slug));
}

/** The latest run of every check name on `sha`, ignoring runs reported on any other sha. */
export function latestRuns(runs: readonly CheckRun[], sha: string): Map<string, CheckRun> {
  const latest = new Map<string, CheckRun>();
  for (const run of [...runs].filter((r) => r.headSha === sha).sort(compareRuns)) {
    if (!latest.has(run.name)) latest.set(run.name, run);
  }
  return latest;
}

export function stateOf(run: CheckRun | undefined): CheckState {
  if (run === undefined) return { kind: 'missing' };
  if (run.status !== 'completed') return { kind: 'pending', run };
  if (run.conclusion === 'failure') return { kind: 'failure', run };
  if (run.conclusion !== null && PASSING.has(run.conclusion)) return { kind: 'pass', run };
  return { kind: 'inconclusive', run };
}

/**
 * Combined (commit) status: GitHub answers "pending" with total_count 0 when no status was ever
 * reported, and most repositories report none — so zero statuses count as passing; once any
 * status exists the combined state must be "success".
 */
export function combinedPasses(status: CombinedStatus): boolean {
  return status.totalCount === 0 || status.state === 'success';
}

/**
 * The combined state of commit statuses, as GitHub computes it: the latest status per context
 * counts; any error/failure → failure, none or any pending → pending, else success.
 */
export function combineStatuses(
  statuses: ReadonlyArray<{ readonly id: number; readonly context: string; readonly state: string }>,
): CombinedStatus {
  const latest = new Map<string, string>();
  for (const st of [...statuses].sort((a, b) => b.id - a.id))
    if (!latest.has(st.context)) latest.set(st.context, st.state);
  const states = [...latest.values()];
  const state: CombinedStatus['state'] = states.some((x) => x === 'error' || x === 'failure')
    ? 'failure'
    : states.length === 0 || states.some((x) => x !== 'success')
      ? 'pending'
      : 'success';
  return { state, totalCount: states.length };
}

export function describeRun(run: CheckRun): string {
  const verdict = run.status === 'completed' ? (run.conclusion ?? 'no conclusion') : run.status;
  return `${run.name} ${verdict}${run.completedAt ? ` at ${run.completedAt}` : ''} (run ${run.id})`;
}
