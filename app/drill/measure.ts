/**
 * `stagegate drill <rollout> --measure` (issue #16): what a drill took, read after the fact from
 * GitHub alone (the PRs, their check runs and the default branch's history), as the bot reads it
 * (docs/design.md §4, §4a):
 * - fault live: the drill PR's merge (`stagegate-drill/<ns>/<name>`);
 * - first red: the earliest trusted `stagegate/health` failure completed after it, on any of the
 *   rollout's stage PRs (their latest head: a PR the bot rebuilt loses the older heads' runs);
 * - rollback merged: the rollback PR (`stagegate/<ns>/<name>/rollback`) merged after it;
 * - 100 % stable: the first commit after it on the default branch whose generated VirtualService
 *   sends nothing to canary and carries no fault.
 * Compared with what `plan` predicts (record.ts `drillPrediction`: for an abort drill, the time
 * its own alert takes to fire, constructs/drill-alert.ts `drillFiringMs`).
 * No rollback within the deadline is a failed drill: label `stagegate:drill-failed` and one
 * comment on the drill PR (idempotent: the comment carries a marker).
 */
import { parseAllDocuments } from 'yaml';
import { generatedFileName, rollbackBranch, DEFAULT_OUT_DIR } from '../../constructs/conventions.js';
import { rolloutId } from '../bot/content.js';
import type { PullRequest } from '../bot/port.js';
import { observeOne, type ReconcileOptions } from '../bot/reconcile.js';
import { drillBranch, PR_LABEL_DRILL_FAILED } from './open.js';
import { at, drillFirstRed, drillPrediction, drillPulls, ms } from './record.js';

export const DRILL_FAILED_MARKER = '<!-- stagegate:drill-failed -->';
export const DEFAULT_DRILL_DEADLINE_MS = 60 * 60_000;

export type DrillOutcome = 'no-drill' | 'not-merged' | 'running' | 'rolled-back' | 'failed';

export interface DrillMeasurement {
  readonly rollout: string;
  readonly outcome: DrillOutcome;
  readonly drillPr?: number;
  readonly stage?: string;
  readonly faultLiveAt?: string;
  readonly firstRedAt?: string;
  readonly rollbackMergedAt?: string;
  readonly stableAt?: string;
  /** From the fault going live. */
  readonly toFirstRedMs?: number;
  readonly toRollbackMergedMs?: number;
  readonly toStableMs?: number;
  /** `plan`'s time to detect for the stage; undefined when plan cannot say (cohort traffic, no rps). */
  readonly predictedDetectMs?: number;
  /** An abort drill: the drill alert's predicted time to fire (record.ts `drillPrediction`). */
  readonly predictedFiringMs?: number;
  /** A red earlier than the drill alert could fire (its `for`), from the fault going live: not the drill's. */
  readonly ignoredRedMs?: number;
  readonly deadlineMs: number;
  readonly summary: string;
}

type Route = { fault?: unknown; route?: Array<{ destination?: { subset?: string }; weight?: number }> };

/** Whether a generated file's VirtualService sends nothing to canary and injects no fault. */
export function allStable(yamlText: string): boolean {
  const vs = parseAllDocuments(yamlText)
    .map((d) => d.toJS() as { kind?: string; spec?: { http?: Route[] } })
    .find((o) => o?.kind === 'VirtualService');
  if (!vs) return false;
  return (vs.spec?.http ?? []).every(
    (r) => r.fault === undefined && (r.route ?? []).every((d) => d.destination?.subset !== 'canary' || d.weight === 0),
  );
}

/** Reads the drill's record; marks a drill past its deadline without a rollback as failed. */
export async function measureDrill(
  opts: ReconcileOptions,
  path: string,
  deadlineMs = DEFAULT_DRILL_DEADLINE_MS,
): Promise<DrillMeasurement> {
  const { port } = opts;
  const { config, branch, observed: o } = await observeOne(opts, path);
  const m = o.model;
  const id = rolloutId(m);
  const base = { rollout: id, deadlineMs };
  const { all: drills, merged: drill } = await drillPulls(port, m, branch.name);
  if (!drill) {
    const open = drills.find((p) => p.state === 'open');
    return open
      ? { ...base, outcome: 'not-merged', drillPr: open.number, summary: `drill #${open.number} is not merged yet` }
      : { ...base, outcome: 'no-drill', summary: `no drill PR on ${drillBranch(m)}` };
  }
  const live = at(drill.mergedAt);
  const after = (t: number) => Number.isFinite(t) && t >= live;
  const { first: firstRed, early } = await drillFirstRed(port, config, m, live);
  const rollbacks: PullRequest[] = (await port.pullsByHead(rollbackBranch(m.namespace, m.name))).filter(
    (p) => p.merged && after(at(p.mergedAt)),
  );
  const rollback = rollbacks.map((p) => at(p.mergedAt)).sort((a, b) => a - b)[0];

  let stable: number | undefined;
  const file = `${DEFAULT_OUT_DIR}/${generatedFileName(m.name)}`;
  const commits = (await port.commitsTouching(branch.sha, file, 100))
    .filter((c) => after(at(c.date)))
    .sort((a, b) => at(a.date) - at(b.date));
  for (const c of commits) {
    const text = await port.readFile(c.sha, file);
    if (text !== undefined && allStable(text)) {
      stable = at(c.date);
      break;
    }
  }
  const prediction = drillPrediction(m);
  const iso = (t: number | undefined) => (t === undefined ? undefined : new Date(t).toISOString());
  const since = (t: number | undefined) => (t === undefined ? undefined : t - live);
  const elapsed = opts.now().getTime() - live;
  const outcome: DrillOutcome =
    rollback !== undefined && stable !== undefined ? 'rolled-back' : elapsed > deadlineMs ? 'failed' : 'running';
  const times = `first red ${ms(since(firstRed))}, rollback merged ${ms(since(rollback))}, 100 % stable ${ms(since(stable))}`;
  const plan = `${prediction.text}${
    early !== undefined
      ? `; a red ${ms(early - live)} after the fault went live is not counted: the drill alert cannot fire before its for ${ms(prediction.earliestMs)}`
      : ''
  }`;
  const summary =
    outcome === 'rolled-back'
      ? `drill #${drill.number} rolled back: ${times} after the fault went live (${plan})`
      : outcome === 'failed'
        ? `drill #${drill.number} FAILED: no rollback ${ms(elapsed)} after the fault went live (deadline ${ms(deadlineMs)}); ${times}`
        : `drill #${drill.number} running for ${ms(elapsed)} (deadline ${ms(deadlineMs)}): ${times}`;
  if (outcome === 'failed') {
    if (!drill.labels.includes(PR_LABEL_DRILL_FAILED)) await port.addLabels(drill.number, [PR_LABEL_DRILL_FAILED]);
    const comments = await port.comments(drill.number);
    if (!comments.some((c) => c.body.includes(DRILL_FAILED_MARKER)))
      await port.comment(
        drill.number,
        `${DRILL_FAILED_MARKER}\n**Failed drill.** ${summary}.\n\nThe rollback path did not complete: check that the gate reports \`${config.healthCheck}\` on the stage PR and that the bot runs.`,
      );
  }
  return {
    ...base,
    outcome,
    drillPr: drill.number,
    stage: m.stage,
    faultLiveAt: iso(live),
    ...(firstRed !== undefined ? { firstRedAt: iso(firstRed), toFirstRedMs: since(firstRed) } : {}),
    ...(rollback !== undefined ? { rollbackMergedAt: iso(rollback), toRollbackMergedMs: since(rollback) } : {}),
    ...(stable !== undefined ? { stableAt: iso(stable), toStableMs: since(stable) } : {}),
    ...(prediction.detectMs !== undefined ? { predictedDetectMs: prediction.detectMs } : {}),
    ...(prediction.firingMs !== undefined ? { predictedFiringMs: prediction.firingMs } : {}),
    ...(early !== undefined ? { ignoredRedMs: early - live } : {}),
    summary,
  };
}
