/**
 * Issue comments and labels. Every issue here is a pull request (GitHub shares the numbering).
 */
import {
  ApiError,
  bodyOf,
  iso,
  notFound,
  optionalString,
  paginate,
  requireString,
  validationFailed,
  type Route,
} from './http.js';
import { checkCommentBody } from './limits.js';
import { nodeId } from './shapes.js';
import type { CommentRecord, RepoState } from './state.js';

const R = '/repos/{owner}/{repo}';

export function issueRoutes(s: RepoState): Route[] {
  const { api, html } = s.shapes;

  const commentJson = (c: CommentRecord): Record<string, unknown> => ({
    id: c.id,
    node_id: nodeId('IssueComment', c.id),
    url: `${api}/issues/comments/${c.id}`,
    html_url: `${html}/pull/${c.issue}#issuecomment-${c.id}`,
    body: c.body,
    user: s.shapes.user(c.login),
    created_at: iso(c.createdAt),
    updated_at: iso(c.updatedAt),
    issue_url: `${api}/issues/${c.issue}`,
    author_association: c.login === s.owner ? 'OWNER' : 'MEMBER',
  });

  const issueLabels = (number: number): Record<string, unknown>[] =>
    s.issue(number).labels.map((name) => s.labelJson(s.label(name, true)));

  /** Accepts `{labels: [...]}`, a bare array, or `[{name}]`, as GitHub does. */
  const labelNames = (raw: unknown): string[] => {
    const list = Array.isArray(raw) ? raw : (raw as Record<string, unknown> | null)?.labels;
    if (!Array.isArray(list) || list.length === 0) {
      throw validationFailed('Invalid request.\n\nNo subschema in "oneOf" matched.');
    }
    return list.map((l) => {
      const name = typeof l === 'string' ? l : (l as { name?: unknown })?.name;
      if (typeof name !== 'string' || name.trim() === '')
        throw validationFailed('Invalid request.\n\nLabel names must be non-empty strings.');
      return name;
    });
  };

  return [
    {
      method: 'GET',
      template: `${R}/issues/{issue_number}/comments`,
      handler: (ctx) => {
        const number = s.issue(ctx.params.issue_number).number;
        const list = s.comments.filter((c) => c.issue === number);
        const { page, headers } = paginate(ctx, list, `/repos/${s.owner}/${s.repo}/issues/${number}/comments`);
        return { status: 200, headers, body: page.map(commentJson) };
      },
    },
    {
      method: 'POST',
      template: `${R}/issues/{issue_number}/comments`,
      handler: (ctx) => {
        const pr = s.issue(ctx.params.issue_number);
        const body = requireString(bodyOf(ctx), 'body');
        checkCommentBody(body);
        const comment: CommentRecord = {
          id: s.id(),
          issue: pr.number,
          body,
          login: ctx.login,
          createdAt: ctx.now,
          updatedAt: ctx.now,
        };
        s.comments.push(comment);
        pr.updatedAt = ctx.now;
        return {
          status: 201,
          body: commentJson(comment),
          headers: { location: `${api}/issues/comments/${comment.id}` },
        };
      },
    },

    {
      method: 'GET',
      template: `${R}/issues/{issue_number}/labels`,
      handler: (ctx) => {
        const labels = issueLabels(Number(ctx.params.issue_number));
        const { page, headers } = paginate(
          ctx,
          labels,
          `/repos/${s.owner}/${s.repo}/issues/${ctx.params.issue_number}/labels`,
        );
        return { status: 200, headers, body: page };
      },
    },
    {
      method: 'POST',
      template: `${R}/issues/{issue_number}/labels`,
      handler: (ctx) => {
        const pr = s.issue(ctx.params.issue_number);
        for (const name of labelNames(ctx.body)) {
          const label = s.label(name, true);
          if (!pr.labels.some((l) => l.toLowerCase() === label.name.toLowerCase())) pr.labels.push(label.name);
        }
        pr.updatedAt = ctx.now;
        return { status: 200, body: issueLabels(pr.number) };
      },
    },
    {
      method: 'DELETE',
      template: `${R}/issues/{issue_number}/labels/{name}`,
      handler: (ctx) => {
        const pr = s.issue(ctx.params.issue_number);
        const at = pr.labels.findIndex((l) => l.toLowerCase() === ctx.params.name.toLowerCase());
        if (at < 0)
          throw new ApiError(
            404,
            'Label does not exist',
            'https://docs.github.com/rest/issues/labels#remove-a-label-from-an-issue',
          );
        pr.labels.splice(at, 1);
        pr.updatedAt = ctx.now;
        return { status: 200, body: issueLabels(pr.number) };
      },
    },

    {
      method: 'GET',
      template: `${R}/labels`,
      handler: (ctx) => {
        const { page, headers } = paginate(ctx, [...s.labels.values()], `/repos/${s.owner}/${s.repo}/labels`);
        return { status: 200, headers, body: page.map((l) => s.labelJson(l)) };
      },
    },
    {
      method: 'GET',
      template: `${R}/labels/{name}`,
      handler: (ctx) => {
        const label = s.labels.get(ctx.params.name.toLowerCase());
        if (!label) throw notFound();
        return { status: 200, body: s.labelJson(label) };
      },
    },
    {
      method: 'POST',
      template: `${R}/labels`,
      handler: (ctx) => {
        const body = bodyOf(ctx);
        const name = requireString(body, 'name');
        if (s.labels.has(name.toLowerCase())) {
          throw validationFailed('Validation Failed', [{ resource: 'Label', code: 'already_exists', field: 'name' }]);
        }
        const color = (optionalString(body, 'color') ?? 'ededed').replace(/^#/, '');
        if (!/^[0-9a-fA-F]{6}$/.test(color))
          throw validationFailed('Validation Failed', [{ resource: 'Label', code: 'invalid', field: 'color' }]);
        const label = s.label(name, true);
        label.color = color.toLowerCase();
        label.description = optionalString(body, 'description') ?? null;
        return {
          status: 201,
          body: s.labelJson(label),
          headers: { location: `${api}/labels/${encodeURIComponent(name)}` },
        };
      },
    },
  ];
}
