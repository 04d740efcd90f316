/**
 * The dashboard's GitHub side (app/bot/dashboard.ts): find, create and edit the bot's one issue,
 * and the permission check shared with approvals (GitHubAdapter `canWrite`). Its own client has the
 * bot's retry and rate-limit policy (client.ts); GET /issues lists PRs too, marked `pull_request`
 * (OA issues/list-for-repo: "GitHub's REST API considers every pull request an issue"), so those are skipped.
 */
import { PR_LABEL_PAUSE } from '../../constructs/conventions.js';
import { createClient, type GitHubOptions } from './client.js';
import { DASHBOARD_KEY, type DashboardPort } from './dashboard.js';
import type { GitHubAdapter } from './github.js';
import { marker } from './planner.js';

export function githubDashboard(
  options: GitHubOptions,
  adapter: Pick<GitHubAdapter, 'canWrite' | 'stats'>,
): DashboardPort {
  const client = createClient(options, options.baseUrl ?? 'https://api.github.com', adapter.stats);
  const r = { owner: options.owner, repo: options.repo };
  return {
    async find(botLogin) {
      const issues = await client.paginate(client.rest.issues.listForRepo, {
        ...r,
        state: 'open',
        creator: botLogin,
        per_page: 100,
      });
      const mine = issues
        .filter((i) => i.pull_request === undefined && i.user?.login === botLogin)
        .filter((i) => (i.body ?? '').startsWith(marker(DASHBOARD_KEY)))
        .sort((a, b) => a.number - b.number)[0];
      return mine ? { number: mine.number, body: mine.body ?? '' } : undefined;
    },
    async create(title, body) {
      return (await client.rest.issues.create({ ...r, title, body })).data.number;
    },
    async update(number, body) {
      await client.rest.issues.update({ ...r, issue_number: number, body });
    },
    async setPaused(number, paused) {
      if (paused) await client.rest.issues.addLabels({ ...r, issue_number: number, labels: [PR_LABEL_PAUSE] });
      else await client.rest.issues.removeLabel({ ...r, issue_number: number, name: PR_LABEL_PAUSE });
    },
    canWrite: (login) => adapter.canWrite(login),
  };
}
