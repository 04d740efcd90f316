/**
 * `stagegate abort <rollout> --cluster NAME…`: a person rolls back only some clusters of a wave
 * (README "Waves across clusters", docs/design.md §4c). It is the bot's own cluster rollback
 * (onClusterFailure: cluster): one rollback PR whose `spec.abort.clusters` is the clusters rolled
 * back before plus the named ones, merged by the normal bot pass on its static checks. The rules
 * are the schema's (constructs/spec/cluster-rules.ts abortRules), told before anything is written.
 */
import { rollbackBranch } from '../../constructs/conventions.js';
import { closestMatch } from '../../constructs/spec/schema.js';
import { rolloutId } from './content.js';
import { freeBranch, securityProblems } from './planner.js';
import { execute } from './execute.js';
import { observeOne, type ReconcileOptions, type RolloutReport } from './reconcile.js';
import { plainText } from './text.js';

/** Who asked and why: the ledger's evidence line and the abort's reason. */
export interface HandAbort {
  readonly reason: string;
  /** The person: GITHUB_ACTOR in a workflow run. @default the token's login */
  readonly who?: string;
}

export async function openClusterRollback(
  opts: ReconcileOptions,
  path: string,
  named: readonly string[],
  ask: HandAbort,
): Promise<RolloutReport> {
  const { config, observed: o } = await observeOne(opts, path);
  const m = o.model;
  const id = rolloutId(m);
  const refuse = (why: string): RolloutReport => ({
    rollout: id,
    path,
    action: 'error',
    summary: `not rolled back: ${why}`,
    ok: false,
  });
  if (m.abort)
    return { rollout: id, path, action: 'nothing', summary: `already aborted: ${plainText(m.abort.reason)}`, ok: true };
  const all = m.clusters;
  if (!all) return refuse(`${id} runs in one cluster (no spec.clusters); drop --cluster to roll back the rollout`);
  for (const c of named) {
    if (all.includes(c)) continue;
    const guess = closestMatch(c, all);
    return refuse(
      `cluster "${plainText(c, 60)}" is not in spec.clusters (${all.join(', ')})${guess ? `; did you mean "${guess}"?` : ''}`,
    );
  }
  const before = m.clusterAbort?.clusters ?? [];
  const fresh = named.filter((c) => !before.includes(c));
  if (fresh.length === 0)
    return {
      rollout: id,
      path,
      action: 'nothing',
      summary: `already rolled back in ${named.join(', ')}: ${plainText(m.clusterAbort!.reason)}`,
      ok: true,
    };
  if (fresh.length < named.length)
    return refuse(
      `${named.filter((c) => before.includes(c)).join(', ')} ${before.length === 1 ? 'is' : 'are'} already rolled back; name only ${fresh.join(', ')}`,
    );
  // In spec.clusters' order, as the bot's cluster rollback writes it (constructs/clusters.ts clusterRollback).
  const clusters = all.filter((c) => before.includes(c) || fresh.includes(c));
  if (clusters.length === all.length)
    return refuse(
      `that rolls back every cluster of spec.clusters (${all.join(', ')}); drop --cluster to roll back the whole rollout`,
    );
  const own = o.state.rollbackPr;
  const same = own?.abort?.clusters?.join(',') === clusters.join(',');
  if (own && !same)
    return refuse(
      `rollback PR #${own.pr.number} is open (${own.abort?.clusters ? `it rolls back ${own.abort.clusters.join(', ')}` : 'it rolls back the whole rollout'}); merge or close it first`,
    );
  const usable = own?.contentCurrent === true && securityProblems(own, config, o.state.defaultBranch).length === 0;
  const stage = o.state.stagePr?.pr.state === 'open' ? o.state.stagePr : undefined;
  const taken = [...(o.state.takenHeads ?? []), ...(own && !usable ? [own.pr.headRef] : [])];
  return execute(
    {
      kind: 'rollback',
      reason: plainText(ask.reason),
      evidence: [
        `requested by ${plainText(ask.who ?? config.botLogin, 40)} through stagegate abort --cluster ${fresh.join(' --cluster ')}`,
      ],
      clusters,
      ...(stage !== undefined ? { close: stage.pr.number, commentClose: true } : {}),
      ...(usable ? {} : { branch: freeBranch(rollbackBranch(m.namespace, m.name), taken) }),
    },
    o,
    opts,
    config,
  );
}
