/**
 * A small GitHub Actions runner for tests: it plays the jobs of a workflow file and the steps of
 * the composite action.yml as Actions would — expressions evaluated, job `if:`, each step's `run:`
 * executed with bash, `env:` and `with:` inputs as environment, GITHUB_OUTPUT / GITHUB_ENV files,
 * step outputs — against the GitHub emulator. What it does not run for real it stands in for:
 * `actions/checkout` clones the emulator's git repository, `actions/create-github-app-token`
 * hands out an emulator App token and its slug, `actions/cache` keeps a directory between jobs.
 *
 * GitHub's rules it follows (docs "Events that trigger workflows", "Contexts", research sheet §8):
 * - every job is a check run of the `github-actions` App, named after the job, on the commit of
 *   its event (a PR event: the PR head; schedule, dispatch, check_run: the default branch head);
 * - check_run events are not sent for check suites of GitHub Actions itself;
 * - expressions compare strings case-insensitively; a missing property is null ('' in text).
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';

export interface Step {
  readonly name?: string;
  readonly id?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly shell?: string;
  readonly if?: string;
  readonly env?: Record<string, string>;
  readonly with?: Record<string, string | number | boolean>;
  readonly 'working-directory'?: string;
}
export interface Job {
  readonly name?: string;
  readonly if?: string;
  readonly steps: readonly Step[];
  readonly environment?: string;
}
export interface Workflow {
  readonly on: Record<string, unknown>;
  readonly jobs: Record<string, Job>;
}
export interface ActionFile {
  readonly inputs: Record<string, { readonly default?: string; readonly required?: boolean }>;
  readonly outputs: Record<string, { readonly value: string }>;
  readonly runs: { readonly using: string; readonly steps: readonly Step[] };
}

// ---------------------------------------------------------------------------------------------
// Expressions (docs "Evaluate expressions in workflows and actions"): literals, context paths,
// ==, !=, &&, ||, !, parentheses, startsWith(), contains().

type Value = string | number | boolean | null | Record<string, unknown> | unknown[];

export function evaluate(expr: string, ctx: Record<string, unknown>): Value {
  const tokens = expr.match(/'(?:[^']|'')*'|&&|\|\||==|!=|[A-Za-z_][A-Za-z0-9_-]*|\d+(?:\.\d+)?|[().,!*]|\S/g) ?? [];
  let i = 0;
  const peek = () => tokens[i];
  const next = () => tokens[i++];
  const eq = (a: Value, b: Value) =>
    typeof a === 'string' && typeof b === 'string' ? a.toLowerCase() === b.toLowerCase() : a === b;
  const truthy = (v: Value) => !(v === null || v === false || v === 0 || v === '');
  const primary = (): Value => {
    const t = next();
    if (t === undefined) throw new Error(`expression ended early: ${expr}`);
    if (t === '(') {
      const v = or();
      next();
      return v;
    }
    if (t === '!') return !truthy(primary());
    if (t.startsWith("'")) return t.slice(1, -1).replace(/''/g, "'");
    if (/^\d/.test(t)) return Number(t);
    if (t === 'true' || t === 'false') return t === 'true';
    if (t === 'null') return null;
    if (peek() === '(') {
      next();
      const args: Value[] = [];
      while (peek() !== ')') {
        args.push(or());
        if (peek() === ',') next();
      }
      next();
      const [a, b] = args.map((v) => (v === null ? '' : String(v)).toLowerCase());
      if (t === 'startsWith') return a!.startsWith(b!);
      if (t === 'endsWith') return a!.endsWith(b!);
      if (t === 'contains') return a!.includes(b!);
      throw new Error(`function ${t}() is not emulated`);
    }
    let v: unknown = ctx[t];
    while (peek() === '.') {
      next();
      const key = next()!;
      v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
    }
    return (v === undefined ? null : v) as Value;
  };
  const cmp = (): Value => {
    let left = primary();
    while (peek() === '==' || peek() === '!=') {
      const op = next();
      const right = primary();
      left = op === '==' ? eq(left, right) : !eq(left, right);
    }
    return left;
  };
  const and = (): Value => {
    let left = cmp();
    while (peek() === '&&') {
      next();
      const right = cmp();
      left = truthy(left) ? right : left;
    }
    return left;
  };
  const or = (): Value => {
    let left = and();
    while (peek() === '||') {
      next();
      const right = and();
      left = truthy(left) ? left : right;
    }
    return left;
  };
  const value = or();
  if (i !== tokens.length) throw new Error(`could not read the expression: ${expr}`);
  return value;
}

export const truthy = (v: Value): boolean => !(v === null || v === false || v === 0 || v === '');

/** `${{ … }}` inside a string; a string that is one expression keeps its type (for `if:`). */
export function interpolate(text: string, ctx: Record<string, unknown>): string {
  return text.replace(/\$\{\{([\s\S]*?)\}\}/g, (_, e: string) => {
    const v = evaluate(e.trim(), ctx);
    return v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  });
}

function condition(text: string | undefined, ctx: Record<string, unknown>): boolean {
  if (text === undefined) return true;
  const bare = /^\s*\$\{\{([\s\S]*)\}\}\s*$/.exec(text)?.[1] ?? text;
  return truthy(evaluate(bare.trim(), ctx));
}

// ---------------------------------------------------------------------------------------------

export interface GitHubEvent {
  readonly name: 'schedule' | 'workflow_dispatch' | 'pull_request_target' | 'check_run';
  readonly payload: Record<string, unknown>;
  /** The commit the event's jobs report on (a PR head for PR events, else the default branch head). */
  readonly sha: string;
}

export interface JobResult {
  readonly job: string;
  readonly ran: boolean;
  readonly ok: boolean;
  /** Everything the steps printed (stdout and stderr). */
  readonly log: string;
  readonly outputs: Record<string, Record<string, string>>;
}

export interface RunnerOptions {
  readonly workflow: Workflow;
  readonly action: ActionFile;
  /** The bare git repository behind the emulator (what actions/checkout clones). */
  readonly gitDir: string;
  readonly repository: string;
  readonly defaultBranch: string;
  readonly apiUrl: string;
  readonly vars: Record<string, string>;
  readonly secrets: Record<string, string>;
  /** What actions/create-github-app-token answers (an emulator App token and its slug). */
  readonly appToken: { readonly token: string; readonly slug: string };
  /** Makes `npx --no -- stagegate` work in a fresh checkout, as `npm ci` of the repository would. */
  readonly install: (dir: string) => void;
  /** Reports each job as a check run of GitHub Actions, as GitHub does. */
  readonly jobCheckRun: (sha: string, name: string) => Promise<{ complete(ok: boolean): Promise<void> }>;
  /** Environment every step gets (PATH, HOME). */
  readonly baseEnv: Record<string, string>;
}

export class ActionsRunner {
  private readonly caches = new Map<string, string>();
  private runId = 100;
  readonly work = mkdtempSync(join(tmpdir(), 'stagegate-actions-'));

  constructor(private readonly o: RunnerOptions) {}

  close(): void {
    rmSync(this.work, { recursive: true, force: true });
  }

  /** The jobs the workflow declares for this event, in file order, each run to its end. */
  async dispatch(event: GitHubEvent): Promise<JobResult[]> {
    if (!(event.name in this.o.workflow.on)) return [];
    const types = (this.o.workflow.on[event.name] as { types?: string[] } | null)?.types;
    const action = event.payload.action as string | undefined;
    if (types && action !== undefined && !types.includes(action)) return [];
    const results: JobResult[] = [];
    for (const [id, job] of Object.entries(this.o.workflow.jobs)) results.push(await this.runJob(id, job, event));
    return results;
  }

  private context(event: GitHubEvent, extra: Record<string, unknown>): Record<string, unknown> {
    return {
      github: {
        event_name: event.name,
        event: { repository: { default_branch: this.o.defaultBranch }, ...event.payload },
        repository: this.o.repository,
        sha: event.sha,
        run_id: String(this.runId),
        run_attempt: '1',
        token: 'ghs_workflow_token_never_used',
      },
      vars: this.o.vars,
      secrets: this.o.secrets,
      ...extra,
    };
  }

  private async runJob(id: string, job: Job, event: GitHubEvent): Promise<JobResult> {
    this.runId += 1;
    const steps: Record<string, { outputs: Record<string, string> }> = {};
    if (!condition(job.if, this.context(event, { steps })))
      return { job: id, ran: false, ok: true, log: '', outputs: {} };
    const workspace = join(this.work, `run-${this.runId}-${id}`);
    mkdirSync(workspace, { recursive: true });
    const check = await this.o.jobCheckRun(event.sha, job.name ?? id);
    let log = '';
    let ok = true;
    const env: Record<string, string> = {};
    const post: Array<() => void> = [];
    for (const step of job.steps) {
      const ctx = this.context(event, { steps, env });
      if (!ok || !condition(step.if, ctx)) continue;
      const inputs = Object.fromEntries(
        Object.entries(step.with ?? {}).map(([k, v]) => [k, interpolate(String(v), ctx)]),
      );
      const outputs: Record<string, string> = {};
      if (step.uses?.startsWith('actions/checkout@')) {
        const dest = join(workspace, inputs.path ?? '.');
        const ref = inputs.ref || this.o.defaultBranch;
        const clone = spawnSync('git', ['clone', '-q', this.o.gitDir, dest], { encoding: 'utf8' });
        const co = spawnSync('git', ['-C', dest, 'checkout', '-q', ref], { encoding: 'utf8' });
        log += clone.stderr + co.stderr;
        ok = clone.status === 0 && co.status === 0;
        if (ok && (inputs.path ?? '.') === '.') this.o.install(dest);
      } else if (step.uses?.startsWith('actions/create-github-app-token@')) {
        ok =
          inputs['app-id'] === this.o.vars.STAGEGATE_APP_ID &&
          inputs['private-key'] === this.o.secrets.STAGEGATE_APP_PRIVATE_KEY;
        if (!ok) log += 'create-github-app-token: app-id or private-key is not the configured App\n';
        outputs.token = this.o.appToken.token;
        outputs['app-slug'] = this.o.appToken.slug;
      } else if (step.uses?.startsWith('actions/cache@')) {
        const path = join(workspace, inputs.path!);
        const restore = [...this.caches.entries()]
          .filter(([k]) => k.startsWith(inputs['restore-keys'] ?? inputs.key!))
          .at(-1);
        if (restore) cpSync(restore[1], path, { recursive: true });
        const key = inputs.key!;
        post.push(() => {
          if (!existsSync(path) || this.caches.has(key)) return;
          const saved = join(this.work, `cache-${this.caches.size}`);
          cpSync(path, saved, { recursive: true });
          this.caches.set(key, saved);
        });
      } else if (step.uses === './') {
        const r = await this.runComposite(inputs, workspace, event, env);
        log += r.log;
        ok = r.ok;
        Object.assign(outputs, r.outputs);
      } else if (step.run !== undefined) {
        const r = await this.bash(interpolate(step.run, ctx), workspace, { ...env, ...this.stepEnv(step, ctx) });
        log += r.log;
        ok = r.ok;
        Object.assign(outputs, r.outputs);
      } else {
        throw new Error(`step ${step.name ?? step.uses} is not emulated`);
      }
      if (step.id) steps[step.id] = { outputs };
    }
    if (ok) for (const p of post) p();
    await check.complete(ok);
    return {
      job: id,
      ran: true,
      ok,
      log,
      outputs: Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, v.outputs])),
    };
  }

  private stepEnv(step: Step, ctx: Record<string, unknown>): Record<string, string> {
    return Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, interpolate(String(v), ctx)]));
  }

  /** The steps of action.yml with its inputs (defaults filled in, as Actions does). */
  private async runComposite(
    given: Record<string, string>,
    workspace: string,
    event: GitHubEvent,
    jobEnv: Record<string, string>,
  ): Promise<{ ok: boolean; log: string; outputs: Record<string, string> }> {
    const { action } = this.o;
    const base = this.context(event, {});
    const inputs: Record<string, string> = {};
    for (const [name, spec] of Object.entries(action.inputs)) {
      inputs[name] = given[name] ?? interpolate(spec.default ?? '', base);
      if (spec.required && inputs[name] === '') return { ok: false, log: `input ${name} is required\n`, outputs: {} };
    }
    for (const name of Object.keys(given))
      if (!(name in action.inputs)) return { ok: false, log: `unexpected input ${name}\n`, outputs: {} };
    const steps: Record<string, { outputs: Record<string, string> }> = {};
    let log = '';
    for (const step of action.runs.steps) {
      const ctx = this.context(event, { inputs, steps });
      if (!condition(step.if, ctx)) continue;
      if (step.uses?.startsWith('actions/setup-node@')) continue; // node is already here
      if (step.run === undefined) throw new Error(`action step ${step.name} is not emulated`);
      if (step.shell !== 'bash') throw new Error(`action step ${step.name} must say shell: bash`);
      const cwd = join(workspace, interpolate(step['working-directory'] ?? '.', ctx));
      const r = await this.bash(interpolate(step.run, ctx), cwd, { ...jobEnv, ...this.stepEnv(step, ctx) });
      log += r.log;
      if (step.id) steps[step.id] = { outputs: r.outputs };
      if (!r.ok) return { ok: false, log, outputs: {} };
    }
    const ctx = this.context(event, { inputs, steps });
    const outputs = Object.fromEntries(Object.entries(action.outputs).map(([k, v]) => [k, interpolate(v.value, ctx)]));
    return { ok: true, log, outputs };
  }

  /** Asynchronous: the emulator serves from this same process, so a blocking spawn would deadlock. */
  private async bash(
    script: string,
    cwd: string,
    env: Record<string, string>,
  ): Promise<{ ok: boolean; log: string; outputs: Record<string, string> }> {
    const files = mkdtempSync(join(this.work, 'step-'));
    const output = join(files, 'output');
    const envFile = join(files, 'env');
    writeFileSync(output, '');
    writeFileSync(envFile, '');
    // Actions runs `bash --noprofile --norc -eo pipefail {0}` for shell: bash.
    const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], {
      cwd,
      env: {
        ...this.o.baseEnv,
        CI: 'true',
        GITHUB_ACTIONS: 'true',
        GITHUB_API_URL: this.o.apiUrl,
        GITHUB_REPOSITORY: this.o.repository,
        GITHUB_OUTPUT: output,
        GITHUB_ENV: envFile,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout.on('data', (d: Buffer) => {
      log += d.toString('utf8');
    });
    child.stderr.on('data', (d: Buffer) => {
      log += d.toString('utf8');
    });
    const status = await new Promise<number | null>((done) => child.on('close', (code) => done(code)));
    const outputs: Record<string, string> = {};
    for (const line of readFileSync(output, 'utf8').split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) outputs[line.slice(0, eq)] = line.slice(eq + 1);
    }
    return { ok: status === 0, log, outputs };
  }
}

export function readYaml<T>(path: string): T {
  return parse(readFileSync(path, 'utf8')) as T;
}
