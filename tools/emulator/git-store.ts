/**
 * A bare git repository driven through the `git` CLI. Every call is synchronous on purpose:
 * a request handler then runs start to end without interleaving with another request, which
 * gives the emulator GitHub's per-request atomicity (a ref update is compare-and-swap) for free.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ObjectReader, parseTree } from './object-reader.js';
import { buildTree } from './tree-builder.js';
import {
  diffFiles,
  gitDate,
  modeType,
  parseCommit,
  parseDiffListing,
  quoteName,
  type DiffFile,
  type GitCommit,
  type GitPerson,
  type TreeChange,
  type TreeEntry,
} from './git-format.js';

export class GitStore {
  private readonly baseEnv: NodeJS.ProcessEnv;
  private readonly objects: ObjectReader;
  private readonly memos = new Map<string, unknown>();

  constructor(readonly gitDir: string) {
    // Isolate from the machine's git config (signing, hooks, default branch names); never
    // auto-gc, so objects stay loose for the in-process reader.
    this.baseEnv = {
      ...process.env,
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_DIR: gitDir,
      GIT_LITERAL_PATHSPECS: '1',
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'gc.auto',
      GIT_CONFIG_VALUE_0: '0',
    };
    this.objects = new ObjectReader(gitDir, this.baseEnv);
  }

  static init(gitDir: string): GitStore {
    execFileSync('git', ['init', '--quiet', '--bare', '--initial-branch=main', gitDir], {
      env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null' },
    });
    return new GitStore(gitDir);
  }

  /** Runs git; throws with git's stderr when it fails. */
  run(args: readonly string[], input?: string | Buffer, env?: NodeJS.ProcessEnv): string {
    return this.runBuffer(args, input, env).toString('utf8');
  }

  runBuffer(args: readonly string[], input?: string | Buffer, env?: NodeJS.ProcessEnv): Buffer {
    const result = spawnSync('git', args, {
      input,
      env: env ? { ...this.baseEnv, ...env } : this.baseEnv,
      maxBuffer: 512 * 1024 * 1024,
    });
    if (result.status !== 0) {
      const stderr = result.stderr?.toString('utf8').trim() ?? '';
      throw new Error(`git ${args.join(' ')} failed (${result.status}): ${stderr}`, { cause: result.error });
    }
    return result.stdout;
  }

  /** Exit code only, for the commands that answer yes/no that way. */
  private status(args: readonly string[]): number {
    return spawnSync('git', args, { env: this.baseEnv }).status ?? -1;
  }

  /** The sha a revision names, peeled to `kind`, or null when there is none. */
  resolve(rev: string, kind: 'commit' | 'tree' | 'object' = 'commit'): string | null {
    if (rev.startsWith('-') || rev === '') return null;
    let sha: string | null = null;
    if (/^[0-9a-f]{40}$/.test(rev)) sha = this.objects.read(rev) ? rev : null;
    else if (rev.startsWith('refs/')) sha = this.objects.readRef(rev);
    else if (/^[\w./-]+$/.test(rev))
      sha = this.objects.readRef(`refs/heads/${rev}`) ?? this.objects.readRef(`refs/tags/${rev}`);
    if (sha === null && !/^[0-9a-f]{40}$/.test(rev) && !rev.startsWith('refs/')) {
      // Anything fancier (short shas, ~ and ^ suffixes) goes to git itself.
      const result = spawnSync('git', ['rev-parse', '--verify', '--quiet', `${rev}^{object}`], { env: this.baseEnv });
      sha = result.status === 0 ? result.stdout.toString().trim() : null;
    }
    return sha === null ? null : this.peel(sha, kind);
  }

  private peel(sha: string, kind: 'commit' | 'tree' | 'object'): string | null {
    if (kind === 'object') return sha;
    const object = this.objects.read(sha);
    if (!object) return null;
    if (object.type === kind) return sha;
    if (object.type === 'tag')
      return this.peel(/^object ([0-9a-f]{40})/.exec(object.content.toString('utf8'))?.[1] ?? '', kind);
    if (object.type === 'commit' && kind === 'tree') return this.readCommit(sha).tree;
    return null;
  }

  objectType(sha: string): string | null {
    if (/^[0-9a-f]{40}$/.test(sha)) return this.objects.read(sha)?.type ?? null;
    if (!/^[0-9a-f]{4,39}$/.test(sha)) return null;
    const result = spawnSync('git', ['cat-file', '-t', sha], { env: this.baseEnv });
    return result.status === 0 ? result.stdout.toString().trim() : null;
  }

  writeBlob(content: Buffer): string {
    return this.run(['hash-object', '-w', '--stdin'], content).trim();
  }

  readBlob(sha: string): Buffer {
    const object = this.objects.read(sha);
    if (object?.type !== 'blob') throw new Error(`${sha} is not a blob in ${this.gitDir}`);
    return object.content;
  }

  /**
   * Entries of a tree-ish (commit or tree sha), like `git ls-tree -l [-r -t]`; with `path`,
   * only the entry at that path (empty when absent).
   */
  lsTree(treeish: string, recursive = false, path?: string): TreeEntry[] {
    const root = this.resolve(treeish, 'tree');
    if (!root) throw new Error(`${treeish} is not a tree-ish in ${this.gitDir}`);
    if (path !== undefined) {
      const parts = path.split('/');
      let tree = root;
      for (let i = 0; i < parts.length; i++) {
        const entry = this.treeEntries(tree).find((e) => e.name === parts[i]);
        if (!entry) return [];
        if (i === parts.length - 1) return [this.entry(entry, path)];
        if (entry.mode !== '040000') return [];
        tree = entry.sha;
      }
      return [];
    }
    const out: TreeEntry[] = [];
    const walk = (tree: string, prefix: string): void => {
      for (const e of this.treeEntries(tree)) {
        out.push(this.entry(e, prefix + e.name));
        if (recursive && e.mode === '040000') walk(e.sha, `${prefix}${e.name}/`);
      }
    };
    walk(root, '');
    return out;
  }

  private treeEntries(sha: string): Array<{ mode: string; name: string; sha: string }> {
    const object = this.objects.read(sha);
    if (object?.type !== 'tree') throw new Error(`${sha} is not a tree in ${this.gitDir}`);
    return parseTree(object.content);
  }

  private entry(e: { mode: string; name: string; sha: string }, path: string): TreeEntry {
    const type = e.mode === '040000' ? 'tree' : e.mode === '160000' ? 'commit' : 'blob';
    const entry: TreeEntry = { mode: e.mode, type, sha: e.sha, path };
    if (type === 'blob') entry.size = this.objects.read(e.sha)?.content.length ?? 0;
    return entry;
  }

  /** Applies changes on top of `base` (or an empty tree); returns the new tree (one mktree spawn). */
  buildTree(base: string | null, changes: readonly TreeChange[]): string {
    return buildTree(
      {
        entries: (sha) => this.treeEntries(sha),
        mktree: (trees) => {
          // mktree -z --batch mis-reads its separators in git 2.39: use lines, C-quoting odd names.
          const input = trees
            .map(
              (items) =>
                `${items.map((e) => `${e.mode} ${modeType(e.mode)} ${e.sha}\t${quoteName(e.name)}\n`).join('')}\n`,
            )
            .join('');
          return this.run(['mktree', '--batch'], input).split('\n').filter(Boolean);
        },
      },
      base,
      changes,
    );
  }

  /** Writes many blobs with one spawn; returns their shas in order. */
  writeBlobs(contents: readonly Buffer[]): string[] {
    if (contents.length === 0) return [];
    if (contents.length === 1) return [this.writeBlob(contents[0])];
    const dir = mkdtempSync(join(tmpdir(), 'stagegate-blobs-'));
    try {
      const paths = contents.map((content, i) => {
        const path = join(dir, String(i));
        writeFileSync(path, content);
        return path;
      });
      return this.run(['hash-object', '-w', '--no-filters', '--stdin-paths'], `${paths.join('\n')}\n`)
        .split('\n')
        .filter(Boolean);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Writes many files at once (seeding): path → content. */
  treeFromFiles(files: ReadonlyMap<string, Buffer>): string {
    const paths = [...files.keys()];
    const shas = this.writeBlobs(paths.map((p) => files.get(p)!));
    return this.buildTree(
      null,
      paths.map((path, i) => ({ path, mode: '100644', sha: shas[i] })),
    );
  }

  commitTree(
    tree: string,
    parents: readonly string[],
    message: string,
    author: GitPerson,
    committer: GitPerson = author,
  ): string {
    const env = {
      GIT_AUTHOR_NAME: author.name,
      GIT_AUTHOR_EMAIL: author.email,
      GIT_AUTHOR_DATE: gitDate(author.date),
      GIT_COMMITTER_NAME: committer.name,
      GIT_COMMITTER_EMAIL: committer.email,
      GIT_COMMITTER_DATE: gitDate(committer.date),
    };
    const args = ['commit-tree', tree, ...parents.flatMap((p) => ['-p', p])];
    return this.run(args, message, env).trim();
  }

  readCommit(sha: string): GitCommit {
    const object = this.objects.read(sha);
    if (object?.type !== 'commit') throw new Error(`${sha} is not a commit in ${this.gitDir}`);
    return parseCommit(sha, object.content.toString('utf8'));
  }

  /** Refs whose name starts with `prefix` (e.g. "refs/heads/stagegate/"), sorted by name. */
  listRefs(prefix: string): Array<{ ref: string; sha: string; type: string }> {
    // GitHub matches plain string prefixes (for-each-ref would match whole components only).
    return this.objects
      .listRefs()
      .filter((r) => r.ref.startsWith(prefix))
      .map((r) => ({ ...r, type: this.objects.read(r.sha)?.type ?? 'commit' }));
  }

  /** Compare-and-swap: with `expected`, fails unless the ref still points there ('' = must not exist). */
  updateRef(ref: string, sha: string, expected?: string): boolean {
    const args = ['update-ref', ref, sha];
    if (expected !== undefined) args.push(expected === '' ? '0'.repeat(40) : expected);
    return this.status(args) === 0;
  }

  deleteRef(ref: string): boolean {
    return this.status(['update-ref', '-d', ref]) === 0;
  }

  isAncestor(ancestor: string, descendant: string): boolean {
    const seen = new Set<string>();
    const queue = [descendant];
    while (queue.length > 0) {
      const sha = queue.pop()!;
      if (sha === ancestor) return true;
      if (seen.has(sha)) continue;
      seen.add(sha);
      if (this.objectType(sha) === 'commit') queue.push(...this.readCommit(sha).parents);
    }
    return false;
  }

  mergeBase(a: string, b: string): string | null {
    return this.memo(`merge-base ${a} ${b}`, [a, b], () => this.mergeBaseUncached(a, b));
  }

  private mergeBaseUncached(a: string, b: string): string | null {
    const result = spawnSync('git', ['merge-base', a, b], { env: this.baseEnv });
    return result.status === 0 ? result.stdout.toString().trim() : null;
  }

  /** A three-way merge without a work tree: the merged tree, or null on conflicts. */
  mergeTrees(base: string, head: string): string | null {
    return this.memo(`merge-tree ${base} ${head}`, [base, head], () => this.mergeTreesUncached(base, head));
  }

  private mergeTreesUncached(base: string, head: string): string | null {
    const result = spawnSync('git', ['merge-tree', '--write-tree', '--no-messages', base, head], { env: this.baseEnv });
    if (result.status === 0) return result.stdout.toString().split('\n')[0].trim();
    if (result.status === 1) return null;
    throw new Error(`git merge-tree ${base} ${head} failed: ${result.stderr.toString().trim()}`);
  }

  /** Commits reachable from `head` but not from `exclude`, newest first (topological). */
  revList(head: string, opts: { exclude?: string; path?: string; max?: number; firstParent?: boolean } = {}): string[] {
    const key = `rev-list ${head} ${JSON.stringify(opts)}`;
    return [...this.memo(key, [head, ...(opts.exclude ? [opts.exclude] : [])], () => this.revListUncached(head, opts))];
  }

  private revListUncached(
    head: string,
    opts: { exclude?: string; path?: string; max?: number; firstParent?: boolean },
  ): string[] {
    const args = ['rev-list', '--topo-order'];
    if (opts.max !== undefined) args.push(`--max-count=${opts.max}`);
    if (opts.firstParent) args.push('--first-parent');
    args.push(head);
    if (opts.exclude) args.push(`^${opts.exclude}`);
    if (opts.path) args.push('--', opts.path);
    return this.run(args).split('\n').filter(Boolean);
  }

  /** Per-file changes from `from` to `to` (commits or trees), with unified-diff patches. */
  diff(from: string, to: string, withPatch = true): DiffFile[] {
    return this.memo(`diff ${from} ${to} ${withPatch}`, [from, to], () => this.diffUncached(from, to, withPatch)).map(
      (f) => ({ ...f }),
    );
  }

  /**
   * Caches answers computed from full shas only: objects never change, so neither do merge
   * bases, merges, histories or diffs between them — the bot's polls then cost no spawn.
   */
  private memo<T>(key: string, shas: readonly string[], compute: () => T): T {
    if (!shas.every((sha) => /^[0-9a-f]{40}$/.test(sha))) return compute();
    if (this.memos.has(key)) return this.memos.get(key) as T;
    const value = compute();
    if (this.memos.size > 20_000) this.memos.clear();
    this.memos.set(key, value);
    return value;
  }

  private diffUncached(from: string, to: string, withPatch: boolean): DiffFile[] {
    // One spawn gives both listings: raw records (":…\0path\0") then numstat ("a\td\tpath\0").
    const listing = parseDiffListing(
      this.run(['diff-tree', '-r', '--no-renames', '--raw', '--numstat', '-z', from, to]),
    );
    // Patches come in the same (path) order as the raw listing.
    const patches =
      withPatch && listing.raw.length > 0
        ? this.run(['diff', '--no-color', '--no-ext-diff', '--no-renames', from, to])
            .split(/^diff --git /m)
            .slice(1)
        : [];
    return diffFiles(listing, patches);
  }
}
