/**
 * Who the planner trusts (docs/design.md, "Bot trust model and merge rule"): commits the bot
 * wrote, files it writes, statuses from trusted Apps, markers in its own comments. Pure checks
 * over what was read this pass; the planner turns their answers into actions.
 */
import { combineStatuses } from './checks.js';
import { marker, type BotConfig, type PullState } from './planner-types.js';
import type { CombinedStatus, IssueComment, PullCommit } from './port.js';
import { plainText } from './text.js';

/**
 * Commit statuses count only from trusted creators (an App posts as `SLUG[bot]`); a status never
 * stands in for a check run, whatever its context (a `stagegate/health` status is not health).
 */
export function trustedCombined(stage: PullState, config: BotConfig): CombinedStatus {
  if (stage.statuses === undefined) return stage.combined;
  const trusted = config.trustedApps;
  const kept =
    trusted === undefined
      ? stage.statuses
      : stage.statuses.filter((x) => x.creator !== null && trusted.some((slug) => x.creator === `${slug}[bot]`));
  return combineStatuses(kept);
}

/** The bot's noreply address for an App login `SLUG[bot]`: `ID+SLUG[bot]@users.noreply.HOST`. */
function botEmailOk(email: string | null | undefined, botLogin: string): boolean {
  if (email === undefined || email === null || !botLogin.endsWith('[bot]')) return true;
  const at = email.lastIndexOf('@');
  return email.slice(0, at).endsWith(`+${botLogin}`) && email.slice(at + 1).startsWith('users.noreply.');
}

/** Why `c` is not a commit the bot wrote, or undefined when it is. */
export function commitProblem(c: PullCommit, config: BotConfig): string | undefined {
  const sha = c.sha.slice(0, 7);
  if (c.authorLogin !== config.botLogin)
    return `commit ${sha} was written by ${c.authorLogin ?? 'an unknown author'}, not ${config.botLogin}`;
  // GitHub commits for an App as "GitHub" (web-flow); anyone can write that email, so it counts
  // only with GitHub's signature.
  const committerOk = c.committerLogin === config.botLogin || (c.committerLogin === 'web-flow' && c.verified === true);
  if (!committerOk) return `commit ${sha} was committed by ${c.committerLogin ?? 'an unknown committer'}`;
  if (!botEmailOk(c.authorEmail, config.botLogin))
    return `commit ${sha} carries the author email ${plainText(c.authorEmail ?? '', 200)}, not ${config.botLogin}'s`;
  if (config.requireVerified && c.verified !== true)
    return `commit ${sha} is not signed by GitHub (stagegate's commits through the API always are; a push carrying its email is not)`;
  return undefined;
}

/** The branch holds only the bot's commits (so moving it loses nobody's work). */
export function ownBranch(commits: readonly PullCommit[] | undefined, config: BotConfig): boolean {
  return commits === undefined || commits.every((c) => commitProblem(c, config) === undefined);
}

const MODE_NAMES: Record<string, string> = {
  '120000': 'a symlink',
  '100755': 'an executable',
  '160000': 'a submodule',
};

/**
 * Why a PR of the bot's may not be merged: commits it did not write, files outside what it
 * writes, modes other than a plain file. Empty when it may.
 */
export function securityProblems(stage: PullState, config: BotConfig, base?: string): string[] {
  const problems: string[] = [];
  if (base !== undefined && stage.pr.baseRef !== base)
    problems.push(`it targets ${plainText(stage.pr.baseRef, 200)}, not ${base}`);
  for (const c of stage.commits) {
    const p = commitProblem(c, config);
    if (p) problems.push(p);
  }
  for (const file of stage.files) {
    const shown = plainText(file, 300);
    if (!config.allowedPrefixes.some((p) => file.startsWith(p)))
      problems.push(`file ${shown} is outside ${config.allowedPrefixes.join(' and ')}`);
    else if (stage.expectedFiles && !stage.expectedFiles.includes(file))
      problems.push(`file ${shown} is not one this PR changes`);
    const mode = stage.oddModes?.get(file);
    if (mode !== undefined)
      problems.push(`file ${shown} is ${MODE_NAMES[mode] ?? `of mode ${mode}`}, not a plain file`);
  }
  return problems;
}

/** Only the bot's own comments count, so nobody can silence it by quoting a marker. */
export function hasMarker(stage: PullState, key: string, config: BotConfig): boolean {
  return botComment(stage, key, config) !== undefined;
}

export function botComment(stage: PullState, key: string, config: BotConfig): IssueComment | undefined {
  return stage.comments.find((c) => c.user === config.botLogin && c.body.includes(marker(key)));
}
