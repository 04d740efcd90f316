/**
 * The two-cluster demo's CI, what a workflow on each stagegate PR would run as its own user:
 * `stagegate/verify` once per head (the real verify command, tools/demo/ci.ts verifyHead) and
 * `stagegate/health` every tick on every open stage PR — the real wave gate (app/gate/waves.ts
 * evaluateWave) with one Prometheus per cluster, as `stagegate gate --prometheus eu-1=URL
 * --prometheus us-1=URL` runs it, posted through GitHubAdapter.upsertCheckRun.
 */
import { rollbackBranch, stageBranch } from '../../../constructs/conventions.js';
import { nextStage } from '../../../constructs/model.js';
import type { PullRequest } from '../../../app/bot/port.js';
import { healthCheckRun } from '../../../app/gate/check-run.js';
import type { PrometheusApi } from '../../../app/gate/prometheus-api.js';
import { evaluateWave, type WaveVerdict } from '../../../app/gate/waves.js';
import { type DemoCiBase, verifyHead } from '../ci.js';
import type { WaveMainline } from './mainline.js';

export interface WaveCiSettings extends DemoCiBase {
  /** Each cluster's own Prometheus. */
  readonly prometheus: ReadonlyMap<string, PrometheusApi>;
  readonly mainline: WaveMainline;
}

export interface WaveHealth {
  readonly rollout: string;
  readonly pr: number;
  readonly verdict: WaveVerdict;
}

export class WaveCi {
  private readonly verified = new Set<string>();

  constructor(private readonly s: WaveCiSettings) {}

  /** One CI round over every open stagegate PR; the health verdicts it posted. */
  async pass(): Promise<WaveHealth[]> {
    const health: WaveHealth[] = [];
    for (const name of this.s.names) {
      const m = this.s.mainline.get(name).model;
      const next = m.abort ? undefined : nextStage(m);
      const rollback = (await this.s.github.pullsByHead(rollbackBranch(m.namespace, m.name))).find(
        (p) => p.state === 'open',
      );
      if (rollback) await this.verify(rollback);
      if (!next) continue;
      const stage = (await this.s.github.pullsByHead(stageBranch(m.namespace, m.name, next.name))).find(
        (p) => p.state === 'open',
      );
      if (!stage) continue;
      await this.verify(stage);
      health.push({ rollout: name, pr: stage.number, verdict: await this.health(name, stage) });
    }
    return health;
  }

  private async health(name: string, pr: PullRequest): Promise<WaveVerdict> {
    const live = this.s.mainline.get(name);
    const [landed] = await this.s.github.commitsTouching(this.s.mainline.sha, live.path, 1);
    const verdict = await evaluateWave({
      wave: live.model,
      source: { perCluster: this.s.prometheus },
      now: this.s.now(),
      ...(landed ? { liveSince: new Date(landed.date) } : {}),
    });
    await this.s.github.upsertCheckRun(pr.headSha, healthCheckRun(verdict));
    return verdict;
  }

  private async verify(pr: PullRequest): Promise<void> {
    if (this.verified.has(pr.headSha)) return;
    const result = await verifyHead(this.s, pr);
    if (result.ok) this.verified.add(pr.headSha);
  }
}
