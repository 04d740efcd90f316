/**
 * The one Octokit adapter of the GitHub port (the client itself is composed in client.ts). Polls
 * are conditional (ETag → 304, which does not count against the rate limit) and content-addressed
 * answers are remembered. Writes go through the Git Data API so one commit carries the intent
 * edit, the generated files and the changelog entry.
 */
import {
  createClient,
  GitHubError,
  scrub,
  statusOf,
  type Client,
  type GitHubOptions,
  type GitHubStats,
} from './client.js';
import { ResponseCache } from './cache.js';
import { histories, historySource } from './history.js';
export { StagegateOctokit, GitHubError, type GitHubOptions, type GitHubStats } from './client.js';
import type {
  CheckRun,
  CombinedStatus,
  CommitSummary,
  FileChange,
  GitHubPort,
  IssueComment,
  MergeResult,
  PullCommit,
  PullFile,
  PullRequest,
} from './port.js';
import { combineStatuses } from './checks.js';
import { gitBlobSha, isFullSha, Reader, type RequestClient } from './reader.js';
import {
  toCheckRun,
  toPull,
  toPullFrom,
  toSummary,
  type CheckRunData,
  type CommitData,
  type PullData,
  type TreeData,
} from './github-shapes.js';

export class GitHubAdapter implements GitHubPort {
  readonly stats: GitHubStats = { requests: 0, notModified: 0, rateLimited: 0, remembered: 0 };
  /** Remembered answers (ETags and content-addressed values); persist it with `ResponseCache.save`. */
  readonly cache: ResponseCache;
  private readonly client: Client;
  private readonly reader: Reader;
  private readonly owner: string;
  private readonly repo: string;
  private readonly knownLabels = new Set<string>();
  private login: string | undefined;

  constructor(options: GitHubOptions) {
    this.owner = options.owner;
    this.repo = options.repo;
    const baseUrl = options.baseUrl ?? 'https://api.github.com';
    this.cache = options.cache ?? new ResponseCache({ api: baseUrl, repo: `${options.owner}/${options.repo}` });
    this.client = createClient(options, baseUrl, this.stats);
    this.client.hook.wrap('request', async (request, opts) => {
      this.stats.requests += 1;
      return request(opts);
    });
    this.reader = new Reader(this.client as unknown as RequestClient, this.cache, this.stats);
  }

  private async call<T>(what: string, fn: (c: Client, r: { owner: string; repo: string }) => Promise<T>): Promise<T> {
    try {
      return await fn(this.client, { owner: this.owner, repo: this.repo });
    } catch (err) {
      if (err instanceof GitHubError) throw err;
      const status = statusOf(err);
      const hint =
        status === 401
          ? 'check GITHUB_TOKEN'
          : status === 403 || status === 429
            ? 'rate limited; the next pass retries'
            : status === 404
              ? "check --repo and the token's access"
              : 'the next pass retries';
      throw new GitHubError(`${what} failed${status ? ` (HTTP ${status})` : ''}; ${hint}`, status, {
        cause: scrub(err),
      });
    }
  }

  private get r(): { owner: string; repo: string } {
    return { owner: this.owner, repo: this.repo };
  }

  async viewer(): Promise<string> {
    this.login ??= await this.call("reading the token's user", () =>
      this.reader.poll('GET /user', {}, (d) => (d as { login: string }).login),
    );
    return this.login;
  }

  async defaultBranch(): Promise<{ name: string; sha: string }> {
    return this.call('reading the default branch', async () => {
      const name = await this.reader.poll(
        'GET /repos/{owner}/{repo}',
        this.r,
        (d) => (d as { default_branch: string }).default_branch,
      );
      const sha = await this.reader.poll(
        'GET /repos/{owner}/{repo}/git/ref/{ref}',
        { ...this.r, ref: `heads/${name}` },
        (d) => (d as { object: { sha: string } }).object.sha,
      );
      return { name, sha };
    });
  }

  /** Every blob of the tree at commit `sha` under `dir/` (path → blob sha), and the root tree sha. */
  private async treeUnder(sha: string, dir: string): Promise<{ tree: string; blobs: Record<string, string> }> {
    const load = async (): Promise<{ tree: string; blobs: Record<string, string> }> => {
      const root = await this.reader.poll(
        'GET /repos/{owner}/{repo}/git/trees/{tree_sha}',
        { ...this.r, tree_sha: sha, recursive: '1' },
        (d) => d as TreeData,
      );
      let entries = root.tree.map((e) => ({ ...e, path: e.path ?? '' }));
      if (root.truncated) {
        // Too big for one answer: walk down to `dir` and list only that subtree.
        let at = root.sha;
        for (const part of dir.split('/')) {
          const level = await this.reader.poll(
            'GET /repos/{owner}/{repo}/git/trees/{tree_sha}',
            { ...this.r, tree_sha: at },
            (d) => d as TreeData,
          );
          const next = level.tree.find((e) => e.path === part && e.type === 'tree');
          if (!next?.sha) return { tree: root.sha, blobs: {} };
          at = next.sha;
        }
        const sub = await this.reader.poll(
          'GET /repos/{owner}/{repo}/git/trees/{tree_sha}',
          { ...this.r, tree_sha: at, recursive: '1' },
          (d) => d as TreeData,
        );
        if (sub.truncated) throw new Error(`the tree under ${dir}/ is too big for GitHub to list in one answer`);
        entries = sub.tree.map((e) => ({ ...e, path: `${dir}/${e.path ?? ''}` }));
      }
      if (isFullSha(sha)) this.cache.set(`commit-tree:${sha}`, { body: root.sha });
      const blobs: Record<string, string> = {};
      for (const e of entries) if (e.type === 'blob' && e.sha && e.path.startsWith(`${dir}/`)) blobs[e.path] = e.sha;
      return { tree: root.sha, blobs };
    };
    // A commit's tree never changes: remembered by the commit sha (a branch name is not a key).
    if (!isFullSha(sha)) return load();
    return this.reader.remember(`tree:${sha}:${dir}`, load, (b) => typeof (b as { tree?: unknown })?.tree === 'string');
  }

  async blobsUnder(sha: string, dir: string): Promise<ReadonlyMap<string, string>> {
    return this.call(
      `listing ${dir}/ at ${sha.slice(0, 7)}`,
      async () => new Map(Object.entries((await this.treeUnder(sha, dir)).blobs)),
    );
  }

  async listFiles(sha: string, dir: string): Promise<string[]> {
    return [...(await this.blobsUnder(sha, dir)).keys()];
  }

  async blob(sha: string): Promise<string> {
    return this.call(`reading blob ${sha.slice(0, 7)}`, () =>
      this.reader.remember(
        `blob:${sha}`,
        async () => {
          const res = await this.client.rest.git.getBlob({ ...this.r, file_sha: sha });
          const text = Buffer.from(res.data.content, (res.data.encoding ?? 'base64') as BufferEncoding).toString(
            'utf8',
          );
          if (gitBlobSha(text) !== sha) throw new Error(`blob ${sha} is not UTF-8 text`);
          return text;
          // The id is the content's hash: a tampered cache entry cannot pass this check.
        },
        (b) => typeof b === 'string' && gitBlobSha(b) === sha,
      ),
    );
  }

  async readFile(ref: string, path: string): Promise<string | undefined> {
    const load = async (): Promise<string | null> => {
      try {
        return await this.reader.poll('GET /repos/{owner}/{repo}/contents/{path}', { ...this.r, path, ref }, (d) => {
          const data = d as { content?: string; encoding?: string };
          return typeof data.content === 'string'
            ? Buffer.from(data.content, (data.encoding ?? 'base64') as BufferEncoding).toString('utf8')
            : null;
        });
      } catch (err) {
        if (statusOf(err) === 404) return null;
        throw err;
      }
    };
    return this.call(`reading ${path} at ${ref.slice(0, 12)}`, async () => {
      // At a commit sha the answer (absence included) never changes; a branch name is polled.
      const text = isFullSha(ref)
        ? await this.reader.remember(`file:${ref}:${path}`, load, (b) => b === null || typeof b === 'string')
        : await load();
      return text ?? undefined;
    });
  }

  async openPulls(): Promise<PullRequest[]> {
    return this.call('listing open PRs', async () => {
      const all = await this.reader.pages(
        'GET /repos/{owner}/{repo}/pulls',
        { ...this.r, state: 'open', sort: 'created', direction: 'desc' },
        (d) => (d as PullData[]).map(toPullFrom),
      );
      const self = `${this.owner}/${this.repo}`.toLowerCase();
      // A fork's branch may carry the same name: it is never ours to adopt.
      return all
        .filter((p) => p.repo?.toLowerCase() === self)
        .map(({ repo: _r, ...p }) => p)
        .sort((a, b) => b.number - a.number);
    });
  }

  async pullsByHead(branch: string, options: { stableWhile?: string } = {}): Promise<PullRequest[]> {
    const load = async (): Promise<PullRequest[]> => {
      const all = await this.reader.pages(
        'GET /repos/{owner}/{repo}/pulls',
        { ...this.r, head: `${this.owner}:${branch}`, state: 'all' },
        (d) => (d as PullData[]).map(toPullFrom),
      );
      return all
        .filter((p) => p.headRef === branch)
        .map(({ repo: _r, ...p }) => p)
        .sort((a, b) => b.number - a.number);
    };
    return this.call(`listing PRs of ${branch}`, async () => {
      if (options.stableWhile === undefined) return load();
      // Only merged PRs are asked for under a stable key; keep just those (they never change).
      const merged = await this.reader.remember(
        `merged:${branch}:${options.stableWhile}`,
        async () => (await load()).filter((p) => p.merged),
        Array.isArray,
      );
      return merged;
    });
  }

  async pullCommits(number: number, headSha: string): Promise<PullCommit[]> {
    return this.call(`listing commits of #${number}`, () =>
      this.reader.remember(
        `pull-commits:${number}:${headSha}`,
        async () => {
          const list = await this.reader.pages(
            'GET /repos/{owner}/{repo}/pulls/{pull_number}/commits',
            { ...this.r, pull_number: number },
            (d) =>
              (d as Array<{ sha: string; author: { login: string } | null; committer: { login: string } | null }>).map(
                (x) => ({
                  sha: x.sha,
                  authorLogin: x.author?.login ?? null,
                  committerLogin: x.committer?.login ?? null,
                }),
              ),
            250,
          );
          // GitHub lists at most 250 commits: a longer PR hides commits, and hidden ones are untrusted.
          return list.length >= 250 ? [...list, { sha: '(more)', authorLogin: null, committerLogin: null }] : list;
        },
        Array.isArray,
      ),
    );
  }

  async pullFiles(number: number, headSha: string): Promise<PullFile[]> {
    return this.call(`listing files of #${number}`, () =>
      this.reader.remember(
        `pull-files:${number}:${headSha}`,
        async () => {
          const list = await this.reader.pages(
            'GET /repos/{owner}/{repo}/pulls/{pull_number}/files',
            { ...this.r, pull_number: number },
            (d) =>
              (d as Array<{ filename: string; sha: string | null; status: string; previous_filename?: string }>).map(
                (f) => ({
                  path: f.filename,
                  sha: f.status === 'removed' ? null : f.sha,
                  ...(f.previous_filename ? { previousPath: f.previous_filename } : {}),
                }),
              ),
            3000,
          );
          // GitHub lists at most 3,000 files: the rest are unknown, so the PR cannot be trusted.
          return list.length >= 3000 ? [...list, { path: '(more files than GitHub lists)', sha: null }] : list;
        },
        Array.isArray,
      ),
    );
  }

  async comments(number: number): Promise<IssueComment[]> {
    return this.call(`listing comments of #${number}`, () =>
      this.reader.pages(
        'GET /repos/{owner}/{repo}/issues/{issue_number}/comments',
        { ...this.r, issue_number: number },
        (d) =>
          (d as Array<{ id: number; body?: string; user: { login: string } | null }>).map((x) => ({
            id: x.id,
            body: x.body ?? '',
            user: x.user?.login ?? null,
          })),
      ),
    );
  }

  async checkRuns(sha: string): Promise<CheckRun[]> {
    return this.call(`listing check runs of ${sha.slice(0, 7)}`, async () => {
      // One page holds 100 runs; a head sha with more (re-runs) is read page by page.
      const runs: CheckRun[] = [];
      for (let page = 1; page <= 20; page += 1) {
        const chunk = await this.reader.poll(
          'GET /repos/{owner}/{repo}/commits/{ref}/check-runs',
          { ...this.r, ref: sha, filter: 'all', per_page: 100, page },
          (d) => (d as { check_runs: CheckRunData[] }).check_runs.map(toCheckRun),
        );
        runs.push(...chunk);
        if (chunk.length < 100) break;
      }
      return runs;
    });
  }

  /**
   * The combined status, computed from the list of statuses as GitHub does (the latest status per
   * context: any error/failure → failure, any pending or none → pending, else success). The
   * combined endpoint embeds the repository, whose `pushed_at` moves on every push to any
   * branch, so its ETag would change for every PR at once; the statuses list does not.
   */
  async combinedStatus(sha: string): Promise<CombinedStatus> {
    return this.call(`reading the combined status of ${sha.slice(0, 7)}`, async () => {
      const all = await this.reader.pages(
        'GET /repos/{owner}/{repo}/commits/{ref}/statuses',
        { ...this.r, ref: sha },
        (d) =>
          (d as Array<{ id: number; context: string; state: string }>).map((x) => ({
            id: x.id,
            context: x.context,
            state: x.state,
          })),
      );
      return combineStatuses(all);
    });
  }

  async commitsTouching(ref: string, path: string, limit: number): Promise<CommitSummary[]> {
    return this.call(`listing commits touching ${path}`, () => this.listHistory(ref, path, limit));
  }

  private listHistory(ref: string, path: string, limit: number): Promise<CommitSummary[]> {
    return this.reader.poll(
      'GET /repos/{owner}/{repo}/commits',
      { ...this.r, sha: ref, path, per_page: Math.min(100, limit) },
      (d) => (d as CommitData[]).map(toSummary),
    );
  }

  async histories(
    sha: string,
    paths: readonly string[],
    limit: number,
  ): Promise<ReadonlyMap<string, readonly CommitSummary[]>> {
    const source = historySource(this.reader, this.r, (at, path, n) => this.listHistory(at, path, n));
    return this.call(`reading the history of ${paths.length} intent(s)`, () =>
      histories(this.reader, source, `${this.owner}/${this.repo}`, sha, paths, limit),
    );
  }

  async commitToBranch(input: {
    branch: string;
    parentSha: string;
    message: string;
    changes: readonly FileChange[];
  }): Promise<string> {
    return this.call(`committing to ${input.branch}`, async (c, r) => {
      // The parent's tree never changes: remembered (the tree read of this pass usually knows it).
      const base = await this.reader.remember(
        `commit-tree:${input.parentSha}`,
        async () => (await c.rest.git.getCommit({ ...r, commit_sha: input.parentSha })).data.tree.sha,
        (b) => typeof b === 'string',
      );
      // Contents inline in the tree: one request instead of a blob per file.
      const entries = input.changes.map((change) =>
        change.content === null
          ? { path: change.path, mode: '100644' as const, type: 'blob' as const, sha: null }
          : { path: change.path, mode: '100644' as const, type: 'blob' as const, content: change.content },
      );
      const tree = await c.rest.git.createTree({ ...r, base_tree: base, tree: entries });
      const commit = await c.rest.git.createCommit({
        ...r,
        message: input.message,
        tree: tree.data.sha,
        parents: [input.parentSha],
      });
      const sha = commit.data.sha;
      try {
        await c.rest.git.createRef({ ...r, ref: `refs/heads/${input.branch}`, sha });
      } catch (err) {
        // 422: the branch exists (an earlier pass or a crash left it) — move it; nothing else to adopt.
        if (statusOf(err) !== 422) throw err;
        await c.rest.git.updateRef({ ...r, ref: `heads/${input.branch}`, sha, force: true });
      }
      return sha;
    });
  }

  async openPull(input: { head: string; base: string; title: string; body: string }): Promise<PullRequest> {
    try {
      return await this.call(`opening a PR from ${input.head}`, async (c, r) =>
        toPull((await c.rest.pulls.create({ ...r, ...input })).data),
      );
    } catch (err) {
      // 422: this head already has an open PR (a crashed pass opened it, or a retry after a
      // dropped answer did) — adopt it instead of failing or opening a second one.
      if (statusOf(err) !== 422) throw err;
      const open = (await this.pullsByHead(input.head)).find((p) => p.state === 'open');
      if (!open) throw err;
      return open;
    }
  }

  async updatePull(number: number, patch: { title?: string; body?: string; state?: 'open' | 'closed' }): Promise<void> {
    await this.call(`updating #${number}`, (c, r) => c.rest.pulls.update({ ...r, pull_number: number, ...patch }));
  }

  async addLabels(number: number, labels: readonly string[]): Promise<void> {
    for (const name of labels) {
      if (this.knownLabels.has(name)) continue;
      await this.call(`creating label ${name}`, async (c, r) => {
        try {
          await this.reader.poll('GET /repos/{owner}/{repo}/labels/{name}', { ...r, name }, () => true);
        } catch (err) {
          if (statusOf(err) !== 404) throw err;
          try {
            await c.rest.issues.createLabel({
              ...r,
              name,
              color: name.includes('rollback') ? 'b60205' : name.includes('stalled') ? 'fbca04' : '0e8a16',
            });
          } catch (e) {
            if (statusOf(e) !== 422) throw e; // created meanwhile
          }
        }
      });
      this.knownLabels.add(name);
    }
    await this.call(`labelling #${number}`, (c, r) =>
      c.rest.issues.addLabels({ ...r, issue_number: number, labels: [...labels] }),
    );
  }

  async comment(number: number, body: string): Promise<void> {
    // No automatic retry: a dropped answer may hide a posted comment; the next pass sees the
    // marker (or its absence) and decides again.
    await this.call(`commenting on #${number}`, (c, r) =>
      c.rest.issues.createComment({ ...r, issue_number: number, body, request: { retries: 0 } }),
    );
  }

  async merge(
    number: number,
    input: { sha: string; method: 'squash' | 'merge' | 'rebase'; title: string; message: string },
  ): Promise<MergeResult> {
    try {
      return await this.call(`merging #${number}`, async (c, r) => {
        const res = await c.rest.pulls.merge({
          ...r,
          pull_number: number,
          sha: input.sha,
          merge_method: input.method,
          commit_title: input.title,
          commit_message: input.message,
        });
        return { kind: 'merged' as const, sha: res.data.sha };
      });
    } catch (err) {
      const status = statusOf(err);
      const message = err instanceof Error ? err.message : String(err);
      if (status === 405) return { kind: 'not-mergeable', message };
      if (status === 409) return { kind: 'head-moved', message };
      throw err;
    }
  }

  /**
   * Reports a check run on `sha` the way CI does: the open (not completed) run of that name is
   * updated, so a baking stage shows one run whose text moves on; a completed run is never
   * rewritten — a new verdict after it is a new run, and the latest counts (as on GitHub).
   */
  async upsertCheckRun(
    sha: string,
    run: {
      readonly name: string;
      readonly status: 'in_progress' | 'completed';
      readonly conclusion?: 'success' | 'failure';
      readonly title: string;
      readonly summary: string;
    },
  ): Promise<{ readonly id: number }> {
    const open = (await this.checkRuns(sha)).find((r) => r.name === run.name && r.status !== 'completed');
    const output = { title: run.title.slice(0, 250), summary: run.summary.slice(0, 65_000) };
    const fields = { status: run.status, output, ...(run.conclusion ? { conclusion: run.conclusion } : {}) };
    return this.call(`reporting check run ${run.name} on ${sha.slice(0, 7)}`, async (c, r) => {
      const res = open
        ? await c.rest.checks.update({ ...r, check_run_id: open.id, ...fields })
        : await c.rest.checks.create({ ...r, name: run.name, head_sha: sha, ...fields });
      return { id: res.data.id };
    });
  }
}
