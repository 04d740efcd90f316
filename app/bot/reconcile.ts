/**
 * One pass of the bot: observe every rollout through the port, plan one action each, execute
 * it. Every step is safe to interrupt: the next pass re-reads Git and the PRs and continues
 * (existing branches are moved, existing PRs adopted, 405/409 mean "look again next pass").
 */
import { rollbackBranch } from '../../constructs/conventions.js';
import { rolloutId, type Regenerate } from './content.js';
import { observeRollout, readPass, type Observed } from './observe.js';
import { freeBranch, plan, securityProblems, type Action, type BotConfig } from './planner.js';
import type { GitHubPort } from './port.js';
import { plainText, scrubUrls } from './text.js';
import { execute } from './execute.js';

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
