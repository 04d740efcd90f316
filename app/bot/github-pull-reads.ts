/**
 * The adapter's reads of pull requests and what hangs on them: open PRs and PRs by head, their
 * commits, files, comments, check runs and commit statuses, the branch rules' required approvals,
 * the approvals given and whether each approver may write.
 */
import { combineStatuses } from './checks.js';
import { statusOf } from './client.js';
import { GitHubRepoReads } from './github-repo-reads.js';
import {
  toCheckRun,
  toPullCommit,
  toPullFrom,
  type CheckRunData,
  type ListedCommitData,
  type PullData,
} from './github-shapes.js';
import type {
  CheckRun,
  CombinedStatus,
  CommitStatus,
  IssueComment,
  PullCommit,
  PullFile,
  PullRequest,
} from './port.js';
import { assertShape, assertShapes } from './schemas.js';

export abstract class GitHubPullReads extends GitHubRepoReads {
  async openPulls(): Promise<PullRequest[]> {
    return this.call('listing open PRs', async () => {
      const all = await this.reader.pages(
        'GET /repos/{owner}/{repo}/pulls',
        { ...this.r, state: 'open', sort: 'created', direction: 'desc' },
        (d) => assertShapes<PullData>('pull', d).map(toPullFrom),
      );
      const self = `${this.owner}/${this.repo}`.toLowerCase();
      // A fork's branch may carry the same name: it is never ours to adopt.
      return all
        .filter((p) => p.repo?.toLowerCase() === self)
        .map(({ repo: _r, ...p }) => p)
        .sort((a, b) => b.number - a.number);
    });
  }

  async pullsByHead(branch: string, options: { stableWhile?: string } = {}): Promise<PullRequest[]> {
    const load = async (): Promise<PullRequest[]> => {
      const all = await this.reader.pages(
        'GET /repos/{owner}/{repo}/pulls',
        { ...this.r, head: `${this.owner}:${branch}`, state: 'all' },
        (d) => assertShapes<PullData>('pull', d).map(toPullFrom),
      );
      return all
        .filter((p) => p.headRef === branch)
        .map(({ repo: _r, ...p }) => p)
        .sort((a, b) => b.number - a.number);
    };
    return this.call(`listing PRs of ${branch}`, async () => {
      if (options.stableWhile === undefined) return load();
      // Only merged PRs are asked for under a stable key; keep just those (they never change).
      const merged = await this.reader.remember(
        `merged:${branch}:${options.stableWhile}`,
        async () => (await load()).filter((p) => p.merged),
        Array.isArray,
      );
      return merged;
    });
  }

  /**
   * A PR's commits and files depend on its base as much as on its head (retargeting the base
   * changes both): remembered by base ref, base sha and head sha, never by number + head alone.
   */
  async pullCommits(number: number, headSha: string, base = ''): Promise<PullCommit[]> {
    return this.call(`listing commits of #${number}`, () =>
      this.reader.remember(
        `pull-commits:${number}:${base}:${headSha}`,
        async () => {
          const list = await this.reader.pages(
            'GET /repos/{owner}/{repo}/pulls/{pull_number}/commits',
            { ...this.r, pull_number: number },
            (d) => assertShapes<ListedCommitData>('commit', d).map(toPullCommit),
            250,
          );
          // GitHub lists at most 250 commits: a longer PR hides commits, and hidden ones are untrusted.
          return list.length >= 250 ? [...list, { sha: '(more)', authorLogin: null, committerLogin: null }] : list;
        },
        Array.isArray,
      ),
    );
  }

  async pullFiles(number: number, headSha: string, base = ''): Promise<PullFile[]> {
    return this.call(`listing files of #${number}`, () =>
      this.reader.remember(
        `pull-files:${number}:${base}:${headSha}`,
        async () => {
          const list = await this.reader.pages(
            'GET /repos/{owner}/{repo}/pulls/{pull_number}/files',
            { ...this.r, pull_number: number },
            (d) =>
              assertShapes<{ filename: string; sha: string | null; status: string; previous_filename?: string }>(
                'file',
                d,
              ).map((f) => ({
                path: f.filename,
                sha: f.status === 'removed' ? null : f.sha,
                ...(f.previous_filename ? { previousPath: f.previous_filename } : {}),
              })),
            3000,
          );
          // GitHub lists at most 3,000 files: the rest are unknown, so the PR cannot be trusted.
          return list.length >= 3000 ? [...list, { path: '(more files than GitHub lists)', sha: null }] : list;
        },
        Array.isArray,
      ),
    );
  }

  async comments(number: number): Promise<IssueComment[]> {
    return this.call(`listing comments of #${number}`, () =>
      this.reader.pages(
        'GET /repos/{owner}/{repo}/issues/{issue_number}/comments',
        { ...this.r, issue_number: number },
        (d) =>
          (d as Array<{ id: number; body?: string; user: { login: string } | null }>).map((x) => ({
            id: x.id,
            body: x.body ?? '',
            user: x.user?.login ?? null,
          })),
      ),
    );
  }

  async checkRuns(sha: string): Promise<CheckRun[]> {
    return this.call(`listing check runs of ${sha.slice(0, 7)}`, async () => {
      // One page holds 100 runs; a head sha with more (re-runs) is read page by page.
      const runs: CheckRun[] = [];
      for (let page = 1; page <= 20; page += 1) {
        const chunk = await this.reader.poll(
          'GET /repos/{owner}/{repo}/commits/{ref}/check-runs',
          { ...this.r, ref: sha, filter: 'all', per_page: 100, page },
          (d) => assertShapes<CheckRunData>('checkRun', (d as { check_runs?: unknown }).check_runs).map(toCheckRun),
        );
        runs.push(...chunk);
        if (chunk.length < 100) break;
      }
      return runs;
    });
  }

  /**
   * The combined status, computed from the list of statuses as GitHub does (the latest status per
   * context: any error/failure → failure, any pending or none → pending, else success). The
   * combined endpoint embeds the repository, whose `pushed_at` moves on every push to any
   * branch, so its ETag would change for every PR at once; the statuses list does not.
   */
  async combinedStatus(sha: string): Promise<CombinedStatus> {
    return combineStatuses(await this.statuses(sha));
  }

  async statuses(sha: string): Promise<CommitStatus[]> {
    return this.call(`reading the commit statuses of ${sha.slice(0, 7)}`, () =>
      this.reader.pages('GET /repos/{owner}/{repo}/commits/{ref}/statuses', { ...this.r, ref: sha }, (d) =>
        assertShapes<{ id: number; context: string; state: string; creator?: { login?: string } | null }>(
          'status',
          d,
        ).map((x) => ({
          id: x.id,
          context: x.context,
          state: x.state,
          creator: x.creator?.login ?? null,
        })),
      ),
    );
  }
  async requiredApprovals(branch: string): Promise<number> {
    return this.call(`reading the rules of ${branch}`, async () => {
      try {
        const rules = await this.reader.pages(
          'GET /repos/{owner}/{repo}/rules/branches/{branch}',
          { ...this.r, branch },
          (d) => (Array.isArray(d) ? (d as Array<{ type?: string; parameters?: Record<string, unknown> }>) : []),
        );
        return Math.max(
          0,
          ...rules
            .filter((x) => x.type === 'pull_request')
            .map((x) => Number(x.parameters?.required_approving_review_count ?? 0))
            .filter(Number.isFinite),
        );
      } catch (err) {
        // No rulesets (404) or an older GitHub Enterprise without the endpoint: nothing asked for.
        if (statusOf(err) === 404) return 0;
        throw err;
      }
    });
  }

  async approvals(number: number): Promise<string[]> {
    return this.counted(await this.latestApprovals(number));
  }

  async approvalsOn(number: number, sha: string): Promise<string[]> {
    return this.counted((await this.latestApprovals(number)).filter((a) => a.commitId === sha));
  }

  /** Each reviewer's latest review that is an approval, with the commit it was given on. */
  private async latestApprovals(number: number): Promise<Array<{ login: string; commitId: string | null }>> {
    return this.call(`listing reviews of #${number}`, async () => {
      const reviews = await this.reader.pages(
        'GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews',
        { ...this.r, pull_number: number },
        (d) =>
          assertShapes<{ id: number; state: string; user?: { login?: string } | null; commit_id?: string | null }>(
            'review',
            d,
          ).map((x) => ({ id: x.id, state: x.state, login: x.user?.login ?? null, commitId: x.commit_id ?? null })),
      );
      // The latest review per person counts (a later "changes requested" or a dismissal withdraws an approval).
      const latest = new Map<string, { state: string; commitId: string | null }>();
      for (const x of [...reviews].sort((a, b) => a.id - b.id))
        if (x.login !== null && x.state !== 'COMMENTED') latest.set(x.login, { state: x.state, commitId: x.commitId });
      return [...latest]
        .filter(([, r]) => r.state === 'APPROVED')
        .map(([login, r]) => ({ login, commitId: r.commitId }));
    });
  }

  /**
   * GitHub counts required approvals only "by reviewers with write access" (its 405 text); on a
   * public repository anyone may approve. So each approver's role is asked (docs/design.md §4a).
   */
  private async counted(approved: ReadonlyArray<{ login: string }>): Promise<string[]> {
    const counted: string[] = [];
    for (const { login } of approved) if (await this.canWrite(login)) counted.push(login);
    return counted;
  }

  /**
   * `login` is an active member of `team` (`org/slug`): GET /orgs/{org}/teams/{team_slug}/memberships/{username}
   * (docs.github.com/rest/teams/members#get-team-membership-for-a-user; child teams' members count).
   * 404 (not a member, or a team the token cannot see) → no; a pending invitation → no. An App needs
   * the organization permission Members: read.
   */
  async teamMember(team: string, login: string): Promise<boolean> {
    const [org, slug] = team.split('/') as [string, string];
    return this.call(`reading ${login}'s membership of ${team}`, async () => {
      try {
        const state = await this.reader.poll(
          'GET /orgs/{org}/teams/{team_slug}/memberships/{username}',
          { org, team_slug: slug, username: login },
          (d) => assertShape<{ state: string }>('membership', d).state,
        );
        return state === 'active';
      } catch (err) {
        if (statusOf(err) === 404) return false;
        throw err;
      }
    });
  }

  /**
   * `login` has write access or more: GET /collaborators/{username}/permission (OA
   * repos/get-collaborator-permission-level; `permission` maps maintain → write, triage → read).
   * 404 (no such account, or not visible) → no.
   */
  async canWrite(login: string): Promise<boolean> {
    return this.call(`reading the permission of ${login}`, async () => {
      try {
        const permission = await this.reader.poll(
          'GET /repos/{owner}/{repo}/collaborators/{username}/permission',
          { ...this.r, username: login },
          (d) => assertShape<{ permission: string }>('permission', d).permission,
        );
        return permission === 'admin' || permission === 'write';
      } catch (err) {
        if (statusOf(err) === 404) return false;
        throw err;
      }
    });
  }
}
