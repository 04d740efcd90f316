/**
 * `--post --repo OWNER/NAME --sha SHA [--app-slug SLUG]`, shared by the commands that report a
 * check run (`gate` → stagegate/health, `verify` → stagegate/verify), through the bot's Octokit
 * adapter, wired as the bot is (`botFromSettings`), so the App identity means the same here: with
 * an App slug only a run that App created is ever updated (issue 10, items 2 and 7).
 */
import type { GitHubAdapter } from '../bot/github.js';
import { botFromSettings } from '../bot/setup.js';
import { UsageError, type Io, type Options } from './command.js';
import { APP_OPTIONS, REPO_OPTION, githubAccess } from './flags.js';

export const POST_OPTIONS = {
  post: { type: 'boolean', help: 'report the result as a check run on --sha (needs GITHUB_TOKEN)' },
  ...REPO_OPTION,
  sha: { type: 'string', value: 'SHA', help: 'the commit to report on (the PR head), with --post' },
  'app-slug': APP_OPTIONS['app-slug'],
} as const satisfies Options;

export type CheckRunReport = Parameters<GitHubAdapter['upsertCheckRun']>[1];

/** Reports `run` when `--post` was given; the check run's id, or undefined when not asked to. */
export async function postCheckRun(
  values: {
    readonly post?: boolean;
    readonly repo?: string;
    readonly sha?: string;
    readonly 'app-slug'?: string;
    readonly json?: boolean;
  },
  io: Io,
  run: CheckRunReport,
): Promise<number | undefined> {
  if (!values.post) return undefined;
  if (values.repo === undefined || values.sha === undefined)
    throw new UsageError('--post needs --repo OWNER/NAME and --sha SHA (the PR head)');
  if (!/^[0-9a-f]{40}$/i.test(values.sha))
    throw new UsageError(`--sha takes a full 40-hex commit sha (got ${JSON.stringify(values.sha)})`);
  const access = githubAccess(values, io, '--post');
  const { adapter } = botFromSettings({
    owner: access.owner,
    repo: access.repo,
    token: access.token,
    apiUrl: access.apiUrl,
    ...(access.appSlug !== undefined ? { appSlug: access.appSlug } : {}),
    ...(access.retryUnitMs !== undefined ? { github: { retryUnitMs: access.retryUnitMs } } : {}),
  });
  const { id } = await adapter.upsertCheckRun(values.sha, run);
  if (!values.json)
    io.stdout(
      `posted ${run.name} (${run.status}${run.conclusion ? `/${run.conclusion}` : ''}) as check run ${id} on ${values.sha.slice(0, 7)}\n`,
    );
  return id;
}
