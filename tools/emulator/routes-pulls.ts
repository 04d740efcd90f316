/**
 * Pull requests: create/list/get/update, merge (merge.ts), and the PR's commits and files.
 */
import {
  ApiError,
  bodyOf,
  iso,
  optionalString,
  paginate,
  requireString,
  validationFailed,
  type Ctx,
  type Route,
} from './http.js';
import { checkPullTexts } from './limits.js';
import { mergePull } from './merge.js';
import { rulesOf, upToDate, violations } from './rules.js';
import { combinedState, latestCheckRuns, latestStatuses } from './routes-checks.js';
import { diffEntryJson } from './routes-repo.js';
import { nodeId, Shapes } from './shapes.js';
import type { PullRecord, RepoState } from './state.js';

const R = '/repos/{owner}/{repo}';

export function pullRoutes(s: RepoState): Route[] {
  const { api, html } = s.shapes;

  const baseSha = (pr: PullRecord): string => s.baseSha(pr);

  const simpleJson = (pr: PullRecord): Record<string, unknown> => {
    const n = pr.number;
    const repo = s.repositoryJson();
    const owner = s.shapes.user(s.owner);
    const link = (href: string): { href: string } => ({ href });
    return {
      url: `${api}/pulls/${n}`,
      id: pr.id,
      node_id: nodeId('PullRequest', pr.id),
      html_url: `${html}/pull/${n}`,
      diff_url: `${html}/pull/${n}.diff`,
      patch_url: `${html}/pull/${n}.patch`,
      issue_url: `${api}/issues/${n}`,
      commits_url: `${api}/pulls/${n}/commits`,
      review_comments_url: `${api}/pulls/${n}/comments`,
      review_comment_url: `${api}/pulls/comments{/number}`,
      comments_url: `${api}/issues/${n}/comments`,
      statuses_url: `${api}/statuses/${pr.headSha}`,
      number: n,
      state: pr.state,
      locked: false,
      title: pr.title,
      // The PR list's schema (pull-request-simple) types a label's description as a plain string.
      user: s.shapes.user(pr.user),
      body: pr.body,
      labels: pr.labels.map((name) => {
        const l = s.labelJson(s.label(name, true));
        return { ...l, description: l.description ?? '' };
      }),
      milestone: null,
      active_lock_reason: null,
      created_at: iso(pr.createdAt),
      updated_at: iso(pr.updatedAt),
      closed_at: pr.closedAt ? iso(pr.closedAt) : null,
      merged_at: pr.mergedAt ? iso(pr.mergedAt) : null,
      merge_commit_sha: pr.mergeCommitSha,
      assignee: null,
      assignees: [],
      requested_reviewers: [],
      requested_teams: [],
      // A fork's head names the fork: label OWNER:branch, head.repo the fork (fork: true).
      head: pr.headOwner
        ? {
            label: `${pr.headOwner}:${pr.head}`,
            ref: pr.head,
            sha: pr.headSha,
            user: s.shapes.user(pr.headOwner),
            repo: forkJson(pr.headOwner),
          }
        : { label: `${s.owner}:${pr.head}`, ref: pr.head, sha: pr.headSha, user: owner, repo },
      base: { label: `${s.owner}:${pr.base}`, ref: pr.base, sha: baseSha(pr), user: owner, repo },
      _links: {
        self: link(`${api}/pulls/${n}`),
        html: link(`${html}/pull/${n}`),
        issue: link(`${api}/issues/${n}`),
        comments: link(`${api}/issues/${n}/comments`),
        review_comments: link(`${api}/pulls/${n}/comments`),
        review_comment: link(`${api}/pulls/comments{/number}`),
        commits: link(`${api}/pulls/${n}/commits`),
        statuses: link(`${api}/statuses/${pr.headSha}`),
      },
      author_association: s.association(pr.user),
      // OA auto-merge: enabled_by, merge_method, commit_title, commit_message (all required).
      auto_merge: pr.autoMerge
        ? {
            enabled_by: s.shapes.user(pr.autoMerge.enabledBy),
            merge_method: pr.autoMerge.mergeMethod,
            commit_title: pr.autoMerge.title ?? '',
            commit_message: pr.autoMerge.message ?? '',
          }
        : null,
      draft: pr.draft,
    };
  };

  /** Mergeability as GitHub reports it (computed eagerly here, never the transient null). */
  const mergeability = (pr: PullRecord): { mergeable: boolean | null; state: string; tree: string | null } => {
    if (pr.state !== 'open') return { mergeable: null, state: 'unknown', tree: null };
    const tree = s.git.mergeTrees(baseSha(pr), pr.headSha);
    if (tree === null) return { mergeable: false, state: 'dirty', tree };
    if (pr.draft) return { mergeable: true, state: 'draft', tree };
    // GitHub's mergeable_state: "behind" when rules require an up-to-date head, "blocked" when a
    // rule is not met (as seen by a merger who does not bypass).
    const rules = rulesOf(s, pr.base);
    if (rules?.strict && (rules.requiredStatusChecks ?? []).length > 0 && !upToDate(s, pr, baseSha(pr)))
      return { mergeable: true, state: 'behind', tree };
    if (violations(s, pr, baseSha(pr)).length > 0) return { mergeable: true, state: 'blocked', tree };
    const statuses = latestStatuses(s, pr.headSha);
    const runs = latestCheckRuns(s, pr.headSha);
    const statusOk = statuses.length === 0 || combinedState(statuses) === 'success';
    const runsOk = runs.every(
      (r) => r.status === 'completed' && ['success', 'neutral', 'skipped'].includes(r.conclusion ?? ''),
    );
    return { mergeable: true, state: statusOk && runsOk ? 'clean' : 'unstable', tree };
  };

  /** Commits of the PR, oldest first. */
  const commitsOf = (pr: PullRecord): string[] => s.commitsOf(pr);

  const fullJson = (pr: PullRecord, fresh = false): Record<string, unknown> => {
    let m = mergeability(pr);
    if (s.options.lazyMergeability && pr.state === 'open') {
      // GitHub computes mergeability in the background: the first look after a push sees null.
      const key = `${baseSha(pr)} ${pr.headSha}`;
      if (fresh || pr.mergeabilityFor !== key) m = { mergeable: null, state: 'unknown', tree: null };
      if (!fresh) pr.mergeabilityFor = key;
    }
    const mergeBase = s.git.mergeBase(baseSha(pr), pr.headSha) ?? baseSha(pr);
    const files = s.git.diff(mergeBase, pr.headSha, false);
    return {
      ...simpleJson(pr),
      merged: pr.mergedAt !== null,
      mergeable: m.mergeable,
      rebaseable: m.mergeable,
      mergeable_state: m.state,
      merged_by: pr.mergedBy ? s.shapes.user(pr.mergedBy) : null,
      comments: s.comments.filter((c) => c.issue === pr.number).length,
      review_comments: 0,
      maintainer_can_modify: false,
      commits: commitsOf(pr).length,
      additions: files.reduce((n, f) => n + f.additions, 0),
      deletions: files.reduce((n, f) => n + f.deletions, 0),
      changed_files: files.length,
    };
  };

  /** The fork's repository object: this repository under another owner, `fork: true`. */
  const forkJson = (forkOwner: string): Record<string, unknown> => {
    const shapes = new Shapes(s.shapes.baseUrl, forkOwner, s.repo, s.shapes.identities);
    return { ...shapes.repository(0, s.pushedAt, s.settings), fork: true };
  };

  /** `head` as OWNER:branch or branch → [fork owner or undefined, branch]. Forks live at refs/forks/OWNER/. */
  const headOf = (head: string): { owner?: string; branch: string } => {
    const colon = head.indexOf(':');
    if (colon < 0 || head.slice(0, colon) === s.owner) return { branch: head.slice(colon + 1) };
    return { owner: head.slice(0, colon), branch: head.slice(colon + 1) };
  };

  const duplicate = (pr: { head: string; headOwner?: string }, base: string, except?: number): void => {
    const same = (p: PullRecord): boolean => p.head === pr.head && p.headOwner === pr.headOwner;
    if (s.pulls.some((p) => p.state === 'open' && same(p) && p.base === base && p.number !== except)) {
      throw validationFailed('Validation Failed', [
        {
          resource: 'PullRequest',
          code: 'custom',
          message: `A pull request already exists for ${pr.headOwner ?? s.owner}:${pr.head}.`,
        },
      ]);
    }
  };

  const get = (ctx: Ctx): PullRecord => s.sync(s.pull(ctx.params.pull_number), ctx.now);

  return [
    {
      method: 'POST',
      template: `${R}/pulls`,
      handler: (ctx) => {
        const body = bodyOf(ctx);
        const title = requireString(body, 'title');
        checkPullTexts(body, 'create-a-pull-request');
        const { owner: headOwner, branch: head } = headOf(requireString(body, 'head'));
        const base = requireString(body, 'base');
        const baseTip = s.git.resolve(`refs/heads/${base}`);
        if (!baseTip)
          throw validationFailed('Validation Failed', [{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
        const headTip = s.git.resolve(headOwner ? `refs/forks/${headOwner}/${head}` : `refs/heads/${head}`);
        if (!headTip)
          throw validationFailed('Validation Failed', [{ resource: 'PullRequest', field: 'head', code: 'invalid' }]);
        duplicate({ head, headOwner }, base);
        if (s.git.isAncestor(headTip, baseTip)) {
          throw validationFailed('Validation Failed', [
            { resource: 'PullRequest', code: 'custom', message: `No commits between ${base} and ${head}` },
          ]);
        }
        const number = s.nextNumber();
        const pr: PullRecord = {
          number,
          id: s.id(),
          title,
          body: optionalString(body, 'body') ?? null,
          state: 'open',
          draft: body.draft === true,
          head,
          base,
          headSha: headTip,
          user: ctx.login,
          createdAt: ctx.now,
          updatedAt: ctx.now,
          closedAt: null,
          mergedAt: null,
          mergedBy: null,
          mergeCommitSha: null,
          labels: [],
          reviews: [],
          autoMerge: null,
          ...(headOwner ? { headOwner } : {}),
        };
        s.pulls.push(pr);
        return { status: 201, body: fullJson(pr, true), headers: { location: `${api}/pulls/${number}` } };
      },
    },

    {
      method: 'GET',
      template: `${R}/pulls`,
      handler: (ctx) => {
        const state = ctx.query.get('state') ?? 'open';
        if (!['open', 'closed', 'all'].includes(state))
          throw validationFailed('Validation Failed', [{ resource: 'Search', field: 'state', code: 'invalid' }]);
        const head = ctx.query.get('head');
        const base = ctx.query.get('base');
        const sort = ctx.query.get('sort') ?? 'created';
        const direction = ctx.query.get('direction') ?? (sort === 'created' ? 'desc' : 'asc');
        for (const pr of s.pulls) s.sync(pr, ctx.now);
        let list = s.pulls.filter((p) => state === 'all' || p.state === state);
        if (head) {
          const [owner, branch] = head.includes(':') ? head.split(/:(.*)/s) : [s.owner, head];
          list = list.filter((p) => p.head === branch && (p.headOwner ?? s.owner) === owner);
        }
        if (base) list = list.filter((p) => p.base === base);
        const key = (p: PullRecord): number =>
          sort === 'updated'
            ? p.updatedAt.getTime()
            : sort === 'long-running'
              ? -p.createdAt.getTime()
              : p.createdAt.getTime();
        // With a frozen clock many PRs share a timestamp: the number breaks ties, as creation order.
        list = [...list].sort((a, b) => (key(a) - key(b) || a.number - b.number) * (direction === 'desc' ? -1 : 1));
        const { page, headers } = paginate(ctx, list, `/repos/${s.owner}/${s.repo}/pulls`);
        return { status: 200, headers, body: page.map(simpleJson) };
      },
    },

    {
      method: 'GET',
      template: `${R}/pulls/{pull_number}`,
      handler: (ctx) => ({ status: 200, body: fullJson(get(ctx)) }),
    },

    {
      method: 'PATCH',
      template: `${R}/pulls/{pull_number}`,
      handler: (ctx) => {
        const pr = get(ctx);
        const body = bodyOf(ctx);
        checkPullTexts(body, 'update-a-pull-request');
        const title = optionalString(body, 'title');
        if (title !== undefined) pr.title = title;
        if (body.body !== undefined) pr.body = optionalString(body, 'body') ?? null;
        const base = optionalString(body, 'base');
        if (base !== undefined && base !== pr.base) {
          if (!s.git.resolve(`refs/heads/${base}`))
            throw validationFailed('Validation Failed', [{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
          duplicate(pr, base, pr.number);
          pr.base = base;
        }
        const state = optionalString(body, 'state');
        if (state !== undefined && state !== pr.state) {
          if (state === 'closed') {
            pr.baseShaAtClose = baseSha(pr);
            pr.state = 'closed';
            pr.closedAt = ctx.now;
          } else if (state === 'open') {
            if (pr.mergedAt)
              throw validationFailed('Validation Failed', [
                { resource: 'PullRequest', code: 'custom', message: 'Cannot reopen a merged pull request' },
              ]);
            if (!s.git.resolve(s.headRef(pr)))
              throw validationFailed('Validation Failed', [
                { resource: 'PullRequest', field: 'state', code: 'invalid' },
              ]);
            duplicate(pr, pr.base, pr.number);
            pr.state = 'open';
            pr.closedAt = null;
            pr.baseShaAtClose = undefined;
            s.sync(pr, ctx.now);
          } else {
            throw validationFailed('Validation Failed', [{ resource: 'PullRequest', field: 'state', code: 'invalid' }]);
          }
        }
        pr.updatedAt = ctx.now;
        return { status: 200, body: fullJson(pr) };
      },
    },

    {
      method: 'GET',
      template: `${R}/pulls/{pull_number}/merge`,
      handler: (ctx) => {
        if (!get(ctx).mergedAt) throw new ApiError(404, 'Not Found');
        return { status: 204 };
      },
    },

    {
      method: 'PUT',
      template: `${R}/pulls/{pull_number}/merge`,
      handler: (ctx) => {
        const pr = get(ctx);
        const body = bodyOf(ctx);
        const result = mergePull(s, pr, {
          method: optionalString(body, 'merge_method') ?? 'merge',
          sha: optionalString(body, 'sha'),
          title: optionalString(body, 'commit_title'),
          message: optionalString(body, 'commit_message'),
          actor: ctx.identity,
          now: ctx.now,
          racePush: ctx.fault?.kind === 'racePush',
        });
        return { status: 200, body: { sha: result, merged: true, message: 'Pull Request successfully merged' } };
      },
    },

    {
      method: 'GET',
      template: `${R}/pulls/{pull_number}/commits`,
      handler: (ctx) => {
        const pr = get(ctx);
        const shas = commitsOf(pr);
        const { page, headers } = paginate(
          ctx,
          shas.slice(0, 250),
          `/repos/${s.owner}/${s.repo}/pulls/${pr.number}/commits`,
        );
        return { status: 200, headers, body: page.map((sha) => s.commitJson(sha)) };
      },
    },

    {
      method: 'GET',
      template: `${R}/pulls/{pull_number}/files`,
      handler: (ctx) => {
        const pr = get(ctx);
        const mergeBase = s.git.mergeBase(baseSha(pr), pr.headSha) ?? baseSha(pr);
        const files = s.git.diff(mergeBase, pr.headSha);
        const { page, headers } = paginate(ctx, files, `/repos/${s.owner}/${s.repo}/pulls/${pr.number}/files`);
        return { status: 200, headers, body: page.map((f) => diffEntryJson(s.shapes, f, pr.headSha)) };
      },
    },
  ];
}
