/**
 * The connection every part of the GitHub adapter shares (docs/design.md §4): the composed Octokit
 * client (client.ts), the conditional reader (reader.ts) and the one place a failed call becomes a
 * GitHubError with a hint. The reads (github-repo-reads.ts, github-pull-reads.ts) and the writes
 * (github.ts, GitHubAdapter) build on it.
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
import { Reader, type RequestClient } from './reader.js';

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

export abstract class GitHubBase {
  readonly stats: GitHubStats = { requests: 0, notModified: 0, rateLimited: 0, remembered: 0 };
  /** Remembered answers (ETags and content-addressed values); persist it with `ResponseCache.save`. */
  readonly cache: ResponseCache;
  protected readonly client: Client;
  protected readonly reader: Reader;
  protected readonly owner: string;
  protected readonly repo: string;
  protected readonly appSlug: string | undefined;

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

  protected async call<T>(what: string, fn: (c: Client, r: { owner: string; repo: string }) => Promise<T>): Promise<T> {
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

  protected get r(): { owner: string; repo: string } {
    return { owner: this.owner, repo: this.repo };
  }
}
