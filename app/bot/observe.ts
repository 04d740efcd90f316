/**
 * Reads one pass's state through the port (no checkout): intents on the default branch, the
 * commits that made stages live, the stage and rollback PRs with their commits, files,
 * comments and checks. Everything the planner needs is derived from GitHub on every pass; what
 * the adapter remembers is only how to ask cheaply (ETags) or what can never change (by sha).
 */
import {
  CHANGELOG_DIR,
  DEFAULT_OUT_DIR,
  DEFAULT_ROLLOUTS_DIR,
  rollbackBranch,
  stageBranch,
  branchCandidates,
} from '../../constructs/conventions.js';
import { DEFAULTS_FILE, isDefaultsFile, parseDefaults } from '../../constructs/spec/defaults.js';
import { liveStageIndex, nextStage, type RolloutModel } from '../../constructs/model.js';
import { parseIntent, formatProblem } from '../../constructs/spec/index.js';
import {
  changelogPath,
  ledgerFrom,
  rollbackProposal,
  stageProposal,
  trailer,
  TRAILER_ROLLBACK,
  TRAILER_STAGE,
  type LedgerEntry,
  type Regenerate,
} from './content.js';
import type { PullState, RolloutState } from './planner.js';
import type { CommitSummary, GitHubPort, PullRequest } from './port.js';
import { gitBlobSha } from './reader.js';
import { readStageApproval } from './approval.js';
import { combineStatuses } from './checks.js';

export interface ObserveOptions {
  readonly healthCheck: string;
  /** The bot's login: a PR someone else opened on a bot branch is never the bot's. */
  readonly botLogin?: string;
  readonly regenerate: Regenerate;
  readonly repoUrl: string;
}

export interface Observed {
  readonly path: string;
  readonly text: string;
  readonly model: RolloutModel;
  readonly state: RolloutState;
  readonly ledger: readonly LedgerEntry[];
  /** Changelog text on the default branch ('' when absent); read only when a change is written. */
  readonly readChangelog: () => Promise<string>;
  readonly defaultBranch: { readonly name: string; readonly sha: string };
  /** The pass's regenerate bound to the repository defaults (rollouts/_defaults.yaml), if any. */
  readonly regenerate: Regenerate;
}

export type ObservedOrError = Observed | { readonly path: string; readonly error: string };

/**
 * What one pass reads once for every rollout: the blobs under rollouts/ (one tree read per
 * commit of the default branch), the intents' histories, and the open PRs (one listing).
 * A part that failed is left out; each rollout then reads it alone (and fails alone).
 */
export interface PassView {
  readonly branch: { readonly name: string; readonly sha: string };
  readonly blobs: ReadonlyMap<string, string>;
  readonly intents: readonly string[];
  readonly histories?: ReadonlyMap<string, readonly CommitSummary[]>;
  /** Open PRs by head branch; undefined when the listing failed. */
  readonly open?: ReadonlyMap<string, PullRequest>;
  /** Approving reviews the default branch's rules require (read once a pass). */
  readonly requiredApprovals?: number;
}

const HISTORY_LIMIT = 100;

/** Intents directly under rollouts/ (the changelog directory is not one). */
function intentsIn(files: Iterable<string>): string[] {
  // rollouts/_defaults.yaml holds repository defaults, not a rollout (constructs/spec/defaults.ts).
  return [...files]
    .filter((f) => /^rollouts\/[^/]+\.ya?ml$/.test(f) && !f.startsWith(`${CHANGELOG_DIR}/`) && !isDefaultsFile(f))
    .sort();
}

export async function listIntents(port: GitHubPort, sha: string): Promise<string[]> {
  return intentsIn((await port.blobsUnder(sha, DEFAULT_ROLLOUTS_DIR)).keys());
}

export async function readPass(
  port: GitHubPort,
  branch: { name: string; sha: string },
  log: (line: string) => void = () => {},
): Promise<PassView> {
  const blobs = await port.blobsUnder(branch.sha, DEFAULT_ROLLOUTS_DIR);
  const intents = intentsIn(blobs.keys());
  let histories: ReadonlyMap<string, readonly CommitSummary[]> | undefined;
  try {
    histories = await port.histories(branch.sha, intents, HISTORY_LIMIT);
  } catch (err) {
    log(`reading the intents' histories at once failed (${(err as Error).message}); each rollout reads its own`);
  }
  let open: Map<string, PullRequest> | undefined;
  try {
    open = new Map();
    // Newest first: should a branch carry two open PRs (GitHub forbids it per base), the newest wins.
    for (const pr of (await port.openPulls()).sort((a, b) => a.number - b.number)) open.set(pr.headRef, pr);
  } catch (err) {
    open = undefined;
    log(`listing the open PRs failed (${(err as Error).message}); each rollout looks up its own`);
  }
  let requiredApprovals: number | undefined;
  try {
    requiredApprovals = await port.requiredApprovals(branch.name);
  } catch (err) {
    log(`reading the branch rules failed (${(err as Error).message}); each rollout reads them`);
  }
  return {
    branch,
    blobs,
    intents,
    ...(histories ? { histories } : {}),
    ...(open ? { open } : {}),
    ...(requiredApprovals !== undefined ? { requiredApprovals } : {}),
  };
}

export async function observeRollout(
  port: GitHubPort,
  path: string,
  branch: { name: string; sha: string },
  opts: ObserveOptions,
  view?: PassView,
): Promise<ObservedOrError> {
  const v = view ?? { branch, blobs: await port.blobsUnder(branch.sha, DEFAULT_ROLLOUTS_DIR), intents: [] };
  const blobSha = v.blobs.get(path);
  if (blobSha === undefined) return { path, error: `${path} vanished from ${branch.name}` };
  const text = await port.blob(blobSha);
  // The repository defaults (rollouts/_defaults.yaml) apply to the bot's model and regenerated
  // manifests as they do to synth, so its generated/ is what `verify` expects.
  const defaultsSha = v.blobs.get(`${DEFAULT_ROLLOUTS_DIR}/${DEFAULTS_FILE}`);
  const defaultsText = defaultsSha === undefined ? undefined : await port.blob(defaultsSha);
  const defaults =
    defaultsText === undefined ? undefined : parseDefaults(`${DEFAULT_ROLLOUTS_DIR}/${DEFAULTS_FILE}`, defaultsText);
  if (defaults && !defaults.ok) return { path, error: defaults.problems.map(formatProblem).join('; ') };
  const regenerate: Regenerate = (p, t) => opts.regenerate(p, t, defaultsText);
  const parsed = parseIntent(path, text, defaults?.ok ? { defaults: defaults.defaults } : {});
  if (!parsed.ok) return { path, error: parsed.problems.map(formatProblem).join('; ') };
  const model = parsed.model;

  const commits = v.histories?.get(path) ?? (await port.commitsTouching(branch.sha, path, HISTORY_LIMIT));
  const ledger = ledgerFrom(commits, model);
  // Absent from the tree means no changelog yet: no request to learn that.
  const changelogSha = v.blobs.get(`${CHANGELOG_DIR}/${model.namespace}-${model.name}.md`);
  const readChangelog = async (): Promise<string> => (changelogSha === undefined ? '' : port.blob(changelogSha));
  const newest = commits[0]?.date;
  const intentChangedAt = newest ? new Date(newest) : new Date(0);

  // When the live stage went live: the trailer commit for it, or the merge of its PR, whichever
  // is later (a person merging with a merge commit lands our branch commit, dated when written).
  const stampCommit = commits.find((x) => trailer(x.message, TRAILER_STAGE, model) === model.stage);
  const liveStamp = stampCommit ? Date.parse(stampCommit.date) : undefined;
  // Only when the trailer commit is our branch commit (merged with a merge commit, by a person
  // or by the bot in a merge-only repository) can the PR's merge be later than it. A commit
  // GitHub wrote at merge time (a squash: committed by GitHub, titled "… (#N)") is the merge.
  // GitHub also commits an App's own API commits (committer web-flow), so the committer alone
  // does not say "landed". The merged PRs of a branch cannot change while the intent's history
  // does not (a merge that makes a stage live changes the intent): remembered under its newest sha.
  const landed = stampCommit?.byGitHub === true && /\(#\d+\)\s*$/.test(stampCommit.message.split('\n', 1)[0] ?? '');
  let livePulls: PullRequest[] = [];
  if (stampCommit !== undefined && !landed) {
    for (const b of branchCandidates(stageBranch(model.namespace, model.name, model.stage))) {
      livePulls = await port.pullsByHead(b, { stableWhile: commits[0]!.sha });
      // branch_2… only when no merged PR on the branch itself (rare: merge commits only, each answer remembered).
      if (livePulls.some((p) => p.merged)) break;
    }
  }
  const liveMerged = livePulls.find((p) => p.merged && p.mergedAt !== null);
  const candidates = [liveStamp, liveMerged ? Date.parse(liveMerged.mergedAt!) : undefined].filter(
    (x): x is number => x !== undefined,
  );
  // A person made it live without the bot: the newest edit of the intent (conservative: any edit restarts the bake).
  const liveSince = new Date(candidates.length > 0 ? Math.max(...candidates) : intentChangedAt.getTime());
  const rolloutSince = rolloutStart(commits, model, liveSince);

  const base = { path, text, model, ledger, readChangelog, defaultBranch: branch, regenerate };
  const inputs = {
    ...base,
    changelog: '',
    defaultBranch: branch.name,
    liveSince,
    regenerate,
    repoUrl: opts.repoUrl,
  };
  const bot = opts.botLogin;
  // A PR counts as the bot's only when the bot opened it (docs/design.md, "Bot trust model and merge rule").
  const ours = (p: PullRequest): boolean => bot === undefined || p.author === undefined || p.author === bot;
  const openOn = (branchName: string): PullRequest[] =>
    v.open
      ? branchCandidates(branchName)
          .map((b) => v.open!.get(b))
          .filter((p): p is PullRequest => p !== undefined)
          .sort((a, b) => b.number - a.number)
      : [];
  const foreign: PullState[] = [];
  const ignored = async (p: PullRequest): Promise<void> => {
    foreign.push(shell(p, await port.comments(p.number)));
  };

  const requiredApprovals = v.requiredApprovals ?? (await port.requiredApprovals(branch.name));
  let stagePr: PullState | undefined;
  const next = nextStage(model);
  if (next && !model.abort) {
    const head = stageBranch(model.namespace, model.name, next.name);
    const open = v.open ? openOn(head) : (await port.pullsByHead(head)).filter((p) => p.state === 'open');
    const mine = open.filter(ours);
    for (const p of open.filter((x) => !ours(x))) await ignored(p);
    for (const p of mine.slice(1)) await ignored(p);
    // Closed PRs matter only without an open one (closed by a person → pause; merged → wait).
    const pr = mine[0] ?? (await port.pullsByHead(head)).filter(ours)[0];
    if (pr) {
      const proposal = stageProposal(inputs, next);
      const read = await pullState(port, pr, opts, proposal.expected, [
        ...proposal.expected.map((e) => e.path),
        changelogPath(model),
      ]);
      const withRules =
        pr.state === 'open' && requiredApprovals > 0 ? { ...read, approvedBy: await port.approvals(pr.number) } : read;
      // The stage's own approval (approval.ts), read on the head commit: a person approves what merges.
      stagePr =
        pr.state === 'open' && next.approval
          ? {
              ...withRules,
              stageApproval: await readStageApproval(port, next.approval, path, branch.sha, pr, opts.botLogin ?? ''),
            }
          : withRules;
    }
  }
  let rollbackPr: PullState | undefined;
  if (!model.abort) {
    const head = rollbackBranch(model.namespace, model.name);
    const open = v.open ? openOn(head) : (await port.pullsByHead(head)).filter((p) => p.state === 'open');
    const mine = open.filter(ours);
    for (const p of open.filter((x) => !ours(x))) await ignored(p);
    for (const p of mine.slice(1)) await ignored(p);
    const pr = mine[0];
    if (pr) {
      // The abort the head declares; the expected content is re-derived from it, so a branch
      // pointed at any other commit (a stage commit of the bot's, say) is not current.
      const files = await port.pullFiles(pr.number, pr.headSha, baseKey(pr));
      const intentSha = files.find((f) => f.path === path)?.sha;
      const headText = intentSha ? await port.blob(intentSha) : undefined;
      const headParsed = headText === undefined ? undefined : parseIntent(path, headText);
      // A wave's cluster rollback declares only its clusters (spec.abort.clusters, README "Waves across clusters").
      const declared = headParsed?.ok ? headParsed.model : undefined;
      const abort = declared?.abort ?? declared?.clusterAbort;
      const expected = abort ? rollbackProposal(inputs, abort, []).expected : [];
      const generated = regenerate(path, text);
      const genPaths = [generated, ...(generated.others ?? [])].map((g) => `${DEFAULT_OUT_DIR}/${g.file}`);
      const state = await pullState(port, pr, opts, expected, [path, ...genPaths, changelogPath(model)]);
      rollbackPr = {
        ...state,
        contentCurrent: abort !== undefined && state.contentCurrent,
        ...(abort ? { abort } : {}),
      };
    }
  }
  const state: RolloutState = {
    liveSince,
    rolloutSince,
    intentChangedAt,
    defaultBranch: branch.name,
    ...(requiredApprovals > 0 ? { requiredApprovals } : {}),
    ...(stagePr ? { stagePr } : {}),
    ...(rollbackPr ? { rollbackPr } : {}),
    ...(foreign.length > 0 ? { foreign } : {}),
    takenHeads: v.open ? [...v.open.keys()] : [],
  };
  return { ...base, state };
}

/** The key part of what a PR's commits and files depend on besides the head: its base. */
function baseKey(pr: PullRequest): string {
  return `${pr.baseRef}@${pr.baseSha ?? ''}`;
}

/** A PR known only by itself and its comments (closed, or someone else's). */
function shell(pr: PullRequest, comments: PullState['comments']): PullState {
  return {
    pr,
    commits: [],
    files: [],
    comments,
    checks: [],
    healthHistory: [],
    combined: { state: 'pending', totalCount: 0 },
    contentCurrent: true,
  };
}

async function pullState(
  port: GitHubPort,
  pr: PullRequest,
  opts: ObserveOptions,
  expected: ReadonlyArray<{ path: string; content: string }>,
  expectedFiles: readonly string[],
): Promise<PullState> {
  if (pr.state !== 'open') {
    // A closed, unmerged PR: its comments tell whether the bot closed it for a rollback.
    return shell(pr, pr.merged ? [] : await port.comments(pr.number));
  }
  // Commits and files are fixed by the base and head (remembered); comments and checks are polled.
  const commits = await port.pullCommits(pr.number, pr.headSha, baseKey(pr));
  const diff = await port.pullFiles(pr.number, pr.headSha, baseKey(pr));
  const comments = await port.comments(pr.number);
  const checks = await port.checkRuns(pr.headSha);
  const statuses = await port.statuses(pr.headSha);
  const healthHistory = [];
  for (const c of commits) {
    if (c.sha === pr.headSha || !/^[0-9a-f]{40}$/.test(c.sha)) continue;
    healthHistory.push(...(await port.checkRuns(c.sha)).filter((r) => r.name === opts.healthCheck));
  }
  // A rename changes its old path too: both must be inside the allowed directories.
  const files = diff.flatMap((f) => (f.previousPath !== undefined ? [f.path, f.previousPath] : [f.path]));
  const present = diff.filter((f) => f.sha !== null).map((f) => f.path);
  const oddModes = present.length > 0 ? await port.oddModes(pr.headSha, present) : new Map<string, string>();
  let contentCurrent = true;
  for (const file of expected) {
    // The diff carries each changed file's blob sha: compare hashes, no content read.
    const entry = diff.find((f) => f.path === file.path);
    const same = entry
      ? entry.sha === gitBlobSha(file.content)
      : (await port.readFile(pr.headSha, file.path)) === file.content;
    if (!same) {
      contentCurrent = false;
      break;
    }
  }
  return {
    pr,
    commits,
    files,
    comments,
    checks,
    healthHistory,
    combined: combineStatuses(statuses),
    statuses,
    contentCurrent,
    expectedFiles,
    oddModes,
  };
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
