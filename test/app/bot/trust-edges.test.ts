/**
 * Issue #10 items 3 (abort), 7, 12, 13 and the variants (a reopened PR, a commit carrying the
 * bot's email, symlinks under generated/, a fork PR on the bot's branch name), against the emulator. Each failed on the bot before
 * the trust model (docs/design.md, "Bot trust model and merge rule").
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CHECK_HEALTH, CHECK_VERIFY } from '../../../constructs/conventions.js';
import { GitHubAdapter } from '../../../app/bot/github.js';
import { openRollback } from '../../../app/bot/reconcile.js';
import { runAdvance } from '../../../app/bot/run.js';
import { botFromSettings, cacheScope } from '../../../app/bot/setup.js';
import {
  BOT_TOKEN,
  headOf,
  INTENT,
  MIN,
  OWNER,
  push,
  REPO,
  world,
  type World,
  REPO_REF as r,
  STAGE,
  ROLLBACK,
  commentBodies,
  pullOf,
} from './harness.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

const comments = (n: number): Promise<string[]> => commentBodies(w!, n);
const pull = (n: number) => pullOf(w!, n);

describe('item 7: a GitHub App identity without GET /user', () => {
  it('runs a pass with an installation token and --app-slug, never asking GET /user', async () => {
    w = await world({}, { app: true });
    w.gh.resetLog();
    expect((await w.bot().pass())[0]!.summary).toBe('opened #1 (internal → one-percent)');
    expect(w.gh.requests.filter((q) => q.path === '/user')).toEqual([]);
    expect((await pull(1)).user?.login).toBe('stagegate[bot]');
  });

  it('says what a 403 from GET /user means for an installation token, not "rate limited"', async () => {
    w = await world({}, { app: true });
    const adapter = new GitHubAdapter({ ...r, token: BOT_TOKEN, baseUrl: w.gh.url, retryUnitMs: 1 });
    const err = await adapter.viewer().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toContain('(HTTP 403)');
    expect(err?.message).toContain('--app-slug');
    expect(err?.message).not.toContain('rate limited');
  });
});

describe('item 2: gate --post / verify --post as the App', () => {
  it('updates only an open run its own App created; another App’s run of the same name is left alone', async () => {
    w = await world({}, { app: true });
    await w.bot().pass();
    const head = await headOf(w.ci, STAGE);
    const theirs = await w.actions.rest.checks.create({
      ...r,
      name: CHECK_HEALTH,
      head_sha: head,
      status: 'in_progress',
    });
    const gate = botFromSettings({ ...r, token: BOT_TOKEN, apiUrl: w.gh.url, appSlug: 'stagegate' }).adapter;
    const posted = await gate.upsertCheckRun(head, {
      name: CHECK_HEALTH,
      status: 'completed',
      conclusion: 'success',
      title: 'healthy',
      summary: 'baked',
    });
    expect(posted.id).not.toBe(theirs.data.id);
    const runs = (await w.ci.rest.checks.listForRef({ ...r, ref: head, filter: 'all' })).data.check_runs;
    expect(runs.find((x) => x.id === theirs.data.id)?.status).toBe('in_progress');
    expect(runs.find((x) => x.id === posted.id)?.app?.slug).toBe('stagegate');
  });
});

describe('item 3: stagegate abort', () => {
  it('opens the bot’s own rollback when someone else’s PR sits on the rollback branch, and says ok only then', async () => {
    w = await world({}, { app: true });
    await push(w.mallory, {
      parent: await headOf(w.ci, 'main'),
      files: { 'README.md': { content: 'hello\n' } },
      message: 'docs',
      branch: ROLLBACK,
    });
    const theirs = await w.mallory.rest.pulls.create({ ...r, head: ROLLBACK, base: 'main', title: 'docs' });
    const report = await openRollback(w.bot().options, 'rollouts/checkout.yaml', 'pager: checkout 500s');
    expect(report.ok).toBe(true);
    expect(report.action).toBe('rollback');
    const mine = await pull(report.number!);
    expect(mine.user?.login).toBe('stagegate[bot]');
    expect(mine.head.ref).toBe(`${ROLLBACK}_2`);
    expect((await pull(theirs.data.number)).labels).toEqual([]);
  });

  it('says so (ok) without opening anything when the rollout is already aborted', async () => {
    w = await world({}, { app: true });
    const bot = w.bot();
    await openRollback(bot.options, 'rollouts/checkout.yaml', 'first');
    const rb = (await w.pulls())[0]!;
    await w.check(rb.head.sha, CHECK_VERIFY, 'success');
    expect((await bot.pass())[0]!.summary).toBe('rolled back: merged #1 (100 % v1)');
    const again = await openRollback(bot.options, 'rollouts/checkout.yaml', 'second');
    expect([again.action, again.ok]).toEqual(['nothing', true]);
  });
});

describe('item 12: one comment per marker across a crash', () => {
  it('finishes closing the stage PR after a failed close without posting the closing comment again', async () => {
    w = await world({}, { app: true });
    const bot = w.bot();
    await bot.pass();
    await w.greenChecks(STAGE, 'failure');
    // Closing #1 fails once (after the closing comment was posted): GitHub answered 422.
    w.gh.faults.add({ kind: 'status', status: 422, match: { method: 'PATCH', path: /\/pulls\/1$/ }, times: 1 });
    expect((await bot.pass())[0]!.action).toBe('error');
    expect((await pull(1)).state).toBe('open');
    const next = (await bot.pass())[0]!;
    expect(next.summary).toMatch(/^rolling back: #2 opened, #1 closed/);
    expect((await pull(1)).state).toBe('closed');
    const closing = (await comments(1)).filter((c) => c.includes('stagegate:closed-for-rollback'));
    expect(closing).toHaveLength(1);
    expect(closing[0]).toContain('stagegate/health failed on #1');
  });
});

describe('item 13: smaller ones', () => {
  it('refuses two intents with the same namespace/name with one clear line each, and writes no branch', async () => {
    w = await world({ 'rollouts/zz-dup-checkout.yaml': INTENT.replace('stable: v1', 'stable: v0') }, { app: true });
    w.gh.resetLog();
    for (let i = 0; i < 3; i += 1) {
      const reports = await w.bot().pass();
      expect(reports.map((x) => x.action)).toEqual(['error', 'error']);
      expect(reports[0]!.summary).toBe(
        'shop/checkout is defined by rollouts/checkout.yaml and rollouts/zz-dup-checkout.yaml; stagegate acts on neither until one is removed (stagegate check says the same)',
      );
    }
    expect(w.gh.requests.filter((q) => q.method !== 'GET')).toEqual([]);
  });

  it('never prints nor caches a credential written into GITHUB_API_URL', async () => {
    w = await world({}, { app: true });
    const secret = 'ghs_URLSECRET_9f3e';
    const url = w.gh.url.replace('http://', `http://x-access-token:${secret}@`);
    const file = `/tmp/stagegate-cred-${process.pid}-${Date.now()}.json`;
    const out: string[] = [];
    const io = { stdout: (t: string) => out.push(t), stderr: (t: string) => out.push(t), cwd: '/', env: {} };
    const settings = { ...r, token: BOT_TOKEN, apiUrl: url, appSlug: 'stagegate' };
    const err = await runAdvance(settings, { watch: false, intervalMs: 1, json: false, cacheFile: file }, io).then(
      () => undefined,
      (e: Error) => e,
    );
    const text = `${out.join('')}${err?.message ?? ''}${String((err?.cause as Error | undefined)?.message ?? '')}`;
    expect(err).toBeDefined();
    expect(text).not.toContain(secret);
    expect(JSON.stringify(cacheScope(settings))).not.toContain(secret);
    expect(() => botFromSettings(settings)).toThrow('GITHUB_API_URL carries credentials');
    const { existsSync, readFileSync, rmSync } = await import('node:fs');
    if (existsSync(file)) {
      expect(readFileSync(file, 'utf8')).not.toContain(secret);
      rmSync(file);
    }
  });

  it('asks per_page of at most 100 on every request of a walk (OpenAPI per-page: max 100)', async () => {
    w = await world({}, { app: true });
    const bot = w.bot();
    await bot.pass();
    w.advance(31 * MIN);
    await w.greenChecks(STAGE);
    await bot.pass();
    await bot.pass();
    const pages = w.gh.requests.map((q) => Number(new URLSearchParams(q.query).get('per_page') ?? '0'));
    expect(Math.max(...pages)).toBeLessThanOrEqual(100);
    expect(pages.some((p) => p > 0)).toBe(true);
  });
});

describe('variants', () => {
  it('refuses a commit carrying the bot’s email pushed by a person (GitHub attributes it to the bot; it is not signed)', async () => {
    w = await world({}, { app: true });
    const bot = w.bot();
    await bot.pass();
    const botUser = (await w.ci.rest.users.getByUsername({ username: 'stagegate[bot]' })).data;
    const email = `${botUser.id}+stagegate[bot]@users.noreply.github.com`;
    await push(w.mallory, {
      parent: await headOf(w.ci, STAGE),
      files: { 'generated/checkout.k8s.yaml': { content: 'kind: Namespace\n' } },
      message: 'stagegate: tweak',
      author: { name: 'stagegate[bot]', email },
      branch: STAGE,
    });
    const commits = (await w.ci.rest.pulls.listCommits({ ...r, pull_number: 1 })).data;
    expect(commits.at(-1)!.author?.login).toBe('stagegate[bot]');
    w.advance(31 * MIN);
    await w.greenChecks(STAGE);
    const report = (await bot.pass())[0]!;
    expect(report.action).toBe('refuse');
    expect(report.summary).toContain('is not signed by GitHub');
    expect((await pull(1)).merged).toBe(false);
  });

  it('refuses a symlink under generated/ (mode 120000) even in a commit GitHub attributes to the bot', async () => {
    // The personal-token world: no signature to ask for, so the mode check is what stops it.
    w = await world();
    const bot = w.bot();
    await bot.pass();
    await push(w.mallory, {
      parent: await headOf(w.ci, STAGE),
      files: { 'generated/secrets.k8s.yaml': { link: '../../../etc/passwd' } },
      message: 'stagegate: secrets',
      author: { name: 'stagegate-bot', email: 'stagegate-bot@users.noreply.github.com' },
      branch: STAGE,
    });
    w.advance(31 * MIN);
    await w.greenChecks(STAGE);
    const report = (await bot.pass())[0]!;
    expect(report.action).toBe('refuse');
    expect(report.summary).toContain('file generated/secrets.k8s.yaml is a symlink, not a plain file');
  });

  it('refuses an executable file mode (100755) under rollouts/', async () => {
    w = await world();
    const bot = w.bot();
    await bot.pass();
    await push(w.mallory, {
      parent: await headOf(w.ci, STAGE),
      files: { 'rollouts/checkout.yaml': { content: w.gh.readFile(STAGE, 'rollouts/checkout.yaml')!, mode: '100755' } },
      message: 'stagegate: mode',
      author: { name: 'stagegate-bot', email: 'stagegate-bot@users.noreply.github.com' },
      branch: STAGE,
    });
    w.advance(31 * MIN);
    await w.greenChecks(STAGE);
    const report = (await bot.pass())[0]!;
    expect(report.action).toBe('refuse');
    expect(report.summary).toContain('rollouts/checkout.yaml is an executable');
  });

  it('refuses a closed PR someone reopened after adding their commit', async () => {
    w = await world({}, { app: true });
    const bot = w.bot();
    await bot.pass();
    await w.person.rest.pulls.update({ ...r, pull_number: 1, state: 'closed' });
    expect((await bot.pass())[0]!.summary).toContain('closed-by-person');
    await push(w.mallory, {
      parent: await headOf(w.ci, STAGE),
      files: { 'rollouts/checkout.yaml': { content: INTENT.replace('stage: internal', 'stage: full') } },
      message: 'skip ahead',
      branch: STAGE,
    });
    await w.mallory.rest.pulls.update({ ...r, pull_number: 1, state: 'open' });
    w.advance(31 * MIN);
    await w.greenChecks(STAGE);
    for (let i = 0; i < 2; i += 1) expect((await bot.pass())[0]!.action).toBe('refuse');
    expect((await pull(1)).merged).toBe(false);
    expect(w.gh.readFile('main', 'rollouts/checkout.yaml')).toContain('stage: internal');
  });

  it('never merges, adopts or touches a fork PR whose head is named like its stage branch, even green on its own commit', async () => {
    w = await world({}, { app: true });
    const bot = w.bot();
    // PUT /_emulator/forks/OWNER/refs/BRANCH: a branch of mallory's fork (GitHub shares objects in a fork network).
    const fork = async (sha: string): Promise<void> => {
      const res = await fetch(`${w!.gh.url}/_emulator/forks/mallory/refs/${STAGE}`, {
        method: 'PUT',
        body: JSON.stringify({ sha }),
      });
      expect(res.status).toBe(200);
    };
    const green = async (sha: string): Promise<void> => {
      await w!.check(sha, CHECK_VERIFY, 'success');
      await w!.check(sha, CHECK_HEALTH, 'success');
    };
    const skip = await push(w.mallory, {
      parent: await headOf(w.ci, 'main'),
      files: { 'rollouts/checkout.yaml': { content: INTENT.replace('stage: internal', 'stage: full') } },
      message: 'promote',
    });
    await fork(skip);
    const theirs = (
      await w.mallory.rest.pulls.create({ ...r, head: `mallory:${STAGE}`, base: 'main', title: 'shop/checkout' })
    ).data;
    await green(skip);
    w.advance(31 * MIN);
    expect((await bot.pass())[0]!.summary).toBe('opened #2 (internal → one-percent)');
    const own = await pull(2);
    expect([own.head.ref, own.head.repo?.full_name, own.user?.login]).toEqual([
      STAGE,
      `${OWNER}/${REPO}`,
      'stagegate[bot]',
    ]);
    // The fork now replays the bot's own commit: the same sha, so the same green checks.
    await fork(own.head.sha);
    expect((await pull(theirs.number)).head.sha).toBe(own.head.sha);
    w.advance(31 * MIN);
    await green(own.head.sha);
    expect((await bot.pass())[0]!.summary).toBe('merged #2 (internal → one-percent)');
    const after = await pull(theirs.number);
    expect([after.state, after.merged, after.labels]).toEqual(['open', false, []]);
    const touched = w.gh.requests.filter(
      (q) => q.login === 'stagegate[bot]' && q.method !== 'GET' && /\/(pulls|issues)\/1(\/|$)/.test(q.path),
    );
    expect(touched).toEqual([]);
    expect(w.gh.readFile('main', 'rollouts/checkout.yaml')).toContain('stage: one-percent');
  });

  it('does not roll back on a red health run from an untrusted App', async () => {
    w = await world({}, { app: true });
    const bot = w.bot();
    await bot.pass();
    const head = await headOf(w.ci, STAGE);
    const iso = w.now().toISOString();
    await w.actions.rest.checks.create({
      ...r,
      name: CHECK_HEALTH,
      head_sha: head,
      status: 'completed',
      conclusion: 'failure',
      started_at: iso,
      completed_at: iso,
    });
    const report = (await bot.pass())[0]!;
    expect(report.action).toBe('wait');
    expect((await pull(1)).state).toBe('open');
  });
});
