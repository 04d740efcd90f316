/**
 * Carries out the one action the planner chose for a rollout (app/bot/planner.ts `plan`): commit
 * to a branch the bot owns, open or adopt its PR, merge, close, roll back. Safe to interrupt at
 * any step: the next pass re-reads Git and the PRs and continues (reconcile.ts).
 */
import {
  PR_LABEL,
  PR_LABEL_ROLLBACK,
  PR_LABEL_STALLED,
  rollbackBranch,
  stageBranch,
  branchCandidates,
} from '../../constructs/conventions.js';
import { nextStage } from '../../constructs/model.js';
import {
  mergeMessage,
  rollbackProposal,
  rolloutId,
  stageProposal,
  TRAILER_CLUSTER_ROLLBACK,
  TRAILER_ROLLBACK,
} from './content.js';
import type { Observed } from './observe.js';
import {
  CLOSED_FOR_ROLLBACK_MARKER,
  marker,
  mergeRefusal,
  ownBranch,
  pickMergeMethod,
  REFUSED_MARKER,
  STALLED_MARKER,
  type Action,
  type BotConfig,
  type PullState,
} from './planner.js';
import { BranchOccupiedError, type FileChange, type GitHubPort, type PullRequest } from './port.js';
import { boundBody, markdownText, plainText } from './text.js';
import { drillLedgerLines } from '../drill/ledger.js';

import type { ReconcileOptions, RolloutReport } from './reconcile.js';

/**
 * Commits `changes` to the first of `branch`'s candidates that is free or holds only the bot's
 * own commits; a branch with anyone else's work is never overwritten (Renovate's rule). Returns
 * the branch used.
 */
async function claimBranch(
  port: GitHubPort,
  config: BotConfig,
  branch: string,
  skip: readonly string[],
  input: { parentSha: string; message: string; changes: readonly FileChange[] },
): Promise<string> {
  const names = [branch, ...branchCandidates(stripSuffix(branch)).filter((b) => b !== branch && !skip.includes(b))];
  const occupied: string[] = [];
  for (const name of names) {
    try {
      await port.commitToBranch({ branch: name, ...input, mayMove: (commits) => ownBranch(commits, config) });
      return name;
    } catch (err) {
      if (!(err instanceof BranchOccupiedError)) throw err;
      occupied.push(name);
    }
  }
  throw new Error(`branches ${occupied.join(', ')} hold commits stagegate did not write; delete one of them`);
}

function stripSuffix(branch: string): string {
  return branch.replace(/_\d+$/, '');
}

/** Opens the PR and makes sure the one GitHub answered with (422: an open one exists) is the bot's. */
async function openOwnPull(
  port: GitHubPort,
  config: BotConfig,
  input: { head: string; base: string; title: string; body: string },
): Promise<PullRequest> {
  const pr = await port.openPull(input);
  if (pr.author !== undefined && pr.author !== config.botLogin)
    throw new Error(`#${pr.number} on ${input.head} was opened by ${pr.author ?? 'someone else'}; not adopted`);
  return pr;
}

export async function execute(
  action: Action,
  o: Observed,
  opts: ReconcileOptions,
  config: BotConfig,
): Promise<RolloutReport> {
  const { port } = opts;
  const m = o.model;
  const id = rolloutId(m);
  const report = (summary: string, number?: number): RolloutReport => ({
    rollout: id,
    path: o.path,
    action: action.kind,
    summary,
    ...(number !== undefined ? { number } : {}),
  });
  const base = {
    ...o,
    liveSince: o.state.liveSince,
    // o.regenerate: bound to the repository defaults (observe.ts), like the content it compared.
    repoUrl: opts.repoUrl,
    defaultBranch: o.defaultBranch.name,
  };
  const taken = o.state.takenHeads ?? [];
  const method = async () => pickMergeMethod(await port.mergeMethods(), opts.mergeMethod);
  // The changelog is read only when this action writes it.
  const withChangelog = async () => ({ ...base, changelog: await o.readChangelog() });
  switch (action.kind) {
    case 'open': {
      const to = nextStage(m)!;
      const proposal = stageProposal(await withChangelog(), to);
      const branch = await claimBranch(
        port,
        config,
        action.branch ?? stageBranch(m.namespace, m.name, to.name),
        taken,
        {
          parentSha: o.defaultBranch.sha,
          message: proposal.commitMessage,
          changes: proposal.changes,
        },
      );
      const pr = await openOwnPull(port, config, {
        head: branch,
        base: o.defaultBranch.name,
        title: proposal.title,
        body: boundBody(proposal.body),
      });
      await port.addLabels(pr.number, [PR_LABEL]);
      return report(`opened #${pr.number} (${action.from} → ${action.to})`, pr.number);
    }
    case 'update': {
      if (action.base !== undefined) await port.updatePull(action.number, { base: action.base });
      if (action.content) {
        const to = nextStage(m)!;
        const proposal = stageProposal(await withChangelog(), to);
        const head = o.state.stagePr?.pr.headRef ?? stageBranch(m.namespace, m.name, to.name);
        await port.commitToBranch({
          branch: head,
          parentSha: o.defaultBranch.sha,
          message: proposal.commitMessage,
          changes: proposal.changes,
          mayMove: (commits) => ownBranch(commits, config),
        });
        await port.updatePull(action.number, { title: proposal.title, body: boundBody(proposal.body) });
      }
      if (action.labels.length > 0) await port.addLabels(action.number, action.labels);
      if (action.base !== undefined) return report(`retargeted #${action.number} at ${action.base}`, action.number);
      return report(
        `adopted #${action.number}${action.content ? ' (rebuilt on the default branch)' : ''}`,
        action.number,
      );
    }
    case 'wait':
      return report(`waiting: ${action.detail}`, action.number);
    case 'merge': {
      const msg = mergeMessage(m, action.to, action.number, action.evidence);
      const result = await port.merge(action.number, { sha: action.sha, method: await method(), ...msg });
      switch (result.kind) {
        case 'merged':
          return report(`merged #${action.number} (${action.from} → ${action.to})`, action.number);
        case 'head-moved':
          return report(`waiting: #${action.number} head moved; re-checking next pass`, action.number);
        case 'not-mergeable':
          return refused(action.number, result.message, o.state.stagePr);
        default:
          return assertNever(result);
      }
    }
    case 'rollback': {
      // Rollback PR first, then close the stage PR: a crash in between leaves an open rollback
      // PR, and the planner closes the stage PR on the next pass — the rollback is never lost.
      let number = action.branch === undefined ? o.state.rollbackPr?.pr.number : undefined;
      const reason = plainText(action.reason);
      // Some clusters of a wave only (onClusterFailure: cluster): "rolling back us-1: …".
      const scope = action.clusters ? ` ${action.clusters.join(', ')}` : '';
      if (number === undefined) {
        const abort = {
          reason,
          at: opts.now().toISOString(),
          ...(action.clusters ? { clusters: action.clusters } : {}),
        };
        const proposal = rollbackProposal(await withChangelog(), abort, action.evidence);
        const rollback = action.branch ?? rollbackBranch(m.namespace, m.name);
        const skip = [...taken, ...(o.state.rollbackPr ? [o.state.rollbackPr.pr.headRef] : [])];
        const branch = await claimBranch(port, config, rollback, skip, {
          parentSha: o.defaultBranch.sha,
          message: proposal.commitMessage,
          changes: proposal.changes,
        });
        const pr = await openOwnPull(port, config, {
          head: branch,
          base: o.defaultBranch.name,
          title: proposal.title,
          body: boundBody(proposal.body),
        });
        number = pr.number;
      }
      await port.addLabels(number, [PR_LABEL, PR_LABEL_ROLLBACK]);
      if (action.close !== undefined) {
        // One comment per marker: a crash between it and the close does not post a second one.
        if (action.commentClose !== false)
          await port.comment(
            action.close,
            boundBody(
              `${marker(CLOSED_FOR_ROLLBACK_MARKER)}\nClosed by stagegate: ${markdownText(reason)}. Rollback: #${number}.`,
            ),
          );
        await port.updatePull(action.close, { state: 'closed' });
      }
      return {
        ...report(
          `rolling back${scope}: #${number} opened${action.close !== undefined ? `, #${action.close} closed` : ''} (${reason})`,
          number,
        ),
        ok: true,
      };
    }
    case 'rebuild-rollback': {
      const abort = {
        reason: plainText(action.abort.reason),
        at: action.abort.at ?? opts.now().toISOString(),
        ...(action.abort.clusters ? { clusters: action.abort.clusters } : {}),
      };
      const proposal = rollbackProposal(await withChangelog(), abort, []);
      await port.commitToBranch({
        branch: action.branch,
        parentSha: o.defaultBranch.sha,
        message: proposal.commitMessage,
        changes: proposal.changes,
        mayMove: (commits) => ownBranch(commits, config),
      });
      await port.updatePull(action.number, { title: proposal.title, body: boundBody(proposal.body) });
      return { ...report(`rebuilt rollback #${action.number} (${abort.reason})`, action.number), ok: true };
    }
    case 'merge-rollback': {
      // A cluster rollback has its own trailer: the rollout goes on in the other clusters (content.ts).
      const clusters = o.state.rollbackPr?.pr.number === action.number ? o.state.rollbackPr.abort?.clusters : undefined;
      const where = clusters ? ` in ${clusters.join(', ')}` : '';
      const result = await port.merge(action.number, {
        sha: action.sha,
        method: await method(),
        title: `stagegate: roll back ${m.name}${where} (#${action.number})`,
        // A drill's rollback also records the drill's times (app/drill/ledger.ts), above the trailer.
        message: [
          ...(await drillLedgerLines(port, config, m, opts.now(), o.defaultBranch.name)),
          '',
          `${clusters ? TRAILER_CLUSTER_ROLLBACK : TRAILER_ROLLBACK}: ${id}/${m.stage}`,
        ]
          .join('\n')
          .trimStart(),
      });
      if (result.kind === 'merged')
        return report(
          `rolled back${clusters ? ` ${clusters.join(', ')}` : ''}: merged #${action.number} (100 % ${m.stable}${where})`,
          action.number,
        );
      if (result.kind === 'not-mergeable') return refused(action.number, result.message, o.state.rollbackPr);
      return report(`waiting: rollback #${action.number} not merged yet (${result.message})`, action.number);
    }
    case 'update-branch': {
      // Brought up to date by rebuilding the bot's one commit on the base's tip, not with PUT
      // update-branch: that adds a merge commit GitHub does not sign, which the trust model could
      // not tell from anyone's (docs/design.md §4a). Either way the head changes and checks run again.
      const rollback = o.state.rollbackPr?.pr.number === action.number ? o.state.rollbackPr : undefined;
      const pull = rollback ?? (o.state.stagePr?.pr.number === action.number ? o.state.stagePr : undefined);
      if (!pull) return report(`waiting: #${action.number} is behind its base`, action.number);
      if (rollback) {
        const abort = rollback.abort ?? { reason: `rollback #${action.number}`, at: opts.now().toISOString() };
        const done = await execute(
          { kind: 'rebuild-rollback', number: action.number, branch: pull.pr.headRef, abort },
          o,
          opts,
          config,
        );
        return { ...done, summary: `${action.detail}: ${done.summary}` };
      }
      const to = nextStage(m)!;
      const proposal = stageProposal(await withChangelog(), to);
      await port.commitToBranch({
        branch: pull.pr.headRef,
        parentSha: o.defaultBranch.sha,
        message: proposal.commitMessage,
        changes: proposal.changes,
        mayMove: (commits) => ownBranch(commits, config),
      });
      return report(
        `${action.detail}: rebuilt #${action.number} on the default branch; merging once its checks pass again`,
        action.number,
      );
    }
    case 'stalled': {
      if (action.label) await port.addLabels(action.number, [PR_LABEL_STALLED]);
      const key = action.marker ?? STALLED_MARKER;
      if (action.comment)
        await port.comment(
          action.number,
          boundBody(
            `${marker(key)}\nstagegate: ${markdownText(action.detail, 2_000)}. Labelled \`${PR_LABEL_STALLED}\`; the bot keeps waiting — fix the cause or close this PR.`,
          ),
        );
      return report(`stalled: #${action.number} ${action.detail}`, action.number);
    }
    case 'comment':
      await port.comment(action.number, boundBody(action.body));
      return report(`waiting: commented on #${action.number} (${action.marker})`, action.number);
    case 'refuse':
      if (!action.alreadyCommented) {
        const lines = action.problems.map((p) => `- ${markdownText(p)}`).join('\n');
        await port.comment(
          action.number,
          boundBody(
            `${marker(action.marker ?? REFUSED_MARKER)}\nstagegate will not merge this PR:\n${lines}\n\nOnly commits by ${config.botLogin} touching rollouts/ and generated/ are merged. Close it; the bot opens a clean one when the intent changes.`,
          ),
        );
      }
      return report(`refused #${action.number}: ${action.problems.join('; ')}`, action.number);
    case 'finish':
      return report(`complete at ${action.stage}`);
    case 'nothing':
      return report(`${action.reason}: ${action.detail}`);
    default:
      return assertNever(action);
  }

  /** GitHub refused a merge: the planner's decision for its message, carried out now (one follow-up). */
  async function refused(number: number, message: string, pull: PullState | undefined): Promise<RolloutReport> {
    if (!pull || pull.pr.number !== number)
      return report(`waiting: #${number} not mergeable (${plainText(message, 300)})`, number);
    const behind = await port.isBehind(o.defaultBranch.sha, pull.pr.headSha);
    const next = mergeRefusal(pull, message, config, behind);
    const done = await execute(next, o, opts, config);
    return { ...done, summary: `merge refused by GitHub (${plainText(message, 200)}): ${done.summary}` };
  }
}

export function assertNever(x: never): never {
  throw new Error(`unhandled case ${JSON.stringify(x)}`);
}
