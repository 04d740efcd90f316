/**
 * The one Octokit adapter of the GitHub port (the client itself is composed in client.ts). Polls
 * are conditional (ETag → 304, which does not count against the rate limit) and content-addressed
 * answers are remembered. Writes go through the Git Data API so one commit carries the intent
 * edit, the generated files and the changelog entry.
 */
import { statusOf } from './client.js';
import { githubMessage } from './github-base.js';
import { GitHubPullReads } from './github-pull-reads.js';
import { toPull, type PullData } from './github-shapes.js';
import {
  BranchOccupiedError,
  type FileChange,
  type GitHubPort,
  type MergeResult,
  type PullCommit,
  type PullRequest,
} from './port.js';
import { assertShape } from './schemas.js';
export { StagegateOctokit, GitHubError, type GitHubOptions, type GitHubStats } from './client.js';
export { githubMessage } from './github-base.js';

/**
 * The GitHub port: the reads come from GitHubPullReads (github-pull-reads.ts) and GitHubRepoReads
 * (github-repo-reads.ts) on the shared connection (github-base.ts); the writes are here.
 */
export class GitHubAdapter extends GitHubPullReads implements GitHubPort {
  private readonly knownLabels = new Set<string>();

  async commitToBranch(input: {
    branch: string;
    parentSha: string;
    message: string;
    changes: readonly FileChange[];
    mayMove?: (commits: readonly PullCommit[] | undefined) => boolean;
  }): Promise<string> {
    const committed = await this.call(`committing to ${input.branch}`, async (c, r) => {
      // The parent's tree never changes: remembered (the tree read of this pass usually knows it).
      const base = await this.reader.remember(
        `commit-tree:${input.parentSha}`,
        async () => (await c.rest.git.getCommit({ ...r, commit_sha: input.parentSha })).data.tree.sha,
        (b) => typeof b === 'string',
      );
      // Contents inline in the tree: one request instead of a blob per file.
      const entries = input.changes.map((change) =>
        change.content === null
          ? { path: change.path, mode: '100644' as const, type: 'blob' as const, sha: null }
          : { path: change.path, mode: '100644' as const, type: 'blob' as const, content: change.content },
      );
      const tree = await c.rest.git.createTree({ ...r, base_tree: base, tree: entries });
      const commit = await c.rest.git.createCommit({
        ...r,
        message: input.message,
        tree: tree.data.sha,
        parents: [input.parentSha],
      });
      const sha = commit.data.sha;
      try {
        await c.rest.git.createRef({ ...r, ref: `refs/heads/${input.branch}`, sha });
        return { sha, moved: true };
      } catch (err) {
        // 422: the branch exists (an earlier pass or a crash left it, or someone else made it).
        if (statusOf(err) !== 422) throw err;
        return { sha, moved: false };
      }
    });
    if (committed.moved) return committed.sha;
    // Moved only when what is on it may be replaced: Renovate's rule, never touch a branch
    // someone else modified (docs/design.md, "Bot trust model and merge rule").
    if (input.mayMove && !input.mayMove(await this.branchCommits(input.parentSha, input.branch)))
      throw new BranchOccupiedError(input.branch);
    await this.call(`moving ${input.branch}`, (c, r) =>
      c.rest.git.updateRef({ ...r, ref: `heads/${input.branch}`, sha: committed.sha, force: true }),
    );
    return committed.sha;
  }
  async openPull(input: { head: string; base: string; title: string; body: string }): Promise<PullRequest> {
    try {
      return await this.call(`opening a PR from ${input.head}`, async (c, r) =>
        toPull(assertShape<PullData>('pull', (await c.rest.pulls.create({ ...r, ...input })).data)),
      );
    } catch (err) {
      // 422: this head already has an open PR (a crashed pass opened it, or a retry after a
      // dropped answer did) — adopt it instead of failing or opening a second one.
      if (statusOf(err) !== 422) throw err;
      const open = (await this.pullsByHead(input.head)).find((p) => p.state === 'open');
      if (!open) throw err;
      return open;
    }
  }

  async updatePull(
    number: number,
    patch: { title?: string; body?: string; state?: 'open' | 'closed'; base?: string },
  ): Promise<void> {
    await this.call(`updating #${number}`, (c, r) => c.rest.pulls.update({ ...r, pull_number: number, ...patch }));
  }

  async addLabels(number: number, labels: readonly string[]): Promise<void> {
    for (const name of labels) {
      if (this.knownLabels.has(name)) continue;
      await this.call(`creating label ${name}`, async (c, r) => {
        try {
          await this.reader.poll('GET /repos/{owner}/{repo}/labels/{name}', { ...r, name }, () => true);
        } catch (err) {
          if (statusOf(err) !== 404) throw err;
          try {
            await c.rest.issues.createLabel({
              ...r,
              name,
              color: name.includes('rollback') ? 'b60205' : name.includes('stalled') ? 'fbca04' : '0e8a16',
            });
          } catch (e) {
            if (statusOf(e) !== 422) throw e; // created meanwhile
          }
        }
      });
      this.knownLabels.add(name);
    }
    await this.call(`labelling #${number}`, (c, r) =>
      c.rest.issues.addLabels({ ...r, issue_number: number, labels: [...labels] }),
    );
  }

  async comment(number: number, body: string): Promise<void> {
    // No automatic retry: a dropped answer may hide a posted comment; the next pass sees the
    // marker (or its absence) and decides again.
    await this.call(`commenting on #${number}`, (c, r) =>
      c.rest.issues.createComment({ ...r, issue_number: number, body, request: { retries: 0 } }),
    );
  }

  async updateComment(id: number, body: string): Promise<void> {
    // A PATCH with the same body is idempotent, so the client's retries are safe here.
    await this.call(`editing comment ${id}`, (c, r) => c.rest.issues.updateComment({ ...r, comment_id: id, body }));
  }

  async merge(
    number: number,
    input: { sha: string; method: 'squash' | 'merge' | 'rebase'; title: string; message: string },
  ): Promise<MergeResult> {
    try {
      return await this.call(`merging #${number}`, async (c, r) => {
        const res = await c.rest.pulls.merge({
          ...r,
          pull_number: number,
          sha: input.sha,
          merge_method: input.method,
          commit_title: input.title,
          commit_message: input.message,
        });
        return { kind: 'merged' as const, sha: res.data.sha };
      });
    } catch (err) {
      const status = statusOf(err);
      // GitHub's own words (kept by scrub() as the cause's message): the planner reads them.
      const message = githubMessage((err as Error).cause ?? err);
      if (status === 405 || status === 404 || status === 422) return { kind: 'not-mergeable', message, status };
      if (status === 409) return { kind: 'head-moved', message };
      throw err;
    }
  }

  /**
   * Reports a check run on `sha` the way CI does: the open (not completed) run of that name is
   * updated, so a baking stage shows one run whose text moves on; a completed run is never
   * rewritten — a new verdict after it is a new run, and the latest counts (as on GitHub).
   */
  async upsertCheckRun(
    sha: string,
    run: {
      readonly name: string;
      readonly status: 'in_progress' | 'completed';
      readonly conclusion?: 'success' | 'failure';
      readonly title: string;
      readonly summary: string;
    },
  ): Promise<{ readonly id: number }> {
    const own = this.appSlug;
    const open = (await this.checkRuns(sha)).find(
      (r) => r.name === run.name && r.status !== 'completed' && (own === undefined || r.app?.slug === own),
    );
    const output = { title: run.title.slice(0, 250), summary: run.summary.slice(0, 65_000) };
    const fields = { status: run.status, output, ...(run.conclusion ? { conclusion: run.conclusion } : {}) };
    return this.call(`reporting check run ${run.name} on ${sha.slice(0, 7)}`, async (c, r) => {
      const res = open
        ? await c.rest.checks.update({ ...r, check_run_id: open.id, ...fields })
        : await c.rest.checks.create({ ...r, name: run.name, head_sha: sha, ...fields });
      return { id: res.data.id };
    });
  }
}
