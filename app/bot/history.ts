/**
 * Histories of the intents (commits touching each path, newest first) at the default branch's
 * sha, without listing every path again each time the branch moves. A history at a commit sha
 * never changes, so it is remembered by (sha, path). When the branch moved from a remembered sha
 * by plain commits (the usual squash merges), one compare and one read per new commit (each
 * also remembered) say which paths those commits touched; only the touched histories grow, by
 * exactly those commits — what GitHub would list. Anything else (a merge commit, a force push,
 * a compare too long, a commit too big to list its files) falls back to listing the path.
 */
import { toSummary, type CommitData } from './github-shapes.js';
import type { CommitSummary } from './port.js';
import type { Reader } from './reader.js';

export interface NewCommit extends CommitSummary {
  readonly parents: number;
}

/** The GitHub reads history needs, by the adapter. */
export interface HistorySource {
  /** GET /commits?sha=&path= */
  list(sha: string, path: string, limit: number): Promise<CommitSummary[]>;
  /** GET /compare/base...head: undefined unless head is strictly ahead and every commit is listed. */
  ahead(base: string, head: string): Promise<readonly NewCommit[] | undefined>;
  /** Paths a commit changed against its parent (renames give both); undefined when GitHub may not list them all. */
  touched(sha: string): Promise<readonly string[] | undefined>;
}

const isSummaryList = (v: unknown): boolean =>
  Array.isArray(v) &&
  v.every((c) => typeof c?.sha === 'string' && typeof c?.message === 'string' && typeof c?.date === 'string');

export async function histories(
  reader: Reader,
  source: HistorySource,
  scope: string,
  sha: string,
  paths: readonly string[],
  limit: number,
): Promise<Map<string, CommitSummary[]>> {
  const key = (at: string, path: string): string => `history:${limit}:${at}:${path}`;
  const baseKey = `history-base:${scope}`;
  const out = new Map<string, CommitSummary[]>();
  const missing: string[] = [];
  for (const path of paths) {
    const hit = reader.cache.get(key(sha, path));
    if (hit && hit.etag === undefined && isSummaryList(hit.body)) out.set(path, hit.body as CommitSummary[]);
    else missing.push(path);
  }
  const base = reader.cache.get(baseKey)?.body;
  if (missing.length > 0 && typeof base === 'string' && base !== sha) {
    const grown = await grow(reader, source, base, sha, missing, limit, key);
    for (const [path, list] of grown) out.set(path, list);
  }
  for (const path of paths) {
    if (out.has(path)) continue;
    const list = await source.list(sha, path, limit);
    reader.cache.set(key(sha, path), { body: list });
    out.set(path, list);
  }
  for (const path of paths) reader.cache.set(key(sha, path), { body: out.get(path)! });
  reader.cache.set(baseKey, { body: sha });
  return out;
}

async function grow(
  reader: Reader,
  source: HistorySource,
  base: string,
  sha: string,
  paths: readonly string[],
  limit: number,
  key: (at: string, path: string) => string,
): Promise<Map<string, CommitSummary[]>> {
  const grown = new Map<string, CommitSummary[]>();
  const known = paths.filter((p) => {
    const hit = reader.cache.get(key(base, p));
    return hit !== undefined && hit.etag === undefined && isSummaryList(hit.body);
  });
  if (known.length === 0) return grown;
  const commits = await source.ahead(base, sha);
  if (!commits || commits.some((c) => c.parents !== 1)) return grown;
  const touchedBy: Array<ReadonlySet<string>> = [];
  for (const c of commits) {
    const files = await source.touched(c.sha);
    if (!files) return grown;
    touchedBy.push(new Set(files));
  }
  for (const path of known) {
    const older = reader.cache.get(key(base, path))!.body as CommitSummary[];
    // Compare lists oldest first; a history is newest first.
    const newer = commits
      .filter((_c, i) => touchedBy[i]!.has(path))
      .reverse()
      .map(({ parents: _p, ...summary }) => summary);
    grown.set(path, [...newer, ...older].slice(0, limit));
  }
  return grown;
}

/** The history reads through GitHub's REST API: compare for what is new, commits for what each touched. */
export function historySource(
  reader: Reader,
  r: { owner: string; repo: string },
  list: HistorySource['list'],
): HistorySource {
  return {
    list,
    ahead: async (base, head) => {
      const d = await reader.poll(
        'GET /repos/{owner}/{repo}/compare/{basehead}',
        { ...r, basehead: `${base}...${head}` },
        (x) => {
          const c = x as { status: string; total_commits: number; commits: Array<CommitData & { parents: unknown[] }> };
          return {
            status: c.status,
            total: c.total_commits,
            commits: c.commits.map((k) => ({ ...toSummary(k), parents: k.parents.length })),
          };
        },
      );
      // Up to 250 commits come in one answer; a longer compare is listed path by path instead.
      return d.status === 'ahead' && d.total === d.commits.length ? d.commits : undefined;
    },
    touched: (commit) =>
      reader
        .remember(
          `touched:${commit}`,
          async () => {
            const paths: string[] = [];
            // 100 files a page (per_page is at most 100, OpenAPI `per-page`), up to 3,000 (GitHub's
            // cap on a commit's files): beyond that the commit's paths are unknown.
            for (let page = 1; page <= 30; page += 1) {
              const files = await reader.poll(
                'GET /repos/{owner}/{repo}/commits/{ref}',
                { ...r, ref: commit, per_page: 100, page },
                (x) =>
                  ((x as { files?: Array<{ filename: string; previous_filename?: string }> }).files ?? []).map((f) => [
                    f.filename,
                    ...(f.previous_filename ? [f.previous_filename] : []),
                  ]),
              );
              paths.push(...files.flat());
              if (files.length < 100) return paths;
            }
            return null;
          },
          (b) => b === null || Array.isArray(b),
        )
        .then((x) => x ?? undefined),
  };
}
