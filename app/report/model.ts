/**
 * The post-release analysis of one rollout (issue #16 `stagegate report`): its stages from Git
 * (who made each stage live, when, and what ended it) and its signals from Prometheus, as one
 * plain object that the Markdown and `--json` both render. Pure: history and series come in.
 */
import type { RolloutModel } from '../../constructs/model.js';
import { NO_EXTRAS, type ReportExtras } from './extras.js';

/** One commit of the intent's history: the live stage and abort it says. */
export interface IntentRevision {
  readonly sha: string;
  readonly author: string;
  /** ISO time of the commit. */
  readonly at: string;
  readonly subject: string;
  readonly stage: string;
  readonly abort?: { readonly reason: string };
}

export type Signal = 'requests' | 'errorRatio' | 'p99Ms';
export const SIGNALS: readonly Signal[] = ['requests', 'errorRatio', 'p99Ms'];
export const SIGNAL_TITLES: Record<Signal, string> = {
  requests: 'requests per second',
  errorRatio: 'error ratio (5xx)',
  p99Ms: 'p99 latency (ms)',
};

export type Points = ReadonlyArray<readonly [number, number]>;

/** Per signal, the points of each version: [unix seconds, value]. */
export type SignalSeries = Readonly<Record<Signal, { readonly stable: Points; readonly canary: Points }>>;

export interface StageRecord {
  readonly stage: string;
  readonly weight: number;
  readonly startedAt: string;
  /** When the next stage or the rollback went live; absent while live. */
  readonly endedAt?: string;
  readonly durationMs?: number;
  readonly bakeMs?: number;
  readonly timeboxMs: number;
  readonly by: string;
  readonly commit: string;
  readonly outcome: 'promoted' | 'rolled back' | 'live' | 'final';
  /** The abort reason when this stage caught a regression. */
  readonly caught?: string;
}

export interface Suggestion {
  readonly signal: 'errorRatio' | 'p99Ms';
  /** Highest value stable showed over the rollout. */
  readonly stableMax?: number;
  readonly configuredMax: number;
  /** A suggestion only, never applied: twice the stable peak, rounded up. */
  readonly suggestedMax?: number;
  /** Configured limit over the stable peak: how much room the threshold had. */
  readonly room?: number;
}

export interface RolloutAnalysis {
  readonly rollout: string;
  readonly status: 'finished' | 'aborted' | 'in progress';
  /** When the rollback went live (the commit that set spec.abort). */
  readonly abortedAt?: string;
  readonly stages: readonly StageRecord[];
  readonly signals: SignalSeries;
  readonly suggestions: readonly Suggestion[];
  /** Every user-defined signal, the alerts that fired, the gate's verdicts (extras.ts). */
  readonly userSignals: ReportExtras['userSignals'];
  readonly alerts: ReportExtras['alerts'];
  readonly verdicts?: ReportExtras['verdicts'];
}

/** Stage records from the intent's revisions, oldest first; `now` ends a stage still live. */
export function stageRecords(model: RolloutModel, revisions: readonly IntentRevision[]): StageRecord[] {
  const changes: IntentRevision[] = [];
  for (const r of revisions) {
    const last = changes.at(-1);
    if (!last || last.stage !== r.stage || Boolean(last.abort) !== Boolean(r.abort)) changes.push(r);
  }
  const out: StageRecord[] = [];
  for (const [i, r] of changes.entries()) {
    if (r.abort) continue;
    const next = changes[i + 1];
    const stage = model.stages.find((s) => s.name === r.stage);
    const isLast = model.stages.at(-1)?.name === r.stage;
    const outcome = next?.abort ? 'rolled back' : next ? 'promoted' : isLast ? 'final' : 'live';
    const endedAt = next?.at;
    out.push({
      stage: r.stage,
      weight: stage?.weight ?? 0,
      startedAt: r.at,
      ...(endedAt ? { endedAt, durationMs: Date.parse(endedAt) - Date.parse(r.at) } : {}),
      ...(stage?.bakeMs !== undefined ? { bakeMs: stage.bakeMs } : {}),
      timeboxMs: model.timebox.stageMs,
      by: r.author,
      commit: r.sha,
      outcome,
      ...(next?.abort ? { caught: next.abort.reason } : {}),
    });
  }
  return out;
}

/** Rounds up to two significant digits (0.00731 → 0.0074, 187 → 190). */
export function roundUp2(x: number): number {
  if (x <= 0) return 0;
  const scale = 10 ** (Math.floor(Math.log10(x)) - 1);
  return Number((Math.ceil(x / scale - 1e-9) * scale).toPrecision(2));
}

/** Suggested thresholds from stable's observed peak (the baseline that was actually there). */
export function suggestions(model: RolloutModel, signals: SignalSeries): Suggestion[] {
  const peak = (p: Points) => (p.length === 0 ? undefined : Math.max(...p.map(([, v]) => v)));
  const one = (signal: 'errorRatio' | 'p99Ms', configuredMax: number): Suggestion => {
    const stableMax = peak(signals[signal].stable);
    if (stableMax === undefined) return { signal, configuredMax };
    return {
      signal,
      stableMax,
      configuredMax,
      suggestedMax: roundUp2(2 * stableMax),
      ...(stableMax > 0 ? { room: configuredMax / stableMax } : {}),
    };
  };
  return [one('errorRatio', model.health.errorRatio.max), one('p99Ms', model.health.latencyP99Ms.max)];
}

export function analyse(
  model: RolloutModel,
  revisions: readonly IntentRevision[],
  signals: SignalSeries,
  extras: ReportExtras = NO_EXTRAS,
): RolloutAnalysis {
  const stages = stageRecords(model, revisions);
  const status = revisions.at(-1)?.abort ? 'aborted' : stages.at(-1)?.outcome === 'final' ? 'finished' : 'in progress';
  const aborted = status === 'aborted' ? revisions[lastAbortStart(revisions)] : undefined;
  return {
    rollout: `${model.namespace}/${model.name}`,
    status,
    ...(aborted ? { abortedAt: aborted.at } : {}),
    stages,
    signals,
    suggestions: suggestions(model, signals),
    userSignals: extras.userSignals,
    alerts: extras.alerts,
    ...(extras.verdicts ? { verdicts: extras.verdicts } : {}),
  };
}

/** Index of the first revision of the final run of aborted revisions. */
function lastAbortStart(revisions: readonly IntentRevision[]): number {
  let i = revisions.length - 1;
  while (i > 0 && revisions[i - 1]!.abort) i--;
  return i;
}
