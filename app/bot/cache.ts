/**
 * The bot's response cache: key → { etag?, body }. Entries with an ETag are polls (sent back as
 * If-None-Match; a 304 costs nothing against GitHub's rate limit); entries without one are
 * content-addressed (a blob, a tree or a history at a commit sha, a PR's commits at a head sha)
 * and are never asked for again. Bodies are the reduced values the adapter uses, not GitHub's
 * JSON, so the cache stays small. It can be persisted between processes (GitHub Actions starts a
 * new one every pass): one JSON file, written atomically, bounded in size, without any header —
 * so never the token. A file that cannot be trusted is ignored whole; the pass then starts cold.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface CacheEntry {
  /** Absent for content-addressed entries (valid forever). */
  readonly etag?: string;
  readonly body: unknown;
}

/** Identifies what the cached answers belong to; a file for another repository is ignored. */
export interface CacheScope {
  readonly api: string;
  readonly repo: string;
}

// v2: PR commits carry emails and verification, the repository its merge methods, trees their odd modes.
const FORMAT = 'stagegate-bot-cache/v2';
/** @default bound of the serialized cache: enough for ~2,000 rollouts with open PRs. */
export const DEFAULT_CACHE_BYTES = 32 * 1024 * 1024;

export class ResponseCache {
  private readonly entries = new Map<string, { entry: CacheEntry; bytes: number }>();
  private bytes = 0;
  /** Hits by kind, for reports and tests. */
  readonly stats = { immutableHits: 0, conditionalHits: 0 };

  constructor(
    readonly scope: CacheScope,
    readonly maxBytes = DEFAULT_CACHE_BYTES,
  ) {}

  get size(): number {
    return this.entries.size;
  }
  get approximateBytes(): number {
    return this.bytes;
  }

  /** The entry, marked as recently used (eviction drops the least recently used first). */
  get(key: string): CacheEntry | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    this.entries.delete(key);
    this.entries.set(key, hit);
    return hit.entry;
  }

  set(key: string, entry: CacheEntry): void {
    const old = this.entries.get(key);
    if (old) {
      this.bytes -= old.bytes;
      this.entries.delete(key);
    }
    const bytes = key.length + JSON.stringify(entry).length + 8;
    // One answer bigger than the whole budget is not worth keeping (and would evict everything).
    if (bytes > this.maxBytes / 4) return;
    this.entries.set(key, { entry, bytes });
    this.bytes += bytes;
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= v.bytes;
    }
  }

  delete(key: string): void {
    const old = this.entries.get(key);
    if (!old) return;
    this.bytes -= old.bytes;
    this.entries.delete(key);
  }

  toJSON(): Record<string, unknown> {
    return {
      format: FORMAT,
      scope: this.scope,
      entries: Object.fromEntries([...this.entries].map(([k, v]) => [k, v.entry])),
    };
  }

  /**
   * Loads `file` into a new cache. A missing file is a cold start; an unreadable, corrupt or
   * foreign one is reported through `warn` and ignored (the pass re-reads GitHub, which is
   * always correct, only more expensive).
   */
  static async load(
    file: string,
    scope: CacheScope,
    warn: (line: string) => void,
    maxBytes = DEFAULT_CACHE_BYTES,
  ): Promise<ResponseCache> {
    const cache = new ResponseCache(scope, maxBytes);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        warn(`cache ${file} unreadable (${(err as Error).message}); starting without it`);
      return cache;
    }
    const problem = cache.absorb(text);
    if (problem) {
      cache.clear();
      warn(`cache ${file} ignored: ${problem}; starting without it`);
    }
    return cache;
  }

  /** Writes the cache to `file` through a temporary file and a rename: never half a file. */
  async save(file: string): Promise<void> {
    const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await mkdir(dirname(file), { recursive: true });
      await writeFile(tmp, JSON.stringify(this), { mode: 0o600 });
      await rename(tmp, file);
    } catch (err) {
      await unlink(tmp).catch(() => {});
      throw new Error(`writing the bot cache ${file} failed; the next pass starts cold`, { cause: err });
    }
  }

  private clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  /** Fills the cache from a file's text; returns what is wrong with it, if anything. */
  private absorb(text: string): string | undefined {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      return `not JSON (${(err as Error).message})`;
    }
    if (typeof doc !== 'object' || doc === null) return 'not a JSON object';
    const { format, scope, entries } = doc as Record<string, unknown>;
    if (format !== FORMAT) return `format ${JSON.stringify(format)} is not ${FORMAT}`;
    const s = scope as Partial<CacheScope> | undefined;
    if (s?.api !== this.scope.api || s?.repo !== this.scope.repo) {
      return `it belongs to ${s?.repo ?? '?'} at ${s?.api ?? '?'}, not ${this.scope.repo} at ${this.scope.api}`;
    }
    if (typeof entries !== 'object' || entries === null || Array.isArray(entries)) return 'no entries object';
    for (const [key, value] of Object.entries(entries)) {
      const v = value as Partial<CacheEntry> | null;
      if (
        typeof v !== 'object' ||
        v === null ||
        !('body' in v) ||
        (v.etag !== undefined && typeof v.etag !== 'string')
      ) {
        return `entry ${JSON.stringify(key.slice(0, 80))} is malformed`;
      }
      this.set(key, v.etag === undefined ? { body: v.body } : { etag: v.etag, body: v.body });
    }
    return undefined;
  }
}
