/**
 * How the adapter reads GitHub without spending its rate limit: every GET goes out with the
 * ETag of the answer remembered for that URL (a 304 is free), every page of a listing included,
 * and answers that can never change (addressed by a sha) are not asked for again at all.
 * What is remembered is the reduced value the adapter uses, never headers (so never the token).
 */
import { createHash } from 'node:crypto';
import type { ResponseCache } from './cache.js';

/** The slice of an Octokit client this needs (its `request` with endpoint parsing). */
export interface RequestClient {
  request: {
    (
      route: string,
      params?: Record<string, unknown>,
    ): Promise<{ status: number; headers: Record<string, string | number | undefined>; data: unknown }>;
    endpoint: (route: string, params?: Record<string, unknown>) => { url: string };
  };
}

export interface ReaderStats {
  notModified: number;
  /** Answers taken from memory without any request (content-addressed). */
  remembered: number;
}

const PER_PAGE = 100;

function statusOf(err: unknown): number | undefined {
  const s = (err as { status?: unknown } | null)?.status;
  return typeof s === 'number' ? s : undefined;
}

export class Reader {
  constructor(
    private readonly client: RequestClient,
    readonly cache: ResponseCache,
    private readonly stats: ReaderStats,
  ) {}

  /**
   * GET `route` with If-None-Match when an answer for this exact URL is remembered; the body is
   * reduced by `reduce` (and remembered with its ETag). On 304 the remembered value is returned.
   */
  async poll<T>(
    route: string,
    params: Record<string, unknown>,
    reduce: (data: unknown, headers: Record<string, string | number | undefined>) => T,
  ): Promise<T> {
    const key = `GET ${this.client.request.endpoint(route, params).url}`;
    const cached = this.cache.get(key);
    const headers = cached?.etag ? { 'if-none-match': cached.etag } : {};
    try {
      const res = await this.client.request(route, { ...params, headers });
      const body = reduce(res.data, res.headers);
      const etag = res.headers.etag;
      if (typeof etag === 'string') this.cache.set(key, { etag, body });
      return body;
    } catch (err) {
      if (statusOf(err) === 304 && cached) {
        this.stats.notModified += 1;
        this.cache.stats.conditionalHits += 1;
        return cached.body as T;
      }
      throw err;
    }
  }

  /**
   * Every page of a listing, each page polled on its own (so an unchanged page answers 304).
   * A full page always asks for the next one: a remembered page carries no Link header, and
   * items may have been added behind it. `limit` caps the items (GitHub's own caps are 250
   * commits, 3,000 files); `items.length === limit` tells the caller the list may go on.
   */
  async pages<T>(
    route: string,
    params: Record<string, unknown>,
    reduce: (data: unknown) => T[],
    limit = 10_000,
  ): Promise<T[]> {
    const items: T[] = [];
    for (let page = 1; items.length < limit; page += 1) {
      const chunk = await this.poll(route, { ...params, per_page: PER_PAGE, page }, (data) => reduce(data));
      items.push(...chunk);
      if (chunk.length < PER_PAGE) break;
    }
    return items.slice(0, limit);
  }

  /**
   * A value that cannot change once read (keyed by shas): from memory when remembered and
   * `valid` accepts it (a tampered file must not poison a pass), else loaded and remembered.
   */
  async remember<T>(key: string, load: () => Promise<T>, valid: (body: unknown) => boolean = () => true): Promise<T> {
    const cached = this.cache.get(key);
    if (cached && cached.etag === undefined && valid(cached.body)) {
      this.stats.remembered += 1;
      this.cache.stats.immutableHits += 1;
      return cached.body as T;
    }
    const value = await load();
    this.cache.set(key, { body: value });
    return value;
  }
}

/** Git's blob id of `text` (SHA-1 of "blob <bytes>\0<content>"), to compare content without reading it. */
export function gitBlobSha(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

export const isFullSha = (ref: string): boolean => /^[0-9a-f]{40}$/.test(ref);
