/**
 * Git data API: refs, blobs, trees and commits, each a thin layer over the bare repository.
 */
import type { TreeChange, TreeEntry } from './git-format.js';
import { ApiError, bodyOf, notFound, requireString, validationFailed, type Ctx, type Route } from './http.js';
import { WEB_FLOW } from './identity.js';
import { nodeId } from './shapes.js';
import type { RepoState } from './state.js';

const R = '/repos/{owner}/{repo}';
const MODES = new Set(['100644', '100755', '040000', '160000', '120000']);

export function gitRoutes(s: RepoState): Route[] {
  const api = s.shapes.api;
  const refJson = (ref: string, sha: string, type = 'commit'): Record<string, unknown> => ({
    ref,
    node_id: nodeId('Ref', ref),
    url: `${api}/git/${ref}`,
    object: {
      type,
      sha,
      url: `${api}/git/${type === 'tree' ? 'trees' : type === 'blob' ? 'blobs' : `${type}s`}/${sha}`,
    },
  });
  const refOf = (ctx: Ctx): string => `refs/${ctx.params.ref.replace(/^refs\//, '')}`;
  const existingObject = (sha: unknown): string => {
    if (typeof sha !== 'string' || !s.git.objectType(sha)) throw validationFailed('Object does not exist');
    return sha;
  };
  const entryJson = (e: TreeEntry): Record<string, unknown> => {
    const entry: Record<string, unknown> = { path: e.path, mode: e.mode, type: e.type, sha: e.sha };
    if (e.type === 'blob') entry.size = e.size ?? 0;
    if (e.type !== 'commit') entry.url = `${api}/git/${e.type}s/${e.sha}`;
    return entry;
  };
  const treeJson = (sha: string, recursive: boolean): Record<string, unknown> => ({
    sha,
    url: `${api}/git/trees/${sha}`,
    tree: s.git.lsTree(sha, recursive).map(entryJson),
    truncated: false,
  });

  /** Closing PRs whose branch vanished is what GitHub does when a head or base ref is deleted. */
  const closePullsOn = (branch: string, now: Date): void => {
    for (const pr of s.pulls) {
      if (pr.state === 'open' && (pr.head === branch || pr.base === branch)) {
        pr.state = 'closed';
        pr.closedAt = now;
        pr.updatedAt = now;
        pr.baseShaAtClose = s.git.resolve(`refs/heads/${pr.base}`) ?? undefined;
      }
    }
  };

  return [
    {
      method: 'GET',
      template: `${R}/git/ref/{ref}`,
      greedy: ['ref'],
      handler: (ctx) => {
        const ref = refOf(ctx);
        const found = s.git.listRefs(ref).find((r) => r.ref === ref);
        if (!found) throw notFound();
        return { status: 200, body: refJson(found.ref, found.sha, found.type) };
      },
    },
    {
      method: 'GET',
      template: `${R}/git/matching-refs/{ref}`,
      greedy: ['ref'],
      handler: (ctx) => ({
        status: 200,
        body: s.git.listRefs(refOf(ctx)).map((r) => refJson(r.ref, r.sha, r.type)),
      }),
    },
    {
      method: 'POST',
      template: `${R}/git/refs`,
      handler: (ctx) => {
        const body = bodyOf(ctx);
        const ref = requireString(body, 'ref');
        const sha = requireString(body, 'sha');
        if (!/^refs\/[^/]+\/.+/.test(ref) || ref.endsWith('/') || ref.includes('..')) {
          throw validationFailed("Reference name must start with 'refs/' and have at least two slashes.");
        }
        existingObject(sha);
        if (!s.git.updateRef(ref, sha, '')) throw validationFailed('Reference already exists');
        s.pushedAt = ctx.now;
        return {
          status: 201,
          body: refJson(ref, sha, s.git.objectType(sha) ?? 'commit'),
          headers: { location: `${api}/git/${ref}` },
        };
      },
    },
    {
      method: 'PATCH',
      template: `${R}/git/refs/{ref}`,
      greedy: ['ref'],
      handler: (ctx) => {
        const ref = refOf(ctx);
        const body = bodyOf(ctx);
        const sha = existingObject(requireString(body, 'sha'));
        const current = s.git.resolve(ref, 'object');
        if (!current || !s.git.listRefs(ref).some((r) => r.ref === ref))
          throw validationFailed('Reference does not exist');
        if (body.force !== true && !(s.git.objectType(sha) === 'commit' && s.git.isAncestor(current, sha))) {
          throw validationFailed('Update is not a fast forward');
        }
        if (!s.git.updateRef(ref, sha, current)) throw new ApiError(409, 'Reference update failed');
        s.pushedAt = ctx.now;
        return { status: 200, body: refJson(ref, sha) };
      },
    },
    {
      method: 'DELETE',
      template: `${R}/git/refs/{ref}`,
      greedy: ['ref'],
      handler: (ctx) => {
        const ref = refOf(ctx);
        if (!s.git.listRefs(ref).some((r) => r.ref === ref)) throw validationFailed('Reference does not exist');
        s.git.deleteRef(ref);
        s.pushedAt = ctx.now;
        if (ref.startsWith('refs/heads/')) closePullsOn(ref.slice('refs/heads/'.length), ctx.now);
        return { status: 204 };
      },
    },

    {
      method: 'POST',
      template: `${R}/git/blobs`,
      handler: (ctx) => {
        const body = bodyOf(ctx);
        if (typeof body.content !== 'string')
          throw validationFailed('Invalid request.', [{ resource: 'Blob', code: 'missing_field', field: 'content' }]);
        const encoding = body.encoding ?? 'utf-8';
        if (encoding !== 'utf-8' && encoding !== 'utf8' && encoding !== 'base64') {
          throw validationFailed(`encoding must be one of utf-8 or base64 (got ${String(encoding)})`);
        }
        const sha = s.git.writeBlob(Buffer.from(body.content, encoding === 'base64' ? 'base64' : 'utf8'));
        return {
          status: 201,
          body: { url: `${api}/git/blobs/${sha}`, sha },
          headers: { location: `${api}/git/blobs/${sha}` },
        };
      },
    },
    {
      method: 'GET',
      template: `${R}/git/blobs/{file_sha}`,
      handler: (ctx) => {
        const sha = ctx.params.file_sha;
        if (s.git.objectType(sha) !== 'blob') throw notFound();
        const content = s.git.readBlob(sha);
        return {
          status: 200,
          body: {
            sha,
            node_id: nodeId('Blob', sha),
            size: content.length,
            url: `${api}/git/blobs/${sha}`,
            content: wrapBase64(content.toString('base64')),
            encoding: 'base64',
          },
        };
      },
    },

    {
      method: 'POST',
      template: `${R}/git/trees`,
      handler: (ctx) => {
        const body = bodyOf(ctx);
        if (!Array.isArray(body.tree))
          throw validationFailed('Invalid request.', [{ resource: 'Tree', code: 'missing_field', field: 'tree' }]);
        let base: string | null = null;
        if (body.base_tree !== undefined && body.base_tree !== null) {
          base = typeof body.base_tree === 'string' ? s.git.resolve(body.base_tree, 'tree') : null;
          if (!base)
            throw validationFailed('Invalid tree info', [{ resource: 'Tree', code: 'invalid', field: 'base_tree' }]);
        }
        const parsed = body.tree.map((raw: unknown, i: number) => toChange(s, raw, i));
        // Inline contents become blobs in one spawn, then one mktree writes every changed directory.
        const withContent = parsed.filter((c: ParsedChange) => c.content !== undefined);
        const blobShas = s.git.writeBlobs(withContent.map((c: ParsedChange) => c.content!));
        withContent.forEach((c: ParsedChange, i: number) => {
          c.sha = blobShas[i];
        });
        const changes: TreeChange[] = parsed.map(({ path, mode, sha }: ParsedChange) => ({ path, mode, sha }));
        const sha = s.git.buildTree(base, changes);
        return { status: 201, body: treeJson(sha, false), headers: { location: `${api}/git/trees/${sha}` } };
      },
    },
    {
      method: 'GET',
      template: `${R}/git/trees/{tree_sha}`,
      greedy: ['tree_sha'],
      handler: (ctx) => {
        const sha = s.git.resolve(ctx.params.tree_sha, 'tree');
        if (!sha) throw notFound();
        return { status: 200, body: treeJson(sha, ctx.query.has('recursive')) };
      },
    },

    {
      method: 'POST',
      template: `${R}/git/commits`,
      handler: (ctx) => {
        const body = bodyOf(ctx);
        const message = requireString(body, 'message');
        const tree = requireString(body, 'tree');
        if (s.git.objectType(tree) !== 'tree') throw validationFailed('Tree SHA does not exist');
        const parents = body.parents ?? [];
        if (!Array.isArray(parents)) throw validationFailed("Invalid request.\n\nFor 'parents', it is not an array.");
        for (const p of parents) {
          if (typeof p !== 'string' || s.git.objectType(p) !== 'commit')
            throw validationFailed('Parent SHA does not exist or is not a commit object');
        }
        // OA git/create-commit: "By default, the author will be the authenticated user and the
        // current date", and the committer "will use the information set in author".
        const fallback = s.shapes.identities.gitPerson(ctx.identity, ctx.now);
        const custom = body.author !== undefined || body.committer !== undefined || body.signature !== undefined;
        // GitHub signs an App's API commit without custom author, committer or signature, as
        // web-flow (github/docs about-commit-signature-verification, "Signature verification for
        // bots"; webhooks-examples check_suite[5].head_commit has committer GitHub/noreply@github.com).
        const signed = ctx.identity.kind === 'app' && !custom;
        const author = person(body.author, fallback);
        const committer = signed
          ? { name: WEB_FLOW.name, email: WEB_FLOW.email, date: ctx.now }
          : person(body.committer, body.author ? author : fallback);
        const sha = s.git.commitTree(tree, parents as string[], message, author, committer);
        // Pushing the same bytes again is pushing that same (signed) object: it stays signed.
        if (signed) s.signed.add(sha);
        return {
          status: 201,
          body: s.shapes.gitCommit(s.git.readCommit(sha), s.signed.has(sha)),
          headers: { location: `${api}/git/commits/${sha}` },
        };
      },
    },
    {
      method: 'GET',
      template: `${R}/git/commits/{commit_sha}`,
      handler: (ctx) => {
        const sha = ctx.params.commit_sha;
        if (s.git.objectType(sha) !== 'commit') throw notFound();
        const full = s.git.resolve(sha)!;
        return { status: 200, body: s.shapes.gitCommit(s.git.readCommit(full), s.signed.has(full)) };
      },
    },
  ];
}

type ParsedChange = TreeChange & { content?: Buffer };

function toChange(s: RepoState, raw: unknown, i: number): ParsedChange {
  const entry = (raw ?? {}) as Record<string, unknown>;
  const path = entry.path;
  const mode = String(entry.mode ?? '');
  if (
    typeof path !== 'string' ||
    path === '' ||
    path.startsWith('/') ||
    path.split('/').some((p) => p === '' || p === '.' || p === '..')
  ) {
    throw validationFailed(`tree.path contains a malformed path component (tree[${i}])`);
  }
  if (!MODES.has(mode)) throw validationFailed(`tree.mode ${mode} is not valid (tree[${i}])`);
  if (typeof entry.content === 'string') {
    if (entry.sha !== undefined) throw validationFailed(`tree[${i}] must have either sha or content, not both`);
    return { path, mode, sha: null, content: Buffer.from(entry.content, 'utf8') };
  }
  if (entry.sha === null) return { path, mode, sha: null };
  const sha = entry.sha;
  const want = mode === '040000' ? 'tree' : mode === '160000' ? 'commit' : 'blob';
  if (typeof sha !== 'string' || (want !== 'commit' && s.git.objectType(sha) !== want)) {
    throw validationFailed(`tree.sha ${String(sha)} is not a valid ${want}`);
  }
  return { path, mode, sha };
}

function person(
  raw: unknown,
  fallback: { name: string; email: string; date: Date },
): { name: string; email: string; date: Date } {
  if (!raw || typeof raw !== 'object') return fallback;
  const p = raw as Record<string, unknown>;
  const date = typeof p.date === 'string' ? new Date(p.date) : fallback.date;
  if (Number.isNaN(date.getTime())) throw validationFailed(`Invalid date ${String(p.date)}`);
  return {
    name: typeof p.name === 'string' ? p.name : fallback.name,
    email: typeof p.email === 'string' ? p.email : fallback.email,
    date,
  };
}

/** GitHub wraps base64 blob content at 60 characters per line. */
export function wrapBase64(b64: string): string {
  return (b64.match(/.{1,60}/g) ?? ['']).join('\n') + (b64.length > 0 ? '\n' : '');
}
