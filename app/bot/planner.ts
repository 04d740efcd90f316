/**
 * The pure planner: (intent, Git state, PRs + checks, now) → one action. No I/O; everything it
 * knows was read from Git and the PRs this pass (docs/design.md §4), so a crashed pass is repaired by the
 * next one. Tested as a table of situations → actions.
 */
import { createHash } from 'node:crypto';
import {
  PR_LABEL,
  PR_LABEL_PAUSE,
  PR_LABEL_STALLED,
  rollbackBranch,
  stageBranch,
  branchCandidates,
} from '../../constructs/conventions.js';
import { formatDuration } from '../../constructs/duration.js';
import { clusterRollback, reachedClusters } from '../../constructs/clusters.js';
import { liveStage, nextStage, type RolloutModel } from '../../constructs/model.js';
import { redClustersOf, verdictReason } from '../gate/red-clusters.js';
import { describeRun, latestRuns, stateOf, trustedRuns } from './checks.js';
import { left, mergeVerdict } from './merge-verdict.js';
import {
  CLOSED_FOR_ROLLBACK_MARKER,
  IGNORED_MARKER,
  marker,
  REFUSED_MARKER,
  STALLED_MARKER,
  type Action,
  type BotConfig,
  type PlanInput,
  type PullState,
  type RolloutState,
} from './planner-types.js';
import { botComment, hasMarker, securityProblems } from './planner-trust.js';
import { markdownText, plainText } from './text.js';

// The planner's public entry: its types and helpers live in the modules below (split by concern).
export * from './planner-types.js';
export { commitProblem, ownBranch, securityProblems, trustedCombined } from './planner-trust.js';
export { mergeVerdict, type Verdict } from './merge-verdict.js';
export { classifyMergeRefusal, mergeRefusal, pickMergeMethod, type MergeRefusalKind } from './merge-policy.js';

/** The first candidate for `branch` no open PR uses. */
export function freeBranch(branch: string, taken: readonly string[] | undefined): string {
  return branchCandidates(branch).find((b) => !(taken ?? []).includes(b)) ?? branch;
}

export function plan(input: PlanInput): Action {
  const { rollout, state, config } = input;
  if (rollout.abort)
    return { kind: 'nothing', reason: 'aborted', detail: `aborted: ${plainText(rollout.abort.reason)}` };

  const rollback = state.rollbackPr;
  if (rollback && rollback.pr.state === 'open') return planRollbackPr(rollback, state, rollout, config);

  const main = planStage(input);
  // Someone else's PR on one of the bot's branches is ignored, and told why once; never before a rollback.
  if (main.kind !== 'rollback' && main.kind !== 'merge-rollback') {
    const untold = (state.foreign ?? []).find((f) => !hasMarker(f, IGNORED_MARKER, config));
    if (untold) return ignoreComment(untold, state, config);
  }
  return main;
}

function planStage(input: PlanInput): Action {
  const { rollout, state, now, config } = input;
  const live = liveStage(rollout);
  const next = nextStage(rollout);
  const bakeEnds = new Date(state.liveSince.getTime() + (live.bakeMs ?? 0));
  if (!next) {
    if (now < bakeEnds)
      return { kind: 'wait', reason: 'bake', detail: `bake ${left(bakeEnds, now)} left`, until: bakeEnds };
    // A wave with a cluster rolled back alone is not done: that cluster waits for a retry
    // (README "Waves across clusters", onClusterFailure).
    if (rollout.clusterAbort)
      return {
        kind: 'nothing',
        reason: 'aborted',
        detail:
          `${live.name} is live in ${reachedClusters(rollout).join(', ')}, but ${rollout.clusterAbort.clusters.join(', ')} ` +
          `${rollout.clusterAbort.clusters.length === 1 ? 'is' : 'are'} rolled back (${plainText(rollout.clusterAbort.reason)}); ` +
          'stagegate retry starts the rollout over',
      };
    return { kind: 'finish', stage: live.name };
  }
  const open = (): Action => ({
    kind: 'open',
    from: live.name,
    to: next.name,
    branch: freeBranch(stageBranch(rollout.namespace, rollout.name, next.name), state.takenHeads),
  });

  const stage = state.stagePr;
  if (!stage) return open();
  const { pr } = stage;
  if (pr.merged) {
    // Git is truth: a person may have reverted after the merge; then the PR is history.
    if (pr.mergedAt !== null && state.liveSince.getTime() > Date.parse(pr.mergedAt)) return open();
    return {
      kind: 'wait',
      number: pr.number,
      reason: 'merged-pending',
      detail: `#${pr.number} merged; waiting for ${next.name} to show on the default branch`,
    };
  }
  if (pr.state === 'closed') {
    const closedAt = pr.closedAt === null ? 0 : Date.parse(pr.closedAt);
    if (state.intentChangedAt.getTime() > closedAt) return open();
    // The bot closed it for a rollback that has not landed (its rollback PR was closed unmerged):
    // the failure still stands, so the rollback is opened again; nobody closed it "by hand".
    const own = botComment(stage, CLOSED_FOR_ROLLBACK_MARKER, config);
    // Closed for a cluster rollback that landed (main rolls back some clusters; its merge can
    // carry the closing's timestamp): the wave goes on in the others (README "Waves across clusters").
    if (own && rollout.clusterAbort) return open();
    if (own) {
      return {
        kind: 'rollback',
        reason: `the rollback of #${pr.number} was closed without merging; it still stands (${closedReason(own.body)})`,
        evidence: [`#${pr.number} was closed by stagegate for a rollback`],
        branch: freeBranch(rollbackBranch(rollout.namespace, rollout.name), state.takenHeads),
      };
    }
    return {
      kind: 'nothing',
      reason: 'closed-by-person',
      detail: `#${pr.number} was closed; paused until it is reopened or the intent changes`,
    };
  }
  if (pr.labels.includes(PR_LABEL_PAUSE))
    return { kind: 'nothing', reason: 'paused', detail: `#${pr.number} carries ${PR_LABEL_PAUSE}` };

  // Health red since the window began → rollback, before anything else (even on a refused PR:
  // rolling back only ever sends traffic to stable). Only runs from trusted Apps count.
  const failures = trustedRuns(
    stage.healthHistory.concat(stage.checks.filter((r) => r.name === config.healthCheck)),
    config.trustedApps,
  )
    .filter((r) => r.status === 'completed' && r.conclusion === 'failure')
    .filter((r) => Date.parse(r.completedAt ?? r.startedAt ?? '') >= state.liveSince.getTime());
  if (failures.length > 0) {
    const first = failures[0]!;
    // A wave with onClusterFailure: cluster rolls back the red clusters its gate named, every
    // failure's (a failure naming none is the whole rollout), while a reached one is not red.
    const named = failures.map((r) => redClustersOf(r.summary));
    const red = named.every((n) => n !== undefined) ? [...new Set(named.flat())] : undefined;
    const scope = clusterRollback(rollout, red);
    return {
      kind: 'rollback',
      close: pr.number,
      commentClose: !hasMarker(stage, CLOSED_FOR_ROLLBACK_MARKER, config),
      reason: verdictReason(config.healthCheck, pr.number, live.name, first.summary && plainText(first.summary)),
      evidence: failures.map(describeRun),
      branch: freeBranch(rollbackBranch(rollout.namespace, rollout.name), state.takenHeads),
      ...(scope ? { clusters: scope.clusters } : {}),
    };
  }

  const base = state.defaultBranch ?? 'main';
  if (pr.baseRef !== base) {
    // The bot's own PR retargeted by someone: pointed back; its commits and files are read again then.
    return { kind: 'update', number: pr.number, to: next.name, content: false, labels: [], base };
  }

  const problems = securityProblems(stage, config, base);
  if (problems.length > 0) return refusal(stage, problems, config);

  const missingLabels = pr.labels.includes(PR_LABEL) ? [] : [PR_LABEL];
  if (!stage.contentCurrent || missingLabels.length > 0) {
    return { kind: 'update', number: pr.number, to: next.name, content: !stage.contentCurrent, labels: missingLabels };
  }

  const verdict = mergeVerdict(stage, state, now, config, live.bakeMs ?? 0);
  if (verdict.kind === 'ready') {
    return {
      kind: 'merge',
      number: pr.number,
      sha: pr.headSha,
      from: live.name,
      to: next.name,
      evidence: {
        stage: live.name,
        liveSince: state.liveSince.toISOString(),
        bake: formatDuration(live.bakeMs ?? 0),
        health: `${describeRun(verdict.health)}${verdict.health.summary ? `: ${verdict.health.summary}` : ''}`,
        checks: verdict.checks,
      },
    };
  }
  if (verdict.kind === 'check-failed') {
    const key = `check-failed:${verdict.run.name}:${verdict.run.id}`;
    if (!hasMarker(stage, key, config)) {
      return {
        kind: 'comment',
        number: pr.number,
        marker: key,
        body: `${marker(key)}\nstagegate will not merge this PR: ${markdownText(describeRun(verdict.run))}. Re-run or fix the check; the bot keeps waiting.`,
      };
    }
  }
  const stageOver = now.getTime() - state.liveSince.getTime() > rollout.timebox.stageMs;
  const rolloutOver = now.getTime() - state.rolloutSince.getTime() > rollout.timebox.rolloutMs;
  const needLabel = !pr.labels.includes(PR_LABEL_STALLED);
  const needComment = !hasMarker(stage, STALLED_MARKER, config);
  if ((stageOver || rolloutOver) && (needLabel || needComment)) {
    const what = stageOver
      ? `stage ${live.name} has been live longer than its timebox (${formatDuration(rollout.timebox.stageMs)})`
      : `the rollout has run longer than its timebox (${formatDuration(rollout.timebox.rolloutMs)})`;
    return {
      kind: 'stalled',
      number: pr.number,
      detail: `${what}; still waiting: ${verdict.detail}`,
      label: needLabel,
      comment: needComment,
    };
  }
  return {
    kind: 'wait',
    number: pr.number,
    reason:
      verdict.kind === 'bake'
        ? 'bake'
        : verdict.kind === 'health'
          ? 'health'
          : verdict.kind === 'review'
            ? 'review'
            : 'checks',
    detail: verdict.detail,
    ...(verdict.kind === 'bake' ? { until: verdict.until } : {}),
  };
}

/** One comment on someone else's PR on a bot branch, saying why the bot ignores it. */
function ignoreComment(f: PullState, state: RolloutState, config: BotConfig): Action {
  const base = state.defaultBranch ?? 'main';
  const why =
    f.pr.author !== undefined && f.pr.author !== config.botLogin
      ? `it was opened by ${f.pr.author === null ? 'an unknown account' : `@\u200b${f.pr.author}`}, not by ${config.botLogin}`
      : f.pr.baseRef !== base
        ? `it targets ${markdownText(f.pr.baseRef)}, not ${base}`
        : 'its commits or files are not only what stagegate writes';
  return {
    kind: 'comment',
    number: f.pr.number,
    marker: IGNORED_MARKER,
    body: `${marker(IGNORED_MARKER)}\nstagegate ignores this PR: ${why}. It never merges, closes or adopts it; its own PR for this rollout lives on a branch of its own. Only PRs opened by ${config.botLogin}, based on ${base}, whose every commit it wrote and whose content is exactly what it would write now are the bot's (README, "Security").`,
  };
}

/** The refusal of the bot's own PR: one comment per set of problems. */
function refusal(stage: PullState, problems: readonly string[], config: BotConfig): Action {
  const key = `${REFUSED_MARKER}:${shortHash(problems.join('\n'))}`;
  // A comment under the plain marker (written before markers carried the reason) counts for any reason.
  const alreadyCommented = hasMarker(stage, key, config) || hasMarker(stage, REFUSED_MARKER, config);
  return { kind: 'refuse', number: stage.pr.number, problems, alreadyCommented, marker: key };
}

/** The reason a closed-for-rollback comment gave ("Closed by stagegate: REASON. Rollback: #N."). */
function closedReason(body: string): string {
  const m = /Closed by stagegate: ([\s\S]*?)\. Rollback: #\d+/.exec(body);
  return plainText(m?.[1] ?? 'the health failure recorded on it', 300);
}

function planRollbackPr(rollback: PullState, state: RolloutState, rollout: RolloutModel, config: BotConfig): Action {
  const { pr } = rollback;
  if (pr.labels.includes(PR_LABEL_PAUSE))
    return { kind: 'nothing', reason: 'paused', detail: `#${pr.number} carries ${PR_LABEL_PAUSE}` };
  const base = state.defaultBranch ?? 'main';
  const problems = securityProblems(rollback, config, base);
  if (problems.length > 0) {
    // A rollback is never blocked by what someone did to the bot's rollback PR: the bot opens a
    // clean one on a fresh branch first, then says once why this one is left alone.
    return {
      kind: 'rollback',
      ...(state.stagePr?.pr.state === 'open'
        ? {
            close: state.stagePr.pr.number,
            commentClose: !hasMarker(state.stagePr, CLOSED_FOR_ROLLBACK_MARKER, config),
          }
        : {}),
      reason: rollback.abort ? plainText(rollback.abort.reason) : `rollback #${pr.number} cannot be merged`,
      evidence: [`#${pr.number} was refused: ${plainText(problems.join('; '), 500)}`],
      // The whole rollout: which clusters a refused head declares is someone else's word.
      branch: freeBranch(rollbackBranch(rollout.namespace, rollout.name), [...(state.takenHeads ?? []), pr.headRef]),
    };
  }
  if (!rollback.contentCurrent) {
    // Only the bot's commits, but not the content it writes (the branch was pointed at another
    // commit of the bot's, or the intent moved on the default branch): rebuilt with the same abort.
    return {
      kind: 'rebuild-rollback',
      number: pr.number,
      branch: pr.headRef,
      abort: rollback.abort ?? { reason: `rollback #${pr.number} rebuilt: its head was not what stagegate writes` },
    };
  }
  // A crash between opening the rollback PR and closing the stage PR is finished here; the
  // closing comment is not posted twice (item 12: one comment per marker).
  if (state.stagePr && state.stagePr.pr.state === 'open') {
    return {
      kind: 'rollback',
      close: state.stagePr.pr.number,
      commentClose: !hasMarker(state.stagePr, CLOSED_FOR_ROLLBACK_MARKER, config),
      reason: rollback.abort ? plainText(rollback.abort.reason) : `rollback #${pr.number} is open`,
      evidence: [],
      ...(rollback.abort?.clusters ? { clusters: rollback.abort.clusters } : {}),
    };
  }
  const latest = latestRuns(trustedRuns(rollback.checks, config.trustedApps), pr.headSha);
  // Rollback never waits for bake or health: only the static checks must pass.
  for (const name of config.requiredChecks.filter((n) => n !== config.healthCheck)) {
    const s = stateOf(latest.get(name));
    if (s.kind === 'missing')
      return {
        kind: 'wait',
        number: pr.number,
        reason: 'rollback-checks',
        detail: `rollback #${pr.number}: waiting for ${name}`,
      };
    if (s.kind !== 'pass')
      return {
        kind: 'wait',
        number: pr.number,
        reason: 'rollback-checks',
        detail: `rollback #${pr.number}: ${describeRun(s.run)}`,
      };
  }
  return { kind: 'merge-rollback', number: pr.number, sha: pr.headSha };
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 10);
}
