/**
 * Repository roles: GET /repos/{o}/{r}/collaborators/{username}/permission in the shape of OA
 * repos/get-collaborator-permission-level (every answer here is validated against that schema by
 * the harness), and approvals that count on merge only from write access or more ("At least 1
 * approving review is required by reviewers with write access.", microsoft/winget-pkgs#252733).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../tools/emulator/index.js';
import { validateResponse } from '../../../tools/emulator/openapi.js';
import { commitFiles, harness, repo, statusOf, type Harness } from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await harness({
    users: {
      'alice-token': 'alice',
      'mallory-token': 'mallory',
      'tess-token': 'tess',
      'max-token': 'max',
      'ada-token': 'ada',
    },
    apps: { 'app-token': 'stagegate' },
    admins: ['ada'],
    permissions: { mallory: 'read', tess: 'triage', max: 'maintain', ghost: 'none' },
  });
});
afterAll(async () => {
  await h.emu.close();
});

const bot = () => h.client('app-token');
const PERMISSION = '/repos/{owner}/{repo}/collaborators/{username}/permission';

async function level(username: string, token = 'app-token'): Promise<[string, string, boolean, string]> {
  const { data } = await h.client(token).repos.getCollaboratorPermissionLevel({ ...repo, username });
  return [data.permission, data.role_name, data.user?.permissions?.push ?? false, data.user?.login ?? ''];
}

describe('GET /repos/{o}/{r}/collaborators/{username}/permission (OA repos/get-collaborator-permission-level)', () => {
  it('answers the base role (maintain → write, triage → read) and the role name, for people and Apps', async () => {
    expect(await level('acme')).toEqual(['admin', 'admin', true, 'acme']);
    expect(await level('ada')).toEqual(['admin', 'admin', true, 'ada']);
    expect(await level('max')).toEqual(['write', 'maintain', true, 'max']);
    expect(await level('alice')).toEqual(['write', 'write', true, 'alice']);
    expect(await level('tess')).toEqual(['read', 'triage', false, 'tess']);
    expect(await level('MALLORY')).toEqual(['read', 'read', false, 'mallory']);
    expect(await level('ghost')).toEqual(['none', 'none', false, 'ghost']);
    expect(await level('stagegate[bot]', 'alice-token')).toEqual(['write', 'write', true, 'stagegate[bot]']);
  });

  it('answers 404 for an account that does not exist, and 403 to a person without push access', async () => {
    const missing = await statusOf(bot().repos.getCollaboratorPermissionLevel({ ...repo, username: 'nobody' }));
    expect([missing.status, missing.message]).toEqual([404, expect.stringContaining('Not Found')]);
    const asked = await statusOf(
      h.client('mallory-token').repos.getCollaboratorPermissionLevel({ ...repo, username: 'alice' }),
    );
    expect([asked.status, (asked.data as { message: string }).message]).toEqual([
      403,
      'Must have push access to view collaborator permission.',
    ]);
  });

  it('is checked against the schema: a body without role_name is a mismatch', async () => {
    const { data } = await bot().repos.getCollaboratorPermissionLevel({ ...repo, username: 'alice' });
    const op = { method: 'GET', template: PERMISSION };
    expect(validateResponse(op, 200, data)).toEqual([]);
    const { role_name: _dropped, ...without } = data;
    expect(validateResponse(op, 200, without)).toEqual([
      expect.stringContaining("must have required property 'role_name'"),
    ]);
  });
});

describe('approvals count only from write access or more', () => {
  it('refuses a merge approved by a read-only person and merges once a person with write access approves', async () => {
    await fetch(`${h.emu.url}/_emulator/protection/main`, {
      method: 'PUT',
      body: JSON.stringify({ requiredApprovingReviews: 1 }),
    });
    await commitFiles(bot(), 'stagegate/perm/1', { 'notes/perm.txt': 'x\n' });
    const pr = (await bot().pulls.create({ ...repo, head: 'stagegate/perm/1', base: 'main', title: 'p' })).data;
    for (const token of ['mallory-token', 'tess-token'])
      await h.client(token).pulls.createReview({ ...repo, pull_number: pr.number, event: 'APPROVE' });
    const refused = await statusOf(bot().pulls.merge({ ...repo, pull_number: pr.number, merge_method: 'squash' }));
    expect([refused.status, (refused.data as { message: string }).message]).toEqual([
      405,
      'Repository rule violations found\n\nAt least 1 approving review is required by reviewers with write access.\n\n',
    ]);
    await h.client('max-token').pulls.createReview({ ...repo, pull_number: pr.number, event: 'APPROVE' });
    const merged = await bot().pulls.merge({ ...repo, pull_number: pr.number, merge_method: 'squash' });
    expect(merged.data.merged).toBe(true);
  });

  it('does not count a code owner\'s approval without write access (docs "About code owners")', async () => {
    await fetch(`${h.emu.url}/_emulator/protection/main`, { method: 'DELETE' });
    await commitFiles(h.client('alice-token'), 'owners', { '.github/CODEOWNERS': '* @tess @max\n' });
    const owners = (await bot().pulls.create({ ...repo, head: 'owners', base: 'main', title: 'owners' })).data;
    await bot().pulls.merge({ ...repo, pull_number: owners.number });
    await fetch(`${h.emu.url}/_emulator/protection/main`, {
      method: 'PUT',
      body: JSON.stringify({ requireCodeOwnerReviews: true }),
    });
    await commitFiles(bot(), 'stagegate/perm/2', { 'rollouts/checkout.yaml': 'stage: owned\n' });
    const pr = (await bot().pulls.create({ ...repo, head: 'stagegate/perm/2', base: 'main', title: 'p' })).data;
    await h.client('tess-token').pulls.createReview({ ...repo, pull_number: pr.number, event: 'APPROVE' });
    const refused = await statusOf(bot().pulls.merge({ ...repo, pull_number: pr.number, merge_method: 'squash' }));
    expect([refused.status, (refused.data as { message: string }).message]).toEqual([
      405,
      'Repository rule violations found\n\nWaiting on code owner review from @tess, @max.\n\n',
    ]);
    await h.client('max-token').pulls.createReview({ ...repo, pull_number: pr.number, event: 'APPROVE' });
    const merged = await bot().pulls.merge({ ...repo, pull_number: pr.number, merge_method: 'squash' });
    expect(merged.data.merged).toBe(true);
  });

  it('takes roles from --config and the settings hook, and names a wrong role', async () => {
    expect(parseConfig('{"permissions":{"eve":"triage"}}', 'x.json').options.permissions).toEqual({ eve: 'triage' });
    expect(() => parseConfig('{"permissions":{"eve":"owner"}}', 'x.json')).toThrow(ConfigError);
    expect(() => parseConfig('{"permissions":{"eve":"owner"}}', 'x.json')).toThrow(
      'permissions.eve must be admin | maintain | write | triage | read | none (got "owner")',
    );
    const res = await fetch(`${h.emu.url}/_emulator/settings`, {
      method: 'PATCH',
      body: JSON.stringify({ permissions: { alice: 'read' } }),
    });
    expect(res.status).toBe(200);
    expect(await level('alice')).toEqual(['read', 'read', false, 'alice']);
  });
});
