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
  /** The GitHub App that created the run (GitHub: `app`, a nullable integration); trust is by its slug. */
  readonly app?: { readonly id: number; readonly slug: string } | null;
}

/** GET /commits/{ref}/status, reduced: GitHub answers state "pending" with total 0 when nothing reported. */
export interface CombinedStatus {
  readonly state: 'success' | 'pending' | 'failure' | 'error';
  readonly totalCount: number;
}

/** One commit status (GET /commits/{ref}/statuses): the creator tells who posted it. */
export interface CommitStatus {
  readonly id: number;
  readonly context: string;
  readonly state: string;
  readonly creator: string | null;
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
  /** Base sha GitHub reports with the PR (part of every key of what depends on the base). */
  readonly baseSha?: string;
  /** Login of whoever opened the PR (`user.login`); null when GitHub does not say. */
  readonly author?: string | null;
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

/** The repository's merge settings (GET /repos: allow_squash_merge, allow_merge_commit, allow_rebase_merge). */
export interface MergeMethods {
  readonly squash?: boolean;
  readonly merge?: boolean;
  readonly rebase?: boolean;
}

export interface PullCommit {
  readonly sha: string;
  /** GitHub login of the author; null when GitHub cannot tie the commit to an account (untrusted). */
  readonly authorLogin: string | null;
  readonly committerLogin: string | null;
  /** Emails written in the commit (GitHub links a commit to a user by these, not by who pushed it). */
  readonly authorEmail?: string | null;
  readonly committerEmail?: string | null;
  /** `verification.verified`: GitHub signs commits an App makes through the API without custom author. */
  readonly verified?: boolean;
  /** Number of parents (a merge commit from update-branch has 2). */
  readonly parents?: number;
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
  /** 405 (or 404/422 from merge): GitHub's own message, classified by the planner (mergeRefusal). */
  | { readonly kind: 'not-mergeable'; readonly message: string; readonly status?: number }
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
  /** Commits of the PR; the same for the same head sha and `base` (its base ref and sha: part of the key). */
  pullCommits(number: number, headSha: string, base?: string): Promise<PullCommit[]>;
  /** The PR's diff entries; the same for the same head sha and `base`. */
  pullFiles(number: number, headSha: string, base?: string): Promise<PullFile[]>;
  comments(number: number): Promise<IssueComment[]>;
  /** Check runs reported on `sha` (every run, not only the latest per name). */
  checkRuns(sha: string): Promise<CheckRun[]>;
  combinedStatus(sha: string): Promise<CombinedStatus>;
  /** Every commit status on `sha` with its creator (the combined status is derived from these). */
  statuses(sha: string): Promise<CommitStatus[]>;
  /** The repository's allowed merge methods (read with the default branch: no extra request). */
  mergeMethods(): Promise<MergeMethods>;
  /**
   * Git modes of `paths` at commit `sha` that are not a plain file (100644): a symlink is 120000,
   * an executable 100755, a submodule 160000. Paths absent from the answer are plain files or absent.
   */
  oddModes(sha: string, paths: readonly string[]): Promise<ReadonlyMap<string, string>>;
  /** Commits on `branch` that `base` lacks (GET /compare), or undefined when the branch does not exist. */
  branchCommits(base: string, branch: string): Promise<PullCommit[] | undefined>;
  /**
   * Approving reviews the default branch's rules ask for (GET /rules/branches/{branch}, the
   * `pull_request` rule; metadata:read is enough): 0 when none. The bot honours it on stage PRs
   * itself, so an App with a bypass (for rollback PRs) still waits for people there.
   */
  requiredApprovals(branch: string): Promise<number>;
  /**
   * Logins whose latest review of the PR is an approval and who have write access or more
   * (GET /collaborators/{username}/permission): the only approvals GitHub's rules count.
   */
  approvals(number: number): Promise<string[]>;
  /** `approvals(number)` given on commit `sha` only (a stage's `approval`: the head, docs/design.md §4 (e)). */
  approvalsOn(number: number, sha: string): Promise<string[]>;
  /** `login` is an active member of `team` (`org/slug`): GET /orgs/{org}/teams/{team_slug}/memberships/{username}. */
  teamMember(team: string, login: string): Promise<boolean>;
  /** `head` lacks commits of `base` (GET /compare: behind or diverged). */
  isBehind(base: string, head: string): Promise<boolean>;
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
   * commit), then `branch` pointed at it. Returns the commit sha. When the branch already exists
   * it is moved only if `mayMove` says so (given the branch's commits the default branch lacks;
   * @default always): otherwise it throws BranchOccupiedError and nothing is moved.
   */
  commitToBranch(input: {
    readonly branch: string;
    readonly parentSha: string;
    readonly message: string;
    readonly changes: readonly FileChange[];
    readonly mayMove?: (commits: readonly PullCommit[] | undefined) => boolean;
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
    patch: {
      readonly title?: string;
      readonly body?: string;
      readonly state?: 'open' | 'closed';
      readonly base?: string;
    },
  ): Promise<void>;
  /** Creates any missing label in the repository, then adds `labels` to the PR. */
  addLabels(number: number, labels: readonly string[]): Promise<void>;
  comment(number: number, body: string): Promise<void>;
  /** Replaces the body of comment `id` (PATCH /issues/comments/{comment_id}; its author or a writer may). */
  updateComment(id: number, body: string): Promise<void>;
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

/** The branch exists and holds work `mayMove` refused to overwrite (someone else's commits). */
export class BranchOccupiedError extends Error {
  constructor(readonly branch: string) {
    super(`branch ${branch} holds commits stagegate did not write; it is never overwritten`);
    this.name = 'BranchOccupiedError';
  }
}
