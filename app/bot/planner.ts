/**
 * The pure planner: (intent, Git state, PRs + checks, now) → one action. No I/O; everything it
 * knows was read from Git and the PRs this pass (docs/design.md §4), so a crashed pass is repaired by the
 * next one. Tested as a table of situations → actions.
 */
import { createHash } from 'node:crypto';
import {
  PR_LABEL,
  PR_LABEL_PAUSE,
  PR_LABEL_STALLED,
  rollbackBranch,
  stageBranch,
  branchCandidates,
} from '../../constructs/conventions.js';
import { formatDuration } from '../../constructs/duration.js';
import { liveStage, nextStage, type RolloutModel } from '../../constructs/model.js';
import { combinedPasses, combineStatuses, describeRun, latestRuns, stateOf, trustedRuns } from './checks.js';
import type {
  CheckRun,
  CombinedStatus,
  CommitStatus,
  IssueComment,
  MergeMethods,
  PullCommit,
  PullRequest,
} from './port.js';
import { markdownText, plainText } from './text.js';

export interface BotConfig {
  /** The bot's own GitHub login (`SLUG[bot]` for an App); every commit on a PR it merges must be by it. */
  readonly botLogin: string;
  /** Checks that must be present (and green) on a stage PR. @default [stagegate/health, stagegate/verify] */
  readonly requiredChecks: readonly string[];
  /** The check whose red means rollback, and whose green must outlast the bake window. */
  readonly healthCheck: string;
  /** Path prefixes a bot PR may touch. @default ['rollouts/', 'generated/'] */
  readonly allowedPrefixes: readonly string[];
  /**
   * App slugs whose check runs count, matched by the run's `app.slug` (statuses by their creator
   * `SLUG[bot]`). @default undefined: every run counts (a personal token without --trust-app)
   */
  readonly trustedApps?: readonly string[];
  /**
   * Every commit must carry GitHub's verified signature: commits an App makes through the API
   * without a custom author are signed by GitHub (docs: "Signature verification for bots"), so a
   * push carrying the bot's email is told apart. On for an App identity (`--app-slug`).
   */
  readonly requireVerified?: boolean;
}

/** One PR as read this pass. For closed PRs the detail arrays are empty (comments excepted). */
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
  /** The head carries exactly the change this pass would write (intent edit + generated files, by blob sha). */
  readonly contentCurrent: boolean;
  /** Statuses on the head with their creators; when given, only trusted creators count. */
  readonly statuses?: readonly CommitStatus[];
  /** The only paths this PR may change (its intent, generated file and changelog). */
  readonly expectedFiles?: readonly string[];
  /** Git modes of the PR's files at the head that are not a plain file (symlink, executable, submodule). */
  readonly oddModes?: ReadonlyMap<string, string>;
  /** Logins that approved the PR (their latest review); read when the rules ask for approvals. */
  readonly approvedBy?: readonly string[];
  /** A rollback PR: the `spec.abort` its head declares (the bot rebuilds it with the same one). */
  readonly abort?: { readonly reason: string; readonly at: string };
}

export interface RolloutState {
  /** When the live stage went live on the default branch (the commit that made it live). */
  readonly liveSince: Date;
  /** When the rollout's first stage went live (for `timebox.rollout`). */
  readonly rolloutSince: Date;
  /** Newest commit on the default branch touching the intent. */
  readonly intentChangedAt: Date;
  /** The default branch: the only base a bot PR may have. @default main */
  readonly defaultBranch?: string;
  /** The bot's newest PR on the branch of the next stage, if any (PRs others opened are in `foreign`). */
  readonly stagePr?: PullState;
  /** The bot's open rollback PR, if any (merged/closed ones are history). */
  readonly rollbackPr?: PullState;
  /** Open PRs on the bot's branch names that someone else opened (or that target another base). */
  readonly foreign?: readonly PullState[];
  /**
   * Approving reviews the default branch's rules require. The bot waits for them on stage PRs
   * even when GitHub would let it bypass (a bypass is for rollback PRs). @default 0
   */
  readonly requiredApprovals?: number;
  /** Head branches of open PRs: a new bot PR takes the first candidate branch not among them. */
  readonly takenHeads?: readonly string[];
}

export interface MergeEvidence {
  readonly stage: string;
  readonly liveSince: string;
  readonly bake: string;
  readonly health: string;
  readonly checks: readonly string[];
}

export type WaitReason =
  | 'bake'
  | 'checks'
  | 'health'
  | 'merged-pending'
  | 'refused'
  | 'stalled'
  | 'rollback-checks'
  | 'review'
  | 'merge-retry';

export type Action =
  | { readonly kind: 'open'; readonly from: string; readonly to: string; readonly branch?: string }
  | {
      readonly kind: 'update';
      readonly number: number;
      readonly to: string;
      readonly content: boolean;
      readonly labels: readonly string[];
      /** Someone retargeted the bot's PR: point it back at the default branch. */
      readonly base?: string;
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
      /** Post the closed-for-rollback comment (false when an earlier, crashed pass already did). @default true */
      readonly commentClose?: boolean;
      readonly reason: string;
      readonly evidence: readonly string[];
      /** Where a new rollback PR goes (the first free candidate); absent when the bot's rollback PR is open. */
      readonly branch?: string;
    }
  | {
      readonly kind: 'rebuild-rollback';
      readonly number: number;
      readonly branch: string;
      readonly abort: { readonly reason: string; readonly at?: string };
    }
  | { readonly kind: 'merge-rollback'; readonly number: number; readonly sha: string }
  /** The branch is behind its base (strict protection): rebuilt on the base's tip, merged on a later pass. */
  | { readonly kind: 'update-branch'; readonly number: number; readonly sha: string; readonly detail: string }
  /** Label and comment each once; a crash between the two is finished on the next pass. */
  | {
      readonly kind: 'stalled';
      readonly number: number;
      readonly detail: string;
      readonly label: boolean;
      readonly comment: boolean;
      /** The comment's marker. @default STALLED_MARKER */
      readonly marker?: string;
    }
  | { readonly kind: 'comment'; readonly number: number; readonly marker: string; readonly body: string }
  | {
      readonly kind: 'refuse';
      readonly number: number;
      readonly problems: readonly string[];
      readonly alreadyCommented: boolean;
      /** One comment per reason: the marker names these problems. @default REFUSED_MARKER */
      readonly marker?: string;
    }
  | { readonly kind: 'finish'; readonly stage: string }
  | {
      readonly kind: 'nothing';
      readonly reason: 'paused' | 'aborted' | 'closed-by-person' | 'duplicate';
      readonly detail: string;
    };

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
export const CLOSED_FOR_ROLLBACK_MARKER = 'closed-for-rollback';
export const IGNORED_MARKER = 'ignored';

/** The first candidate for `branch` no open PR uses. */
export function freeBranch(branch: string, taken: readonly string[] | undefined): string {
  return branchCandidates(branch).find((b) => !(taken ?? []).includes(b)) ?? branch;
}

export function plan(input: PlanInput): Action {
  const { rollout, state, config } = input;
  if (rollout.abort)
    return { kind: 'nothing', reason: 'aborted', detail: `aborted: ${plainText(rollout.abort.reason)}` };

  const rollback = state.rollbackPr;
  if (rollback && rollback.pr.state === 'open') return planRollbackPr(rollback, state, rollout, config);

  const main = planStage(input);
  // Someone else's PR on one of the bot's branches is ignored, and told why once; never before a rollback.
  if (main.kind !== 'rollback' && main.kind !== 'merge-rollback') {
    const untold = (state.foreign ?? []).find((f) => !hasMarker(f, IGNORED_MARKER, config));
    if (untold) return ignoreComment(untold, state, config);
  }
  return main;
}

function planStage(input: PlanInput): Action {
  const { rollout, state, now, config } = input;
  const live = liveStage(rollout);
  const next = nextStage(rollout);
  const bakeEnds = new Date(state.liveSince.getTime() + (live.bakeMs ?? 0));
  if (!next) {
    if (now < bakeEnds)
      return { kind: 'wait', reason: 'bake', detail: `bake ${left(bakeEnds, now)} left`, until: bakeEnds };
    return { kind: 'finish', stage: live.name };
  }
  const open = (): Action => ({
    kind: 'open',
    from: live.name,
    to: next.name,
    branch: freeBranch(stageBranch(rollout.namespace, rollout.name, next.name), state.takenHeads),
  });

  const stage = state.stagePr;
  if (!stage) return open();
  const { pr } = stage;
  if (pr.merged) {
    // Git is truth: a person may have reverted after the merge; then the PR is history.
    if (pr.mergedAt !== null && state.liveSince.getTime() > Date.parse(pr.mergedAt)) return open();
    return {
      kind: 'wait',
      number: pr.number,
      reason: 'merged-pending',
      detail: `#${pr.number} merged; waiting for ${next.name} to show on the default branch`,
    };
  }
  if (pr.state === 'closed') {
    const closedAt = pr.closedAt === null ? 0 : Date.parse(pr.closedAt);
    if (state.intentChangedAt.getTime() > closedAt) return open();
    // The bot closed it for a rollback that has not landed (its rollback PR was closed unmerged):
    // the failure still stands, so the rollback is opened again; nobody closed it "by hand".
    const own = botComment(stage, CLOSED_FOR_ROLLBACK_MARKER, config);
    if (own) {
      return {
        kind: 'rollback',
        reason: `the rollback of #${pr.number} was closed without merging; it still stands (${closedReason(own.body)})`,
        evidence: [`#${pr.number} was closed by stagegate for a rollback`],
        branch: freeBranch(rollbackBranch(rollout.namespace, rollout.name), state.takenHeads),
      };
    }
    return {
      kind: 'nothing',
      reason: 'closed-by-person',
      detail: `#${pr.number} was closed; paused until it is reopened or the intent changes`,
    };
  }
  if (pr.labels.includes(PR_LABEL_PAUSE))
    return { kind: 'nothing', reason: 'paused', detail: `#${pr.number} carries ${PR_LABEL_PAUSE}` };

  // Health red since the window began → rollback, before anything else (even on a refused PR:
  // rolling back only ever sends traffic to stable). Only runs from trusted Apps count.
  const failures = trustedRuns(
    stage.healthHistory.concat(stage.checks.filter((r) => r.name === config.healthCheck)),
    config.trustedApps,
  )
    .filter((r) => r.status === 'completed' && r.conclusion === 'failure')
    .filter((r) => Date.parse(r.completedAt ?? r.startedAt ?? '') >= state.liveSince.getTime());
  if (failures.length > 0) {
    const first = failures[0]!;
    return {
      kind: 'rollback',
      close: pr.number,
      commentClose: !hasMarker(stage, CLOSED_FOR_ROLLBACK_MARKER, config),
      reason: `${config.healthCheck} failed on #${pr.number} during ${live.name}${first.summary ? `: ${plainText(first.summary)}` : ''}`,
      evidence: failures.map(describeRun),
      branch: freeBranch(rollbackBranch(rollout.namespace, rollout.name), state.takenHeads),
    };
  }

  const base = state.defaultBranch ?? 'main';
  if (pr.baseRef !== base) {
    // The bot's own PR retargeted by someone: pointed back; its commits and files are read again then.
    return { kind: 'update', number: pr.number, to: next.name, content: false, labels: [], base };
  }

  const problems = securityProblems(stage, config, base);
  if (problems.length > 0) return refusal(stage, problems, config);

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
        health: `${describeRun(verdict.health)}${verdict.health.summary ? `: ${verdict.health.summary}` : ''}`,
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
        body: `${marker(key)}\nstagegate will not merge this PR: ${markdownText(describeRun(verdict.run))}. Re-run or fix the check; the bot keeps waiting.`,
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
    reason:
      verdict.kind === 'bake'
        ? 'bake'
        : verdict.kind === 'health'
          ? 'health'
          : verdict.kind === 'review'
            ? 'review'
            : 'checks',
    detail: verdict.detail,
    ...(verdict.kind === 'bake' ? { until: verdict.until } : {}),
  };
}

/** One comment on someone else's PR on a bot branch, saying why the bot ignores it. */
function ignoreComment(f: PullState, state: RolloutState, config: BotConfig): Action {
  const base = state.defaultBranch ?? 'main';
  const why =
    f.pr.author !== undefined && f.pr.author !== config.botLogin
      ? `it was opened by ${f.pr.author === null ? 'an unknown account' : `@\u200b${f.pr.author}`}, not by ${config.botLogin}`
      : f.pr.baseRef !== base
        ? `it targets ${markdownText(f.pr.baseRef)}, not ${base}`
        : 'its commits or files are not only what stagegate writes';
  return {
    kind: 'comment',
    number: f.pr.number,
    marker: IGNORED_MARKER,
    body: `${marker(IGNORED_MARKER)}\nstagegate ignores this PR: ${why}. It never merges, closes or adopts it; its own PR for this rollout lives on a branch of its own. Only PRs opened by ${config.botLogin}, based on ${base}, whose every commit it wrote and whose content is exactly what it would write now are the bot's (README, "Security").`,
  };
}

/** The refusal of the bot's own PR: one comment per set of problems. */
function refusal(stage: PullState, problems: readonly string[], config: BotConfig): Action {
  const key = `${REFUSED_MARKER}:${shortHash(problems.join('\n'))}`;
  // A comment under the plain marker (written before markers carried the reason) counts for any reason.
  const alreadyCommented = hasMarker(stage, key, config) || hasMarker(stage, REFUSED_MARKER, config);
  return { kind: 'refuse', number: stage.pr.number, problems, alreadyCommented, marker: key };
}

/** The reason a closed-for-rollback comment gave ("Closed by stagegate: REASON. Rollback: #N."). */
function closedReason(body: string): string {
  const m = /Closed by stagegate: ([\s\S]*?)\. Rollback: #\d+/.exec(body);
  return plainText(m?.[1] ?? 'the health failure recorded on it', 300);
}

type Verdict =
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
  return { kind: 'ready', health: health.run, checks: passed.sort(), detail: 'ready' };
}

/**
 * Commit statuses count only from trusted creators (an App posts as `SLUG[bot]`); a status never
 * stands in for a check run, whatever its context (a `stagegate/health` status is not health).
 */
export function trustedCombined(stage: PullState, config: BotConfig): CombinedStatus {
  if (stage.statuses === undefined) return stage.combined;
  const trusted = config.trustedApps;
  const kept =
    trusted === undefined
      ? stage.statuses
      : stage.statuses.filter((x) => x.creator !== null && trusted.some((slug) => x.creator === `${slug}[bot]`));
  return combineStatuses(kept);
}

function planRollbackPr(rollback: PullState, state: RolloutState, rollout: RolloutModel, config: BotConfig): Action {
  const { pr } = rollback;
  if (pr.labels.includes(PR_LABEL_PAUSE))
    return { kind: 'nothing', reason: 'paused', detail: `#${pr.number} carries ${PR_LABEL_PAUSE}` };
  const base = state.defaultBranch ?? 'main';
  const problems = securityProblems(rollback, config, base);
  if (problems.length > 0) {
    // A rollback is never blocked by what someone did to the bot's rollback PR: the bot opens a
    // clean one on a fresh branch first, then says once why this one is left alone.
    return {
      kind: 'rollback',
      ...(state.stagePr?.pr.state === 'open'
        ? {
            close: state.stagePr.pr.number,
            commentClose: !hasMarker(state.stagePr, CLOSED_FOR_ROLLBACK_MARKER, config),
          }
        : {}),
      reason: rollback.abort ? plainText(rollback.abort.reason) : `rollback #${pr.number} cannot be merged`,
      evidence: [`#${pr.number} was refused: ${plainText(problems.join('; '), 500)}`],
      branch: freeBranch(rollbackBranch(rollout.namespace, rollout.name), [...(state.takenHeads ?? []), pr.headRef]),
    };
  }
  if (!rollback.contentCurrent) {
    // Only the bot's commits, but not the content it writes (the branch was pointed at another
    // commit of the bot's, or the intent moved on the default branch): rebuilt with the same abort.
    return {
      kind: 'rebuild-rollback',
      number: pr.number,
      branch: pr.headRef,
      abort: rollback.abort ?? { reason: `rollback #${pr.number} rebuilt: its head was not what stagegate writes` },
    };
  }
  // A crash between opening the rollback PR and closing the stage PR is finished here; the
  // closing comment is not posted twice (item 12: one comment per marker).
  if (state.stagePr && state.stagePr.pr.state === 'open') {
    return {
      kind: 'rollback',
      close: state.stagePr.pr.number,
      commentClose: !hasMarker(state.stagePr, CLOSED_FOR_ROLLBACK_MARKER, config),
      reason: rollback.abort ? plainText(rollback.abort.reason) : `rollback #${pr.number} is open`,
      evidence: [],
    };
  }
  const latest = latestRuns(trustedRuns(rollback.checks, config.trustedApps), pr.headSha);
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

/** The bot's noreply address for an App login `SLUG[bot]`: `ID+SLUG[bot]@users.noreply.HOST`. */
function botEmailOk(email: string | null | undefined, botLogin: string): boolean {
  if (email === undefined || email === null || !botLogin.endsWith('[bot]')) return true;
  const at = email.lastIndexOf('@');
  return email.slice(0, at).endsWith(`+${botLogin}`) && email.slice(at + 1).startsWith('users.noreply.');
}

/** Why `c` is not a commit the bot wrote, or undefined when it is. */
export function commitProblem(c: PullCommit, config: BotConfig): string | undefined {
  const sha = c.sha.slice(0, 7);
  if (c.authorLogin !== config.botLogin)
    return `commit ${sha} was written by ${c.authorLogin ?? 'an unknown author'}, not ${config.botLogin}`;
  // GitHub commits for an App as "GitHub" (web-flow); anyone can write that email, so it counts
  // only with GitHub's signature.
  const committerOk = c.committerLogin === config.botLogin || (c.committerLogin === 'web-flow' && c.verified === true);
  if (!committerOk) return `commit ${sha} was committed by ${c.committerLogin ?? 'an unknown committer'}`;
  if (!botEmailOk(c.authorEmail, config.botLogin))
    return `commit ${sha} carries the author email ${plainText(c.authorEmail ?? '', 200)}, not ${config.botLogin}'s`;
  if (config.requireVerified && c.verified !== true)
    return `commit ${sha} is not signed by GitHub (stagegate's commits through the API always are; a push carrying its email is not)`;
  return undefined;
}

/** The branch holds only the bot's commits (so moving it loses nobody's work). */
export function ownBranch(commits: readonly PullCommit[] | undefined, config: BotConfig): boolean {
  return commits === undefined || commits.every((c) => commitProblem(c, config) === undefined);
}

const MODE_NAMES: Record<string, string> = {
  '120000': 'a symlink',
  '100755': 'an executable',
  '160000': 'a submodule',
};

/**
 * Why a PR of the bot's may not be merged: commits it did not write, files outside what it
 * writes, modes other than a plain file. Empty when it may.
 */
export function securityProblems(stage: PullState, config: BotConfig, base?: string): string[] {
  const problems: string[] = [];
  if (base !== undefined && stage.pr.baseRef !== base)
    problems.push(`it targets ${plainText(stage.pr.baseRef, 200)}, not ${base}`);
  for (const c of stage.commits) {
    const p = commitProblem(c, config);
    if (p) problems.push(p);
  }
  for (const file of stage.files) {
    const shown = plainText(file, 300);
    if (!config.allowedPrefixes.some((p) => file.startsWith(p)))
      problems.push(`file ${shown} is outside ${config.allowedPrefixes.join(' and ')}`);
    else if (stage.expectedFiles && !stage.expectedFiles.includes(file))
      problems.push(`file ${shown} is not one this PR changes`);
    const mode = stage.oddModes?.get(file);
    if (mode !== undefined)
      problems.push(`file ${shown} is ${MODE_NAMES[mode] ?? `of mode ${mode}`}, not a plain file`);
  }
  return problems;
}

/** Only the bot's own comments count, so nobody can silence it by quoting a marker. */
function hasMarker(stage: PullState, key: string, config: BotConfig): boolean {
  return botComment(stage, key, config) !== undefined;
}

function botComment(stage: PullState, key: string, config: BotConfig): IssueComment | undefined {
  return stage.comments.find((c) => c.user === config.botLogin && c.body.includes(marker(key)));
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 10);
}

function left(until: Date, now: Date): string {
  const ms = Math.max(0, until.getTime() - now.getTime());
  return formatDuration(Math.ceil(ms / 60_000) * 60_000);
}

/** Renovate's order when the repository allows several: squash, then merge, then rebase. */
export function pickMergeMethod(
  allowed: MergeMethods,
  override?: 'squash' | 'merge' | 'rebase',
): 'squash' | 'merge' | 'rebase' {
  if (override) return override;
  if (allowed.squash !== false && (allowed.squash === true || (allowed.merge !== true && allowed.rebase !== true)))
    return 'squash';
  if (allowed.merge === true) return 'merge';
  if (allowed.rebase === true) return 'rebase';
  return 'squash';
}

export type MergeRefusalKind =
  | 'base-modified'
  | 'behind'
  | 'review'
  | 'merge-queue'
  | 'method'
  | 'checks-expected'
  | 'not-mergeable'
  | 'other';

/**
 * What GitHub's 405 message on merge means. Substrings, as Renovate matches them
 * (lib/modules/platform/github/index.ts): rulesets prefix "Repository rule violations found".
 * Messages: "Base branch was modified. Review and try the merge again." (NixOS/nixpkgs-merge-bot#179),
 * "At least 1 approving review is required by reviewers with write access." (Reviewable#561),
 * "Waiting on code owner review from …" (Mergifyio/mergify#448), "Required status check "x" is
 * expected." (Renovate), "Changes must be made through the merge queue" (pascalgn/automerge-action#235),
 * "Squash merges are not allowed on this repository." (akuity/kargo#6490), "Head branch is out
 * of date" (strict protection), "Pull Request is not mergeable" (OpenAPI pulls/merge example).
 */
export function classifyMergeRefusal(message: string): MergeRefusalKind {
  const m = message.toLowerCase();
  if (m.includes('base branch was modified')) return 'base-modified';
  if (m.includes('merge queue')) return 'merge-queue';
  if (m.includes('out of date') || m.includes('not up to date') || m.includes('up-to-date')) return 'behind';
  if (
    m.includes('approving review') ||
    m.includes('code owner review') ||
    m.includes('approval from someone other than the last pusher') ||
    m.includes('more approval') ||
    m.includes('review is required')
  )
    return 'review';
  if (/(merges|merge commits) are not allowed/.test(m)) return 'method';
  if (/status checks? .*(is|are) expected/.test(m) || m.includes('required status check')) return 'checks-expected';
  if (m.includes('not mergeable')) return 'not-mergeable';
  return 'other';
}

/**
 * The decision after GitHub refused a merge (405 with `message`): update the branch, wait for a
 * person's approving review (a human gate, a feature), retry next pass, or label + comment once
 * with GitHub's own words. Pure; `pull` is the PR as read this pass.
 */
export function mergeRefusal(pull: PullState, message: string, config: BotConfig, behind = false): Action {
  const { pr } = pull;
  const classified = classifyMergeRefusal(message);
  // Behind its base, a missing check or "not mergeable" is strict protection asking for the
  // base's tip (rulesets word it as a required check "expected"): bring the branch up to date.
  const kind =
    behind && (classified === 'checks-expected' || classified === 'not-mergeable' || classified === 'other')
      ? 'behind'
      : classified;
  const quoted = markdownText(message, 500);
  const key = `merge-refused:${kind}`;
  const stalled = (detail: string): Action => ({
    kind: 'stalled',
    number: pr.number,
    detail,
    label: !pr.labels.includes(PR_LABEL_STALLED),
    comment: !hasMarker(pull, key, config),
    marker: key,
  });
  switch (kind) {
    case 'base-modified':
      return {
        kind: 'wait',
        number: pr.number,
        reason: 'merge-retry',
        detail: `#${pr.number}: GitHub says "${plainText(message, 200)}"; merging again next pass`,
      };
    case 'behind':
      return {
        kind: 'update-branch',
        number: pr.number,
        sha: pr.headSha,
        detail: `#${pr.number} is behind its base (GitHub: "${plainText(message, 200)}")`,
      };
    case 'review':
      if (!hasMarker(pull, key, config))
        return {
          kind: 'comment',
          number: pr.number,
          marker: key,
          body: `${marker(key)}\nstagegate is waiting for an approving review: everything else is green. GitHub says: ${quoted}`,
        };
      return {
        kind: 'wait',
        number: pr.number,
        reason: 'review',
        detail: `#${pr.number}: waiting for an approving review (GitHub: "${plainText(message, 200)}")`,
      };
    case 'merge-queue':
      return stalled(
        `GitHub requires the merge queue ("${plainText(message, 200)}"); add #${pr.number} to the queue, stagegate cannot through REST`,
      );
    case 'method':
      return stalled(`GitHub refused the merge method ("${plainText(message, 200)}"); set --merge-method`);
    case 'checks-expected':
      return stalled(
        `GitHub requires a check stagegate does not wait for ("${plainText(message, 200)}"); run it on this PR or add it to the required checks`,
      );
    default:
      return stalled(`GitHub refused the merge: "${plainText(message, 200)}"`);
  }
}
