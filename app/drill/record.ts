/**
 * What a drill's record is made of, read from GitHub as the bot reads it (docs/design.md §4, §4a;
 * issue #16): when its fault went live (the drill PR's merge), and the first trusted red
 * `stagegate/health` after that on any of the rollout's stage PRs. Shared by `drill --measure`
 * (measure.ts) and the rollback's merge commit, the ledger line of a drill (ledger.ts).
 */
import { stageBranch } from '../../constructs/conventions.js';
import { planStages } from '../../constructs/detectability.js';
import { drillFiringMs } from '../../constructs/drill-alert.js';
import { formatDuration } from '../../constructs/duration.js';
import type { RolloutModel } from '../../constructs/model.js';
import { trustedRuns } from '../bot/checks.js';
import type { BotConfig } from '../bot/planner.js';
import type { GitHubPort, PullRequest } from '../bot/port.js';

/** The drill PR's branch: outside the bot's `stagegate/…` stage branches, so no pass adopts it. */
export function drillBranch(m: Pick<RolloutModel, 'namespace' | 'name'>): string {
  return `stagegate-drill/${m.namespace}/${m.name}`;
}

export const at = (iso: string | null | undefined): number => Date.parse(iso ?? '');

/** A duration rounded to the second, "—" when unknown. */
export const ms = (v: number | undefined): string =>
  v === undefined ? '—' : formatDuration(Math.round(v / 1000) * 1000);

/**
 * The rollout's drill PRs into the default branch, and the one merged last (its merge put the
 * fault live). A PR from the drill branch into any other branch changes nothing that is deployed,
 * so it never moves "fault live" (review F6; the head is this repository's: github-pull-reads.ts).
 */
export async function drillPulls(
  port: Pick<GitHubPort, 'pullsByHead'>,
  m: Pick<RolloutModel, 'namespace' | 'name'>,
  defaultBranch: string,
): Promise<{ all: readonly PullRequest[]; merged?: PullRequest }> {
  const all = (await port.pullsByHead(drillBranch(m))).filter((p) => p.baseRef === defaultBranch);
  const merged = all.filter((p) => p.merged && p.mergedAt).sort((a, b) => at(b.mergedAt) - at(a.mergedAt))[0];
  return merged ? { all, merged } : { all };
}

/**
 * The trusted red health runs completed at or after `live` on any of the rollout's stage PRs
 * (their latest head: a PR the bot rebuilt loses the older heads' runs), oldest first.
 */
export async function redsAfter(
  port: Pick<GitHubPort, 'pullsByHead' | 'checkRuns'>,
  config: Pick<BotConfig, 'trustedApps' | 'healthCheck'>,
  m: RolloutModel,
  live: number,
): Promise<number[]> {
  const after = (t: number) => Number.isFinite(t) && t >= live;
  const reds: number[] = [];
  for (const stage of m.stages) {
    for (const pr of await port.pullsByHead(stageBranch(m.namespace, m.name, stage.name))) {
      if (pr.state === 'closed' && !after(at(pr.closedAt))) continue;
      const runs = trustedRuns(await port.checkRuns(pr.headSha), config.trustedApps).filter(
        (r) => r.name === config.healthCheck && r.status === 'completed' && r.conclusion === 'failure',
      );
      for (const r of runs) {
        const t = at(r.completedAt ?? r.startedAt);
        if (after(t)) reds.push(t);
      }
    }
  }
  return reds.sort((a, b) => a - b);
}

/**
 * The drill's first red: the first red at or after `live` + the earliest its alert can fire (an
 * abort drill's alert is pending for `for` after the first faulted request, so an earlier red is
 * somebody else's: review F5). `early` is the first red it skipped for that reason.
 */
export async function drillFirstRed(
  port: Pick<GitHubPort, 'pullsByHead' | 'checkRuns'>,
  config: Pick<BotConfig, 'trustedApps' | 'healthCheck'>,
  m: RolloutModel,
  live: number,
): Promise<{ first?: number; early?: number }> {
  const earliest = live + (drillPrediction(m).earliestMs ?? 0);
  const reds = await redsAfter(port, config, m, live);
  const first = reds.find((t) => t >= earliest);
  const early = reds.find((t) => t < earliest);
  return { ...(first !== undefined ? { first } : {}), ...(early !== undefined ? { early } : {}) };
}

/** `plan`'s time to detect for the live stage; undefined when plan cannot say (cohort traffic, no rps). */
export function predictedDetectMs(m: RolloutModel): number | undefined {
  const p = planStages(m).find((s) => s.stage === m.stage)?.timeToDetectMs;
  return p !== undefined && Number.isFinite(p) ? p : undefined;
}

/**
 * What a drill is predicted to take to its first red. An abort drill is caught by its own alert
 * (constructs/drill-alert.ts), so the prediction is that rule's time to fire (`drillFiringMs`);
 * a delay drill is caught by the built-in latency rules, so it is `plan`'s time to detect.
 */
export interface DrillPrediction {
  /** Fault → the drill alert firing (an upper bound); abort drills only. */
  readonly firingMs?: number;
  /** `for` of the drill alert: no red earlier than this after the fault can be the drill's. */
  readonly earliestMs?: number;
  /** `plan`'s time to detect for the stage; undefined when plan cannot say (cohort traffic, no rps). */
  readonly detectMs?: number;
  readonly text: string;
}

export function drillPrediction(m: RolloutModel): DrillPrediction {
  const firing = m.drill?.abort ? drillFiringMs(m) : undefined;
  const detectMs = predictedDetectMs(m);
  if (firing)
    return {
      firingMs: firing.totalMs,
      earliestMs: firing.forMs,
      ...(detectMs !== undefined ? { detectMs } : {}),
      text: `plan: the drill alert fires within ${ms(firing.totalMs)} = 2 scrapes ${ms(firing.samplesMs)} + evaluation ${ms(firing.evaluationMs)} + for ${ms(firing.forMs)}, red at the gate's next run`,
    };
  return {
    ...(detectMs !== undefined ? { detectMs } : {}),
    text:
      detectMs === undefined
        ? 'plan predicts no time to detect for this stage'
        : `plan predicted ${ms(detectMs)} to detect`,
  };
}
