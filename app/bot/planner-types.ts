/**
 * The planner's vocabulary: what it is given (config, the rollout's state as read this pass) and
 * the one action it returns (docs/design.md §4), plus the hidden comment markers. Types only, so
 * the decision modules (planner.ts, merge-verdict.ts, merge-policy.ts) and their callers share one
 * definition.
 */
import type { StageApproval } from './approval.js';
import type { CheckRun, CombinedStatus, CommitStatus, IssueComment, PullCommit, PullRequest } from './port.js';
import type { RolloutModel } from '../../constructs/model.js';

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
  /** The stage's own `approval` (approval.ts): read only when the stage asks for one. */
  readonly stageApproval?: StageApproval;
  /** A rollback PR: the `spec.abort` its head declares (the bot rebuilds it with the same one). */
  readonly abort?: RollbackAbort;
}

/** A rollback's `spec.abort`; `clusters` when only those clusters of a wave roll back (onClusterFailure: cluster). */
export interface RollbackAbort {
  readonly reason: string;
  readonly at: string;
  readonly clusters?: readonly string[];
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
      /**
       * Only these clusters of a wave roll back (spec.abort.clusters: those before and the red
       * ones, constructs/clusters.ts clusterRollback). @default the whole rollout
       */
      readonly clusters?: readonly string[];
    }
  | {
      readonly kind: 'rebuild-rollback';
      readonly number: number;
      readonly branch: string;
      readonly abort: { readonly reason: string; readonly at?: string; readonly clusters?: readonly string[] };
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
