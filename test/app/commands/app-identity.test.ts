/**
 * The GitHub App path (issue 10, items 7 and 10): an installation token gets 403 from GET /user
 * (actions/create-github-app-token#258), so the commands take the App's slug; --post only ever
 * updates a check run its own App created (OA checks/update: a run "can only be modified by the
 * GitHub App that created it"); --only / --skip-open narrow a pass; gate --state skips unchanged posts.
 */
import { Octokit } from '@octokit/rest';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../../constructs/compile.js';
import type { Io } from '../../../app/cli/main.js';
import { parseOnly } from '../../../app/cli/only.js';
import { startEmulator, type Emulator } from '../../../tools/emulator/index.js';
import { freePort } from '../../../tools/prometheus.js';
import { runCli } from '../../run-cli.js';

const APP = 'stagegate-acme';
const APP_TOKEN = 'ghs_app_token_identity_0123';
const OTHER_TOKEN = 'ghs_other_app_token_0123';
const intent = (name: string) => `apiVersion: stagegate.dev/v1alpha1
kind: Rollout
metadata: { name: ${name}, namespace: shop }
spec:
  service: { host: ${name}, port: 8080 }
  stable: v1
  canary: v2
  stages:
    - { name: half, weight: 50, bake: 1s }
    - { name: full, weight: 100 }
  stage: half
`;
const cwd = mkdtempSync(join(tmpdir(), 'stagegate-app-'));
let emulator: Emulator;

beforeAll(async () => {
  const sources = ['web', 'api'].map((n) => ({ path: `rollouts/${n}.yaml`, text: intent(n) }));
  const seedFiles: Record<string, string> = {};
  mkdirSync(join(cwd, 'rollouts'));
  mkdirSync(join(cwd, 'generated'));
  for (const s of sources) {
    seedFiles[s.path] = s.text;
    writeFileSync(join(cwd, s.path), s.text);
  }
  for (const c of compile(sources)) {
    seedFiles[`generated/${c.file}`] = c.content;
    writeFileSync(join(cwd, 'generated', c.file), c.content);
  }
  emulator = await startEmulator({
    owner: 'acme',
    repo: 'platform',
    port: 0,
    seedFiles,
    apps: { [APP_TOKEN]: APP, [OTHER_TOKEN]: 'other-app' },
    users: { reader: 'alice' },
  });
  await new Promise((r) => setTimeout(r, 1100)); // the 1 s bake of the seeded stage
});
afterAll(async () => {
  await emulator?.close();
  rmSync(cwd, { recursive: true, force: true });
});

async function run(argv: string[], env: Io['env'] = {}) {
  return runCli(argv, cwd, {
    GITHUB_TOKEN: APP_TOKEN,
    GITHUB_API_URL: emulator.url,
    STAGEGATE_RETRY_UNIT_MS: '1',
    ...env,
  });
}
const octokit = (auth = 'reader') => new Octokit({ baseUrl: emulator.url, auth });
const repo = { owner: 'acme', repo: 'platform' };

describe('the GitHub App identity (issue 10, item 7)', () => {
  it('advance without the slug fails at GET /user (403) with an installation token, with exit 4', async () => {
    const r = await run(['advance', '--repo', 'acme/platform', '--only', 'nothing-here']);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('403');
  });

  it('advance --only opens the PR of that one rollout as SLUG[bot], never asking GET /user', async () => {
    emulator.resetLog();
    const r = await run(['advance', '--repo', 'acme/platform', '--app-slug', APP, '--only', 'shop/web']);
    expect(r.stdout).toBe('shop/web: opened #1 (half → full)\n');
    expect(r.code).toBe(0);
    expect(emulator.requests.filter((q) => q.path === '/user')).toEqual([]);
    const [pr] = (await octokit().rest.pulls.list({ ...repo, state: 'open' })).data;
    expect(pr!.user!.login).toBe(`${APP}[bot]`);
  });

  it('advance --skip-open leaves the rollout with an open PR alone; STAGEGATE_APP_SLUG works as the flag', async () => {
    const r = await run(['advance', '--repo', 'acme/platform', '--skip-open'], { STAGEGATE_APP_SLUG: APP });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('shop/api: opened #2 (half → full)\n');
  });

  it('verify --post never touches another App’s run of the same name: it posts its own', async () => {
    const [pr] = (await octokit().rest.pulls.list({ ...repo, state: 'open', head: 'acme:stagegate/shop/web/full' }))
      .data;
    const sha = pr!.head.sha;
    const theirs = (
      await octokit(OTHER_TOKEN).rest.checks.create({
        ...repo,
        name: 'stagegate/verify',
        head_sha: sha,
        status: 'in_progress',
        output: { title: 'someone else', summary: 'not ours' },
      })
    ).data;
    const r = await run(['verify', '--post', '--repo', 'acme/platform', '--sha', sha, '--app-slug', APP]);
    expect(r.stderr).toBe('');
    const runs = (await octokit().rest.checks.listForRef({ ...repo, ref: sha })).data.check_runs;
    const other = runs.find((x) => x.id === theirs.id)!;
    expect([other.status, other.output.title]).toEqual(['in_progress', 'someone else']);
    const ours = runs.filter((x) => x.app?.slug === APP && x.name === 'stagegate/verify');
    expect(ours.map((x) => x.conclusion)).toEqual([r.code === 0 ? 'success' : 'failure']);
  });
});

describe('gate --open-prs --state (issue 10, item 10)', () => {
  it('posts stagegate/health on every open stage PR once, and an unchanged verdict costs no check-run request', async () => {
    const prometheus = `http://127.0.0.1:${await freePort()}`;
    const args = ['gate', '--open-prs', '--repo', 'acme/platform', '--app-slug', APP, '--prometheus', prometheus];
    const state = join(cwd, 'gate-state.json');
    const first = await run([...args, '--state', state]);
    expect(first.code).toBe(3);
    expect(first.stdout).toMatch(
      /^#2 shop\/api: hold: Prometheus at .* is unreachable → check run \d+\n#1 shop\/web: hold: /,
    );
    emulator.resetLog();
    const second = await run([...args, '--state', state]);
    expect(second.code).toBe(3);
    expect(second.stdout).toMatch(/→ unchanged, check run \d+\n.*→ unchanged, check run \d+\n$/);
    expect(emulator.requests.filter((q) => q.path.includes('check-runs')).map((q) => q.method)).toEqual([]);
  });

  it("judges the bot's PR on a fallback branch (_2) and never a PR someone else opened on a bot branch", async () => {
    // The bot takes stagegate/…/full_2 when someone else holds its branch (docs/design.md §4a);
    // alice opens a PR of her own on a name the bot could use.
    const open = async (auth: string, head: string, title: string) => {
      const gh = octokit(auth);
      const parent = (await gh.rest.git.getRef({ ...repo, ref: 'heads/main' })).data.object.sha;
      const tree = (await gh.rest.git.getCommit({ ...repo, commit_sha: parent })).data.tree.sha;
      const next = await gh.rest.git.createTree({
        ...repo,
        base_tree: tree,
        tree: [{ path: 'notes.txt', mode: '100644', type: 'blob', content: `${title}\n` }],
      });
      const commit = await gh.rest.git.createCommit({
        ...repo,
        message: title,
        tree: next.data.sha,
        parents: [parent],
      });
      await gh.rest.git.createRef({ ...repo, ref: `refs/heads/${head}`, sha: commit.data.sha });
      return (await gh.rest.pulls.create({ ...repo, head, base: 'main', title })).data;
    };
    const ours = await open(APP_TOKEN, 'stagegate/shop/api/full_2', 'the bot, on a fallback name');
    const hers = await open('reader', 'stagegate/shop/web/full_3', 'alice');
    expect([ours.user?.login, hers.user?.login]).toEqual([`${APP}[bot]`, 'alice']);
    const r = await run([
      'gate',
      '--open-prs',
      '--repo',
      'acme/platform',
      '--app-slug',
      APP,
      '--prometheus',
      'http://127.0.0.1:9',
      '--json',
    ]);
    const judged = (JSON.parse(r.stdout) as { results: Array<{ pr: number }> }).results.map((x) => x.pr);
    expect(judged).toContain(ours.number);
    expect(judged).not.toContain(hers.number);
  });
});

describe('--only', () => {
  it('takes a rollout, namespace/name, an intent path or a stagegate branch, and refuses anything else', () => {
    expect(parseOnly('web')).toEqual({ name: 'web' });
    expect(parseOnly('shop/web')).toEqual({ namespace: 'shop', name: 'web' });
    expect(parseOnly('rollouts/web.yaml')).toEqual({ name: 'web' });
    expect(parseOnly('stagegate/shop/web/rollback')).toEqual({ namespace: 'shop', name: 'web' });
    expect(() => parseOnly('refs/heads/main')).toThrow(/--only takes a rollout/);
  });
});
