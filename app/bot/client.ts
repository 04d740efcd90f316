/**
 * The Octokit client of the bot, composed once for the process
 * (`Octokit.plugin(throttling, retry).defaults(...)`), and the rate-limit and retry policy every
 * instance gets: 405/409/422 and other answers that mean something are never retried; rate limits
 * are honoured up to a bound; the token never reaches a log line or an error.
 */
import { Octokit } from '@octokit/rest';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import Bottleneck from 'bottleneck';
import type { ResponseCache } from './cache.js';
import { scrubUrls } from './text.js';

const USER_AGENT = 'stagegate-bot';

/** Composed once for the process; instances differ only by options. */
export const StagegateOctokit = Octokit.plugin(throttling, retry).defaults({ userAgent: USER_AGENT });
export type Client = InstanceType<typeof StagegateOctokit>;

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
  /**
   * The GitHub App the token belongs to: `upsertCheckRun` then only updates an open run this App
   * created (GitHub answers 403 to any other App's PATCH, and another App's run is never ours).
   */
  readonly appSlug?: string;
  /** Remembered answers, e.g. loaded from `advance --cache FILE`. @default a new, empty one */
  readonly cache?: ResponseCache;
}

/** Counters for reports and tests. */
export interface GitHubStats {
  /** Requests sent (including retries and 304s). */
  requests: number;
  /** Answered 304: free against the rate limit. */
  notModified: number;
  rateLimited: number;
  /** Answers taken from the cache without any request (content-addressed). */
  remembered: number;
}

export class GitHubError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
    this.name = 'GitHubError';
  }
}

export function statusOf(err: unknown): number | undefined {
  const s = (err as { status?: unknown } | null)?.status;
  return typeof s === 'number' ? s : undefined;
}

/** A client with the bot's retry and rate-limit policy; rate limits are counted in `stats`. */
export function createClient(options: GitHubOptions, baseUrl: string, stats: GitHubStats): Client {
  const unit = options.retryUnitMs ?? 1000;
  const rateLimitRetries = options.rateLimitRetries ?? 3;
  const log = options.log ?? (() => {});
  const spacing = options.writeSpacingMs ?? 1000;
  const maxWait = options.maxRetryAfterSeconds ?? 900;
  const onLimit =
    (kind: string) =>
    (retryAfter: number, opts: { method: string; url: string }, _o: unknown, retryCount: number): boolean => {
      stats.rateLimited += 1;
      const again = retryCount < rateLimitRetries && retryAfter <= maxWait;
      log(
        `github: ${kind} rate limit on ${opts.method} ${opts.url}; ${again ? `retrying after ${retryAfter}s` : 'giving up'}`,
      );
      return again;
    };
  return new StagegateOctokit({
    auth: options.token,
    baseUrl,
    request: options.fetch ? { fetch: options.fetch } : {},
    // Debug/info stay quiet; warnings go to the caller's sink (never the token: Octokit redacts it).
    // Octokit logs every non-2xx answer (304s, expected 404s) at error level; failures that
    // matter surface as thrown, wrapped errors instead.
    log: { debug: () => {}, info: () => {}, warn: (m: string) => log(`github: ${m}`), error: () => {} },
    retry: {
      retries: options.retries ?? 3,
      retryAfterBaseValue: unit,
      doNotRetry: [400, 401, 403, 404, 405, 409, 410, 422, 451],
    },
    throttle: {
      onRateLimit: onLimit('primary'),
      onSecondaryRateLimit: onLimit('secondary'),
      retryAfterBaseValue: unit,
      // Per-client groups: the plugin's process-wide defaults space writes 1 s and notifications 3 s.
      write: new Bottleneck.Group({ maxConcurrent: 1, minTime: spacing }),
      notifications: new Bottleneck.Group({ maxConcurrent: 1, minTime: spacing }),
    },
  });
}

/**
 * Octokit's RequestError carries the request (headers redacted) and the response; keep only the
 * message and status so nothing else of the exchange can reach a log line.
 */
export function scrub(err: unknown): Error {
  // A URL with user:password@ (a credential in GITHUB_API_URL) is never repeated.
  const message = scrubUrls(err instanceof Error ? err.message : String(err));
  const data = (err as { response?: { data?: unknown } } | null)?.response?.data;
  const github = (data as { message?: unknown } | undefined)?.message;
  return Object.assign(new Error(message), {
    status: statusOf(err),
    // GitHub's own message (e.g. a 405's reason), which the bot classifies and quotes.
    ...(typeof github === 'string' ? { response: { data: { message: scrubUrls(github) } } } : {}),
  });
}
