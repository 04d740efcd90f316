/**
 * Repository-level reads: the repository, contents, commit history, single commits and
 * comparisons.
 */
import { EMPTY_TREE, type DiffFile } from './git-format.js';
import { ApiError, notFound, paginate, type Route } from './http.js';
import type { Shapes } from './shapes.js';
import type { RepoState } from './state.js';
import { wrapBase64 } from './routes-git.js';

const R = '/repos/{owner}/{repo}';

export function repoRoutes(s: RepoState): Route[] {
  const { api, html } = s.shapes;

  const contentItem = (type: string, path: string, sha: string, size: number, ref: string): Record<string, unknown> => {
    const self = `${api}/contents/${path}?ref=${encodeURIComponent(ref)}`;
    const gitUrl = type === 'dir' ? `${api}/git/trees/${sha}` : `${api}/git/blobs/${sha}`;
    const htmlUrl = `${html}/${type === 'dir' ? 'tree' : 'blob'}/${ref}/${path}`;
    return {
      type,
      size,
      name: path.split('/').pop() ?? path,
      path,
      sha,
      url: self,
      git_url: gitUrl,
      html_url: htmlUrl,
      download_url: type === 'file' ? `${html}/raw/${ref}/${path}` : null,
      _links: { self, git: gitUrl, html: htmlUrl },
    };
  };

  const fileJson = (f: DiffFile, headSha: string): Record<string, unknown> => diffEntryJson(s.shapes, f, headSha);

  const commitJson = (sha: string): Record<string, unknown> => s.commitJson(sha);

  return [
    {
      method: 'GET',
      template: R,
      handler: (_ctx) => {
        return { status: 200, body: s.repositoryJson() };
      },
    },

    {
      method: 'GET',
      template: `${R}/contents/{path}`,
      handler: (ctx) => {
        const ref = ctx.query.get('ref') || 'main';
        const sha = s.git.resolve(ref.startsWith('refs/') ? ref : `refs/heads/${ref}`) ?? s.git.resolve(ref);
        if (!sha) throw new ApiError(404, `No commit found for the ref ${ref}`);
        const path = ctx.params.path.replace(/^\/+|\/+$/g, '');
        if (path === '') {
          return {
            status: 200,
            body: s.git.lsTree(sha).map((e) => contentItem(kindOf(e.type, e.mode), e.path, e.sha, e.size ?? 0, ref)),
          };
        }
        const [entry] = s.git.lsTree(sha, false, path);
        if (!entry || entry.path !== path) throw notFound();
        if (entry.type === 'tree') {
          const items = s.git
            .lsTree(entry.sha)
            .map((e) => contentItem(kindOf(e.type, e.mode), `${path}/${e.path}`, e.sha, e.size ?? 0, ref));
          return { status: 200, body: items };
        }
        const item = contentItem(kindOf(entry.type, entry.mode), path, entry.sha, entry.size ?? 0, ref);
        if (item.type === 'file') {
          item.content = wrapBase64(s.git.readBlob(entry.sha).toString('base64'));
          item.encoding = 'base64';
        } else if (item.type === 'symlink') {
          item.target = s.git.readBlob(entry.sha).toString('utf8');
        }
        return { status: 200, body: item };
      },
    },

    {
      method: 'GET',
      template: `${R}/commits`,
      handler: (ctx) => {
        const from = ctx.query.get('sha') || 'main';
        const head = s.commitSha(from);
        const path = ctx.query.get('path') || undefined;
        const shas = s.git.revList(head, { path });
        const { page, headers } = paginate(ctx, shas, `/repos/${s.owner}/${s.repo}/commits`);
        return { status: 200, body: page.map(commitJson), headers };
      },
    },

    {
      method: 'GET',
      template: `${R}/commits/{ref}`,
      handler: (ctx) => {
        const sha = s.commitSha(ctx.params.ref);
        const commit = s.git.readCommit(sha);
        const files = s.git.diff(commit.parents[0] ?? EMPTY_TREE, sha);
        const additions = files.reduce((n, f) => n + f.additions, 0);
        const deletions = files.reduce((n, f) => n + f.deletions, 0);
        // OA repos/get-commit: "If there are more than 300 files in the commit diff … pagination
        // link headers for the remaining files, up to a limit of 3000 files." An asked per_page
        // is still capped at 100.
        const { page, headers } = paginate(
          ctx,
          files.slice(0, 3000),
          `/repos/${s.owner}/${s.repo}/commits/${encodeURIComponent(ctx.params.ref)}`,
          300,
        );
        return {
          status: 200,
          headers,
          body: {
            ...s.commitJson(sha),
            stats: { additions, deletions, total: additions + deletions },
            files: page.map((f) => fileJson(f, sha)),
          },
        };
      },
    },

    {
      method: 'GET',
      template: `${R}/compare/{basehead}`,
      greedy: ['basehead'],
      handler: (ctx) => {
        const match = /^(.+?)\.\.\.?(.+)$/.exec(ctx.params.basehead);
        if (!match) throw notFound();
        const base = s.commitSha(match[1], 'notFound');
        const head = s.commitSha(match[2], 'notFound');
        const mergeBase = s.git.mergeBase(base, head);
        if (!mergeBase) throw notFound();
        const ahead = s.git.revList(head, { exclude: base }).reverse();
        const behindBy = s.git.revList(base, { exclude: head }).length;
        const status =
          ahead.length === 0 && behindBy === 0
            ? 'identical'
            : behindBy === 0
              ? 'ahead'
              : ahead.length === 0
                ? 'behind'
                : 'diverged';
        const { page, headers } = paginate(
          ctx,
          ahead,
          `/repos/${s.owner}/${s.repo}/compare/${ctx.params.basehead}`,
          250,
        );
        return {
          status: 200,
          headers,
          body: {
            url: `${api}/compare/${match[1]}...${match[2]}`,
            html_url: `${html}/compare/${match[1]}...${match[2]}`,
            permalink_url: `${html}/compare/${base}...${head}`,
            diff_url: `${html}/compare/${match[1]}...${match[2]}.diff`,
            patch_url: `${html}/compare/${match[1]}...${match[2]}.patch`,
            base_commit: commitJson(base),
            merge_base_commit: commitJson(mergeBase),
            status,
            ahead_by: ahead.length,
            behind_by: behindBy,
            total_commits: ahead.length,
            commits: page.map(commitJson),
            files: s.git.diff(mergeBase, head).map((f) => fileJson(f, head)),
          },
        };
      },
    },
  ];
}

function kindOf(type: string, mode: string): string {
  if (type === 'tree') return 'dir';
  if (type === 'commit') return 'submodule';
  return mode === '120000' ? 'symlink' : 'file';
}

/** The diff-entry shape (compare, commit and pull request files). */
export function diffEntryJson(shapes: Shapes, f: DiffFile, headSha: string): Record<string, unknown> {
  const entry: Record<string, unknown> = {
    sha: f.sha,
    filename: f.path,
    status: f.status,
    additions: f.additions,
    deletions: f.deletions,
    changes: f.additions + f.deletions,
    blob_url: `${shapes.html}/blob/${headSha}/${f.path}`,
    raw_url: `${shapes.html}/raw/${headSha}/${f.path}`,
    contents_url: `${shapes.api}/contents/${f.path}?ref=${headSha}`,
  };
  if (f.patch !== undefined) entry.patch = f.patch;
  return entry;
}
