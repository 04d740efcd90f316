/**
 * Issues that are not pull requests (the bot's dashboard issue): create, get, list, edit. They share
 * the numbering with pull requests, as on GitHub (OA issues/create: "number"). Shapes after OA
 * `issue` (its required fields). GET /issues lists these only; GitHub also lists every PR there,
 * marked with `pull_request`, which a client must filter out anyway (README, "not emulated").
 */
import {
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
import type { RepoState } from './state.js';

const R = '/repos/{owner}/{repo}';

export interface PlainIssueRecord {
  number: number;
  id: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  user: string;
  createdAt: Date;
  updatedAt: Date;
  closedAt: Date | null;
}

export function plainIssueRoutes(s: RepoState): Route[] {
  const { api, html } = s.shapes;
  const json = (i: PlainIssueRecord): Record<string, unknown> => ({
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
    author_association: i.user === s.owner ? 'OWNER' : 'MEMBER',
  });
  const find = (n: string): PlainIssueRecord => {
    const issue = s.plainIssues.find((i) => i.number === Number(n));
    if (!issue) throw notFound();
    return issue;
  };
  const title = (raw: unknown): string => {
    if (typeof raw !== 'string' || raw.trim() === '')
      throw validationFailed('Validation Failed', [{ resource: 'Issue', code: 'missing_field', field: 'title' }]);
    return raw;
  };
  return [
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
        return { status: 201, body: json(issue), headers: { location: `${api}/issues/${issue.number}` } };
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
        return { status: 200, headers, body: page.map(json) };
      },
    },
    {
      method: 'GET',
      template: `${R}/issues/{issue_number}`,
      handler: (ctx) => ({ status: 200, body: json(find(ctx.params.issue_number!)) }),
    },
    {
      method: 'PATCH',
      template: `${R}/issues/{issue_number}`,
      handler: (ctx) => {
        const issue = find(ctx.params.issue_number!);
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
        return { status: 200, body: json(issue) };
      },
    },
  ];
}
