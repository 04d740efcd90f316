/**
 * Merging a pull request (PUT /pulls/{n}/merge, OA pulls/merge) as real commits on the base
 * branch, with GitHub's refusals in GitHub's order and words; updating a PR's branch
 * (PUT /pulls/{n}/update-branch); and auto-merge, which GitHub performs itself once a PR's
 * rules pass.
 */
import { EMPTY_TREE } from './git-format.js';
import { ApiError, DOCS, validationFailed } from './http.js';
import { WEB_FLOW, type Identity } from './identity.js';
import { violationMessage, violations } from './rules.js';
import type { PullRecord, RepoState } from './state.js';
import type { MergeMethod } from './types.js';

export const MERGE_DOCS = `${DOCS}/pulls/pulls#merge-a-pull-request`;
const NOT_MERGEABLE = 'Pull Request is not mergeable';
const GITHUB = { name: WEB_FLOW.name, email: WEB_FLOW.email };

export interface MergeRequest {
  readonly method: string;
  readonly sha?: string;
  readonly title?: string;
  readonly message?: string;
  /** Who merges: a token's identity, or (auto-merge) the login that enabled it. */
  readonly actor: Identity | string;
  readonly now: Date;
  /** Someone pushes to the base between building the merge and moving the ref (the racePush fault). */
  readonly racePush?: boolean;
  /** Auto-merge waits for the rules themselves: no bypass. */
  readonly auto?: boolean;
}

/** Merges `pr`; returns the commit the base now points at. Throws GitHub's refusals. */
export function mergePull(s: RepoState, pr: PullRecord, req: MergeRequest): string {
  const method = req.method as MergeMethod;
  if (!['merge', 'squash', 'rebase'].includes(method)) {
    throw validationFailed('Validation Failed', [{ resource: 'PullRequest', field: 'merge_method', code: 'invalid' }]);
  }
  if (pr.state !== 'open') throw new ApiError(405, NOT_MERGEABLE, MERGE_DOCS);
  // OA pulls/merge 409: "Head branch was modified. Review and try the merge again."
  if (req.sha !== undefined && req.sha !== pr.headSha)
    throw new ApiError(409, 'Head branch was modified. Review and try the merge again.', MERGE_DOCS);
  if (pr.draft) throw new ApiError(405, 'Pull Request is still a draft', MERGE_DOCS);
  if (!s.settings.mergeMethods.includes(method)) {
    // "Squash merges are not allowed on this repository." (NielPieterse0/chatgpt-skill#153),
    // "Merge commits are not allowed on this repository." (AnandChowdhary/dependabot-pr-action#17);
    // the rebase text by analogy (research sheet §3).
    const what = { merge: 'Merge commits', squash: 'Squash merges', rebase: 'Rebase merges' }[method];
    throw new ApiError(405, `${what} are not allowed on this repository.`, MERGE_DOCS);
  }
  const base = s.baseSha(pr);
  const tree = s.git.mergeTrees(base, pr.headSha);
  if (tree === null) throw new ApiError(405, NOT_MERGEABLE, MERGE_DOCS);
  const who = typeof req.actor === 'string' ? s.shapes.identities.forLogin(req.actor) : req.actor;
  const lacking = violations(s, pr, base, req.auto ? undefined : who);
  if (lacking.length > 0) throw new ApiError(405, violationMessage(lacking), MERGE_DOCS);

  const login = typeof req.actor === 'string' ? req.actor : req.actor.login;
  const commits = s.commitsOf(pr);
  const committer = { ...GITHUB, date: req.now };
  let result: string;
  if (method === 'merge') {
    const owner = pr.headOwner ?? s.owner;
    const title = req.title ?? `Merge pull request #${pr.number} from ${owner}/${pr.head}`;
    const message = req.message ?? pr.title;
    const author = s.shapes.identities.gitPerson(who ?? login, req.now);
    result = s.git.commitTree(tree, [base, pr.headSha], `${title}\n\n${message}`, author, committer);
  } else if (method === 'squash') {
    const title = req.title ?? `${pr.title} (#${pr.number})`;
    const message = req.message ?? commits.map((c) => `* ${s.git.readCommit(c).message.trim()}`).join('\n\n');
    // GitHub credits a squash to the PR's author.
    const author = s.shapes.identities.gitPerson(pr.user, req.now);
    result = s.git.commitTree(tree, [base], message ? `${title}\n\n${message}` : title, author, committer);
  } else {
    result = rebase(s, base, pr.headSha, commits, committer);
  }
  if (req.racePush) {
    const pushed = s.git.commitTree(
      s.git.readCommit(base).tree,
      [base],
      'concurrent push',
      s.shapes.identities.gitPerson(s.owner, req.now),
    );
    s.git.updateRef(`refs/heads/${pr.base}`, pushed, base);
  }
  if (!s.git.updateRef(`refs/heads/${pr.base}`, result, base)) {
    // 405, not 409: NixOS/nixpkgs-merge-bot#179 (full body with "status":"405"),
    // quipper/monorepo-deploy-actions#499.
    throw new ApiError(405, 'Base branch was modified. Review and try the merge again.', MERGE_DOCS);
  }
  s.pushedAt = req.now;
  pr.baseShaAtClose = base;
  pr.state = 'closed';
  pr.mergedAt = req.now;
  pr.closedAt = req.now;
  pr.updatedAt = req.now;
  pr.mergedBy = login;
  pr.mergeCommitSha = result;
  pr.autoMerge = null;
  return result;
}

/**
 * Replays each commit's changes onto the base's tip (committer GitHub). Without a newer git's
 * merge-tree --merge-base, a commit touching a path the base changed since the merge base is
 * refused as GitHub refuses a conflicting rebase.
 */
function rebase(
  s: RepoState,
  base: string,
  head: string,
  commits: readonly string[],
  committer: { name: string; email: string; date: Date },
): string {
  const mergeBase = s.git.mergeBase(base, head) ?? base;
  const baseChanged = new Set(s.git.diff(mergeBase, base, false).map((f) => f.path));
  let result = base;
  for (const c of commits) {
    const original = s.git.readCommit(c);
    const changes = s.git.diff(original.parents[0] ?? EMPTY_TREE, c, false).map((f) => {
      if (f.status === 'removed') return { path: f.path, mode: '100644', sha: null };
      const [entry] = s.git.lsTree(c, false, f.path);
      return { path: f.path, mode: entry?.mode ?? '100644', sha: f.sha };
    });
    if (changes.some((ch) => baseChanged.has(ch.path)))
      throw new ApiError(405, "This branch can't be rebased", MERGE_DOCS);
    const tree = s.git.buildTree(s.git.readCommit(result).tree, changes);
    result = s.git.commitTree(tree, [result], original.message, original.author, committer);
  }
  return result;
}

/**
 * PUT /pulls/{n}/update-branch: merges the base into the head as a real commit (author the
 * caller, committer GitHub). OA pulls/update-branch: 202 `{message: "Updating pull request
 * branch.", url}`; 422 when expected_head_sha is not the head. The other 422 texts ("There are no
 * new commits on the base branch.", "merge conflict between base and head") are clients'
 * classifiers' (research sheet §3).
 */
export function updateBranch(
  s: RepoState,
  pr: PullRecord,
  who: Identity,
  expected: string | undefined,
  now: Date,
): string {
  const docs = `${DOCS}/pulls/pulls#update-a-pull-request-branch`;
  if (pr.state !== 'open') throw new ApiError(422, 'Pull request is closed', docs);
  if (expected !== undefined && expected !== pr.headSha)
    throw new ApiError(422, "expected head sha didn't match current head ref.", docs);
  const base = s.baseSha(pr);
  if (s.git.isAncestor(base, pr.headSha)) throw new ApiError(422, 'There are no new commits on the base branch.', docs);
  const tree = s.git.mergeTrees(pr.headSha, base);
  if (tree === null) throw new ApiError(422, 'merge conflict between base and head', docs);
  const merged = s.git.commitTree(
    tree,
    [pr.headSha, base],
    `Merge branch '${pr.base}' into ${pr.head}`,
    s.shapes.identities.gitPerson(who, now),
    { ...GITHUB, date: now },
  );
  if (!s.git.updateRef(s.headRef(pr), merged, pr.headSha))
    throw new ApiError(422, "expected head sha didn't match current head ref.", docs);
  s.pushedAt = now;
  s.sync(pr, now);
  return merged;
}

/**
 * GitHub merges a PR with auto-merge enabled by itself as soon as its rules pass, as the person
 * who enabled it (docs "Automatically merging a pull request"). Called after every write.
 */
export function runAutoMerges(s: RepoState, now: Date): void {
  for (const pr of s.pulls) {
    if (pr.state !== 'open' || !pr.autoMerge) continue;
    s.sync(pr, now);
    try {
      mergePull(s, pr, {
        method: pr.autoMerge.mergeMethod,
        title: pr.autoMerge.title,
        message: pr.autoMerge.message,
        actor: pr.autoMerge.enabledBy,
        now,
        auto: true,
      });
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      // Not mergeable yet: GitHub keeps waiting.
    }
  }
}
