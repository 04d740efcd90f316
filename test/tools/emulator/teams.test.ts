/**
 * Organization teams: GET /orgs/{org}/teams/{team_slug}/memberships/{username} in the shape of OA
 * teams/get-membership-for-user-in-org (the harness validates every answer against it): 200 with
 * `state` active or pending, 404 for anyone else (docs.github.com/rest/teams/members
 * #get-team-membership-for-a-user). What a stage's `approval: { teams: [...] }` asks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../tools/emulator/index.js';
import { validateResponse } from '../../../tools/emulator/openapi.js';
import { harness, type Harness } from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await harness({
    users: { 'alice-token': 'alice' },
    apps: { 'app-token': 'stagegate' },
    teams: { 'acme/SRE': ['carol', 'erin:pending'] },
  });
});
afterAll(async () => {
  await h.emu.close();
});

const OP = { template: '/orgs/{org}/teams/{team_slug}/memberships/{username}', method: 'get' };

async function membership(team_slug: string, username: string): Promise<unknown> {
  try {
    const { data } = await h.client('app-token').teams.getMembershipForUserInOrg({ org: 'acme', team_slug, username });
    return data;
  } catch (err) {
    return (err as { status: number }).status;
  }
}

describe('GET /orgs/{org}/teams/{team_slug}/memberships/{username} (OA teams/get-membership-for-user-in-org)', () => {
  it('answers active for a member, pending for an invitation, 404 for anyone else or an unknown team', async () => {
    const carol = await membership('sre', 'Carol');
    expect(carol).toMatchObject({ role: 'member', state: 'active' });
    expect(validateResponse(OP, 200, carol)).toEqual([]);
    expect(await membership('sre', 'erin')).toMatchObject({ state: 'pending' });
    expect(await membership('sre', 'alice')).toBe(404);
    expect(await membership('payments', 'carol')).toBe(404);
  });

  it('reads teams from a config file and refuses a team that is not a list of logins', () => {
    expect(parseConfig('{"teams": {"acme/sre": ["carol"]}}', 'c.json').options.teams).toEqual({
      'acme/sre': ['carol'],
    });
    expect(() => parseConfig('{"teams": {"acme/sre": "carol"}}', 'c.json')).toThrow(
      new ConfigError('teams.acme/sre must be an array of strings (got "carol")'),
    );
  });
});
