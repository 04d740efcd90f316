/**
 * An in-memory GitHub behind the port, with the semantics the bot relies on (sha-guarded merge:
 * 409 when the head moved, 405 when not open; one open PR per head). Used where the HTTP
 * emulator would be too slow: hundreds of fault schedules. It also records every merge with the
 * evidence present at that moment, so tests can check "no merge without green evidence".
 */
import type {
  CheckRun,
  CombinedStatus,
  CommitStatus,
  CommitSummary,
  MergeMethods,
  FileChange,
  GitHubPort,
  IssueComment,
  MergeResult,
  PullCommit,
  PullFile,
  PullRequest,
} from '../../../app/bot/port.js';
import { gitBlobSha } from '../../../app/bot/reader.js';

interface Commit {
  sha: string;
  parent?: string;
  files: Map<string, string>;
  message: string;
  date: string;
  author: string;
}
interface Pr {
  number: number;
  head: string;
  base: string;
  state: 'open' | 'closed';
  merged: boolean;
  mergedAt: string | null;
  closedAt: string | null;
  createdAt: string;
  title: string;
  body: string;
  labels: string[];
  comments: IssueComment[];
}

export interface MergeRecord {
  readonly number: number;
  readonly head: string;
  readonly sha: string;
  readonly at: Date;
  readonly checks: readonly CheckRun[];
}

export class FakeGitHub implements GitHubPort {
  readonly commits = new Map<string, Commit>();
  readonly refs = new Map<string, string>();
  readonly pulls: Pr[] = [];
  readonly runs: CheckRun[] = [];
  readonly merges: MergeRecord[] = [];
  private seq = 0;

  constructor(
    readonly now: () => Date,
    files: Record<string, string>,
    readonly login = 'stagegate-bot',
  ) {
    this.refs.set('main', this.addCommit(undefined, new Map(Object.entries(files)), 'Initial commit', 'seed'));
  }

  private addCommit(parent: string | undefined, files: Map<string, string>, message: string, author: string): string {
    const sha = (++this.seq).toString(16).padStart(40, '0');
    this.commits.set(sha, {
      sha,
      ...(parent ? { parent } : {}),
      files,
      message,
      date: this.now().toISOString(),
      author,
    });
    return sha;
  }

  private head(branch: string): Commit {
    return this.commits.get(this.refs.get(branch)!)!;
  }
  private pr(n: number): Pr {
    return this.pulls.find((p) => p.number === n)!;
  }
  private toPull(p: Pr): PullRequest {
    return {
      number: p.number,
      state: p.state,
      merged: p.merged,
      mergedAt: p.mergedAt,
      closedAt: p.closedAt,
      createdAt: p.createdAt,
      headRef: p.head,
      headSha: this.refs.get(p.head) ?? '',
      baseRef: p.base,
      author: this.login,
      title: p.title,
      body: p.body,
      labels: [...p.labels],
      url: `pr/${p.number}`,
    };
  }

  /** CI side: report a check run on `sha`. */
  report(sha: string, name: string, conclusion: 'success' | 'failure'): void {
    const at = this.now().toISOString();
    this.runs.push({
      id: this.runs.length + 1,
      name,
      headSha: sha,
      status: 'completed',
      conclusion,
      startedAt: at,
      completedAt: at,
    });
  }
  readMain(path: string): string | undefined {
    return this.head('main').files.get(path);
  }
  /** The open PRs right now (for the test's CI side; the bot uses `openPulls`). */
  openNow(): PullRequest[] {
    return this.pulls.filter((p) => p.state === 'open').map((p) => this.toPull(p));
  }

  async viewer(): Promise<string> {
    return this.login;
  }
  async defaultBranch() {
    return { name: 'main', sha: this.refs.get('main')! };
  }
  async listFiles(sha: string, dir: string): Promise<string[]> {
    return [...this.commits.get(sha)!.files.keys()].filter((p) => p.startsWith(`${dir}/`));
  }
  async blobsUnder(sha: string, dir: string): Promise<ReadonlyMap<string, string>> {
    const files = this.commits.get(sha)!.files;
    return new Map([...files].filter(([p]) => p.startsWith(`${dir}/`)).map(([p, text]) => [p, this.blobSha(text)]));
  }
  private readonly blobs = new Map<string, string>();
  private blobSha(text: string): string {
    const sha = gitBlobSha(text);
    this.blobs.set(sha, text);
    return sha;
  }
  async blob(sha: string): Promise<string> {
    return this.blobs.get(sha)!;
  }
  async openPulls(): Promise<PullRequest[]> {
    return this.openNow().sort((a, b) => b.number - a.number);
  }
  async histories(
    sha: string,
    paths: readonly string[],
    limit: number,
  ): Promise<ReadonlyMap<string, readonly CommitSummary[]>> {
    return new Map(await Promise.all(paths.map(async (p) => [p, await this.commitsTouching(sha, p, limit)] as const)));
  }
  async readFile(ref: string, path: string): Promise<string | undefined> {
    const c = this.commits.get(ref) ?? this.commits.get(this.refs.get(ref) ?? '');
    return c?.files.get(path);
  }
  async pullsByHead(branch: string): Promise<PullRequest[]> {
    return this.pulls
      .filter((p) => p.head === branch)
      .map((p) => this.toPull(p))
      .sort((a, b) => b.number - a.number);
  }
  async pullCommits(n: number): Promise<PullCommit[]> {
    const p = this.pr(n);
    const c = this.head(p.head);
    return [{ sha: c.sha, authorLogin: c.author, committerLogin: c.author }];
  }
  async pullFiles(n: number): Promise<PullFile[]> {
    const p = this.pr(n);
    const head = this.head(p.head).files;
    const base = this.head(p.base).files;
    return [...head.keys()]
      .filter((k) => base.get(k) !== head.get(k))
      .map((k) => ({ path: k, sha: this.blobSha(head.get(k)!) }));
  }
  async comments(n: number): Promise<IssueComment[]> {
    return [...this.pr(n).comments];
  }
  async checkRuns(sha: string): Promise<CheckRun[]> {
    return this.runs.filter((r) => r.headSha === sha);
  }
  async combinedStatus(): Promise<CombinedStatus> {
    return { state: 'pending', totalCount: 0 };
  }
  async statuses(): Promise<CommitStatus[]> {
    return [];
  }
  async mergeMethods(): Promise<MergeMethods> {
    return { squash: true, merge: true, rebase: true };
  }
  async oddModes(): Promise<ReadonlyMap<string, string>> {
    return new Map();
  }
  async branchCommits(_base: string, branch: string): Promise<PullCommit[] | undefined> {
    const sha = this.refs.get(branch);
    if (sha === undefined) return undefined;
    const c = this.commits.get(sha)!;
    return [{ sha, authorLogin: c.author, committerLogin: c.author }];
  }
  async requiredApprovals(): Promise<number> {
    return 0;
  }
  async approvals(): Promise<string[]> {
    return [];
  }
  async approvalsOn(): Promise<string[]> {
    return [];
  }
  async teamMember(): Promise<boolean> {
    return false;
  }
  async isBehind(base: string, head: string): Promise<boolean> {
    for (let c = this.commits.get(head); c; c = c.parent ? this.commits.get(c.parent) : undefined)
      if (c.sha === base) return false;
    return true;
  }
  async commitsTouching(ref: string, path: string, limit: number): Promise<CommitSummary[]> {
    const out: CommitSummary[] = [];
    for (
      let c: Commit | undefined = this.commits.get(ref);
      c && out.length < limit;
      c = c.parent ? this.commits.get(c.parent) : undefined
    ) {
      const parent = c.parent ? this.commits.get(c.parent) : undefined;
      if (parent?.files.get(path) !== c.files.get(path)) out.push({ sha: c.sha, message: c.message, date: c.date });
    }
    return out;
  }
  async commitToBranch(input: {
    branch: string;
    parentSha: string;
    message: string;
    changes: readonly FileChange[];
  }): Promise<string> {
    const files = new Map(this.commits.get(input.parentSha)!.files);
    for (const ch of input.changes)
      if (ch.content === null) files.delete(ch.path);
      else files.set(ch.path, ch.content);
    const sha = this.addCommit(input.parentSha, files, input.message, this.login);
    this.refs.set(input.branch, sha);
    return sha;
  }
  async openPull(input: { head: string; base: string; title: string; body: string }): Promise<PullRequest> {
    const open = this.pulls.find((p) => p.head === input.head && p.state === 'open');
    if (open) return this.toPull(open); // the adapter's answer to GitHub's 422
    const p: Pr = {
      number: this.pulls.length + 1,
      ...input,
      state: 'open',
      merged: false,
      mergedAt: null,
      closedAt: null,
      createdAt: this.now().toISOString(),
      labels: [],
      comments: [],
    };
    this.pulls.push(p);
    return this.toPull(p);
  }
  async updatePull(
    n: number,
    patch: { title?: string; body?: string; state?: 'open' | 'closed'; base?: string },
  ): Promise<void> {
    const p = this.pr(n);
    if (patch.base !== undefined) p.base = patch.base;
    if (patch.title !== undefined) p.title = patch.title;
    if (patch.body !== undefined) p.body = patch.body;
    if (patch.state === 'closed' && p.state === 'open') {
      p.state = 'closed';
      p.closedAt = this.now().toISOString();
    }
  }
  async addLabels(n: number, labels: readonly string[]): Promise<void> {
    const p = this.pr(n);
    for (const l of labels) if (!p.labels.includes(l)) p.labels.push(l);
  }
  async comment(n: number, body: string): Promise<void> {
    const p = this.pr(n);
    p.comments.push({ id: p.comments.length + 1, body, user: this.login });
  }
  async updateComment(): Promise<void> {
    throw new Error('FakeGitHub does not edit comments (the emulator does)');
  }
  async merge(n: number, input: { sha: string; title: string; message: string }): Promise<MergeResult> {
    const p = this.pr(n);
    if (p.state !== 'open') return { kind: 'not-mergeable', message: 'Pull Request is not mergeable' };
    const head = this.head(p.head);
    if (head.sha !== input.sha) return { kind: 'head-moved', message: 'Head branch was modified' };
    // Squash: the PR's changes relative to where it branched, applied onto main.
    const files = new Map(this.head('main').files);
    const from = this.commits.get(head.parent!)!.files;
    for (const [k, v] of head.files) if (from.get(k) !== v) files.set(k, v);
    const sha = this.addCommit(this.refs.get('main'), files, `${input.title}\n\n${input.message}`, this.login);
    this.refs.set('main', sha);
    p.state = 'closed';
    p.merged = true;
    p.mergedAt = p.closedAt = this.now().toISOString();
    this.merges.push({
      number: n,
      head: p.head,
      sha: input.sha,
      at: this.now(),
      checks: this.runs.filter((r) => r.headSha === input.sha),
    });
    return { kind: 'merged', sha };
  }
}

/** Every write, so a fault wrapper can fail after the write was applied (a dropped answer). */
export const WRITES = new Set(['commitToBranch', 'openPull', 'updatePull', 'addLabels', 'comment', 'merge']);
