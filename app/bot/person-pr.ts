/**
 * A PR the bot opens for a person to merge (`retry`, `drill`): one commit on a branch of its own,
 * moved only while it holds the bot's commits alone (docs/design.md §4a), labelled, never merged
 * by the bot.
 */
import { PR_LABEL } from '../../constructs/conventions.js';
import { type BotConfig, ownBranch } from './planner.js';
import { BranchOccupiedError, type FileChange, type GitHubPort } from './port.js';
import { boundBody } from './text.js';

export type PersonPr =
  | { readonly kind: 'occupied'; readonly why: string }
  | { readonly kind: 'foreign'; readonly number: number }
  | { readonly kind: 'opened'; readonly number: number };

export async function openPersonPr(
  port: GitHubPort,
  config: BotConfig,
  p: {
    readonly branch: string;
    readonly base: { readonly name: string; readonly sha: string };
    readonly message: string;
    readonly changes: readonly FileChange[];
    readonly title: string;
    readonly body: string;
  },
): Promise<PersonPr> {
  try {
    await port.commitToBranch({
      branch: p.branch,
      parentSha: p.base.sha,
      message: p.message,
      changes: p.changes,
      mayMove: (commits) => ownBranch(commits, config),
    });
  } catch (err) {
    if (err instanceof BranchOccupiedError)
      return { kind: 'occupied', why: `${err.message}; delete it or merge its PR` };
    throw err;
  }
  const pr = await port.openPull({ head: p.branch, base: p.base.name, title: p.title, body: boundBody(p.body) });
  if (pr.author !== undefined && pr.author !== config.botLogin) return { kind: 'foreign', number: pr.number };
  await port.addLabels(pr.number, [PR_LABEL]);
  return { kind: 'opened', number: pr.number };
}
