/**
 * `stagegate status`, read-only: what every rollout is doing and what the bot would do next. It
 * reads exactly what a bot pass reads (observe.ts, through the same port and trust rules) and asks
 * the pure planner for its decision (planner.ts `plan`), but never executes it: the port is wrapped
 * so that any write throws (docs/design.md §4: "Dry-run or caching is a port wrapper").
 *
 * Trust is the planner's: a PR someone else opened on a bot branch is in `state.foreign` (observe
 * filters by author, docs/design.md §4a "A PR is the bot's"), so it is shown as ignored and never
 * as the live stage or the PR the rollout waits for.
 */
import { DEFAULT_OUT_DIR, PR_LABEL_PAUSE } from '../../constructs/conventions.js';
import { liveStage, liveStageIndex, nextStage, type RolloutModel } from '../../constructs/model.js';
import { latestRuns, trustedRuns } from './checks.js';
import { clusterNamed, clusterStatuses, type ClusterStatus } from './cluster-status.js';
import { rolloutId } from './content.js';
import { observeRollout, readPass, type Observed } from './observe.js';
import { plan, type Action, type BotConfig, type PullState } from './planner.js';
import type { CheckRun, GitHubPort } from './port.js';
import { botIdentity, type ReconcileOptions } from './reconcile.js';
import { plainText } from './text.js';

/** One line of the status table: facts in milliseconds and ISO times, so tools need no parsing. */
export interface RolloutStatus {
  readonly rollout: string;
  readonly path: string;
  /** aborted / finished come from the intent; the others from the planner's decision. */
  readonly phase: 'progressing' | 'waiting' | 'held' | 'rolling-back' | 'paused' | 'aborted' | 'finished' | 'error';
  readonly stage?: string;
  /** 1-based position of the live stage, and how many stages there are. */
  readonly position?: { readonly index: number; readonly of: number };
  /** Canary weight of the default route now (0 when aborted); `cohort` when the cohort header routes to canary. */
  readonly weight?: number;
  readonly cohort?: boolean;
  readonly nextStage?: string;
  readonly canary?: string;
  readonly stable?: string;
  readonly liveSince?: string;
  /** Bake left on the live stage; 0 once baked; absent at an unknown start (a checkout). */
  readonly bakeLeftMs?: number;
  readonly timeboxLeftMs?: { readonly stage: number; readonly rollout: number };
  /** The same moments as absolute times (the dashboard shows these: they do not move while nothing happens). */
  readonly bakeEndsAt?: string;
  readonly timeboxEndsAt?: { readonly stage: string; readonly rollout: string };
  /** The bot's PR this rollout moves through (stage or rollback), with what it waits for. */
  readonly pr?: {
    readonly number: number;
    readonly kind: 'stage' | 'rollback';
    readonly url: string;
    readonly state: 'open' | 'closed' | 'merged';
    /** Carries `stagegate:pause` (a person stopped the bot on it). */
    readonly paused: boolean;
  };
  /** What the planner decided: the action's kind and its one-line reason (e.g. "bake 12m left"). */
  readonly next: { readonly action: Action['kind'] | 'none'; readonly reason?: string; readonly detail: string };
  /** The latest trusted `stagegate/health` run on the PR's head, with its output title as evidence. */
  readonly health?: {
    readonly verdict: string;
    readonly at: string | null;
    readonly evidence?: string;
    readonly run: number;
    readonly url?: string;
  };
  /** Open PRs on the bot's branches that the bot ignores (someone else's, or a second one). */
  readonly ignored?: ReadonlyArray<{
    readonly number: number;
    readonly author: string | null;
    readonly branch: string;
  }>;
  /**
   * A wave across clusters (spec.clusters): each cluster's weight as its generated/<cluster>/ file
   * on the default branch says, whether the live stage reaches it, and which one the wave waits on.
   */
  readonly clusters?: readonly ClusterStatus[];
  /** The cluster the latest trusted verdict holds on (a wave's gate names it first). */
  readonly waitsOn?: string;
  readonly error?: string;
}

/** The status of one observed rollout at `now`. Pure: the planner decides, nothing is executed. */
export function describeObserved(o: Observed, config: BotConfig, now: Date): RolloutStatus {
  const m = o.model;
  const base = fromModel(o.path, m);
  const foreign = o.state.foreign ?? [];
  // The decision as if nobody had opened a PR on the bot's branches: ignoring them is the rule.
  const action = plan({ rollout: m, state: { ...o.state, foreign: [] }, now, config });
  const live = liveStage(m);
  const bakeEnds = o.state.liveSince.getTime() + (live.bakeMs ?? 0);
  const pull = o.state.rollbackPr?.pr.state === 'open' ? o.state.rollbackPr : o.state.stagePr;
  const health = pull ? latestHealth(pull, config) : undefined;
  const running = !m.abort;
  return {
    ...base,
    phase: phaseOf(action, m),
    liveSince: o.state.liveSince.toISOString(),
    ...(running
      ? { bakeLeftMs: Math.max(0, bakeEnds - now.getTime()), bakeEndsAt: new Date(bakeEnds).toISOString() }
      : {}),
    ...(running && nextStage(m)
      ? {
          timeboxLeftMs: {
            stage: o.state.liveSince.getTime() + m.timebox.stageMs - now.getTime(),
            rollout: o.state.rolloutSince.getTime() + m.timebox.rolloutMs - now.getTime(),
          },
          timeboxEndsAt: {
            stage: new Date(o.state.liveSince.getTime() + m.timebox.stageMs).toISOString(),
            rollout: new Date(o.state.rolloutSince.getTime() + m.timebox.rolloutMs).toISOString(),
          },
        }
      : {}),
    ...(pull
      ? {
          pr: {
            number: pull.pr.number,
            kind: pull === o.state.rollbackPr ? 'rollback' : 'stage',
            url: pull.pr.url,
            state: pull.pr.merged ? 'merged' : pull.pr.state,
            paused: pull.pr.labels.includes(PR_LABEL_PAUSE),
          },
        }
      : {}),
    next: nextOf(action),
    ...(health ? { health } : {}),
    ...(foreign.length > 0
      ? {
          ignored: foreign.map((f) => ({
            number: f.pr.number,
            author: f.pr.author ?? null,
            branch: plainText(f.pr.headRef, 200),
          })),
        }
      : {}),
  };
}

/** What the intent alone says (a checkout, or a rollout whose PRs could not be read). */
export function fromModel(path: string, m: RolloutModel): RolloutStatus {
  const live = liveStage(m);
  const next = nextStage(m);
  const phase: RolloutStatus['phase'] = m.abort ? 'aborted' : next ? 'progressing' : 'finished';
  return {
    rollout: rolloutId(m),
    path,
    phase,
    stage: live.name,
    position: { index: liveStageIndex(m) + 1, of: m.stages.length },
    weight: m.abort ? 0 : live.weight,
    cohort: !m.abort && live.cohort && m.cohort !== undefined,
    ...(next ? { nextStage: next.name } : {}),
    canary: m.canary,
    stable: m.stable,
    next: m.abort
      ? { action: 'none', detail: `aborted: ${plainText(m.abort.reason, 300)} (since ${m.abort.at})` }
      : next
        ? { action: 'none', detail: `next: ${next.name}` }
        : { action: 'none', detail: `at the last stage (${live.name})` },
  };
}

function phaseOf(action: Action, m: RolloutModel): RolloutStatus['phase'] {
  switch (action.kind) {
    case 'nothing':
      return action.reason === 'aborted' ? 'aborted' : 'paused';
    case 'finish':
      return 'finished';
    case 'rollback':
    case 'rebuild-rollback':
    case 'merge-rollback':
      return 'rolling-back';
    case 'stalled':
      return 'held';
    case 'wait':
      // The last stage baking is the end of the rollout, not a wait for a PR.
      return action.reason === 'rollback-checks' ? 'rolling-back' : nextStage(m) ? 'waiting' : 'finished';
    case 'refuse':
    case 'comment':
      return 'waiting';
    default:
      return 'progressing';
  }
}

function nextOf(action: Action): RolloutStatus['next'] {
  switch (action.kind) {
    case 'wait':
      return { action: 'wait', reason: action.reason, detail: action.detail };
    case 'open':
      return { action: 'open', detail: `the next pass opens the PR ${action.from} → ${action.to}` };
    case 'merge':
      return { action: 'merge', detail: `the next pass merges #${action.number} (${action.from} → ${action.to})` };
    case 'update':
      return {
        action: 'update',
        detail: `the next pass ${action.base ? `retargets #${action.number} at ${action.base}` : `updates #${action.number}`}`,
      };
    case 'rollback':
      return { action: 'rollback', detail: `the next pass rolls back: ${action.reason}` };
    case 'rebuild-rollback':
      return { action: 'rebuild-rollback', detail: `the next pass rebuilds rollback #${action.number}` };
    case 'merge-rollback':
      return { action: 'merge-rollback', detail: `the next pass merges rollback #${action.number}` };
    case 'update-branch':
      return { action: 'update-branch', detail: action.detail };
    case 'stalled':
      return { action: 'stalled', detail: action.detail };
    case 'comment':
      return { action: 'comment', reason: action.marker, detail: `#${action.number}: ${action.marker}` };
    case 'refuse':
      return { action: 'refuse', detail: `#${action.number} refused: ${action.problems.join('; ')}` };
    case 'finish':
      return { action: 'finish', detail: `complete at ${action.stage}` };
    case 'nothing':
      return { action: 'nothing', reason: action.reason, detail: action.detail };
    default:
      return { action: 'none', detail: '' };
  }
}

/** The latest health run the bot would believe (trusted App, on the head sha), as GitHub shows it. */
function latestHealth(pull: PullState, config: BotConfig): RolloutStatus['health'] {
  const run: CheckRun | undefined = latestRuns(trustedRuns(pull.checks, config.trustedApps), pull.pr.headSha).get(
    config.healthCheck,
  );
  if (!run) return undefined;
  return {
    verdict: run.status === 'completed' ? (run.conclusion ?? 'completed') : run.status,
    at: run.completedAt ?? run.startedAt,
    ...(run.summary ? { evidence: plainText(run.summary, 300) } : {}),
    run: run.id,
    ...(run.url ? { url: run.url } : {}),
  };
}

const WRITES = new Set<keyof GitHubPort>([
  'commitToBranch',
  'openPull',
  'updatePull',
  'addLabels',
  'comment',
  'updateComment',
  'merge',
]);

/** The port with every write refused: status cannot change the repository, whatever it calls. */
export function readOnly(port: GitHubPort): GitHubPort {
  return new Proxy(port, {
    get(target, prop, receiver) {
      if (WRITES.has(prop as keyof GitHubPort))
        return () => Promise.reject(new Error(`stagegate status is read-only; it never calls ${String(prop)}`));
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Every rollout on the default branch, read as a bot pass reads it (one listing of the open PRs). */
export async function readStatus(opts: ReconcileOptions): Promise<RolloutStatus[]> {
  const port = readOnly(opts.port);
  const ro = { ...opts, port };
  const config = await botIdentity(ro);
  const branch = await port.defaultBranch();
  const view = await readPass(port, branch, opts.log);
  const out: RolloutStatus[] = [];
  // Listed once, and only when some rollout is a wave (cluster-status.ts: one tree read per commit).
  let generated: Promise<ReadonlyMap<string, string>> | undefined;
  const generatedTree = () => {
    generated ??= port.blobsUnder(branch.sha, DEFAULT_OUT_DIR);
    return generated;
  };
  for (const path of view.intents) {
    try {
      const o = await observeRollout(
        port,
        path,
        branch,
        {
          healthCheck: config.healthCheck,
          botLogin: config.botLogin,
          regenerate: opts.regenerate,
          repoUrl: opts.repoUrl,
        },
        view,
      );
      if ('error' in o) {
        out.push(errorStatus(path, o.error));
        continue;
      }
      const status = describeObserved(o, config, opts.now());
      out.push(
        o.model.clusters
          ? withClusters(
              status,
              await clusterStatuses({
                path,
                text: o.text,
                model: o.model,
                regenerate: o.regenerate,
                generated: await generatedTree(),
                blob: (sha) => port.blob(sha),
                ...(status.health?.evidence ? { health: status.health.evidence } : {}),
              }),
            )
          : status,
      );
    } catch (err) {
      out.push(errorStatus(path, (err as Error).message));
    }
  }
  return out;
}

/** A wave's status with its clusters, and the one its latest verdict holds on. */
export function withClusters(s: RolloutStatus, clusters: readonly ClusterStatus[]): RolloutStatus {
  const names = clusters.map((c) => c.cluster);
  const waitsOn =
    s.phase === 'waiting' || s.phase === 'held' ? clusterNamed(s.health?.evidence, 'hold', names) : undefined;
  return { ...s, clusters, ...(waitsOn ? { waitsOn } : {}) };
}

function errorStatus(path: string, error: string): RolloutStatus {
  return {
    rollout: path,
    path,
    phase: 'error',
    next: { action: 'none', detail: `cannot read: ${plainText(error, 500)}` },
    error: plainText(error, 500),
  };
}
