/**
 * `stagegate promote <rollout> --reason "…"` (issue 15, people in the loop): a person approves
 * the open stage PR before its bake is over. Only the wait for time is waived — the bake (§4 (a))
 * and a health success after it (§4 (b)). Everything else the merge rule asks still holds: the PR is
 * the bot's by every rule of docs/design.md §4a, no `stagegate/health` failure since the stage went
 * live (that is a rollback, not a promotion), every other trusted check green, the required static
 * checks present, the combined status green and the approving reviews the branch rules ask for.
 *
 * It is the bot's PR merged with the `sha` guard like any other; the reason goes into the merge
 * commit's evidence lines, which the ledger reads (content.ts `ledgerFrom`) and the next stage's
 * changelog entry carries.
 */
import { formatDuration } from '../../constructs/duration.js';
import { liveStage, nextStage, type RolloutModel } from '../../constructs/model.js';
import { PR_LABEL_PAUSE } from '../../constructs/conventions.js';
import { combinedPasses, describeRun, latestRuns, stateOf, trustedRuns } from './checks.js';
import { rolloutId, stageTitle, TRAILER_STAGE } from './content.js';
import { pickMergeMethod, securityProblems, trustedCombined, type BotConfig, type RolloutState } from './planner.js';
import { observeOne, type ReconcileOptions } from './reconcile.js';
import { plainText } from './text.js';

export type PromoteDecision =
  | {
      readonly kind: 'merge';
      readonly number: number;
      readonly sha: string;
      readonly to: string;
      readonly title: string;
      readonly message: string;
    }
  | { readonly kind: 'refuse'; readonly why: string };

/** Whether the open stage PR may be merged early, and with which message. Pure. */
export function promoteDecision(
  m: RolloutModel,
  state: RolloutState,
  now: Date,
  config: BotConfig,
  reason: string,
): PromoteDecision {
  const refuse = (why: string): PromoteDecision => ({ kind: 'refuse', why });
  if (m.abort) return refuse(`${rolloutId(m)} is aborted; use stagegate retry`);
  const next = nextStage(m);
  if (!next) return refuse(`${rolloutId(m)} is at its last stage (${m.stage}); nothing to promote`);
  if (state.rollbackPr?.pr.state === 'open')
    return refuse(`rollback #${state.rollbackPr.pr.number} is open; a rollout rolling back is not promoted`);
  const stage = state.stagePr;
  if (stage?.pr.state !== 'open' || stage.pr.merged)
    return refuse(`${rolloutId(m)} has no open stage PR of the bot's; stagegate advance opens one`);
  const { pr } = stage;
  if (pr.labels.includes(PR_LABEL_PAUSE)) return refuse(`#${pr.number} carries ${PR_LABEL_PAUSE}; remove it first`);
  const problems = securityProblems(stage, config, state.defaultBranch ?? 'main');
  if (problems.length > 0) return refuse(`#${pr.number} is not the bot's to merge: ${problems.join('; ')}`);
  if (!stage.contentCurrent)
    return refuse(`#${pr.number} is not what stagegate would write now; stagegate advance rebuilds it first`);
  const health = trustedRuns(
    stage.healthHistory.concat(stage.checks.filter((r) => r.name === config.healthCheck)),
    config.trustedApps,
  ).filter(
    (r) =>
      r.status === 'completed' &&
      r.conclusion === 'failure' &&
      Date.parse(r.completedAt ?? r.startedAt ?? '') >= state.liveSince.getTime(),
  );
  if (health.length > 0)
    return refuse(`${describeRun(health[0]!)} on #${pr.number}: roll back (stagegate abort), not promote`);
  const latest = latestRuns(trustedRuns(stage.checks, config.trustedApps), pr.headSha);
  const green: string[] = [];
  for (const [name, run] of latest) {
    if (name === config.healthCheck) continue;
    if (stateOf(run).kind !== 'pass') return refuse(`#${pr.number} is waiting for ${describeRun(run)}`);
    green.push(name);
  }
  const missing = config.requiredChecks.filter((n) => n !== config.healthCheck && !latest.has(n));
  if (missing.length > 0) return refuse(`#${pr.number} is waiting for ${missing.join(', ')}`);
  const combined = trustedCombined(stage, config);
  if (!combinedPasses(combined)) return refuse(`#${pr.number}: combined status is ${combined.state}`);
  const needed = state.requiredApprovals ?? 0;
  const by = (stage.approvedBy ?? []).filter((l) => l !== config.botLogin && l !== pr.author);
  if (needed > 0 && by.length < needed)
    return refuse(`#${pr.number} needs an approving review (${by.length} of ${needed}; the branch rules ask for it)`);
  // A stage's own approval is not waived by promoting early (README "People in the loop").
  const own = stage.stageApproval;
  if (own && own.by.length < own.needed)
    return refuse(
      `#${pr.number} needs an approving review from ${own.from} on ${pr.headSha.slice(0, 7)} (${own.by.length} of ${own.needed})`,
    );

  const live = liveStage(m);
  const baked = Math.max(0, now.getTime() - state.liveSince.getTime());
  const latestHealth = latest.get(config.healthCheck);
  const minutes = (ms: number) => formatDuration(Math.floor(ms / 60_000) * 60_000);
  return {
    kind: 'merge',
    number: pr.number,
    sha: pr.headSha,
    to: next.name,
    title: `${stageTitle(m, next)} (#${pr.number})`,
    message: [
      `- ${live.name} promoted early by hand after ${minutes(baked)} of its ${formatDuration(live.bakeMs ?? 0)} bake: ${plainText(reason, 500)}`,
      `- ${latestHealth ? describeRun(latestHealth) : `${config.healthCheck} not reported yet`}`,
      `- green: ${green.sort().join(', ') || 'none'}`,
      '',
      `${TRAILER_STAGE}: ${rolloutId(m)}/${next.name}`,
    ].join('\n'),
  };
}

export interface PromoteReport {
  readonly rollout: string;
  readonly ok: boolean;
  readonly summary: string;
  readonly number?: number;
}

/** Reads the rollout as a pass does, decides, and merges with the `sha` guard when allowed. */
export async function promoteEarly(opts: ReconcileOptions, path: string, reason: string): Promise<PromoteReport> {
  const { config, observed: o } = await observeOne(opts, path);
  const id = rolloutId(o.model);
  const d = promoteDecision(o.model, o.state, opts.now(), config, reason);
  if (d.kind === 'refuse') return { rollout: id, ok: false, summary: `not promoted: ${d.why}` };
  const method = pickMergeMethod(await opts.port.mergeMethods(), opts.mergeMethod);
  const result = await opts.port.merge(d.number, { sha: d.sha, method, title: d.title, message: d.message });
  if (result.kind === 'merged')
    return { rollout: id, ok: true, number: d.number, summary: `promoted early: merged #${d.number} (→ ${d.to})` };
  return {
    rollout: id,
    ok: false,
    number: d.number,
    summary: `not promoted: GitHub refused the merge of #${d.number} (${plainText(result.message, 300)})`,
  };
}
