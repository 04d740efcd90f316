import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitFiles, harness, repo, statusOf, type Harness } from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await harness({
    users: { 'alice-token': 'alice', 'mallory-token': 'mallory' },
    apps: { 'app-token': 'stagegate', 'app-token-2': 'stagegate', 'ci-token': 'ci', 'gha-token': 'github-actions' },
    emails: { 'alice@example.com': 'alice' },
  });
});
afterAll(async () => {
  await h.emu.close();
});

const head = async (): Promise<string> =>
  (await h.client('alice-token').git.getRef({ ...repo, ref: 'heads/main' })).data.object.sha;

describe('people and GitHub App installations', () => {
  it('answers GET /user 403 "Resource not accessible by integration" to an App installation token (actions/create-github-app-token#258)', async () => {
    const res = await statusOf(h.client('app-token').users.getAuthenticated());
    expect([res.status, res.data]).toEqual([
      403,
      {
        message: 'Resource not accessible by integration',
        documentation_url: 'https://docs.github.com/rest/users/users#get-the-authenticated-user',
        status: '403',
      },
    ]);
    const me = (await h.client('alice-token').users.getAuthenticated()).data;
    expect([me.login, me.type]).toEqual(['alice', 'User']);
  });

  it('shows an App as SLUG[bot] of type Bot on PRs and comments (webhooks-examples check_suite[7].sender)', async () => {
    const app = h.client('app-token');
    await commitFiles(app, 'stagegate/ids/one', { 'rollouts/checkout.yaml': 'stage: one\n' });
    const pr = (await app.pulls.create({ ...repo, head: 'stagegate/ids/one', base: 'main', title: 'one' })).data;
    const comment = (await app.issues.createComment({ ...repo, issue_number: pr.number, body: 'hi' })).data;
    expect([pr.user.login, pr.user.type, pr.user.html_url]).toEqual([
      'stagegate[bot]',
      'Bot',
      `${h.emu.url}/apps/stagegate`,
    ]);
    expect([comment.user?.login, comment.user?.type]).toEqual(['stagegate[bot]', 'Bot']);
    const bot = (await h.client('alice-token').users.getByUsername({ username: 'stagegate[bot]' })).data;
    expect([bot.login, bot.type, bot.id]).toEqual(['stagegate[bot]', 'Bot', pr.user.id]);
    expect((await statusOf(h.client('alice-token').users.getByUsername({ username: 'nobody' }))).status).toBe(404);
  });

  it('refuses check runs from a personal token: 403 "You must authenticate via a GitHub App." (EnricoMi/publish-unit-test-result-action#53)', async () => {
    const res = await statusOf(
      h.client('mallory-token').checks.create({ ...repo, name: 'stagegate/health', head_sha: await head() }),
    );
    expect([res.status, (res.data as { message: string }).message]).toEqual([
      403,
      'You must authenticate via a GitHub App.',
    ]);
  });

  it('files a check run under the creating App (OA check-run.app → integration) and lets only that App PATCH it', async () => {
    const sha = await head();
    const run = (
      await h.client('app-token').checks.create({ ...repo, name: 'stagegate/health', head_sha: sha, status: 'queued' })
    ).data;
    expect([run.app?.slug, run.app?.name, typeof run.app?.id, run.app?.owner && 'login' in run.app.owner]).toEqual([
      'stagegate',
      'stagegate',
      'number',
      true,
    ]);
    // Another token of the same installation is the same App.
    const same = await h.client('app-token-2').checks.update({ ...repo, check_run_id: run.id, status: 'in_progress' });
    expect(same.data.status).toBe('in_progress');
    const other = await statusOf(
      h.client('ci-token').checks.update({ ...repo, check_run_id: run.id, conclusion: 'success' }),
    );
    expect([other.status, (other.data as { message: string }).message]).toEqual([
      403,
      `Invalid app_id \`${run.app?.id}\` - check run can only be modified by the GitHub App that created it.`,
    ]);
    const person = await statusOf(
      h.client('alice-token').checks.update({ ...repo, check_run_id: run.id, conclusion: 'success' }),
    );
    expect(person.status).toBe(403);
    const listed = await h.client('alice-token').checks.listForRef({ ...repo, ref: sha, app_id: run.app!.id });
    expect(listed.data.check_runs.map((r) => [r.id, r.status])).toEqual([[run.id, 'in_progress']]);
  });

  it("acts as the github-actions App (id 15368) for a workflow's GITHUB_TOKEN", async () => {
    const run = (
      await h
        .client('gha-token')
        .checks.create({ ...repo, name: 'advance', head_sha: await head(), status: 'in_progress' })
    ).data;
    expect([run.app?.id, run.app?.slug]).toEqual([15368, 'github-actions']);
    const res = await statusOf(h.client('gha-token').users.getAuthenticated());
    expect(res.status).toBe(403);
  });

  it('keeps one check run per name and App as "latest", picked by completed_at (OA checks/list-for-ref filter)', async () => {
    const sha = await commitFiles(h.client('app-token'), 'stagegate/ids/latest', { 'a.txt': 'a\n' });
    const app = h.client('app-token');
    const at = (m: number): string => new Date(Date.parse('2026-03-01T12:00:00Z') + m * 60_000).toISOString();
    const older = await app.checks.create({
      ...repo,
      name: 'h',
      head_sha: sha,
      started_at: at(0),
      status: 'in_progress',
    });
    const newer = await app.checks.create({
      ...repo,
      name: 'h',
      head_sha: sha,
      started_at: at(5),
      conclusion: 'success',
      completed_at: at(6),
    });
    // The older run reports last, timed out: it is the latest.
    await app.checks.update({ ...repo, check_run_id: older.data.id, conclusion: 'timed_out', completed_at: at(9) });
    await h
      .client('ci-token')
      .checks.create({ ...repo, name: 'h', head_sha: sha, conclusion: 'success', completed_at: at(1) });
    const latest = await app.checks.listForRef({ ...repo, ref: sha });
    expect(latest.data.check_runs.map((r) => `${r.app?.slug}:${r.conclusion}`).sort()).toEqual([
      'ci:success',
      'stagegate:timed_out',
    ]);
    expect(latest.data.check_runs.some((r) => r.id === newer.data.id)).toBe(false);
  });
});

describe('commit attribution by email (github/docs why-are-my-commits-linked-to-the-wrong-user)', () => {
  it('links author.login to the account of the email, whoever created the commit; unknown email → null', async () => {
    const mallory = h.client('mallory-token');
    const app = h.client('app-token');
    const bot = (await app.pulls.list({ ...repo, state: 'all' })).data[0]!.user!;
    const botEmail = `${bot.id}+stagegate[bot]@users.noreply.github.com`;
    const main = await head();
    const tree = (await mallory.git.getCommit({ ...repo, commit_sha: main })).data.tree.sha;
    const make = async (email: string | undefined): Promise<string> =>
      (
        await mallory.git.createCommit({
          ...repo,
          message: `as ${email}`,
          tree,
          parents: [main],
          ...(email ? { author: { name: 'x', email, date: '2026-03-01T12:00:00Z' } } : {}),
        })
      ).data.sha;
    const logins: Array<string | null | undefined> = [];
    for (const email of [botEmail, 'alice@example.com', 'stranger@example.com', undefined]) {
      logins.push((await mallory.repos.getCommit({ ...repo, ref: await make(email) })).data.author?.login ?? null);
    }
    expect(logins).toEqual(['stagegate[bot]', 'alice', null, 'mallory']);
    // The noreply id must be the account's.
    const wrongId = await make('1+stagegate[bot]@users.noreply.github.com');
    expect((await mallory.repos.getCommit({ ...repo, ref: wrongId })).data.author).toBeNull();
  });

  it('reports an App\'s Git Data API commit without author/committer as verified "valid", committed by web-flow; others unsigned (github/docs about-commit-signature-verification)', async () => {
    const app = h.client('app-token');
    const main = await head();
    const tree = (await app.git.getCommit({ ...repo, commit_sha: main })).data.tree.sha;
    const plain = (await app.git.createCommit({ ...repo, message: 'signed', tree, parents: [main] })).data;
    expect([plain.verification.verified, plain.verification.reason, plain.committer.email]).toEqual([
      true,
      'valid',
      'noreply@github.com',
    ]);
    const custom = (
      await app.git.createCommit({
        ...repo,
        message: 'custom author',
        tree,
        parents: [main],
        author: { name: 'someone', email: 'alice@example.com', date: '2026-03-01T12:00:00Z' },
      })
    ).data;
    const byPerson = (
      await h.client('alice-token').git.createCommit({ ...repo, message: 'pat', tree, parents: [main] })
    ).data;
    expect([custom.verification.reason, byPerson.verification.reason]).toEqual(['unsigned', 'unsigned']);
    const read = (await app.repos.getCommit({ ...repo, ref: plain.sha })).data;
    expect([read.commit.verification?.verified, read.author?.login, read.committer?.login]).toEqual([
      true,
      'stagegate[bot]',
      'web-flow',
    ]);
  });
});

describe('rate limits and ETags', () => {
  it('shares one primary budget between the tokens of one installation (docs "Rate limits for GitHub Apps")', async () => {
    const a = await h.client('app-token').repos.get({ ...repo });
    const b = await h.client('app-token-2').repos.get({ ...repo });
    expect(Number(b.headers['x-ratelimit-used'])).toBe(Number(a.headers['x-ratelimit-used']) + 1);
  });

  it('ties ETags to the token: a new token gets 200, not 304 (GitHub support in eclipse-csi/otterdog#201)', async () => {
    const first = await h.client('app-token').repos.get({ ...repo });
    const etag = first.headers.etag!;
    const again = await statusOf(h.client('app-token').repos.get({ ...repo, headers: { 'if-none-match': etag } }));
    expect(again.status).toBe(304);
    const fresh = await h.client('app-token-2').repos.get({ ...repo, headers: { 'if-none-match': etag } });
    expect([fresh.status, fresh.headers.etag === etag, fresh.headers.vary]).toEqual([
      200,
      false,
      'Accept, Authorization, Cookie, X-GitHub-OTP',
    ]);
  });
});
