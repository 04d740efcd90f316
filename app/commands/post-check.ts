/**
 * `--post --repo OWNER/NAME --sha SHA`, shared by the commands that report a check run
 * (`gate` → stagegate/health, `verify` → stagegate/verify), through the bot's Octokit adapter.
 * GITHUB_TOKEN and GITHUB_API_URL are read here, at the edge, once.
 */
import { GitHubAdapter } from '../bot/github.js';
import { parseRepo } from '../bot/setup.js';
import { UsageError, type Io, type Options } from '../cli/command.js';

export const POST_OPTIONS: Options = {
  post: { type: 'boolean' },
  repo: { type: 'string' },
  sha: { type: 'string' },
};

export type CheckRunReport = Parameters<GitHubAdapter['upsertCheckRun']>[1];

/** Reports `run` when `--post` was given; the check run's id, or undefined when not asked to. */
export async function postCheckRun(
  values: Record<string, unknown>,
  io: Io,
  run: CheckRunReport,
): Promise<number | undefined> {
  if (!values.post) return undefined;
  const repo = parseRepo(String(values.repo ?? ''));
  const sha = values.sha as string | undefined;
  if (!repo || !sha) throw new UsageError('--post needs --repo OWNER/NAME and --sha SHA (the PR head)');
  const token = io.env.GITHUB_TOKEN;
  if (!token) throw new UsageError('--post needs GITHUB_TOKEN in the environment');
  const github = new GitHubAdapter({
    ...repo,
    token,
    ...(io.env.GITHUB_API_URL ? { baseUrl: io.env.GITHUB_API_URL } : {}),
  });
  const { id } = await github.upsertCheckRun(sha, run);
  if (!values.json)
    io.stdout(
      `posted ${run.name} (${run.status}${run.conclusion ? `/${run.conclusion}` : ''}) as check run ${id} on ${sha.slice(0, 7)}\n`,
    );
  return id;
}
