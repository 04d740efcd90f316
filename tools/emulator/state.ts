/**
 * Everything the emulated repository knows besides git objects: pull requests, check runs,
 * statuses, comments, labels, and who created which commit. Git holds the files and refs;
 * this holds GitHub's metadata about them, in memory.
 */
import type { GitStore } from './git-store.js';
import { ApiError, notFound } from './http.js';
import type { App } from './identity.js';
import type { PermissionLevel } from './permissions.js';
import type { BranchProtection, MergeMethod } from './types.js';
import type { Shapes } from './shapes.js';

export interface PullRecord {
  number: number;
  id: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  draft: boolean;
  /** Branch names without refs/heads/. */
  head: string;
  base: string;
  /** Last known head sha; follows the branch while it exists. */
  headSha: string;
  /** Base sha when the PR was closed/merged (frozen then). */
  baseShaAtClose?: string;
  user: string;
  createdAt: Date;
  updatedAt: Date;
  closedAt: Date | null;
  mergedAt: Date | null;
  mergedBy: string | null;
  mergeCommitSha: string | null;
  labels: string[];
  /** "base head" pair whose mergeability a GET has already reported (lazyMergeability). */
  mergeabilityFor?: string;
  reviews: ReviewRecord[];
  /** Auto-merge as GraphQL enablePullRequestAutoMerge would set it (a test hook sets it here). */
  autoMerge: { mergeMethod: MergeMethod; enabledBy: string; title?: string; message?: string } | null;
  /** Owner of the head repository when the head is in a fork. */
  headOwner?: string;
}

export interface CheckRunRecord {
  id: number;
  name: string;
  headSha: string;
  status: string;
  conclusion: string | null;
  startedAt: Date | null;
  completedAt: Date | null;
  detailsUrl: string | null;
  externalId: string | null;
  output: { title: string | null; summary: string | null; text: string | null };
  /** The App that created the run (check runs belong to one App's check suite). */
  app: App;
}

export interface StatusRecord {
  id: number;
  sha: string;
  state: 'error' | 'failure' | 'pending' | 'success';
  context: string;
  description: string | null;
  targetUrl: string | null;
  createdAt: Date;
  login: string;
}

export interface CommentRecord {
  id: number;
  issue: number;
  body: string;
  login: string;
  createdAt: Date;
  updatedAt: Date;
}
/** An issue that is not a pull request (routes-issues.ts), numbered with the PRs. */
export interface PlainIssueRecord {
  number: number;
  id: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  user: string;
  createdAt: Date;
  updatedAt: Date;
  closedAt: Date | null;
}
export interface LabelRecord {
  id: number;
  name: string;
  color: string;
  description: string | null;
}

export interface StateOptions {
  readonly lazyMergeability: boolean;
  /** Compatibility: people's tokens may create and update check runs (GitHub: only Apps may). */
  readonly checkRunsByUsers: boolean;
}

/** Repository settings and branch rules; tests may change them while the emulator runs. */
export interface RepoSettings {
  mergeMethods: MergeMethod[];
  allowAutoMerge: boolean;
  allowUpdateBranch: boolean;
  admins: string[];
  /** Lower-cased login → role (permissions.ts); accounts not named here have write. */
  readonly permissions: Map<string, PermissionLevel>;
  readonly protection: Map<string, BranchProtection>;
  /** Lower-cased `org/slug` → members (`login` or `login:pending`), teams.ts. */
  readonly teams: Map<string, readonly string[]>;
}

export interface ReviewRecord {
  id: number;
  login: string;
  state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED';
  body: string;
  commitId: string;
  submittedAt: Date;
}

export class RepoState {
  readonly pulls: PullRecord[] = [];
  readonly checkRuns: CheckRunRecord[] = [];
  readonly statuses: StatusRecord[] = [];
  readonly comments: CommentRecord[] = [];
  /** Issues that are not pull requests (routes-issues.ts); numbered with the PRs. */
  readonly plainIssues: PlainIssueRecord[] = [];
  readonly labels = new Map<string, LabelRecord>();
  /** Commits GitHub signed (an App's API commit without custom author/committer): verified "valid". */
  readonly signed = new Set<string>();
  private nextId = 1000;
  /** Last ref write; the repository's pushed_at/updated_at, so its JSON (and ETag) only changes with pushes. */
  pushedAt: Date;
  readonly settings: RepoSettings = {
    mergeMethods: ['merge', 'squash', 'rebase'],
    allowAutoMerge: false,
    allowUpdateBranch: false,
    admins: [],
    permissions: new Map(),
    protection: new Map(),
    teams: new Map(),
  };

  constructor(
    readonly git: GitStore,
    readonly shapes: Shapes,
    readonly owner: string,
    readonly repo: string,
    startedAt: Date,
    readonly options: StateOptions = { lazyMergeability: false, checkRunsByUsers: true },
  ) {
    this.pushedAt = startedAt;
  }

  repositoryJson(): Record<string, unknown> {
    return this.shapes.repository(this.pulls.filter((p) => p.state === 'open').length, this.pushedAt, this.settings);
  }

  /** The next issue/PR number: GitHub numbers issues and pull requests in one sequence. */
  nextNumber(): number {
    return this.pulls.length + this.plainIssues.length + 1;
  }

  id(): number {
    return this.nextId++;
  }

  pull(number: string | number): PullRecord {
    const pr = this.pulls.find((p) => p.number === Number(number));
    if (!pr) throw notFound();
    return pr;
  }

  /** The issue of a pull request (comments, labels); 404 otherwise, as GitHub does for a missing issue. */
  issue(number: string | number): PullRecord {
    return this.pull(number);
  }

  /** An issue that is not a pull request (create, get, edit); 404 otherwise. */
  plainIssue(number: string | number): PlainIssueRecord {
    const issue = this.plainIssues.find((i) => i.number === Number(number));
    if (!issue) throw notFound();
    return issue;
  }

  /** Where the PR's head branch lives: refs/heads/B, or refs/forks/OWNER/B for a fork's branch. */
  headRef(pr: PullRecord): string {
    return pr.headOwner ? `refs/forks/${pr.headOwner}/${pr.head}` : `refs/heads/${pr.head}`;
  }

  /** The base's tip for an open PR; frozen at close for a closed one. */
  baseSha(pr: PullRecord): string {
    return pr.baseShaAtClose ?? this.git.resolve(`refs/heads/${pr.base}`) ?? pr.headSha;
  }

  /** Commits of the PR (head not in base), oldest first. */
  commitsOf(pr: PullRecord): string[] {
    return this.git.revList(pr.headSha, { exclude: this.baseSha(pr) }).reverse();
  }

  /** Refreshes what GitHub recomputes from git: an open PR follows its head branch. */
  sync(pr: PullRecord, now: Date): PullRecord {
    if (pr.state !== 'open') return pr;
    const sha = this.git.resolve(this.headRef(pr));
    if (sha && sha !== pr.headSha) {
      pr.headSha = sha;
      pr.updatedAt = now;
    }
    return pr;
  }

  /** A sha, branch name or full ref → commit sha; 404/422 in GitHub's words otherwise. */
  commitSha(ref: string, missing: 'notFound' | 'noCommit' = 'noCommit'): string {
    const sha = /^[0-9a-f]{40}$/.test(ref)
      ? this.git.objectType(ref) === 'commit'
        ? ref
        : null
      : (this.git.resolve(ref.startsWith('refs/') ? ref : `refs/heads/${ref}`) ?? this.git.resolve(ref));
    if (sha) return sha;
    if (missing === 'notFound') throw notFound();
    throw new ApiError(422, `No commit found for SHA: ${ref}`);
  }

  /** The commit shape of a sha, with its accounts resolved from emails and its verification. */
  commitJson(sha: string): Record<string, unknown> {
    return this.shapes.commit(this.git.readCommit(sha), this.signed.has(sha));
  }

  /** `author_association` of a PR, issue, comment or review by `login`: the owner, else a member. */
  association(login: string): 'OWNER' | 'MEMBER' {
    return login === this.owner ? 'OWNER' : 'MEMBER';
  }

  label(name: string, create: boolean): LabelRecord {
    const key = name.toLowerCase();
    let label = this.labels.get(key);
    if (!label) {
      if (!create) throw new ApiError(404, 'Label does not exist');
      label = { id: this.id(), name, color: 'ededed', description: null };
      this.labels.set(key, label);
    }
    return label;
  }

  labelJson(label: LabelRecord): Record<string, unknown> {
    return {
      id: label.id,
      node_id: Buffer.from(`Label:${label.id}`).toString('base64'),
      url: `${this.shapes.api}/labels/${encodeURIComponent(label.name)}`,
      name: label.name,
      description: label.description,
      color: label.color,
      default: false,
    };
  }
}
