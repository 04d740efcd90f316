/**
 * One pass of the bot: observe every rollout through the port, plan one action each, execute
 * it. Every step is safe to interrupt: the next pass re-reads Git and the PRs and continues
 * (existing branches are moved, existing PRs adopted, 405/409 mean "look again next pass").
 */
import {
  PR_LABEL,
  PR_LABEL_ROLLBACK,
  PR_LABEL_STALLED,
  rollbackBranch,
  stageBranch,
} from '../../constructs/conventions.js';
import { nextStage } from '../../constructs/model.js';
import { mergeMessage, rollbackProposal, rolloutId, stageProposal, type Regenerate } from './content.js';
import { observeRollout, readPass, type Observed } from './observe.js';
import { marker, plan, REFUSED_MARKER, STALLED_MARKER, type Action, type BotConfig } from './planner.js';
import type { GitHubPort } from './port.js';

export interface ReconcileOptions {
  readonly port: GitHubPort;
  readonly now: () => Date;
  /** Everything but botLogin, which is read from the token (GET /user) when absent. */
  readonly config: Omit<BotConfig, 'botLogin'> & { readonly botLogin?: string };
  readonly regenerate: Regenerate;
  readonly repoUrl: string;
  readonly mergeMethod?: 'squash' | 'merge';
  /** Where degraded reads are reported (never a token). @default nowhere */
  readonly log?: (line: string) => void;
}

export interface RolloutReport {
  readonly rollout: string;
  readonly path: string;
  readonly action: Action['kind'] | 'error';
  /** e.g. "merged #12 (one-percent → ten-percent)", "waiting: bake 12m left" */
  readonly summary: string;
  readonly number?: number;
}

export async function reconcile(opts: ReconcileOptions): Promise<RolloutReport[]> {
  const { port } = opts;
  const botLogin = opts.config.botLogin ?? (await port.viewer());
  const config: BotConfig = { ...opts.config, botLogin };
  const branch = await port.defaultBranch();
  const view = await readPass(port, branch, opts.log);
  const reports: RolloutReport[] = [];
  for (const path of view.intents) {
    // One rollout failing (an API error, an intent that no longer compiles) must not hold up
    // the others; whatever it left half-done is repaired by the next pass.
    try {
      const observed = await observeRollout(
        port,
        path,
        branch,
        { healthCheck: config.healthCheck, regenerate: opts.regenerate, repoUrl: opts.repoUrl },
        view,
      );
      if ('error' in observed) {
        reports.push({ rollout: path, path, action: 'error', summary: `cannot read intent: ${observed.error}` });
        continue;
      }
      const action = plan({ rollout: observed.model, state: observed.state, now: opts.now(), config });
      reports.push(await execute(action, observed, opts, config));
    } catch (err) {
      reports.push({
        rollout: path,
        path,
        action: 'error',
        summary: `pass failed, the next one repairs it: ${chain(err)}`,
      });
    }
  }
  return reports;
}

/** An error and its causes in one line (never a stack, never request headers). */
function chain(err: unknown): string {
  const parts: string[] = [];
  for (
    let e: unknown = err;
    e !== undefined && e !== null && parts.length < 4;
    e = e instanceof Error ? e.cause : undefined
  ) {
    parts.push(e instanceof Error ? e.message : String(e));
  }
  return parts.join(': ');
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
    regenerate: opts.regenerate,
    repoUrl: opts.repoUrl,
    defaultBranch: o.defaultBranch.name,
  };
  // The changelog is read only when this action writes it.
  const withChangelog = async () => ({ ...base, changelog: await o.readChangelog() });
  switch (action.kind) {
    case 'open': {
      const to = nextStage(m)!;
      const proposal = stageProposal(await withChangelog(), to);
      const branch = stageBranch(m.namespace, m.name, to.name);
      await port.commitToBranch({
        branch,
        parentSha: o.defaultBranch.sha,
        message: proposal.commitMessage,
        changes: proposal.changes,
      });
      const pr = await port.openPull({
        head: branch,
        base: o.defaultBranch.name,
        title: proposal.title,
        body: proposal.body,
      });
      await port.addLabels(pr.number, [PR_LABEL]);
      return report(`opened #${pr.number} (${action.from} → ${action.to})`, pr.number);
    }
    case 'update': {
      if (action.content) {
        const to = nextStage(m)!;
        const proposal = stageProposal(await withChangelog(), to);
        await port.commitToBranch({
          branch: stageBranch(m.namespace, m.name, to.name),
          parentSha: o.defaultBranch.sha,
          message: proposal.commitMessage,
          changes: proposal.changes,
        });
        await port.updatePull(action.number, { title: proposal.title, body: proposal.body });
      }
      if (action.labels.length > 0) await port.addLabels(action.number, action.labels);
      return report(
        `adopted #${action.number}${action.content ? ' (rebuilt on the default branch)' : ''}`,
        action.number,
      );
    }
    case 'wait':
      return report(`waiting: ${action.detail}`, action.number);
    case 'merge': {
      const msg = mergeMessage(m, action.to, action.number, action.evidence);
      const result = await port.merge(action.number, { sha: action.sha, method: opts.mergeMethod ?? 'squash', ...msg });
      switch (result.kind) {
        case 'merged':
          return report(`merged #${action.number} (${action.from} → ${action.to})`, action.number);
        case 'head-moved':
          return report(`waiting: #${action.number} head moved; re-checking next pass`, action.number);
        case 'not-mergeable':
          return report(`waiting: #${action.number} not mergeable (${result.message})`, action.number);
        default:
          return assertNever(result);
      }
    }
    case 'rollback': {
      // Rollback PR first, then close the stage PR: a crash in between leaves an open rollback
      // PR, and the planner closes the stage PR on the next pass — the rollback is never lost.
      const branch = rollbackBranch(m.namespace, m.name);
      let number = o.state.rollbackPr?.pr.number;
      if (number === undefined) {
        const abort = { reason: action.reason, at: opts.now().toISOString() };
        const proposal = rollbackProposal(await withChangelog(), abort, action.evidence);
        await port.commitToBranch({
          branch,
          parentSha: o.defaultBranch.sha,
          message: proposal.commitMessage,
          changes: proposal.changes,
        });
        const pr = await port.openPull({
          head: branch,
          base: o.defaultBranch.name,
          title: proposal.title,
          body: proposal.body,
        });
        number = pr.number;
      }
      await port.addLabels(number, [PR_LABEL, PR_LABEL_ROLLBACK]);
      if (action.close !== undefined) {
        await port.comment(
          action.close,
          `${marker('closed-for-rollback')}\nClosed by stagegate: ${action.reason}. Rollback: #${number}.`,
        );
        await port.updatePull(action.close, { state: 'closed' });
      }
      return report(
        `rolling back: #${number} opened${action.close !== undefined ? `, #${action.close} closed` : ''} (${action.reason})`,
        number,
      );
    }
    case 'merge-rollback': {
      const result = await port.merge(action.number, {
        sha: action.sha,
        method: opts.mergeMethod ?? 'squash',
        title: `stagegate: roll back ${m.name} (#${action.number})`,
        message: `Stagegate-Rollback: ${id}/${m.stage}`,
      });
      if (result.kind === 'merged')
        return report(`rolled back: merged #${action.number} (100 % ${m.stable})`, action.number);
      return report(`waiting: rollback #${action.number} not merged yet (${result.message})`, action.number);
    }
    case 'stalled':
      if (action.label) await port.addLabels(action.number, [PR_LABEL_STALLED]);
      if (action.comment)
        await port.comment(
          action.number,
          `${marker(STALLED_MARKER)}\nstagegate: ${action.detail}. Labelled \`${PR_LABEL_STALLED}\`; the bot keeps waiting — fix the cause or close this PR.`,
        );
      return report(`stalled: #${action.number} ${action.detail}`, action.number);
    case 'comment':
      await port.comment(action.number, action.body);
      return report(`waiting: commented on #${action.number} (${action.marker})`, action.number);
    case 'refuse':
      if (!action.alreadyCommented) {
        const lines = action.problems.map((p) => `- ${p}`).join('\n');
        await port.comment(
          action.number,
          `${marker(REFUSED_MARKER)}\nstagegate will not merge this PR:\n${lines}\n\nOnly commits by ${config.botLogin} touching rollouts/ and generated/ are merged. Close it; the bot opens a clean one when the intent changes.`,
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
}

export function assertNever(x: never): never {
  throw new Error(`unhandled case ${JSON.stringify(x)}`);
}

/** Opens (or adopts) the rollback PR by hand: `stagegate abort`. */
export async function openRollback(opts: ReconcileOptions, path: string, reason: string): Promise<RolloutReport> {
  const botLogin = opts.config.botLogin ?? (await opts.port.viewer());
  const config: BotConfig = { ...opts.config, botLogin };
  const branch = await opts.port.defaultBranch();
  const o = await observeRollout(opts.port, path, branch, {
    healthCheck: config.healthCheck,
    regenerate: opts.regenerate,
    repoUrl: opts.repoUrl,
  });
  if ('error' in o) throw new Error(`cannot read ${path}: ${o.error}`);
  if (o.model.abort)
    return {
      rollout: rolloutId(o.model),
      path,
      action: 'nothing',
      summary: `already aborted: ${o.model.abort.reason}`,
    };
  const stage = o.state.stagePr?.pr.state === 'open' ? o.state.stagePr.pr.number : undefined;
  return execute(
    {
      kind: 'rollback',
      reason,
      evidence: [`requested by hand through stagegate abort`],
      ...(stage !== undefined ? { close: stage } : {}),
    },
    o,
    opts,
    config,
  );
}
