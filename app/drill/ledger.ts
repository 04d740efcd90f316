/**
 * A drill's line in the ledger (issue #16): when the bot merges the rollback of a rollout that
 * carries `spec.drill`, the squash commit says how long each step took since the fault went live —
 * first red verdict, rollback merged (this merge), 100 % stable in the generated VirtualService
 * (this commit: the rollback's manifests send nothing to canary and carry no fault) — against the
 * time `plan` predicted. The merge commit is the ledger (docs/design.md §4b: evidence lines of
 * merge commits), and it is written once, by the merge itself, so a crash cannot write it twice.
 */
import type { RolloutModel } from '../../constructs/model.js';
import type { BotConfig } from '../bot/planner.js';
import type { GitHubPort } from '../bot/port.js';
import { at, drillFirstRed, drillPrediction, drillPulls, ms } from './record.js';

export const DRILL_LEDGER_PREFIX = '- drill';

/** The drill's evidence lines for the rollback's merge commit at `now`; none without a drill merged into `defaultBranch`. */
export async function drillLedgerLines(
  port: Pick<GitHubPort, 'pullsByHead' | 'checkRuns'>,
  config: Pick<BotConfig, 'trustedApps' | 'healthCheck'>,
  m: RolloutModel,
  now: Date,
  defaultBranch: string,
): Promise<string[]> {
  if (!m.drill) return [];
  const { merged } = await drillPulls(port, m, defaultBranch);
  if (!merged) return [];
  const live = at(merged.mergedAt);
  const red = (await drillFirstRed(port, config, m, live)).first;
  const since = (t: number | undefined) => (t === undefined ? undefined : t - live);
  const merging = now.getTime() - live;
  return [
    `${DRILL_LEDGER_PREFIX} #${merged.number}: fault live ${new Date(live).toISOString()} at ${m.stage}`,
    `${DRILL_LEDGER_PREFIX}: first red ${ms(since(red))}, rollback merged ${ms(merging)}, 100 % stable ${ms(merging)} (this commit) after the fault went live; ${drillPrediction(m).text}`,
  ];
}
