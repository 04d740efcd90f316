/**
 * The workflow users copy is the one that is tested (issue 10, item 9): this test READS
 * docs/examples/stagegate.yml and action.yml and plays their jobs (test/packaging/actions-runner.ts)
 * against the GitHub emulator, with a real Prometheus scraping Istio-shaped metrics and loaded
 * with the rollout's generated rules. A stage PR goes open → verify → gate → merge, and the bot's
 * own job never shows on the PR it waits for (audit risk 1).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { compile } from '../../constructs/compile.js';
import { startExporter, type Exporter } from '../../tools/demo/exporter.js';
import { startEmulator, type Emulator } from '../../tools/emulator/index.js';
import { startPrometheus, type RunningPrometheus } from '../../tools/prometheus.js';
import { ruleFileOf } from '../../tools/promtool.js';
import {
  ActionsRunner,
  readYaml,
  type ActionFile,
  type GitHubEvent,
  type JobResult,
  type Workflow,
} from './actions-runner.js';

const ROOT = resolve(import.meta.dirname, '../..');
const workflow = readYaml<Workflow>(join(ROOT, 'docs/examples/stagegate.yml'));
const action = readYaml<ActionFile>(join(ROOT, 'action.yml'));

const OWNER = 'acme';
const REPO = 'platform';
const APP_SLUG = 'stagegate-acme';
const APP_TOKEN = 'ghs_app_installation_token_0123456789';
const ACTIONS_TOKEN = 'ghs_github_actions_token_0123456789';
const READER = 'reader-token';

// metrics.timeScale 60 compresses every alert window and `for` (5m → 5s), as the demo does.
const INTENT = `apiVersion: stagegate.dev/v1alpha1
kind: Rollout
metadata: { name: web, namespace: shop }
spec:
  service: { host: web, port: 8080 }
  stable: v1
  canary: v2
  stages:
    - { name: half, weight: 50, bake: 15s }
    - { name: full, weight: 100 }
  stage: half
  health:
    errorRatio: { max: 0.02, maxVsStable: 2 }
    latencyP99Ms: { max: 500, maxVsStable: 1.5 }
  metrics: { timeScale: 60 }
  traffic: { requestsPerSecond: 400, baselineErrorRatio: 0.002 }
`;

let emulator: Emulator;
let exporter: Exporter;
let prometheus: RunningPrometheus;
let runner: ActionsRunner;
let work: string;
const octokit = () => new Octokit({ baseUrl: emulator.url, auth: READER });

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'stagegate-workflow-'));
  const [compiled] = compile([{ path: 'rollouts/web.yaml', text: INTENT }]);
  emulator = await startEmulator({
    owner: OWNER,
    repo: REPO,
    port: 0,
    seedFiles: {
      'rollouts/web.yaml': INTENT,
      [`generated/${compiled!.file}`]: compiled!.content,
      '.github/workflows/stagegate.yml': readFileText('docs/examples/stagegate.yml'),
    },
    apps: { [APP_TOKEN]: APP_SLUG, [ACTIONS_TOKEN]: 'github-actions' },
    users: { [READER]: 'alice' },
  });
  // The live stage: 50 % canary, healthy, on both versions.
  exporter = await startExporter({
    seed: 7,
    services: [
      {
        namespace: 'shop',
        service: 'web',
        stable: 'v1',
        canary: 'v2',
        requestsPerSecond: 400,
        canaryWeight: () => 50,
        errorRatio: { stable: 0.002, canary: 0.002 },
        latencyMs: { stable: { p50: 50, p99: 200 }, canary: { p50: 50, p99: 200 } },
      },
    ],
  });
  const rule = parseAllDocuments(compiled!.content)
    .map((d) => d.toJS() as { kind?: string; spec?: { groups?: unknown[] } })
    .find((o) => o.kind === 'PrometheusRule')!;
  const ruleFile = join(work, 'web.rules.json');
  writeFileSync(ruleFile, JSON.stringify(ruleFileOf(rule)));
  prometheus = await startPrometheus({ ruleFiles: [ruleFile], scrapeTargets: [`127.0.0.1:${exporter.port}`] });

  const install = (dir: string) => {
    // What `npm ci` of a repository depending on stagegate leaves: the package and its bin, here
    // running this tree's sources (not a dist/ that may be older than them).
    mkdirSync(join(dir, 'node_modules/.bin'), { recursive: true });
    symlinkSync(ROOT, join(dir, 'node_modules/stagegate'));
    const bin = join(dir, 'node_modules/.bin/stagegate');
    writeFileSync(
      bin,
      `#!/usr/bin/env bash\nexec node --import ${pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href} ${join(ROOT, 'app/cli/main.ts')} "$@"\n`,
    );
    chmodSync(bin, 0o755);
  };
  const actions = new Octokit({ baseUrl: emulator.url, auth: ACTIONS_TOKEN });
  runner = new ActionsRunner({
    workflow,
    action,
    gitDir: emulator.gitDir,
    repository: `${OWNER}/${REPO}`,
    defaultBranch: 'main',
    apiUrl: emulator.url,
    vars: { STAGEGATE_APP_ID: '4242', STAGEGATE_PROMETHEUS_URL: prometheus.url },
    secrets: { STAGEGATE_APP_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----test-----END PRIVATE KEY-----' },
    appToken: { token: APP_TOKEN, slug: APP_SLUG },
    install,
    jobCheckRun: async (sha, name) => {
      const started = new Date().toISOString();
      const { data } = await actions.rest.checks.create({
        owner: OWNER,
        repo: REPO,
        name,
        head_sha: sha,
        status: 'in_progress',
        started_at: started,
      });
      return {
        complete: async (ok) => {
          await actions.rest.checks.update({
            owner: OWNER,
            repo: REPO,
            check_run_id: data.id,
            status: 'completed',
            conclusion: ok ? 'success' : 'failure',
            completed_at: new Date().toISOString(),
          });
        },
      };
    },
    baseEnv: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? work },
  });
}, 120_000);

afterAll(async () => {
  runner?.close();
  await prometheus?.stop();
  await exporter?.close();
  await emulator?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

function readFileText(rel: string): string {
  return spawnSync('cat', [join(ROOT, rel)], { encoding: 'utf8' }).stdout;
}

const mainHead = () => emulator.log('main')[0]!.sha;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** GitHub's check_run events: completed runs of Apps other than GitHub Actions, each once. */
const sent = new Set<number>();
async function checkRunEvents(): Promise<GitHubEvent[]> {
  const events: GitHubEvent[] = [];
  const pulls = (await octokit().rest.pulls.list({ owner: OWNER, repo: REPO, state: 'all', per_page: 100 })).data;
  for (const pr of pulls) {
    const runs = (await octokit().rest.checks.listForRef({ owner: OWNER, repo: REPO, ref: pr.head.sha, per_page: 100 }))
      .data.check_runs;
    for (const run of runs.filter((r) => r.status === 'completed' && r.app?.slug !== 'github-actions')) {
      if (sent.has(run.id)) continue;
      sent.add(run.id);
      events.push({
        name: 'check_run',
        sha: mainHead(),
        payload: {
          action: 'completed',
          check_run: {
            id: run.id,
            name: run.name,
            head_sha: run.head_sha,
            app: { slug: run.app?.slug },
            check_suite: { head_branch: pr.head.ref },
          },
        },
      });
    }
  }
  return events;
}

const ran = (results: JobResult[]) => results.filter((r) => r.ran).map((r) => r.job);
const failures = (results: JobResult[]) => results.filter((r) => r.ran && !r.ok).map((r) => `${r.job}:\n${r.log}`);

describe('the example workflow, played against the emulator and a real Prometheus', () => {
  it('is valid for GitHub (action-validator), as is action.yml', () => {
    for (const file of ['action.yml', 'docs/examples/stagegate.yml']) {
      const r = spawnSync(join(ROOT, 'node_modules/.bin/action-validator'), [join(ROOT, file)], { encoding: 'utf8' });
      expect(`${file}: ${r.status} ${r.stdout}${r.stderr}`).toBe(`${file}: 0 `);
    }
  });

  it('takes a stage PR from open through verify and the gate to merged, with the App token', async () => {
    // The stage has to bake 15 s (from the commit that made it live) before the bot opens the next.
    await sleep(16_000);
    const schedule = (cron = '*/10 * * * *'): GitHubEvent => ({
      name: 'schedule',
      sha: mainHead(),
      payload: { schedule: cron },
    });

    // 1. The schedule: the bot opens the stage PR; the gate has no stage PR yet.
    const first = await runner.dispatch(schedule());
    if (process.env.STAGEGATE_TEST_TRACE)
      for (const r of first.filter((x) => x.ran)) console.error(`schedule ${r.job}\n${r.log}`);
    expect(failures(first)).toEqual([]);
    expect(ran(first)).toEqual(['gate', 'advance']);
    expect(first.find((r) => r.job === 'advance')!.log).toContain('shop/web: opened #1 (half → full)');
    const [pr] = (await octokit().rest.pulls.list({ owner: OWNER, repo: REPO, state: 'open' })).data;
    expect(pr!.user!.login).toBe(`${APP_SLUG}[bot]`);
    expect(pr!.head.ref).toBe('stagegate/shop/web/full');

    // 2. The PR event: only verify runs, on the PR head, and posts stagegate/verify as the App.
    const opened = await runner.dispatch({
      name: 'pull_request_target',
      sha: pr!.head.sha,
      payload: {
        action: 'opened',
        pull_request: { number: pr!.number, head: { sha: pr!.head.sha, ref: pr!.head.ref } },
      },
    });
    expect(failures(opened)).toEqual([]);
    expect(ran(opened)).toEqual(['verify']);

    // 3. Check events (and the schedule as the safety net) until the bot merges.
    let merged = false;
    const seen: string[] = [];
    for (let round = 0; round < 8 && !merged; round += 1) {
      const events = await checkRunEvents();
      for (const event of events.length > 0 ? events : [schedule()]) {
        const results = await runner.dispatch(event);
        if (process.env.STAGEGATE_TEST_TRACE)
          for (const r of results.filter((x) => x.ran)) console.error(`${event.name} ${r.job}\n${r.log}`);
        expect(failures(results)).toEqual([]);
        const name = (event.payload.check_run as { name?: string } | undefined)?.name ?? event.name;
        seen.push(`${name}: ${ran(results).join(',')}`);
        if (results.some((r) => r.log.includes('merged #1'))) merged = true;
      }
      if (!merged) await sleep(3_000);
    }
    expect(merged, seen.join('\n')).toBe(true);
    // The gate and the bot woke up on the App's stagegate/verify; stagegate/health woke the bot only.
    expect(seen).toContain('stagegate/verify: gate,advance');
    expect(seen.filter((s) => s.startsWith('stagegate/health:')).every((s) => s === 'stagegate/health: advance')).toBe(
      true,
    );

    const done = (await octokit().rest.pulls.get({ owner: OWNER, repo: REPO, pull_number: pr!.number })).data;
    expect(done.merged).toBe(true);
    const intent = spawnSync('git', ['--git-dir', emulator.gitDir, 'show', 'main:rollouts/web.yaml'], {
      encoding: 'utf8',
    });
    expect(intent.stdout).toMatch(/^ {2}stage: full$/m);

    // Whose checks are on the PR head: the App's two, and GitHub Actions' verify job — never the
    // bot's own job or the gate's (they run on events of the default branch).
    const runs = (
      await octokit().rest.checks.listForRef({ owner: OWNER, repo: REPO, ref: pr!.head.sha, per_page: 100 })
    ).data.check_runs;
    const apps = [...new Set(runs.map((r) => `${r.app?.slug}/${r.name}`))].sort();
    expect(apps).toEqual(['github-actions/verify', `${APP_SLUG}/stagegate/health`, `${APP_SLUG}/stagegate/verify`]);
  }, 240_000);

  it('never runs the bot on a PR event, and the gate not after its own stagegate/health', async () => {
    const pr = {
      name: 'pull_request_target' as const,
      sha: mainHead(),
      payload: {
        action: 'synchronize',
        pull_request: { number: 9, head: { sha: mainHead(), ref: 'stagegate/shop/web/full' } },
      },
    };
    const jobs = Object.entries(workflow.jobs);
    expect(jobs.map(([id]) => id)).toEqual(['verify', 'gate', 'advance']);
    const { evaluate, truthy } = await import('./actions-runner.js');
    const when = (job: string, event: GitHubEvent) =>
      truthy(
        evaluate(workflow.jobs[job]!.if!.trim(), {
          github: { event_name: event.name, event: event.payload, repository: `${OWNER}/${REPO}` },
        }),
      );
    expect(when('advance', pr)).toBe(false);
    expect(when('gate', pr)).toBe(false);
    const health: GitHubEvent = {
      name: 'check_run',
      sha: mainHead(),
      payload: {
        action: 'completed',
        check_run: { name: 'stagegate/health', check_suite: { head_branch: 'stagegate/shop/web/full' } },
      },
    };
    expect(when('gate', health)).toBe(false);
    expect(when('advance', health)).toBe(true);
    const other: GitHubEvent = {
      name: 'check_run',
      sha: mainHead(),
      payload: { action: 'completed', check_run: { name: 'ci/lint', check_suite: { head_branch: 'feature/x' } } },
    };
    expect(when('advance', other)).toBe(false);
  });
});
