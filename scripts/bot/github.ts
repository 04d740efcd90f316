/**
 * The one Octokit adapter of the GitHub port. The client class is composed once
 * (`Octokit.plugin(throttling, retry).defaults(...)`); each adapter adds an ETag cache so polls
 * are answered 304 (which do not count against the rate limit). Writes go through the Git Data
 * API so one commit carries the intent edit, the generated files and the changelog entry.
 */
import { Octokit } from '@octokit/rest';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import Bottleneck from 'bottleneck';
import type {
  CheckRun, CombinedStatus, CommitSummary, FileChange, GitHubPort, IssueComment, MergeResult, PullCommit, PullRequest,
} from './port.js';

const USER_AGENT = 'stagegate-bot';

/** Composed once for the process; instances differ only by options. */
export const StagegateOctokit = Octokit.plugin(throttling, retry).defaults({ userAgent: USER_AGENT });
type Client = InstanceType<typeof StagegateOctokit>;

export interface GitHubOptions {
  readonly owner: string;
  readonly repo: string;
  /** Never logged, never part of an error message. */
  readonly token: string;
  /** @default https://api.github.com */
  readonly baseUrl?: string;
  /** Injected in tests. @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Retries of 5xx / dropped requests. @default 3 */
  readonly retries?: number;
  /** Retries after a primary or secondary rate limit. @default 3 */
  readonly rateLimitRetries?: number;
  /** Milliseconds per second of `retry-after` and of retry backoff; tests set 1. @default 1000 */
  readonly retryUnitMs?: number;
  /** A rate limit asking to wait longer than this (seconds) fails the pass instead of blocking it. @default 900 */
  readonly maxRetryAfterSeconds?: number;
  /** Spacing of writes GitHub asks integrators to keep. @default 1000 */
  readonly writeSpacingMs?: number;
  readonly log?: (line: string) => void;
}

/** Counters for reports and tests. */
export interface GitHubStats {
  requests: number;
  notModified: number;
  rateLimited: number;
}

export class GitHubError extends Error {
  constructor(message: string, readonly status: number | undefined, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'GitHubError';
  }
}

function statusOf(err: unknown): number | undefined {
  const s = (err as { status?: unknown } | null)?.status;
  return typeof s === 'number' ? s : undefined;
}

interface Cached { readonly etag: string; readonly response: unknown }
const ETAG_CACHE_SIZE = 2000;

export class GitHubAdapter implements GitHubPort {
  readonly stats: GitHubStats = { requests: 0, notModified: 0, rateLimited: 0 };
  private readonly client: Client;
  private readonly owner: string;
  private readonly repo: string;
  private readonly etags = new Map<string, Cached>();
  private readonly knownLabels = new Set<string>();
  private login: string | undefined;

  constructor(options: GitHubOptions) {
    this.owner = options.owner;
    this.repo = options.repo;
    const unit = options.retryUnitMs ?? 1000;
    const rateLimitRetries = options.rateLimitRetries ?? 3;
    const log = options.log ?? (() => {});
    const spacing = options.writeSpacingMs ?? 1000;
    const maxWait = options.maxRetryAfterSeconds ?? 900;
    const onLimit = (kind: string) => (retryAfter: number, opts: { method: string; url: string }, _o: unknown, retryCount: number): boolean => {
      this.stats.rateLimited += 1;
      const again = retryCount < rateLimitRetries && retryAfter <= maxWait;
      log(`github: ${kind} rate limit on ${opts.method} ${opts.url}; ${again ? `retrying after ${retryAfter}s` : 'giving up'}`);
      return again;
    };
    this.client = new StagegateOctokit({
      auth: options.token,
      baseUrl: options.baseUrl ?? 'https://api.github.com',
      request: options.fetch ? { fetch: options.fetch } : {},
      // Debug/info stay quiet; warnings go to the caller's sink (never the token: Octokit redacts it).
      // Octokit logs every non-2xx answer (304s, expected 404s) at error level; failures that
      // matter surface as thrown, wrapped errors instead.
      log: { debug: () => {}, info: () => {}, warn: (m: string) => log(`github: ${m}`), error: () => {} },
      retry: { retries: options.retries ?? 3, retryAfterBaseValue: unit, doNotRetry: [400, 401, 403, 404, 405, 409, 410, 422, 451] },
      throttle: {
        onRateLimit: onLimit('primary'),
        onSecondaryRateLimit: onLimit('secondary'),
        retryAfterBaseValue: unit,
        // Per-client groups: the plugin's process-wide defaults space writes 1 s and notifications 3 s.
        write: new Bottleneck.Group({ maxConcurrent: 1, minTime: spacing }),
        notifications: new Bottleneck.Group({ maxConcurrent: 1, minTime: spacing }),
      },
    });
    this.client.hook.wrap('request', async (request, opts) => {
      this.stats.requests += 1;
      if (opts.method !== 'GET') return request(opts);
      const key = this.client.request.endpoint.parse(opts).url;
      const cached = this.etags.get(key);
      if (cached) opts.headers = { ...opts.headers, 'if-none-match': cached.etag };
      try {
        const response = await request(opts);
        const etag = response.headers.etag;
        if (etag) {
          // Bounded: keys carry shas, so a long --watch would otherwise grow without end.
          if (this.etags.size >= ETAG_CACHE_SIZE) this.etags.delete(this.etags.keys().next().value!);
          this.etags.set(key, { etag, response });
        }
        return response;
      } catch (err) {
        if (statusOf(err) === 304 && cached) {
          this.stats.notModified += 1;
          return cached.response as Awaited<ReturnType<typeof request>>;
        }
        throw err;
      }
    });
  }

  private async call<T>(what: string, fn: (c: Client, r: { owner: string; repo: string }) => Promise<T>): Promise<T> {
    try {
      return await fn(this.client, { owner: this.owner, repo: this.repo });
    } catch (err) {
      if (err instanceof GitHubError) throw err;
      const status = statusOf(err);
      const hint = status === 401 ? 'check GITHUB_TOKEN' : status === 403 || status === 429 ? 'rate limited; the next pass retries'
        : status === 404 ? 'check --repo and the token\'s access' : 'the next pass retries';
      throw new GitHubError(`${what} failed${status ? ` (HTTP ${status})` : ''}; ${hint}`, status, { cause: scrub(err) });
    }
  }

  async viewer(): Promise<string> {
    this.login ??= await this.call('reading the token\'s user', async (c) => (await c.rest.users.getAuthenticated()).data.login);
    return this.login;
  }

  async defaultBranch(): Promise<{ name: string; sha: string }> {
    return this.call('reading the default branch', async (c, r) => {
      const name = (await c.rest.repos.get(r)).data.default_branch;
      const ref = await c.rest.git.getRef({ ...r, ref: `heads/${name}` });
      return { name, sha: ref.data.object.sha };
    });
  }

  async listFiles(sha: string, dir: string): Promise<string[]> {
    return this.call(`listing ${dir}/ at ${sha.slice(0, 7)}`, async (c, r) => {
      const tree = await c.rest.git.getTree({ ...r, tree_sha: sha, recursive: 'true' });
      return tree.data.tree.filter((e) => e.type === 'blob' && e.path?.startsWith(`${dir}/`)).map((e) => e.path!);
    });
  }

  async readFile(ref: string, path: string): Promise<string | undefined> {
    return this.call(`reading ${path} at ${ref.slice(0, 12)}`, async (c, r) => {
      try {
        const res = await c.rest.repos.getContent({ ...r, path, ref });
        const data = res.data as { content?: string; encoding?: string };
        if (typeof data.content !== 'string') return undefined;
        return Buffer.from(data.content, (data.encoding ?? 'base64') as BufferEncoding).toString('utf8');
      } catch (err) {
        if (statusOf(err) === 404) return undefined;
        throw err;
      }
    });
  }

  async pullsByHead(branch: string): Promise<PullRequest[]> {
    return this.call(`listing PRs of ${branch}`, async (c, r) => {
      const res = await c.rest.pulls.list({ ...r, head: `${this.owner}:${branch}`, state: 'all', per_page: 100 });
      return res.data.filter((p) => p.head.ref === branch).map(toPull).sort((a, b) => b.number - a.number);
    });
  }

  async pullCommits(number: number): Promise<PullCommit[]> {
    return this.call(`listing commits of #${number}`, async (c, r) => {
      const res = await c.rest.pulls.listCommits({ ...r, pull_number: number, per_page: 100 });
      return res.data.map((x) => ({ sha: x.sha, authorLogin: x.author?.login ?? null, committerLogin: x.committer?.login ?? null }));
    });
  }

  async pullFiles(number: number): Promise<string[]> {
    return this.call(`listing files of #${number}`, async (c, r) => {
      const res = await c.rest.pulls.listFiles({ ...r, pull_number: number, per_page: 100 });
      return res.data.map((f) => f.filename);
    });
  }

  async comments(number: number): Promise<IssueComment[]> {
    return this.call(`listing comments of #${number}`, async (c, r) => {
      const res = await c.rest.issues.listComments({ ...r, issue_number: number, per_page: 100 });
      return res.data.map((x) => ({ id: x.id, body: x.body ?? '', user: x.user?.login ?? null }));
    });
  }

  async checkRuns(sha: string): Promise<CheckRun[]> {
    return this.call(`listing check runs of ${sha.slice(0, 7)}`, async (c, r) => {
      const res = await c.rest.checks.listForRef({ ...r, ref: sha, per_page: 100, filter: 'all' });
      return res.data.check_runs.map((x) => ({
        id: x.id, name: x.name, headSha: x.head_sha, status: x.status as CheckRun['status'],
        conclusion: (x.conclusion ?? null) as CheckRun['conclusion'], startedAt: x.started_at ?? null,
        completedAt: x.completed_at ?? null, summary: x.output?.title ?? x.output?.summary ?? undefined,
        url: x.html_url ?? undefined,
      }));
    });
  }

  async combinedStatus(sha: string): Promise<CombinedStatus> {
    return this.call(`reading the combined status of ${sha.slice(0, 7)}`, async (c, r) => {
      const res = await c.rest.repos.getCombinedStatusForRef({ ...r, ref: sha });
      return { state: res.data.state as CombinedStatus['state'], totalCount: res.data.total_count };
    });
  }

  async commitsTouching(ref: string, path: string, limit: number): Promise<CommitSummary[]> {
    return this.call(`listing commits touching ${path}`, async (c, r) => {
      const res = await c.rest.repos.listCommits({ ...r, sha: ref, path, per_page: Math.min(100, limit) });
      return res.data.map((x) => ({ sha: x.sha, message: x.commit.message, date: x.commit.committer?.date ?? x.commit.author?.date ?? '' }));
    });
  }

  async commitToBranch(input: { branch: string; parentSha: string; message: string; changes: readonly FileChange[] }): Promise<string> {
    return this.call(`committing to ${input.branch}`, async (c, r) => {
      const parent = await c.rest.git.getCommit({ ...r, commit_sha: input.parentSha });
      const entries = [];
      for (const change of input.changes) {
        if (change.content === null) {
          entries.push({ path: change.path, mode: '100644' as const, type: 'blob' as const, sha: null });
          continue;
        }
        const blob = await c.rest.git.createBlob({ ...r, content: change.content, encoding: 'utf-8' });
        entries.push({ path: change.path, mode: '100644' as const, type: 'blob' as const, sha: blob.data.sha });
      }
      const tree = await c.rest.git.createTree({ ...r, base_tree: parent.data.tree.sha, tree: entries });
      const commit = await c.rest.git.createCommit({ ...r, message: input.message, tree: tree.data.sha, parents: [input.parentSha] });
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
      return await this.call(`opening a PR from ${input.head}`, async (c, r) => toPull((await c.rest.pulls.create({ ...r, ...input })).data));
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
          await c.rest.issues.getLabel({ ...r, name });
        } catch (err) {
          if (statusOf(err) !== 404) throw err;
          try {
            await c.rest.issues.createLabel({ ...r, name, color: name.includes('rollback') ? 'b60205' : name.includes('stalled') ? 'fbca04' : '0e8a16' });
          } catch (e) {
            if (statusOf(e) !== 422) throw e; // created meanwhile
          }
        }
      });
      this.knownLabels.add(name);
    }
    await this.call(`labelling #${number}`, (c, r) => c.rest.issues.addLabels({ ...r, issue_number: number, labels: [...labels] }));
  }

  async comment(number: number, body: string): Promise<void> {
    // No automatic retry: a dropped answer may hide a posted comment; the next pass sees the
    // marker (or its absence) and decides again.
    await this.call(`commenting on #${number}`, (c, r) => c.rest.issues.createComment({ ...r, issue_number: number, body, request: { retries: 0 } }));
  }

  async merge(number: number, input: { sha: string; method: 'squash' | 'merge' | 'rebase'; title: string; message: string }): Promise<MergeResult> {
    try {
      return await this.call(`merging #${number}`, async (c, r) => {
        const res = await c.rest.pulls.merge({ ...r, pull_number: number, sha: input.sha, merge_method: input.method, commit_title: input.title, commit_message: input.message });
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
  async upsertCheckRun(sha: string, run: {
    readonly name: string; readonly status: 'in_progress' | 'completed'; readonly conclusion?: 'success' | 'failure';
    readonly title: string; readonly summary: string;
  }): Promise<{ readonly id: number }> {
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

function toPull(p: {
  number: number; state: string; merged_at: string | null; closed_at: string | null; created_at: string; html_url: string;
  head: { ref: string; sha: string }; base: { ref: string }; title: string; body: string | null; labels: Array<{ name?: string } | string>;
}): PullRequest {
  return {
    number: p.number, state: p.state === 'open' ? 'open' : 'closed', merged: p.merged_at !== null, mergedAt: p.merged_at,
    closedAt: p.closed_at, createdAt: p.created_at, headRef: p.head.ref, headSha: p.head.sha, baseRef: p.base.ref,
    title: p.title, body: p.body ?? '', labels: p.labels.map((l) => (typeof l === 'string' ? l : l.name ?? '')), url: p.html_url,
  };
}

/**
 * Octokit's RequestError carries the request (headers redacted) and the response; keep only the
 * message and status so nothing else of the exchange can reach a log line.
 */
function scrub(err: unknown): Error {
  const message = err instanceof Error ? err.message : String(err);
  return Object.assign(new Error(message), { status: statusOf(err) });
}
