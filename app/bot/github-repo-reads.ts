/**
 * The adapter's reads of the repository and its Git data: the token's user, the default branch and
 * its merge methods, trees, blobs and files at a commit, history, and how a branch compares with
 * its base. Polls are conditional (ETag → 304) and content-addressed answers are remembered.
 */
import { statusOf } from './client.js';
import { GitHubBase } from './github-base.js';
import { toPullCommit, toSummary, type CommitData, type ListedCommitData, type TreeData } from './github-shapes.js';
import { histories, historySource } from './history.js';
import type { CommitSummary, MergeMethods, PullCommit } from './port.js';
import { gitBlobSha, isFullSha } from './reader.js';
import { assertShapes } from './schemas.js';

export abstract class GitHubRepoReads extends GitHubBase {
  private login: string | undefined;
  private methods: MergeMethods | undefined;

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
  async isBehind(base: string, head: string): Promise<boolean> {
    return this.call(`comparing ${head.slice(0, 7)} with ${base.slice(0, 7)}`, async (c, r) => {
      const cmp = await c.rest.repos.compareCommitsWithBasehead({ ...r, basehead: `${base}...${head}`, per_page: 1 });
      return cmp.data.status === 'behind' || cmp.data.status === 'diverged';
    });
  }
}
