/**
 * The pure planner: (intent, Git state, PRs + checks, now) → one action. No I/O; everything it
 * knows was read from Git and the PRs this pass (docs/design.md §4), so a crashed pass is repaired by the
 * next one. Tested as a table of situations → actions.
 */
import { PR_LABEL, PR_LABEL_PAUSE, PR_LABEL_STALLED } from '../../constructs/conventions.js';
import { formatDuration } from '../../constructs/duration.js';
import { liveStage, nextStage, type RolloutModel } from '../../constructs/model.js';
import { combinedPasses, describeRun, latestRuns, stateOf } from './checks.js';
import type { CheckRun, CombinedStatus, IssueComment, PullCommit, PullRequest } from './port.js';

export interface BotConfig {
  /** The bot's own GitHub login; every commit on a PR it merges must be authored by it. */
  readonly botLogin: string;
  /** Checks that must be present (and green) on a stage PR. @default [stagegate/health, stagegate/verify] */
  readonly requiredChecks: readonly string[];
  /** The check whose red means rollback, and whose green must outlast the bake window. */
  readonly healthCheck: string;
  /** Path prefixes a bot PR may touch. @default ['rollouts/', 'generated/'] */
  readonly allowedPrefixes: readonly string[];
}

/** One PR as read this pass. For closed PRs the detail arrays are empty. */
export interface PullState {
  readonly pr: PullRequest;
  readonly commits: readonly PullCommit[];
  readonly files: readonly string[];
  readonly comments: readonly IssueComment[];
  /** Every check run reported on the head sha. */
  readonly checks: readonly CheckRun[];
  /** `healthCheck` runs on every commit the PR has carried (for docs/design.md §4 (c)). */
  readonly healthHistory: readonly CheckRun[];
  readonly combined: CombinedStatus;
  /** The head carries exactly the change this pass would write (intent edit + generated files). */
  readonly contentCurrent: boolean;
}

export interface RolloutState {
  /** When the live stage went live on the default branch (the commit that made it live). */
  readonly liveSince: Date;
  /** When the rollout's first stage went live (for `timebox.rollout`). */
  readonly rolloutSince: Date;
  /** Newest commit on the default branch touching the intent. */
  readonly intentChangedAt: Date;
  /** Newest PR on the branch of the next stage, if any. */
  readonly stagePr?: PullState;
  /** Open rollback PR, if any (merged/closed ones are history). */
  readonly rollbackPr?: PullState;
}

export interface MergeEvidence {
  readonly stage: string;
  readonly liveSince: string;
  readonly bake: string;
  readonly health: string;
  readonly checks: readonly string[];
}

export type WaitReason = 'bake' | 'checks' | 'health' | 'merged-pending' | 'refused' | 'stalled' | 'rollback-checks';

export type Action =
  | { readonly kind: 'open'; readonly from: string; readonly to: string }
  | {
      readonly kind: 'update';
      readonly number: number;
      readonly to: string;
      readonly content: boolean;
      readonly labels: readonly string[];
    }
  | {
      readonly kind: 'wait';
      readonly number?: number;
      readonly reason: WaitReason;
      readonly detail: string;
      readonly until?: Date;
    }
  | {
      readonly kind: 'merge';
      readonly number: number;
      readonly sha: string;
      readonly from: string;
      readonly to: string;
      readonly evidence: MergeEvidence;
    }
  | {
      readonly kind: 'rollback';
      readonly close?: number;
      readonly reason: string;
      readonly evidence: readonly string[];
    }
  | { readonly kind: 'merge-rollback'; readonly number: number; readonly sha: string }
  /** Label and comment each once; a crash between the two is finished on the next pass. */
  | {
      readonly kind: 'stalled';
      readonly number: number;
      readonly detail: string;
      readonly label: boolean;
      readonly comment: boolean;
    }
  | { readonly kind: 'comment'; readonly number: number; readonly marker: string; readonly body: string }
  | {
      readonly kind: 'refuse';
      readonly number: number;
      readonly problems: readonly string[];
      readonly alreadyCommented: boolean;
    }
  | { readonly kind: 'finish'; readonly stage: string }
  | { readonly kind: 'nothing'; readonly reason: 'paused' | 'aborted' | 'closed-by-person'; readonly detail: string };

export interface PlanInput {
  readonly rollout: RolloutModel;
  readonly state: RolloutState;
  readonly now: Date;
  readonly config: BotConfig;
}

/** Hidden marker so a comment is posted once, whatever the number of passes. */
export function marker(key: string): string {
  return `<!-- stagegate:${key} -->`;
}
export const REFUSED_MARKER = 'refused';
export const STALLED_MARKER = 'stalled';

export function plan(input: PlanInput): Action {
  const { rollout, state, now, config } = input;
  if (rollout.abort) return { kind: 'nothing', reason: 'aborted', detail: `aborted: ${rollout.abort.reason}` };

  const rollback = state.rollbackPr;
  if (rollback && rollback.pr.state === 'open') return planRollbackPr(rollback, state, config);

  const live = liveStage(rollout);
  const next = nextStage(rollout);
  const bakeEnds = new Date(state.liveSince.getTime() + (live.bakeMs ?? 0));
  if (!next) {
    if (now < bakeEnds)
      return { kind: 'wait', reason: 'bake', detail: `bake ${left(bakeEnds, now)} left`, until: bakeEnds };
    return { kind: 'finish', stage: live.name };
  }

  const stage = state.stagePr;
  if (!stage) return { kind: 'open', from: live.name, to: next.name };
  const { pr } = stage;
  if (pr.merged) {
    // Git is truth: a person may have reverted after the merge; then the PR is history.
    if (pr.mergedAt !== null && state.liveSince.getTime() > Date.parse(pr.mergedAt))
      return { kind: 'open', from: live.name, to: next.name };
    return {
      kind: 'wait',
      number: pr.number,
      reason: 'merged-pending',
      detail: `#${pr.number} merged; waiting for ${next.name} to show on the default branch`,
    };
  }
  if (pr.state === 'closed') {
    const closedAt = pr.closedAt === null ? 0 : Date.parse(pr.closedAt);
    if (state.intentChangedAt.getTime() > closedAt) return { kind: 'open', from: live.name, to: next.name };
    return {
      kind: 'nothing',
      reason: 'closed-by-person',
      detail: `#${pr.number} was closed; paused until it is reopened or the intent changes`,
    };
  }
  if (pr.labels.includes(PR_LABEL_PAUSE))
    return { kind: 'nothing', reason: 'paused', detail: `#${pr.number} carries ${PR_LABEL_PAUSE}` };

  // Health red since the window began → rollback, before anything else (even on a refused PR:
  // rolling back only ever sends traffic to stable).
  const failures = stage.healthHistory
    .concat(stage.checks.filter((r) => r.name === config.healthCheck))
    .filter((r) => r.status === 'completed' && r.conclusion === 'failure')
    .filter((r) => Date.parse(r.completedAt ?? r.startedAt ?? '') >= state.liveSince.getTime());
  if (failures.length > 0) {
    const first = failures[0]!;
    return {
      kind: 'rollback',
      close: pr.number,
      reason: `${config.healthCheck} failed on #${pr.number} during ${live.name}${first.summary ? `: ${first.summary}` : ''}`,
      evidence: failures.map(describeRun),
    };
  }

  const problems = securityProblems(stage, config);
  if (problems.length > 0) {
    return { kind: 'refuse', number: pr.number, problems, alreadyCommented: hasMarker(stage, REFUSED_MARKER, config) };
  }

  const missingLabels = pr.labels.includes(PR_LABEL) ? [] : [PR_LABEL];
  if (!stage.contentCurrent || missingLabels.length > 0) {
    return { kind: 'update', number: pr.number, to: next.name, content: !stage.contentCurrent, labels: missingLabels };
  }

  const verdict = mergeVerdict(stage, state, now, config, live.bakeMs ?? 0);
  if (verdict.kind === 'ready') {
    return {
      kind: 'merge',
      number: pr.number,
      sha: pr.headSha,
      from: live.name,
      to: next.name,
      evidence: {
        stage: live.name,
        liveSince: state.liveSince.toISOString(),
        bake: formatDuration(live.bakeMs ?? 0),
        health: describeRun(verdict.health),
        checks: verdict.checks,
      },
    };
  }
  if (verdict.kind === 'check-failed') {
    const key = `check-failed:${verdict.run.name}:${verdict.run.id}`;
    if (!hasMarker(stage, key, config)) {
      return {
        kind: 'comment',
        number: pr.number,
        marker: key,
        body: `${marker(key)}\nstagegate will not merge this PR: ${describeRun(verdict.run)}. Re-run or fix the check; the bot keeps waiting.`,
      };
    }
  }
  const stageOver = now.getTime() - state.liveSince.getTime() > rollout.timebox.stageMs;
  const rolloutOver = now.getTime() - state.rolloutSince.getTime() > rollout.timebox.rolloutMs;
  const needLabel = !pr.labels.includes(PR_LABEL_STALLED);
  const needComment = !hasMarker(stage, STALLED_MARKER, config);
  if ((stageOver || rolloutOver) && (needLabel || needComment)) {
    const what = stageOver
      ? `stage ${live.name} has been live longer than its timebox (${formatDuration(rollout.timebox.stageMs)})`
      : `the rollout has run longer than its timebox (${formatDuration(rollout.timebox.rolloutMs)})`;
    return {
      kind: 'stalled',
      number: pr.number,
      detail: `${what}; still waiting: ${verdict.detail}`,
      label: needLabel,
      comment: needComment,
    };
  }
  return {
    kind: 'wait',
    number: pr.number,
    reason: verdict.kind === 'bake' ? 'bake' : verdict.kind === 'health' ? 'health' : 'checks',
    detail: verdict.detail,
    ...(verdict.kind === 'bake' ? { until: verdict.until } : {}),
  };
}

type Verdict =
  | { readonly kind: 'ready'; readonly health: CheckRun; readonly checks: readonly string[]; readonly detail: string }
  | { readonly kind: 'bake'; readonly until: Date; readonly detail: string }
  | { readonly kind: 'health'; readonly detail: string }
  | { readonly kind: 'checks'; readonly detail: string }
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
  const latest = latestRuns(stage.checks, sha);
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
  if (!combinedPasses(stage.combined))
    return {
      kind: 'checks',
      detail: `combined status is ${stage.combined.state} (${stage.combined.totalCount} statuses)`,
    };
  return { kind: 'ready', health: health.run, checks: passed.sort(), detail: 'ready' };
}

function planRollbackPr(rollback: PullState, state: RolloutState, config: BotConfig): Action {
  const { pr } = rollback;
  if (pr.labels.includes(PR_LABEL_PAUSE))
    return { kind: 'nothing', reason: 'paused', detail: `#${pr.number} carries ${PR_LABEL_PAUSE}` };
  const problems = securityProblems(rollback, config);
  if (problems.length > 0)
    return {
      kind: 'refuse',
      number: pr.number,
      problems,
      alreadyCommented: hasMarker(rollback, REFUSED_MARKER, config),
    };
  // A crash between opening the rollback PR and closing the stage PR is finished here.
  if (state.stagePr && state.stagePr.pr.state === 'open') {
    return { kind: 'rollback', close: state.stagePr.pr.number, reason: `rollback #${pr.number} is open`, evidence: [] };
  }
  const latest = latestRuns(rollback.checks, pr.headSha);
  // Rollback never waits for bake or health: only the static checks must pass.
  for (const name of config.requiredChecks.filter((n) => n !== config.healthCheck)) {
    const s = stateOf(latest.get(name));
    if (s.kind === 'missing')
      return {
        kind: 'wait',
        number: pr.number,
        reason: 'rollback-checks',
        detail: `rollback #${pr.number}: waiting for ${name}`,
      };
    if (s.kind !== 'pass')
      return {
        kind: 'wait',
        number: pr.number,
        reason: 'rollback-checks',
        detail: `rollback #${pr.number}: ${describeRun(s.run)}`,
      };
  }
  return { kind: 'merge-rollback', number: pr.number, sha: pr.headSha };
}

/** Commits the bot did not write, files outside the allowed directories. */
export function securityProblems(stage: PullState, config: BotConfig): string[] {
  const problems: string[] = [];
  for (const c of stage.commits) {
    if (c.authorLogin !== config.botLogin) {
      problems.push(
        `commit ${c.sha.slice(0, 7)} was written by ${c.authorLogin ?? 'an unknown author'}, not ${config.botLogin}`,
      );
    }
  }
  for (const file of stage.files) {
    if (!config.allowedPrefixes.some((p) => file.startsWith(p)))
      problems.push(`file ${file} is outside ${config.allowedPrefixes.join(' and ')}`);
  }
  return problems;
}

/** Only the bot's own comments count, so nobody can silence it by quoting a marker. */
function hasMarker(stage: PullState, key: string, config: BotConfig): boolean {
  return stage.comments.some((c) => c.user === config.botLogin && c.body.includes(marker(key)));
}

function left(until: Date, now: Date): string {
  const ms = Math.max(0, until.getTime() - now.getTime());
  return formatDuration(Math.ceil(ms / 60_000) * 60_000);
}
