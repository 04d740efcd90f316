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
  type Regenerate,
} from './content.js';
import { observeRollout, readPass, type Observed } from './observe.js';
import {
  CLOSED_FOR_ROLLBACK_MARKER,
  freeBranch,
  marker,
  mergeRefusal,
  ownBranch,
  pickMergeMethod,
  plan,
  REFUSED_MARKER,
  securityProblems,
  STALLED_MARKER,
  type Action,
  type BotConfig,
  type PullState,
} from './planner.js';
import { BranchOccupiedError, type FileChange, type GitHubPort, type PullRequest } from './port.js';
import { boundBody, markdownText, plainText, scrubUrls } from './text.js';
import { drillLedgerLines } from '../drill/ledger.js';

export interface ReconcileOptions {
  readonly port: GitHubPort;
  readonly now: () => Date;
  /** Everything but botLogin, which comes from `appSlug` or is read from the token (GET /user) when absent. */
  readonly config: Omit<BotConfig, 'botLogin'> & { readonly botLogin?: string };
  readonly regenerate: Regenerate;
  readonly repoUrl: string;
  /** The GitHub App the token belongs to: login `${appSlug}[bot]`, GET /user never called. */
  readonly appSlug?: string;
  /** Override; @default read from the repository (squash → merge → rebase) */
  readonly mergeMethod?: 'squash' | 'merge' | 'rebase';
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
  /** `stagegate abort`: true only when a rollback PR of the bot's is open, or the rollout is already aborted. */
  readonly ok?: boolean;
}

/** The bot's identity: `SLUG[bot]` for an App (an installation token gets 403 from GET /user), else GET /user. */
export async function botIdentity(opts: ReconcileOptions): Promise<BotConfig> {
  const botLogin = opts.config.botLogin ?? (opts.appSlug ? `${opts.appSlug}[bot]` : await opts.port.viewer());
  return { ...opts.config, botLogin };
}

export async function reconcile(opts: ReconcileOptions): Promise<RolloutReport[]> {
  const { port } = opts;
  const config = await botIdentity(opts);
  const branch = await port.defaultBranch();
  const view = await readPass(port, branch, opts.log);
  const observed: Array<Observed | RolloutReport> = [];
  for (const path of view.intents) {
    // One rollout failing (an API error, an intent that no longer compiles) must not hold up
    // the others; whatever it left half-done is repaired by the next pass.
    try {
      const o = await observeRollout(port, path, branch, observeOptions(opts, config), view);
      observed.push(
        'error' in o ? { rollout: path, path, action: 'error', summary: `cannot read intent: ${o.error}` } : o,
      );
    } catch (err) {
      observed.push({
        rollout: path,
        path,
        action: 'error',
        summary: `pass failed, the next one repairs it: ${chain(err)}`,
      });
    }
  }
  // Two intents for one namespace/name would fight over one set of branches (a force-push every
  // pass): neither is acted on, and `stagegate check` names the same problem.
  const paths = new Map<string, string[]>();
  for (const o of observed)
    if ('model' in o) paths.set(rolloutId(o.model), [...(paths.get(rolloutId(o.model)) ?? []), o.path]);
  const reports: RolloutReport[] = [];
  for (const o of observed) {
    if (!('model' in o)) {
      reports.push(o);
      continue;
    }
    const id = rolloutId(o.model);
    const same = paths.get(id)!;
    if (same.length > 1) {
      reports.push({
        rollout: id,
        path: o.path,
        action: 'error',
        summary: `${id} is defined by ${same.join(' and ')}; stagegate acts on neither until one is removed (stagegate check says the same)`,
      });
      continue;
    }
    try {
      const action = plan({ rollout: o.model, state: o.state, now: opts.now(), config });
      reports.push(await execute(action, o, opts, config));
    } catch (err) {
      reports.push({
        rollout: id,
        path: o.path,
        action: 'error',
        summary: `pass failed, the next one repairs it: ${chain(err)}`,
      });
    }
  }
  return reports;
}

/**
 * One rollout read as a pass reads it, for the commands that act on one rollout outside the
 * pass (abort, promote, retry, drill): the bot's identity, the default branch and what is observed.
 */
export async function observeOne(
  opts: ReconcileOptions,
  path: string,
): Promise<{
  config: BotConfig;
  branch: Awaited<ReturnType<ReconcileOptions['port']['defaultBranch']>>;
  observed: Observed;
}> {
  const config = await botIdentity(opts);
  const branch = await opts.port.defaultBranch();
  const view = await readPass(opts.port, branch, opts.log);
  const o = await observeRollout(opts.port, path, branch, observeOptions(opts, config), view);
  if ('error' in o) throw new Error(`cannot read ${path}: ${o.error}`);
  return { config, branch, observed: o };
}

function observeOptions(opts: ReconcileOptions, config: BotConfig) {
  return {
    healthCheck: config.healthCheck,
    botLogin: config.botLogin,
    regenerate: opts.regenerate,
    repoUrl: opts.repoUrl,
  };
}

/** An error and its causes in one line (never a stack, never request headers, never URL credentials). */
function chain(err: unknown): string {
  const parts: string[] = [];
  for (
    let e: unknown = err;
    e !== undefined && e !== null && parts.length < 4;
    e = e instanceof Error ? e.cause : undefined
  ) {
    parts.push(scrubUrls(e instanceof Error ? e.message : String(e)));
  }
  return parts.join(': ');
}

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

/**
 * Opens the rollback PR by hand (`stagegate abort`), or adopts the bot's own open one. A PR on
 * the rollback branch that someone else opened or touched never stands in for it: the bot opens
 * its own on a fresh branch. The report's `ok` says whether a rollback of the bot's is open.
 */
export async function openRollback(opts: ReconcileOptions, path: string, reason: string): Promise<RolloutReport> {
  const { config, observed: o } = await observeOne(opts, path);
  if (o.model.abort)
    return {
      rollout: rolloutId(o.model),
      path,
      action: 'nothing',
      summary: `already aborted: ${plainText(o.model.abort.reason)}`,
      ok: true,
    };
  const own = o.state.rollbackPr;
  const usable = own?.contentCurrent === true && securityProblems(own, config, o.state.defaultBranch).length === 0;
  // The bot's open rollback of some clusters (README "Waves across clusters"): widened to the
  // whole rollout on its own branch, not adopted as it is.
  if (usable && own.abort?.clusters)
    return execute(
      { kind: 'rebuild-rollback', number: own.pr.number, branch: own.pr.headRef, abort: { reason: plainText(reason) } },
      o,
      opts,
      config,
    );
  const stage = o.state.stagePr?.pr.state === 'open' ? o.state.stagePr : undefined;
  const taken = [...(o.state.takenHeads ?? []), ...(own && !usable ? [own.pr.headRef] : [])];
  return execute(
    {
      kind: 'rollback',
      reason: plainText(reason),
      evidence: ['requested by hand through stagegate abort'],
      ...(stage !== undefined ? { close: stage.pr.number, commentClose: true } : {}),
      ...(usable ? {} : { branch: freeBranch(rollbackBranch(o.model.namespace, o.model.name), taken) }),
    },
    o,
    opts,
    config,
  );
}
