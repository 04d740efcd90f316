/**
 * The platform port: everything the bot needs from GitHub, in the bot's own words. The Octokit
 * adapter (`github.ts`) is its one implementation; tests wrap it to inject crashes between calls.
 * Reading goes through the API only — the bot never needs a checkout.
 */

export type CheckStatus = 'queued' | 'in_progress' | 'completed' | 'waiting' | 'requested' | 'pending';
export type CheckConclusion =
  | 'success'
  | 'failure'
  | 'neutral'
  | 'cancelled'
  | 'skipped'
  | 'timed_out'
  | 'action_required'
  | 'stale';

export interface CheckRun {
  readonly id: number;
  readonly name: string;
  readonly headSha: string;
  readonly status: CheckStatus;
  readonly conclusion: CheckConclusion | null;
  readonly startedAt: string | null;
  readonly completedAt: string | null;
  /** Check-run output title/summary, kept as evidence for the ledger. */
  readonly summary?: string;
  readonly url?: string;
}

/** GET /commits/{ref}/status, reduced: GitHub answers state "pending" with total 0 when nothing reported. */
export interface CombinedStatus {
  readonly state: 'success' | 'pending' | 'failure' | 'error';
  readonly totalCount: number;
}

export interface PullRequest {
  readonly number: number;
  readonly state: 'open' | 'closed';
  readonly merged: boolean;
  readonly mergedAt: string | null;
  readonly closedAt: string | null;
  readonly createdAt: string;
  readonly headRef: string;
  readonly headSha: string;
  readonly baseRef: string;
  readonly title: string;
  readonly body: string;
  readonly labels: readonly string[];
  readonly url: string;
}

/** One file of a PR's diff against its merge base. */
export interface PullFile {
  readonly path: string;
  /** Blob sha of the file at the head; null when the PR deletes it. */
  readonly sha: string | null;
  /** For a rename, where the file came from (that path is changed too). */
  readonly previousPath?: string;
}

export interface PullCommit {
  readonly sha: string;
  /** GitHub login of the author; null when GitHub cannot tie the commit to an account (untrusted). */
  readonly authorLogin: string | null;
  readonly committerLogin: string | null;
}

export interface IssueComment {
  readonly id: number;
  readonly body: string;
  readonly user: string | null;
}

export interface CommitSummary {
  readonly sha: string;
  readonly message: string;
  /** Committer date: when the commit landed (for a squash merge, when the PR merged). */
  readonly date: string;
  /** True when GitHub itself committed it (a squash or rebase merge, a web edit): then `date` is when it landed. */
  readonly byGitHub?: boolean;
}

export interface FileChange {
  readonly path: string;
  /** New UTF-8 content; null deletes the file. */
  readonly content: string | null;
}

export type MergeResult =
  | { readonly kind: 'merged'; readonly sha: string }
  /** 405: not mergeable (already merged, conflicts, protection) — re-read on the next pass. */
  | { readonly kind: 'not-mergeable'; readonly message: string }
  /** 409: the head moved since we looked; the sha guard did its job. */
  | { readonly kind: 'head-moved'; readonly message: string };

export interface GitHubPort {
  /** Login of the token's user (GET /user). */
  viewer(): Promise<string>;
  /** Default branch name and its head sha. */
  defaultBranch(): Promise<{ readonly name: string; readonly sha: string }>;
  /** Paths of the blobs under `dir/` at `sha` (git tree, recursive). */
  listFiles(sha: string, dir: string): Promise<string[]>;
  /** UTF-8 content of `path` at `ref`; undefined when absent. */
  readFile(ref: string, path: string): Promise<string | undefined>;
  /**
   * Blobs under `dir/` at commit `sha`: path → blob sha. A commit never changes, so one tree
   * read per commit is enough; an absent file is simply not in the map (no 404 round trip).
   */
  blobsUnder(sha: string, dir: string): Promise<ReadonlyMap<string, string>>;
  /** UTF-8 text of the blob `sha` (content-addressed: read once, remembered). */
  blob(sha: string): Promise<string>;
  /** Every open PR whose head branch lives in this repository (forks excluded), newest first. */
  openPulls(): Promise<PullRequest[]>;
  /**
   * Every PR (open or closed) whose head is `branch` in this repository, newest first.
   * `stableWhile` names a Git state (e.g. the newest commit touching the intent) under which
   * the merged ones cannot change; the adapter may then answer from memory.
   */
  pullsByHead(branch: string, options?: { readonly stableWhile?: string }): Promise<PullRequest[]>;
  /** Commits of the PR; the same for the same head sha (and base). */
  pullCommits(number: number, headSha: string): Promise<PullCommit[]>;
  /** The PR's diff entries; the same for the same head sha (and base). */
  pullFiles(number: number, headSha: string): Promise<PullFile[]>;
  comments(number: number): Promise<IssueComment[]>;
  /** Check runs reported on `sha` (every run, not only the latest per name). */
  checkRuns(sha: string): Promise<CheckRun[]>;
  combinedStatus(sha: string): Promise<CombinedStatus>;
  /** Commits on `ref` that touch `path`, newest first (at most `limit`). */
  commitsTouching(ref: string, path: string, limit: number): Promise<CommitSummary[]>;
  /** `commitsTouching(sha, path, limit)` for several paths at one commit sha. */
  histories(
    sha: string,
    paths: readonly string[],
    limit: number,
  ): Promise<ReadonlyMap<string, readonly CommitSummary[]>>;
  /**
   * One commit on top of `parentSha` carrying every change (blobs → tree with base_tree →
   * commit), then `branch` pointed at it (created, or force-moved). Returns the commit sha.
   */
  commitToBranch(input: {
    readonly branch: string;
    readonly parentSha: string;
    readonly message: string;
    readonly changes: readonly FileChange[];
  }): Promise<string>;
  /** Opens a PR; when the head already has an open one (422) that one is returned instead. */
  openPull(input: {
    readonly head: string;
    readonly base: string;
    readonly title: string;
    readonly body: string;
  }): Promise<PullRequest>;
  updatePull(
    number: number,
    patch: { readonly title?: string; readonly body?: string; readonly state?: 'open' | 'closed' },
  ): Promise<void>;
  /** Creates any missing label in the repository, then adds `labels` to the PR. */
  addLabels(number: number, labels: readonly string[]): Promise<void>;
  comment(number: number, body: string): Promise<void>;
  /** Merge guarded by `sha`. */
  merge(
    number: number,
    input: {
      readonly sha: string;
      readonly method: 'squash' | 'merge' | 'rebase';
      readonly title: string;
      readonly message: string;
    },
  ): Promise<MergeResult>;
}
