/**
 * Test hooks under /_emulator/: what an in-process test does through the Emulator object, for
 * a test that runs `stagegate emulator` as a subprocess. Not GitHub's API: no token, no rate
 * limit, not in the request log. Also how a test sets what GitHub only sets through GraphQL
 * or the web UI (auto-merge, branch rules).
 */
import { faultRule, ConfigError, parseConfig } from './config.js';
import type { Faults } from './faults.js';
import { ApiError, type Reply } from './http.js';
import { violations } from './rules.js';
import type { RepoState } from './state.js';
import type { BranchProtection, MergeMethod, RequestLogEntry } from './types.js';

export const CONTROL_PREFIX = '/_emulator/';

export interface ControlTarget {
  readonly faults: Faults;
  readonly requests: RequestLogEntry[];
  state(): RepoState;
  now(): Date;
}

const METHODS = new Set(['merge', 'squash', 'rebase']);

/** Answers one control request; throws ApiError for a bad one. */
export function control(target: ControlTarget, method: string, path: string, body: unknown): Reply {
  const rest = path.slice(CONTROL_PREFIX.length).replace(/\/+$/, '');
  const s = target.state();
  const guard = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof ConfigError) throw new ApiError(422, err.message);
      throw err;
    }
  };
  if (rest === 'requests' && method === 'GET') return { status: 200, body: target.requests };
  if (rest === 'requests' && method === 'DELETE') {
    target.requests.length = 0;
    return { status: 204 };
  }
  if (rest === 'faults' && method === 'POST') {
    guard(() => target.faults.add(faultRule(body)));
    return { status: 201, body: { pending: target.faults.pending } };
  }
  if (rest === 'faults' && method === 'DELETE') {
    target.faults.clear();
    return { status: 204 };
  }
  const protection = /^protection\/(.+)$/.exec(rest);
  if (protection) {
    const branch = decodeURIComponent(protection[1]!);
    if (method === 'DELETE') {
      s.settings.protection.delete(branch);
      return { status: 204 };
    }
    if (method === 'PUT') {
      s.settings.protection.set(branch, (body ?? {}) as BranchProtection);
      return { status: 200, body: s.settings.protection.get(branch) };
    }
  }
  if (rest === 'settings' && method === 'PATCH') {
    const b = (body ?? {}) as Record<string, unknown>;
    if (Array.isArray(b.mergeMethods)) s.settings.mergeMethods = b.mergeMethods.filter((m) => METHODS.has(m));
    if (typeof b.allowAutoMerge === 'boolean') s.settings.allowAutoMerge = b.allowAutoMerge;
    if (typeof b.allowUpdateBranch === 'boolean') s.settings.allowUpdateBranch = b.allowUpdateBranch;
    if (b.permissions !== undefined) {
      const roles = guard(() => parseConfig(JSON.stringify({ permissions: b.permissions }), 'permissions'));
      for (const [login, level] of Object.entries(roles.options.permissions ?? {}))
        s.settings.permissions.set(login.toLowerCase(), level);
    }
    return { status: 200, body: s.settings.mergeMethods };
  }
  // A fork's branch: PUT /_emulator/forks/OWNER/refs/BRANCH {"sha"}. Its commits are made through
  // this repository's git data API (GitHub shares objects across a fork network).
  const fork = /^forks\/([^/]+)\/refs\/(.+)$/.exec(rest);
  if (fork && method === 'PUT') {
    const sha = (body as { sha?: unknown } | undefined)?.sha;
    if (typeof sha !== 'string' || s.git.objectType(sha) !== 'commit') throw new ApiError(422, 'sha must be a commit');
    s.git.updateRef(`refs/forks/${fork[1]}/${decodeURIComponent(fork[2]!)}`, sha);
    for (const pr of s.pulls) s.sync(pr, target.now());
    return { status: 200, body: { ref: `refs/forks/${fork[1]}/${fork[2]}`, sha } };
  }
  const autoMerge = /^pulls\/(\d+)\/auto-merge$/.exec(rest);
  if (autoMerge) {
    const pr = s.pull(autoMerge[1]!);
    if (method === 'DELETE') {
      pr.autoMerge = null;
      return { status: 204 };
    }
    if (method === 'PUT') {
      // GraphQL enablePullRequestAutoMerge needs the repository setting (autoMergeAllowed).
      if (!s.settings.allowAutoMerge) throw new ApiError(422, 'Auto merge is not allowed for this repository');
      // GraphQL refuses auto-merge for a PR that can merge now ("Pull request is in clean status").
      if (
        pr.state === 'open' &&
        s.git.mergeTrees(s.baseSha(pr), pr.headSha) !== null &&
        violations(s, pr, s.baseSha(pr)).length === 0
      )
        throw new ApiError(422, 'Pull request is in clean status');
      const b = (body ?? {}) as Record<string, unknown>;
      const mergeMethod = (typeof b.merge_method === 'string' ? b.merge_method : 'merge') as MergeMethod;
      if (!METHODS.has(mergeMethod))
        throw new ApiError(422, `merge_method ${mergeMethod} is not merge, squash or rebase`);
      pr.autoMerge = {
        mergeMethod,
        enabledBy: typeof b.enabled_by === 'string' ? b.enabled_by : s.owner,
        ...(typeof b.commit_title === 'string' ? { title: b.commit_title } : {}),
        ...(typeof b.commit_message === 'string' ? { message: b.commit_message } : {}),
      };
      return { status: 200, body: { number: pr.number, merge_method: mergeMethod } };
    }
  }
  throw new ApiError(404, `no emulator control endpoint ${method} ${path}`);
}
