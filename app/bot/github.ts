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
import {
  BranchOccupiedError,
  type CheckRun,
  type CombinedStatus,
  type CommitStatus,
  type CommitSummary,
  type FileChange,
  type GitHubPort,
  type IssueComment,
  type MergeMethods,
  type MergeResult,
  type PullCommit,
  type PullFile,
  type PullRequest,
} from './port.js';
import { combineStatuses } from './checks.js';
import { assertShape, assertShapes } from './schemas.js';
import { gitBlobSha, isFullSha, Reader, type RequestClient } from './reader.js';
import {
  toCheckRun,
  toPull,
  toPullCommit,
  toPullFrom,
  toSummary,
  type CheckRunData,
  type CommitData,
  type ListedCommitData,
  type PullData,
  type TreeData,
} from './github-shapes.js';

/** GitHub's own message from an Octokit error (`response.data.message`), else the error's message. */
export function githubMessage(err: unknown): string {
  const data = (err as { response?: { data?: unknown } } | null)?.response?.data;
  const m = (data as { message?: unknown } | undefined)?.message;
  return typeof m === 'string' ? m : err instanceof Error ? err.message : String(err);
}

/** What a failed call most likely means, for the line a person reads. */
function hintFor(status: number | undefined, message: string): string {
  if (status === 401) return 'check GITHUB_TOKEN';
  if (status === 429 || ((status === 403 || status === 429) && /rate limit/i.test(message)))
    return 'rate limited; the next pass retries';
  if (status === 403)
    return /not accessible by integration/i.test(message)
      ? 'the token may not do this (a GitHub App installation token cannot read GET /user: pass --app-slug)'
      : "forbidden: check the token's permissions";
  if (status === 404) return "check --repo and the token's access";
  return 'the next pass retries';
}

export class GitHubAdapter implements GitHubPort {
  readonly stats: GitHubStats = { requests: 0, notModified: 0, rateLimited: 0, remembered: 0 };
  /** Remembered answers (ETags and content-addressed values); persist it with `ResponseCache.save`. */
  readonly cache: ResponseCache;
  private readonly client: Client;
  private readonly reader: Reader;
  private readonly owner: string;
  private readonly repo: string;
  private readonly appSlug: string | undefined;
  private readonly knownLabels = new Set<string>();
  private login: string | undefined;
  private methods: MergeMethods | undefined;

  constructor(options: GitHubOptions) {
    this.owner = options.owner;
    this.repo = options.repo;
    this.appSlug = options.appSlug;
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
      const hint = hintFor(status, githubMessage(err));
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
      const repo = await this.reader.poll('GET /repos/{owner}/{repo}', this.r, (d) => {
        const x = d as {
          default_branch: string;
          allow_squash_merge?: boolean;
          allow_merge_commit?: boolean;
          allow_rebase_merge?: boolean;
        };
        return {
          name: x.default_branch,
          methods: {
            ...(typeof x.allow_squash_merge === 'boolean' ? { squash: x.allow_squash_merge } : {}),
            ...(typeof x.allow_merge_commit === 'boolean' ? { merge: x.allow_merge_commit } : {}),
            ...(typeof x.allow_rebase_merge === 'boolean' ? { rebase: x.allow_rebase_merge } : {}),
          },
        };
      });
      const name = repo.name;
      this.methods = repo.methods ?? {};
      const sha = await this.reader.poll(
        'GET /repos/{owner}/{repo}/git/ref/{ref}',
        { ...this.r, ref: `heads/${name}` },
        (d) => (d as { object: { sha: string } }).object.sha,
      );
      return { name, sha };
    });
  }

  /** Every blob of the tree at commit `sha` under `dir/` (path → blob sha), and the root tree sha. */
  private async treeUnder(
    sha: string,
    dir: string,
  ): Promise<{ tree: string; blobs: Record<string, string>; odd: Record<string, string> }> {
    const load = async (): Promise<{ tree: string; blobs: Record<string, string>; odd: Record<string, string> }> => {
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
          if (!next?.sha) return { tree: root.sha, blobs: {}, odd: {} };
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
      // Symlinks (120000), executables (100755) and submodules (160000) are kept apart: a bot PR
      // carries plain files only (docs/design.md, "Bot trust model and merge rule").
      const odd: Record<string, string> = {};
      for (const e of entries) {
        if (!e.path.startsWith(`${dir}/`)) continue;
        if (e.mode !== undefined && e.mode !== '100644' && e.type !== 'tree') odd[e.path] = e.mode;
        if (e.type === 'blob' && e.sha) blobs[e.path] = e.sha;
      }
      return { tree: root.sha, blobs, odd };
    };
    // A commit's tree never changes: remembered by the commit sha (a branch name is not a key).
    if (!isFullSha(sha)) return load();
    return this.reader.remember(
      `tree:${sha}:${dir}`,
      load,
      (b) => typeof (b as { tree?: unknown })?.tree === 'string' && typeof (b as { odd?: unknown }).odd === 'object',
    );
  }

  async oddModes(sha: string, paths: readonly string[]): Promise<ReadonlyMap<string, string>> {
    const dirs = [...new Set(paths.map((p) => p.split('/')[0]!).filter((d) => d !== ''))];
    return this.call(`reading file modes at ${sha.slice(0, 7)}`, async () => {
      const out = new Map<string, string>();
      const wanted = new Set(paths);
      for (const dir of dirs) {
        const { odd } = await this.treeUnder(sha, dir);
        for (const [path, mode] of Object.entries(odd)) if (wanted.has(path)) out.set(path, mode);
      }
      return out;
    });
  }

  async mergeMethods(): Promise<MergeMethods> {
    if (this.methods === undefined) await this.defaultBranch();
    return this.methods ?? {};
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
        (d) => assertShapes<PullData>('pull', d).map(toPullFrom),
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
        (d) => assertShapes<PullData>('pull', d).map(toPullFrom),
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

  /**
   * A PR's commits and files depend on its base as much as on its head (retargeting the base
   * changes both): remembered by base ref, base sha and head sha, never by number + head alone.
   */
  async pullCommits(number: number, headSha: string, base = ''): Promise<PullCommit[]> {
    return this.call(`listing commits of #${number}`, () =>
      this.reader.remember(
        `pull-commits:${number}:${base}:${headSha}`,
        async () => {
          const list = await this.reader.pages(
            'GET /repos/{owner}/{repo}/pulls/{pull_number}/commits',
            { ...this.r, pull_number: number },
            (d) => assertShapes<ListedCommitData>('commit', d).map(toPullCommit),
            250,
          );
          // GitHub lists at most 250 commits: a longer PR hides commits, and hidden ones are untrusted.
          return list.length >= 250 ? [...list, { sha: '(more)', authorLogin: null, committerLogin: null }] : list;
        },
        Array.isArray,
      ),
    );
  }

  async pullFiles(number: number, headSha: string, base = ''): Promise<PullFile[]> {
    return this.call(`listing files of #${number}`, () =>
      this.reader.remember(
        `pull-files:${number}:${base}:${headSha}`,
        async () => {
          const list = await this.reader.pages(
            'GET /repos/{owner}/{repo}/pulls/{pull_number}/files',
            { ...this.r, pull_number: number },
            (d) =>
              assertShapes<{ filename: string; sha: string | null; status: string; previous_filename?: string }>(
                'file',
                d,
              ).map((f) => ({
                path: f.filename,
                sha: f.status === 'removed' ? null : f.sha,
                ...(f.previous_filename ? { previousPath: f.previous_filename } : {}),
              })),
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
          (d) => assertShapes<CheckRunData>('checkRun', (d as { check_runs?: unknown }).check_runs).map(toCheckRun),
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
    return combineStatuses(await this.statuses(sha));
  }

  async statuses(sha: string): Promise<CommitStatus[]> {
    return this.call(`reading the commit statuses of ${sha.slice(0, 7)}`, () =>
      this.reader.pages('GET /repos/{owner}/{repo}/commits/{ref}/statuses', { ...this.r, ref: sha }, (d) =>
        assertShapes<{ id: number; context: string; state: string; creator?: { login?: string } | null }>(
          'status',
          d,
        ).map((x) => ({
          id: x.id,
          context: x.context,
          state: x.state,
          creator: x.creator?.login ?? null,
        })),
      ),
    );
  }

  async branchCommits(base: string, branch: string): Promise<PullCommit[] | undefined> {
    return this.call(`reading branch ${branch}`, async (c, r) => {
      let head: string;
      try {
        head = (await c.rest.git.getRef({ ...r, ref: `heads/${branch}` })).data.object.sha;
      } catch (err) {
        if (statusOf(err) === 404) return undefined;
        throw err;
      }
      const cmp = await c.rest.repos.compareCommitsWithBasehead({ ...r, basehead: `${base}...${head}`, per_page: 100 });
      const commits = assertShapes<ListedCommitData>('commit', cmp.data.commits).map(toPullCommit);
      // Fewer listed than ahead (a long branch): the unlisted ones are unknown, so untrusted.
      return cmp.data.ahead_by > commits.length
        ? [...commits, { sha: '(more)', authorLogin: null, committerLogin: null }]
        : commits;
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
    mayMove?: (commits: readonly PullCommit[] | undefined) => boolean;
  }): Promise<string> {
    const committed = await this.call(`committing to ${input.branch}`, async (c, r) => {
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
        return { sha, moved: true };
      } catch (err) {
        // 422: the branch exists (an earlier pass or a crash left it, or someone else made it).
        if (statusOf(err) !== 422) throw err;
        return { sha, moved: false };
      }
    });
    if (committed.moved) return committed.sha;
    // Moved only when what is on it may be replaced: Renovate's rule, never touch a branch
    // someone else modified (docs/design.md, "Bot trust model and merge rule").
    if (input.mayMove && !input.mayMove(await this.branchCommits(input.parentSha, input.branch)))
      throw new BranchOccupiedError(input.branch);
    await this.call(`moving ${input.branch}`, (c, r) =>
      c.rest.git.updateRef({ ...r, ref: `heads/${input.branch}`, sha: committed.sha, force: true }),
    );
    return committed.sha;
  }

  async requiredApprovals(branch: string): Promise<number> {
    return this.call(`reading the rules of ${branch}`, async () => {
      try {
        const rules = await this.reader.pages(
          'GET /repos/{owner}/{repo}/rules/branches/{branch}',
          { ...this.r, branch },
          (d) => (Array.isArray(d) ? (d as Array<{ type?: string; parameters?: Record<string, unknown> }>) : []),
        );
        return Math.max(
          0,
          ...rules
            .filter((x) => x.type === 'pull_request')
            .map((x) => Number(x.parameters?.required_approving_review_count ?? 0))
            .filter(Number.isFinite),
        );
      } catch (err) {
        // No rulesets (404) or an older GitHub Enterprise without the endpoint: nothing asked for.
        if (statusOf(err) === 404) return 0;
        throw err;
      }
    });
  }

  async approvals(number: number): Promise<string[]> {
    const approved = await this.call(`listing reviews of #${number}`, async () => {
      const reviews = await this.reader.pages(
        'GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews',
        { ...this.r, pull_number: number },
        (d) =>
          assertShapes<{ id: number; state: string; user?: { login?: string } | null }>('review', d).map((x) => ({
            id: x.id,
            state: x.state,
            login: x.user?.login ?? null,
          })),
      );
      // The latest review per person counts (a later "changes requested" withdraws an approval).
      const latest = new Map<string, string>();
      for (const x of [...reviews].sort((a, b) => a.id - b.id))
        if (x.login !== null && x.state !== 'COMMENTED') latest.set(x.login, x.state);
      return [...latest].filter(([, state]) => state === 'APPROVED').map(([login]) => login);
    });
    // GitHub counts required approvals only "by reviewers with write access" (its 405 text); on a
    // public repository anyone may approve. So each approver's role is asked (docs/design.md §4a).
    const counted: string[] = [];
    for (const login of approved) if (await this.canWrite(login)) counted.push(login);
    return counted;
  }

  /**
   * `login` has write access or more: GET /collaborators/{username}/permission (OA
   * repos/get-collaborator-permission-level; `permission` maps maintain → write, triage → read).
   * 404 (no such account, or not visible) → no.
   */
  async canWrite(login: string): Promise<boolean> {
    return this.call(`reading the permission of ${login}`, async () => {
      try {
        const permission = await this.reader.poll(
          'GET /repos/{owner}/{repo}/collaborators/{username}/permission',
          { ...this.r, username: login },
          (d) => assertShape<{ permission: string }>('permission', d).permission,
        );
        return permission === 'admin' || permission === 'write';
      } catch (err) {
        if (statusOf(err) === 404) return false;
        throw err;
      }
    });
  }

  async isBehind(base: string, head: string): Promise<boolean> {
    return this.call(`comparing ${head.slice(0, 7)} with ${base.slice(0, 7)}`, async (c, r) => {
      const cmp = await c.rest.repos.compareCommitsWithBasehead({ ...r, basehead: `${base}...${head}`, per_page: 1 });
      return cmp.data.status === 'behind' || cmp.data.status === 'diverged';
    });
  }

  async openPull(input: { head: string; base: string; title: string; body: string }): Promise<PullRequest> {
    try {
      return await this.call(`opening a PR from ${input.head}`, async (c, r) =>
        toPull(assertShape<PullData>('pull', (await c.rest.pulls.create({ ...r, ...input })).data)),
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

  async updatePull(
    number: number,
    patch: { title?: string; body?: string; state?: 'open' | 'closed'; base?: string },
  ): Promise<void> {
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
      // GitHub's own words (kept by scrub() as the cause's message): the planner reads them.
      const message = githubMessage((err as Error).cause ?? err);
      if (status === 405 || status === 404 || status === 422) return { kind: 'not-mergeable', message, status };
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
    const own = this.appSlug;
    const open = (await this.checkRuns(sha)).find(
      (r) => r.name === run.name && r.status !== 'completed' && (own === undefined || r.app?.slug === own),
    );
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
