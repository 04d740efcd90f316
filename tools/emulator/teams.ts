/**
 * Organization teams: `GET /orgs/{org}/teams/{team_slug}/memberships/{username}`, what the bot asks
 * to count a stage's `approval: { teams: [...] }` (README "People in the loop").
 *
 * Sources: docs.github.com/rest/teams/members#get-team-membership-for-a-user and @octokit/openapi
 * (operation teams/get-membership-for-user-in-org): 200 with schema `team-membership` (`url`,
 * `role` member | maintainer, `state` active | pending; "Team members will include the members of
 * child teams", "the role for organization owners is set to maintainer"), 404 otherwise (the only
 * other response OA lists: not a member, or a team the caller cannot see). An invitation not yet
 * accepted answers 200 with state "pending": such a person is not yet a member.
 */
import { ApiError, DOCS, type Route } from './http.js';
import type { RepoState } from './state.js';

/** Members come from the config's `teams`: `login`, or `login:pending` for an open invitation. */
export function teamRoutes(s: RepoState): Route[] {
  return [
    {
      method: 'GET',
      template: '/orgs/{org}/teams/{team_slug}/memberships/{username}',
      handler: (ctx) => {
        const docs = `${DOCS}/teams/members#get-team-membership-for-a-user`;
        const { org, team_slug: slug, username } = ctx.params;
        const members = s.settings.teams.get(`${org}/${slug}`.toLowerCase());
        const entry = members?.find((m) => m.replace(/:pending$/, '').toLowerCase() === username.toLowerCase());
        if (entry === undefined) throw new ApiError(404, 'Not Found', docs);
        return {
          status: 200,
          body: {
            url: `${s.shapes.api.replace(/\/repos\/[^/]+\/[^/]+$/, '')}/orgs/${org}/teams/${slug}/memberships/${username}`,
            role: 'member',
            state: entry.endsWith(':pending') ? 'pending' : 'active',
          },
        };
      },
    },
  ];
}
