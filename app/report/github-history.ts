/**
 * The rollout's history read from GitHub (`stagegate report --repo`), through the bot's port like
 * every other command: the default branch's commits touching the intent, oldest first, with the
 * live stage and abort each revision says. A squash merge's title ends in "(#N)" (docs/design.md
 * §4a, merge rule); "by" is then whoever opened PR N, as `git log`'s author of a squash commit is
 * (git-history.ts), found among the rollout's own branches.
 */
import { rollbackBranch, stageBranch } from '../../constructs/conventions.js';
import type { RolloutModel } from '../../constructs/model.js';
import { parseIntent } from '../../constructs/spec/index.js';
import type { GitHubPort } from '../bot/port.js';
import { drillBranch } from '../drill/record.js';
import type { IntentRevision } from './model.js';

/** How many commits of the intent are read (GitHub pages them by 100). */
export const HISTORY_LIMIT = 100;

export async function intentRevisionsFromGitHub(
  port: Pick<GitHubPort, 'defaultBranch' | 'commitsTouching' | 'readFile' | 'pullsByHead'>,
  path: string,
  model: RolloutModel,
): Promise<IntentRevision[]> {
  const main = await port.defaultBranch();
  const commits = [...(await port.commitsTouching(main.sha, path, HISTORY_LIMIT))].reverse();
  const openedBy = new Map<number, string>();
  const branches = [
    ...model.stages.map((s) => stageBranch(model.namespace, model.name, s.name)),
    rollbackBranch(model.namespace, model.name),
    drillBranch(model),
  ];
  for (const b of branches)
    for (const pr of await port.pullsByHead(b)) if (pr.author) openedBy.set(pr.number, pr.author);
  const out: IntentRevision[] = [];
  for (const c of commits) {
    const text = await port.readFile(c.sha, path);
    if (text === undefined) continue;
    const parsed = parseIntent(path, text);
    if (!parsed.ok) continue;
    const subject = c.message.split('\n')[0] ?? '';
    const pr = /\(#(\d+)\)$/.exec(subject)?.[1];
    const author = (pr && openedBy.get(Number(pr))) || (c.byGitHub ? 'GitHub' : 'unknown');
    const m = parsed.model;
    out.push({
      sha: c.sha,
      author,
      at: new Date(c.date).toISOString(),
      subject,
      stage: m.stage,
      ...(m.abort ? { abort: { reason: m.abort.reason } } : {}),
    });
  }
  return out;
}
