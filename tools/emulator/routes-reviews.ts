/**
 * Reviews, updating a PR's branch, and reading the branch rules: what a protected branch's
 * merge policy is made of.
 */
import { ApiError, bodyOf, DOCS, iso, optionalString, paginate, validationFailed, type Route } from './http.js';
import { updateBranch } from './merge.js';
import { rulesJson } from './rules.js';
import { nodeId } from './shapes.js';
import type { PullRecord, RepoState, ReviewRecord } from './state.js';

const R = '/repos/{owner}/{repo}';
const EVENTS: Record<string, ReviewRecord['state']> = {
  APPROVE: 'APPROVED',
  REQUEST_CHANGES: 'CHANGES_REQUESTED',
  COMMENT: 'COMMENTED',
};

export function reviewRoutes(s: RepoState): Route[] {
  const { api, html } = s.shapes;

  /** OA pull-request-review. */
  const reviewJson = (pr: PullRecord, r: ReviewRecord): Record<string, unknown> => ({
    id: r.id,
    node_id: nodeId('PullRequestReview', r.id),
    user: s.shapes.user(r.login),
    body: r.body,
    state: r.state,
    html_url: `${html}/pull/${pr.number}#pullrequestreview-${r.id}`,
    pull_request_url: `${api}/pulls/${pr.number}`,
    _links: {
      html: { href: `${html}/pull/${pr.number}#pullrequestreview-${r.id}` },
      pull_request: { href: `${api}/pulls/${pr.number}` },
    },
    submitted_at: iso(r.submittedAt),
    commit_id: r.commitId,
    author_association: s.association(r.login),
  });

  return [
    {
      method: 'POST',
      template: `${R}/pulls/{pull_number}/reviews`,
      handler: (ctx) => {
        const pr = s.sync(s.pull(ctx.params.pull_number), ctx.now);
        const body = bodyOf(ctx);
        const event = optionalString(body, 'event');
        // Without `event` GitHub keeps a PENDING (draft) review; the emulator submits only.
        const state = event === undefined ? undefined : EVENTS[event];
        if (!state)
          throw validationFailed('Validation Failed', [
            { resource: 'PullRequestReview', field: 'event', code: 'invalid' },
          ]);
        const text = optionalString(body, 'body') ?? '';
        // OA pulls/create-review: REQUEST_CHANGES and COMMENT need a body. Its 422 is
        // validation_failed_simple: `errors` is an array of strings.
        if (state !== 'APPROVED' && text === '')
          throw new ApiError(422, 'Unprocessable Entity', `${DOCS}/pulls/reviews#create-a-review-for-a-pull-request`, [
            'Body is required',
          ]);
        if (pr.user === ctx.login && state !== 'COMMENTED')
          throw new ApiError(422, 'Unprocessable Entity', `${DOCS}/pulls/reviews#create-a-review-for-a-pull-request`, [
            'Can not approve your own pull request',
          ]);
        const review: ReviewRecord = {
          id: s.id(),
          login: ctx.login,
          state,
          body: text,
          commitId: optionalString(body, 'commit_id') ?? pr.headSha,
          submittedAt: ctx.now,
        };
        pr.reviews.push(review);
        pr.updatedAt = ctx.now;
        return { status: 200, body: reviewJson(pr, review) };
      },
    },
    {
      method: 'GET',
      template: `${R}/pulls/{pull_number}/reviews`,
      handler: (ctx) => {
        const pr = s.pull(ctx.params.pull_number);
        const { page, headers } = paginate(ctx, pr.reviews, `/repos/${s.owner}/${s.repo}/pulls/${pr.number}/reviews`);
        return { status: 200, headers, body: page.map((r) => reviewJson(pr, r)) };
      },
    },
    {
      method: 'PUT',
      template: `${R}/pulls/{pull_number}/reviews/{review_id}/dismissals`,
      handler: (ctx) => {
        // OA pulls/dismiss-review: `message` required; 200 with the review, now DISMISSED; 404 for a
        // review not on this PR. Who may dismiss (on a protected branch, admins and the rules'
        // dismissers) is not modelled: the tests dismiss as the repository's admin.
        const docs = `${DOCS}/pulls/reviews#dismiss-a-review-for-a-pull-request`;
        const pr = s.pull(ctx.params.pull_number);
        const review = pr.reviews.find((x) => String(x.id) === ctx.params.review_id);
        if (!review) throw new ApiError(404, 'Not Found', docs);
        if (optionalString(bodyOf(ctx), 'message') === undefined)
          throw validationFailed('Validation Failed', [
            { resource: 'PullRequestReview', field: 'message', code: 'missing_field' },
          ]);
        review.state = 'DISMISSED';
        pr.updatedAt = ctx.now;
        return { status: 200, body: reviewJson(pr, review) };
      },
    },
    {
      method: 'PUT',
      template: `${R}/pulls/{pull_number}/update-branch`,
      handler: (ctx) => {
        const pr = s.sync(s.pull(ctx.params.pull_number), ctx.now);
        updateBranch(s, pr, ctx.identity, optionalString(bodyOf(ctx), 'expected_head_sha'), ctx.now);
        return {
          status: 202,
          body: { message: 'Updating pull request branch.', url: `${html}/pull/${pr.number}` },
        };
      },
    },
    {
      method: 'GET',
      template: `${R}/rules/branches/{branch}`,
      greedy: ['branch'],
      handler: (ctx) => {
        // docs.github.com/en/rest/repos/rules: metadata:read is enough; "The branch does not
        // need to exist."
        const rules = rulesJson(s, ctx.params.branch);
        const { page, headers } = paginate(
          ctx,
          rules,
          `/repos/${s.owner}/${s.repo}/rules/branches/${ctx.params.branch}`,
        );
        return { status: 200, headers, body: page };
      },
    },
    {
      method: 'GET',
      template: `${R}/branches/{branch}/protection`,
      greedy: ['branch'],
      handler: (ctx) => {
        const docs = `${DOCS}/branches/branch-protection#get-branch-protection`;
        const admin = s.settings.admins.some(
          (a) => a === ctx.login || (ctx.identity.app !== undefined && a === ctx.identity.app.slug),
        );
        if (!admin) {
          // Apps need Administration: read (renovatebot/renovate#23885: 403 "Resource not
          // accessible by integration"); a person without admin rights is refused likewise.
          throw new ApiError(
            403,
            ctx.identity.kind === 'app'
              ? 'Resource not accessible by integration'
              : 'Must have admin rights to Repository.',
            docs,
          );
        }
        // Rules here are rulesets, not classic protection: the classic endpoint sees none
        // (the branch-protection fixture's 404 body).
        throw new ApiError(404, 'Branch not protected', docs);
      },
    },
  ];
}
