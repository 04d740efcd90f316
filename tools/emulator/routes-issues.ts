/**
 * The issues endpoints. A pull request is an issue: "Pull requests are a type of issue. Any actions
 * that are available in both pull requests and issues, like managing assignees, labels, and
 * milestones, are provided by the REST API to manage issues" (https://docs.github.com/rest/pulls/pulls),
 * and both share one numbering (OA issues/create: "number"; RepoState.nextNumber). Here a PR's issue
 * has comments and labels (RepoState.issue); an issue that is not a PR (the bot's dashboard issue,
 * RepoState.plainIssue) is created, listed, read and edited. GET /issues lists plain issues only;
 * GitHub also lists every PR there, marked with `pull_request`, which a client must filter out
 * anyway (README, "not emulated").
 */
import {
  ApiError,
  bodyOf,
  DOCS,
  iso,
  notFound,
  optionalString,
  paginate,
  requireString,
  validationFailed,
  type Route,
} from './http.js';
import { checkCommentBody } from './limits.js';
import { canWrite } from './permissions.js';
import { nodeId } from './shapes.js';
import type { CommentRecord, PlainIssueRecord, RepoState } from './state.js';

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
    author_association: s.association(c.login),
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

  /** OA `issue` for an issue that is not a PR (its required fields). */
  const issueJson = (i: PlainIssueRecord): Record<string, unknown> => ({
    id: i.id,
    node_id: nodeId('Issue', i.id),
    url: `${api}/issues/${i.number}`,
    repository_url: api,
    labels_url: `${api}/issues/${i.number}/labels{/name}`,
    comments_url: `${api}/issues/${i.number}/comments`,
    events_url: `${api}/issues/${i.number}/events`,
    html_url: `${html}/issues/${i.number}`,
    number: i.number,
    state: i.state,
    title: i.title,
    body: i.body,
    user: s.shapes.user(i.user),
    labels: [],
    assignee: null,
    assignees: [],
    milestone: null,
    locked: false,
    comments: 0,
    closed_at: i.closedAt ? iso(i.closedAt) : null,
    created_at: iso(i.createdAt),
    updated_at: iso(i.updatedAt),
    author_association: s.association(i.user),
  });
  const title = (raw: unknown): string => {
    if (typeof raw !== 'string' || raw.trim() === '')
      throw validationFailed('Validation Failed', [{ resource: 'Issue', code: 'missing_field', field: 'title' }]);
    return raw;
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
      // OA issues/update-comment (PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}): body
      // required, answers 200 or 422; the 65,536-character limit holds as on create (limits.ts).
      // Who may edit: the comment's author, or "If you have write permissions to a repository, you
      // can hide, edit, or delete comments." (docs.github.com, communities/moderating-comments-and-
      // conversations). An unknown id is 404 Not Found, as OA issues/get-comment lists. The 403
      // text for anyone else is this emulator's choice (not seen in a recording).
      method: 'PATCH',
      template: `${R}/issues/comments/{comment_id}`,
      handler: (ctx) => {
        const docs = `${DOCS}/issues/comments#update-an-issue-comment`;
        const comment = s.comments.find((c) => String(c.id) === ctx.params.comment_id);
        if (!comment) throw new ApiError(404, 'Not Found', docs);
        const body = requireString(bodyOf(ctx), 'body');
        const mayEdit = comment.login === ctx.login || canWrite(s, ctx.login);
        if (!mayEdit) throw new ApiError(403, 'Must have write access to edit this comment.', docs);
        checkCommentBody(body, 'update-an-issue-comment');
        comment.body = body;
        comment.updatedAt = ctx.now;
        return { status: 200, body: commentJson(comment) };
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
    {
      method: 'POST',
      template: `${R}/issues`,
      handler: (ctx) => {
        const b = bodyOf(ctx);
        const body = optionalString(b, 'body') ?? null;
        if (body !== null) checkCommentBody(body);
        const issue: PlainIssueRecord = {
          number: s.nextNumber(),
          id: s.id(),
          title: title(b.title),
          body,
          state: 'open',
          user: ctx.login,
          createdAt: ctx.now,
          updatedAt: ctx.now,
          closedAt: null,
        };
        s.plainIssues.push(issue);
        return { status: 201, body: issueJson(issue), headers: { location: `${api}/issues/${issue.number}` } };
      },
    },
    {
      method: 'GET',
      template: `${R}/issues`,
      handler: (ctx) => {
        const state = ctx.query.get('state') ?? 'open';
        const creator = ctx.query.get('creator');
        const list = s.plainIssues
          .filter((i) => state === 'all' || i.state === state)
          .filter((i) => creator === null || i.user === creator)
          .sort((a, b) => b.number - a.number);
        const { page, headers } = paginate(ctx, list, `/repos/${s.owner}/${s.repo}/issues`);
        return { status: 200, headers, body: page.map(issueJson) };
      },
    },
    {
      method: 'GET',
      template: `${R}/issues/{issue_number}`,
      handler: (ctx) => ({ status: 200, body: issueJson(s.plainIssue(ctx.params.issue_number!)) }),
    },
    {
      method: 'PATCH',
      template: `${R}/issues/{issue_number}`,
      handler: (ctx) => {
        const issue = s.plainIssue(ctx.params.issue_number!);
        const b = bodyOf(ctx);
        if (b.title !== undefined) issue.title = title(b.title);
        if (b.body !== undefined) {
          const body = b.body === null ? null : requireString(b, 'body');
          if (body !== null) checkCommentBody(body);
          issue.body = body;
        }
        if (b.state === 'open' || b.state === 'closed') {
          issue.closedAt = b.state === 'closed' ? ctx.now : null;
          issue.state = b.state;
        }
        issue.updatedAt = ctx.now;
        return { status: 200, body: issueJson(issue) };
      },
    },
  ];
}
