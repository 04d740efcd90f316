/**
 * Reads one pass's state through the port (no checkout): intents on the default branch, the
 * commits that made stages live, the stage and rollback PRs with their commits, files,
 * comments and checks. Everything the planner needs, nothing remembered between passes.
 */
import { CHANGELOG_DIR, DEFAULT_ROLLOUTS_DIR, rollbackBranch, stageBranch } from '../../constructs/conventions.js';
import { liveStageIndex, nextStage, type RolloutModel } from '../../constructs/model.js';
import { parseIntent, formatProblem } from '../../constructs/spec/index.js';
import { ledgerFrom, stageProposal, trailer, TRAILER_ROLLBACK, TRAILER_STAGE, type CommitSummary, type LedgerEntry, type Regenerate } from './content.js';
import type { PullState, RolloutState } from './planner.js';
import type { GitHubPort, PullRequest } from './port.js';

export interface ObserveOptions {
  readonly healthCheck: string;
  readonly regenerate: Regenerate;
  readonly repoUrl: string;
}

export interface Observed {
  readonly path: string;
  readonly text: string;
  readonly model: RolloutModel;
  readonly state: RolloutState;
  readonly ledger: readonly LedgerEntry[];
  readonly changelog: string;
  readonly defaultBranch: { readonly name: string; readonly sha: string };
}

export type ObservedOrError = Observed | { readonly path: string; readonly error: string };

/** Intents directly under rollouts/ (the changelog directory is not one). */
export async function listIntents(port: GitHubPort, sha: string): Promise<string[]> {
  const files = await port.listFiles(sha, DEFAULT_ROLLOUTS_DIR);
  return files.filter((f) => /^rollouts\/[^/]+\.ya?ml$/.test(f) && !f.startsWith(`${CHANGELOG_DIR}/`)).sort();
}

export async function observeRollout(port: GitHubPort, path: string, branch: { name: string; sha: string }, opts: ObserveOptions): Promise<ObservedOrError> {
  const text = await port.readFile(branch.sha, path);
  if (text === undefined) return { path, error: `${path} vanished from ${branch.name}` };
  const parsed = parseIntent(path, text);
  if (!parsed.ok) return { path, error: parsed.problems.map(formatProblem).join('; ') };
  const model = parsed.model;

  const commits = await port.commitsTouching(branch.sha, path, 100);
  const ledger = ledgerFrom(commits, model);
  const changelog = (await port.readFile(branch.sha, `${CHANGELOG_DIR}/${model.namespace}-${model.name}.md`)) ?? '';
  const newest = commits[0]?.date;
  const intentChangedAt = newest ? new Date(newest) : new Date(0);

  // When the live stage went live: the trailer commit for it, or the merge of its PR, whichever
  // is later (a person merging with a merge commit lands our branch commit, dated when written).
  const stamp = (stage: string): number | undefined => {
    const c = commits.find((x) => trailer(x.message, TRAILER_STAGE, model) === stage);
    return c ? Date.parse(c.date) : undefined;
  };
  const livePulls = await port.pullsByHead(stageBranch(model.namespace, model.name, model.stage));
  const liveMerged = livePulls.find((p) => p.merged && p.mergedAt !== null);
  const candidates = [stamp(model.stage), liveMerged ? Date.parse(liveMerged.mergedAt!) : undefined].filter((x): x is number => x !== undefined);
  // A person made it live without the bot: the newest edit of the intent (conservative: any edit restarts the bake).
  const liveSince = new Date(candidates.length > 0 ? Math.max(...candidates) : intentChangedAt.getTime());
  const rolloutSince = rolloutStart(commits, model, liveSince);

  const base = { path, text, model, ledger, changelog, defaultBranch: branch };
  const next = nextStage(model);
  let stagePr: PullState | undefined;
  if (next && !model.abort) {
    const pulls = await port.pullsByHead(stageBranch(model.namespace, model.name, next.name));
    const pr = pulls.find((p) => p.state === 'open') ?? pulls[0];
    if (pr) {
      const expected = stageProposal({ ...base, defaultBranch: branch.name, liveSince, regenerate: opts.regenerate, repoUrl: opts.repoUrl }, next).expected;
      stagePr = await pullState(port, pr, opts, expected);
    }
  }
  let rollbackPr: PullState | undefined;
  if (!model.abort) {
    const open = (await port.pullsByHead(rollbackBranch(model.namespace, model.name))).find((p) => p.state === 'open');
    if (open) rollbackPr = await pullState(port, open, opts, undefined);
  }
  const state: RolloutState = { liveSince, rolloutSince, intentChangedAt, ...(stagePr ? { stagePr } : {}), ...(rollbackPr ? { rollbackPr } : {}) };
  return { ...base, state };
}

async function pullState(port: GitHubPort, pr: PullRequest, opts: ObserveOptions, expected: ReadonlyArray<{ path: string; content: string }> | undefined): Promise<PullState> {
  if (pr.state !== 'open') {
    return { pr, commits: [], files: [], comments: [], checks: [], healthHistory: [], combined: { state: 'pending', totalCount: 0 }, contentCurrent: true };
  }
  const commits = await port.pullCommits(pr.number);
  const files = await port.pullFiles(pr.number);
  const comments = await port.comments(pr.number);
  const checks = await port.checkRuns(pr.headSha);
  const combined = await port.combinedStatus(pr.headSha);
  const healthHistory = [];
  for (const c of commits) {
    if (c.sha === pr.headSha) continue;
    healthHistory.push(...(await port.checkRuns(c.sha)).filter((r) => r.name === opts.healthCheck));
  }
  let contentCurrent = true;
  for (const file of expected ?? []) {
    if ((await port.readFile(pr.headSha, file.path)) !== file.content) {
      contentCurrent = false;
      break;
    }
  }
  return { pr, commits, files, comments, checks, healthHistory, combined, contentCurrent };
}

/**
 * When this rollout began: walking back from the newest commit, the bot's stage commits of this
 * rollout appear with falling stage indexes; the run ends at a rollback or a later stage (an
 * earlier rollout). The commit just before the run's oldest one is where a person started it
 * (usually the canary bump). With no stage commit yet, the rollout began when its stage went live.
 */
export function rolloutStart(commits: readonly CommitSummary[], model: RolloutModel, liveSince: Date): Date {
  let index = liveStageIndex(model);
  let oldest = -1;
  for (let i = 0; i < commits.length; i += 1) {
    const c = commits[i]!;
    if (trailer(c.message, TRAILER_ROLLBACK, model) !== undefined) break;
    const stage = trailer(c.message, TRAILER_STAGE, model);
    if (stage === undefined) continue;
    const at = model.stages.findIndex((s) => s.name === stage);
    if (at < 0 || at > index) break;
    index = at;
    oldest = i;
  }
  if (oldest < 0) return liveSince;
  return new Date((commits[oldest + 1] ?? commits[oldest]!).date);
}
