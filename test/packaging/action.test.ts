import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = resolve(import.meta.dirname, '../..');
const action = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8'));
const workflow = parse(readFileSync(join(ROOT, 'docs/examples/stagegate.yml'), 'utf8'));

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}
const actionSteps: Step[] = action.runs.steps;
const workflowSteps: Step[] = Object.values(workflow.jobs as Record<string, { steps: Step[] }>).flatMap((j) => j.steps);

/** Runs the action's main step script with a fake `npx` that records its arguments. */
function runMainStep(env: Record<string, string>, npxExit = 0) {
  const dir = mkdtempSync(join(tmpdir(), 'stagegate-action-'));
  try {
    writeFileSync(
      join(dir, 'npx'),
      `#!/usr/bin/env bash\nprintf '%s\\n' "$@" > "${dir}/argv"\nenv > "${dir}/env"\nexit ${npxExit}\n`,
    );
    chmodSync(join(dir, 'npx'), 0o755);
    writeFileSync(join(dir, 'output'), '');
    const step = actionSteps.find((s) => s.id === 'run')!;
    const result = spawnSync('bash', ['-c', step.run!], {
      cwd: dir,
      env: {
        PATH: `${dir}:${process.env.PATH}`,
        GITHUB_OUTPUT: join(dir, 'output'),
        GITHUB_TOKEN: '',
        STAGEGATE_REPO: 'acme/platform',
        STAGEGATE_PROMETHEUS_URL: '',
        STAGEGATE_ROLLOUT: '',
        STAGEGATE_ARGS: '',
        STAGEGATE_APP_SLUG: '',
        STAGEGATE_TRUST_APPS: '',
        STAGEGATE_ONLY: '',
        STAGEGATE_SHA: '',
        STAGEGATE_PATH: '.',
        ...env,
      },
      encoding: 'utf8',
    });
    const read = (name: string) => {
      try {
        return readFileSync(join(dir, name), 'utf8');
      } catch {
        return '';
      }
    };
    return {
      status: result.status,
      stdout: result.stdout,
      argv: read('argv').split('\n').filter(Boolean),
      output: read('output'),
      env: read('env'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('action.yml', () => {
  it('is a composite action with the command, repo, prometheus-url, rollout and token inputs', () => {
    expect(action.runs.using).toBe('composite');
    expect(Object.keys(action.inputs)).toEqual(
      expect.arrayContaining(['command', 'repo', 'prometheus-url', 'rollout', 'token']),
    );
    expect(action.inputs.command.required).toBe(true);
    expect(action.inputs.command.description).toMatch(/advance.*gate.*verify/);
    expect(action.inputs.repo.default).toBe('${{ github.repository }}');
  });

  it('passes every input, and the token in particular, through env and never inside run', () => {
    const runs = actionSteps.filter((s) => s.run !== undefined);
    expect(runs.length).toBeGreaterThan(0);
    for (const step of runs) expect(step.run, step.name).not.toContain('${{');
    const withToken = actionSteps.filter((s) => JSON.stringify(s).includes('inputs.token'));
    expect(withToken).toHaveLength(1);
    expect(withToken[0]!.env).toMatchObject({ GITHUB_TOKEN: '${{ inputs.token }}' });
    const script = withToken[0]!.run!;
    expect(script).not.toMatch(/set -x|set -o xtrace/);
    for (const line of script.split('\n').filter((l) => /\b(echo|printf)\b/.test(l)))
      expect(line).not.toMatch(/\$\{?GITHUB_TOKEN/);
  });

  it('runs the local stagegate with npx --no, never a package fetched from the registry', () => {
    const step = actionSteps.find((s) => s.id === 'run')!;
    expect(step.run).toContain('npx --no -- stagegate');
    expect(runMainStep({ STAGEGATE_COMMAND: 'advance', GITHUB_TOKEN: 'ghs_secret' }).argv).toEqual([
      '--no',
      '--',
      'stagegate',
      'advance',
      '--repo',
      'acme/platform',
    ]);
    expect(
      runMainStep({
        STAGEGATE_COMMAND: 'advance',
        GITHUB_TOKEN: 'ghs_secret',
        STAGEGATE_ONLY: 'stagegate/shop/web/full',
        STAGEGATE_TRUST_APPS: 'ci-app other-app',
      }).argv.slice(3),
    ).toEqual([
      'advance',
      '--repo',
      'acme/platform',
      '--only',
      'stagegate/shop/web/full',
      '--trust-app',
      'ci-app',
      '--trust-app',
      'other-app',
    ]);
  });

  it('hands the token to stagegate only through the environment', () => {
    const run = runMainStep({ STAGEGATE_COMMAND: 'advance', GITHUB_TOKEN: 'ghs_secret' });
    expect(run.status).toBe(0);
    expect(run.env.split('\n')).toContain('GITHUB_TOKEN=ghs_secret');
    expect(run.argv.join(' ')).not.toContain('ghs_secret');
    expect(run.stdout).not.toContain('ghs_secret');
  });

  it('refuses advance without a token, with what to pass', () => {
    const run = runMainStep({ STAGEGATE_COMMAND: 'advance' });
    expect(run.status).toBe(2);
    expect(run.stdout).toContain("::error title=stagegate::input 'token' is empty");
    expect(run.argv).toEqual([]);
  });

  it('maps gate verdicts to outputs: a hold does not fail the step, an error is not a fail', () => {
    const env = {
      STAGEGATE_COMMAND: 'gate',
      STAGEGATE_ROLLOUT: 'shop/checkout',
      STAGEGATE_PROMETHEUS_URL: 'http://127.0.0.1:9090',
    };
    const hold = runMainStep(env, 3);
    expect(hold.argv).toEqual([
      '--no',
      '--',
      'stagegate',
      'gate',
      'shop/checkout',
      '--prometheus',
      'http://127.0.0.1:9090',
      '--rollouts',
      './rollouts',
    ]);
    expect(hold.status).toBe(0);
    expect(hold.output).toBe('exit-code=3\nverdict=hold\n');
    const fail = runMainStep(env, 1);
    expect(fail.status).toBe(1);
    expect(fail.output).toBe('exit-code=1\nverdict=fail\n');
    // Exit 4 (an invalid intent elsewhere, a bad --prometheus) is no verdict at all: issue 12.
    const error = runMainStep(env, 4);
    expect(error.status).toBe(4);
    expect(error.output).toBe('exit-code=4\nverdict=error\n');
    const all = runMainStep({ ...env, STAGEGATE_ROLLOUT: '', STAGEGATE_ONLY: 'stagegate/shop/web/full' }, 0);
    expect(all.argv.slice(3)).toEqual([
      'gate',
      '--open-prs',
      '--repo',
      'acme/platform',
      '--prometheus',
      'http://127.0.0.1:9090',
      '--rollouts',
      './rollouts',
      '--only',
      'stagegate/shop/web/full',
    ]);
  });

  it('treats inputs as data, not shell code', () => {
    const run = runMainStep({
      STAGEGATE_COMMAND: 'gate',
      STAGEGATE_ROLLOUT: '$(echo pwned) `id`',
      STAGEGATE_PROMETHEUS_URL: 'http://127.0.0.1:9090; echo pwned',
    });
    expect(run.argv[4]).toBe('$(echo pwned) `id`');
    expect(run.argv[6]).toBe('http://127.0.0.1:9090; echo pwned');
    expect(run.stdout).not.toContain('pwned');
  });

  it('rejects an unknown command', () => {
    const run = runMainStep({ STAGEGATE_COMMAND: 'deploy' });
    expect(run.status).toBe(2);
    expect(run.stdout).toContain("input 'command' must be advance, gate or verify (got 'deploy')");
  });
});

describe('example workflow (docs/examples/stagegate.yml)', () => {
  it('verifies PR heads, and gates and advances on App check runs, a 10-minute and an hourly schedule', () => {
    expect(workflow.on.pull_request_target).toEqual({ types: ['opened', 'synchronize', 'reopened'] });
    expect(workflow.on.check_run).toEqual({ types: ['completed'] });
    expect(workflow.on.schedule).toEqual([{ cron: '*/10 * * * *' }, { cron: '7 * * * *' }]);
    // No pull_request / push trigger: a bot job started by a PR event would be a check on that PR.
    expect(Object.keys(workflow.on).sort()).toEqual([
      'check_run',
      'pull_request_target',
      'schedule',
      'workflow_dispatch',
    ]);
  });

  it('never runs two bot passes, or two gate passes, at once', () => {
    expect(workflow.jobs.advance.concurrency.group).toBe('stagegate-advance-${{ github.repository }}');
    expect(workflow.jobs.advance.concurrency['cancel-in-progress']).toBe(false);
    expect(workflow.jobs.gate.concurrency.group).toBe('stagegate-gate-${{ github.repository }}');
  });

  it('gives every job the App installation token and its slug, never the workflow GITHUB_TOKEN', () => {
    for (const id of ['verify', 'gate', 'advance']) {
      const steps: Step[] = workflow.jobs[id].steps;
      const app = steps.find((s) => s.uses?.startsWith('actions/create-github-app-token@'));
      expect(app?.id, id).toBe('app-token');
      const ours = steps.find((s) => s.uses === './')!;
      expect(ours.with!.token, id).toBe('${{ steps.app-token.outputs.token }}');
      expect(ours.with!['app-slug'], id).toBe('${{ steps.app-token.outputs.app-slug }}');
    }
    expect(JSON.stringify(workflow)).not.toMatch(/secrets\.GITHUB_TOKEN|github\.token/);
    expect(workflow.permissions).toEqual({ contents: 'read' });
  });

  it('verifies the PR head as data with stagegate from the default branch', () => {
    const steps: Step[] = workflow.jobs.verify.steps;
    expect(steps[0]).toEqual({ uses: 'actions/checkout@v4' });
    expect(steps[1]!.with).toMatchObject({ ref: '${{ github.event.pull_request.head.sha }}', path: 'pr' });
    expect(steps.at(-1)!.with).toMatchObject({
      command: 'verify',
      path: 'pr',
      sha: '${{ github.event.pull_request.head.sha }}',
    });
  });

  it('is the same workflow docs/github-action.md shows', () => {
    const doc = readFileSync(join(ROOT, 'docs/github-action.md'), 'utf8');
    const block = /```yaml\n(# \.github\/workflows[\s\S]*?)```/.exec(doc);
    expect(block).not.toBeNull();
    expect(parse(block![1]!)).toEqual(workflow);
  });

  it('keeps expressions out of run scripts', () => {
    for (const step of workflowSteps.filter((s) => s.run !== undefined)) expect(step.run).not.toContain('${{');
    expect(workflowSteps.some((s) => s.uses === './')).toBe(true);
  });
});
