/**
 * The demo's CI: what a workflow on each stagegate PR would run, as its own GitHub user.
 * - `stagegate/verify`, once per head commit: the PR head's rollouts/ and generated/ checked
 *   out into a temp directory and judged by the real `stagegate verify --post` command.
 * - `stagegate/health`, every tick on every open stage PR: the real gate (evaluateGate) on the
 *   live stage of main, with liveSince = when the intent last changed on main (the commit that
 *   made the live stage live), posted through GitHubAdapter.upsertCheckRun.
 * Rollback PRs get verify only: the bot merges them on static checks alone.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { rollbackBranch, stageBranch } from '../../constructs/conventions.js';
import { nextStage } from '../../constructs/model.js';
import type { GitHubAdapter } from '../../app/bot/github.js';
import type { PullRequest } from '../../app/bot/port.js';
import { verifyCommand } from '../../app/commands/verify.js';
import { healthCheckRun } from '../../app/gate/check-run.js';
import { evaluateGate, type Verdict } from '../../app/gate/evaluate.js';
import type { PrometheusApi } from '../../app/gate/prometheus-api.js';
import type { Mainline } from './mainline.js';

/** What the CI of both demos (this one and tools/demo/waves/ci.ts) is given, but for its Prometheus and mainline. */
export interface DemoCiBase {
  readonly github: GitHubAdapter;
  /** For the verify command, which builds its own client from these (as in a workflow). */
  readonly repo: string;
  readonly apiUrl: string;
  readonly token: string;
  readonly names: readonly string[];
  /** Scratch space for checkouts. */
  readonly workDir: string;
  readonly now: () => Date;
}

export interface CiSettings extends DemoCiBase {
  readonly prometheus: PrometheusApi;
  readonly mainline: Mainline;
}

export interface HealthReport {
  readonly rollout: string;
  readonly pr: number;
  readonly sha: string;
  readonly verdict: Verdict;
}

export interface VerifyReport {
  readonly rollout: string;
  readonly pr: number;
  readonly sha: string;
  readonly ok: boolean;
  readonly output: string;
}

export interface CiPass {
  readonly health: readonly HealthReport[];
  readonly verify: readonly VerifyReport[];
}

export class DemoCi {
  private readonly verified = new Map<string, boolean>();

  constructor(private readonly s: CiSettings) {}

  /** One CI round over every open stagegate PR of every rollout. */
  async pass(): Promise<CiPass> {
    const health: HealthReport[] = [];
    const verify: VerifyReport[] = [];
    for (const name of this.s.names) {
      const live = this.s.mainline.get(name);
      const m = live.model;
      const next = m.abort ? undefined : nextStage(m);
      const branches: Array<{ branch: string; stage: boolean }> = [
        { branch: rollbackBranch(m.namespace, m.name), stage: false },
      ];
      if (next) branches.push({ branch: stageBranch(m.namespace, m.name, next.name), stage: true });
      for (const { branch, stage } of branches) {
        const open = (await this.s.github.pullsByHead(branch)).find((p) => p.state === 'open');
        if (!open) continue;
        if (!this.verified.has(open.headSha)) verify.push({ rollout: name, ...(await this.verify(open)) });
        if (stage)
          health.push({ rollout: name, pr: open.number, sha: open.headSha, verdict: await this.health(name, open) });
      }
    }
    return { health, verify };
  }

  private async health(name: string, pr: PullRequest): Promise<Verdict> {
    const live = this.s.mainline.get(name);
    const [landed] = await this.s.github.commitsTouching(this.s.mainline.sha, live.path, 1);
    const verdict = await evaluateGate({
      model: live.model,
      prometheus: this.s.prometheus,
      now: this.s.now(),
      ...(landed ? { liveSince: new Date(landed.date) } : {}),
    });
    await this.s.github.upsertCheckRun(pr.headSha, healthCheckRun(verdict));
    return verdict;
  }

  private async verify(pr: PullRequest): Promise<{ pr: number; sha: string; ok: boolean; output: string }> {
    const result = await verifyHead(this.s, pr);
    this.verified.set(pr.headSha, result.ok);
    return result;
  }
}

/**
 * `stagegate verify --post` on a PR head checked out into a temp directory, as a workflow runs it
 * (also the two-cluster demo's CI, tools/demo/waves/ci.ts).
 */
export async function verifyHead(
  s: Pick<CiSettings, 'github' | 'repo' | 'apiUrl' | 'token' | 'workDir'>,
  pr: PullRequest,
): Promise<{ pr: number; sha: string; ok: boolean; output: string }> {
  const dir = mkdtempSync(join(s.workDir, 'checkout-'));
  try {
    for (const top of ['rollouts', 'generated']) {
      for (const path of await s.github.listFiles(pr.headSha, top)) {
        const text = await s.github.readFile(pr.headSha, path);
        if (text === undefined) continue;
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), text);
      }
    }
    let output = '';
    const code = await verifyCommand.run(
      { values: { post: true, repo: s.repo, sha: pr.headSha, json: true }, positionals: [] },
      {
        stdout: (t) => {
          output += t;
        },
        stderr: (t) => {
          output += t;
        },
        cwd: dir,
        env: { GITHUB_TOKEN: s.token, GITHUB_API_URL: s.apiUrl, PATH: process.env.PATH },
      },
    );
    return { pr: pr.number, sha: pr.headSha, ok: code === 0, output };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
