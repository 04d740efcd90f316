/**
 * The merge rule for a stage PR, docs/design.md §4 (a)–(d): bake, health after the bake window,
 * every check green, approvals. Pure; the planner turns the verdict into an action.
 */
import { formatDuration } from '../../constructs/duration.js';
import { combinedPasses, describeRun, latestRuns, stateOf, trustedRuns } from './checks.js';
import type { BotConfig, PullState, RolloutState } from './planner-types.js';
import { trustedCombined } from './planner-trust.js';
import type { CheckRun } from './port.js';

export type Verdict =
  | { readonly kind: 'ready'; readonly health: CheckRun; readonly checks: readonly string[]; readonly detail: string }
  | { readonly kind: 'bake'; readonly until: Date; readonly detail: string }
  | { readonly kind: 'health'; readonly detail: string }
  | { readonly kind: 'checks'; readonly detail: string }
  | { readonly kind: 'review'; readonly detail: string }
  | { readonly kind: 'check-failed'; readonly run: CheckRun; readonly detail: string };

/** docs/design.md §4 (a)–(d), in that order; the first unmet condition is the reason to wait. */
export function mergeVerdict(
  stage: PullState,
  state: RolloutState,
  now: Date,
  config: BotConfig,
  bakeMs: number,
): Verdict {
  const sha = stage.pr.headSha;
  const latest = latestRuns(trustedRuns(stage.checks, config.trustedApps), sha);
  // (d) first for failures: a red non-health check is worth a comment even during the bake.
  for (const [name, run] of latest) {
    if (name === config.healthCheck) continue;
    const s = stateOf(run);
    if (s.kind === 'failure') return { kind: 'check-failed', run, detail: `${describeRun(run)}; will not merge` };
  }
  // (a) bake measured from the commit that made the live stage live.
  const windowEnds = new Date(state.liveSince.getTime() + bakeMs);
  if (now < windowEnds) return { kind: 'bake', until: windowEnds, detail: `bake ${left(windowEnds, now)} left` };
  // (b) latest health on the head sha: success, completed after the window ended.
  const health = stateOf(latest.get(config.healthCheck));
  if (health.kind !== 'pass' || health.run.conclusion !== 'success') {
    return {
      kind: 'health',
      detail:
        health.kind === 'missing'
          ? `no ${config.healthCheck} on ${sha.slice(0, 7)} yet`
          : `waiting for ${describeRun(health.run)}`,
    };
  }
  if (Date.parse(health.run.completedAt ?? '') < windowEnds.getTime()) {
    return {
      kind: 'health',
      detail: `${config.healthCheck} last reported at ${health.run.completedAt}, before the bake window ended (${windowEnds.toISOString()}); waiting for a newer run`,
    };
  }
  // (c) is enforced by the caller (any failure since the window began means rollback).
  // (d) every other check green, combined status success, required checks present.
  const passed: string[] = [];
  for (const [name, run] of latest) {
    const s = stateOf(run);
    if (s.kind !== 'pass') return { kind: 'checks', detail: `waiting for ${describeRun(run)}` };
    passed.push(name);
  }
  const missing = config.requiredChecks.filter((name) => !latest.has(name));
  if (missing.length > 0)
    return {
      kind: 'checks',
      detail: `required check${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not reported on ${sha.slice(0, 7)}`,
    };
  const combined = trustedCombined(stage, config);
  if (!combinedPasses(combined))
    return {
      kind: 'checks',
      detail: `combined status is ${combined.state} (${combined.totalCount} statuses)`,
    };
  // A person's approval is a gate of its own (the rules ask for it): never by the bot itself or the PR's author.
  const needed = state.requiredApprovals ?? 0;
  if (needed > 0) {
    const by = (stage.approvedBy ?? []).filter((l) => l !== config.botLogin && l !== stage.pr.author);
    if (by.length < needed)
      return {
        kind: 'review',
        detail: `waiting for an approving review (${by.length} of ${needed}; the branch rules ask for it)`,
      };
  }
  // (e) The stage's own approval (README "People in the loop"): on the head commit, from whom it names.
  const own = stage.stageApproval;
  if (own && own.by.length < own.needed)
    return {
      kind: 'review',
      detail: `waiting for an approving review from ${own.from} on ${sha.slice(0, 7)} (${own.by.length} of ${own.needed})`,
    };
  return { kind: 'ready', health: health.run, checks: passed.sort(), detail: 'ready' };
}

/** Time left until `until`, rounded up to whole minutes. */
export function left(until: Date, now: Date): string {
  const ms = Math.max(0, until.getTime() - now.getTime());
  return formatDuration(Math.ceil(ms / 60_000) * 60_000);
}
