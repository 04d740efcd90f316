/**
 * `stagegate advance --repo OWNER/NAME [--watch] [--interval 60s] [--cache FILE] [--json]`: one
 * reconcile pass of the bot over every rollout (or a loop of them). `--cache` keeps remembered
 * answers (ETags, content by sha; never the token) in FILE between processes. GITHUB_TOKEN and
 * GITHUB_API_URL are read here, once; nothing below this file touches the environment.
 */
import { resolve } from 'node:path';
import { UsageError, type Command, type Io } from '../cli/command.js';
import { parseDuration } from '../../constructs/duration.js';
import { runAdvance } from '../bot/run.js';
import { parseRepo, type BotSettings } from '../bot/setup.js';

/** Reads the bot's settings from the environment; the token is never echoed. */
export function settingsFromEnv(repoFlag: unknown, env: Io['env']): BotSettings {
  if (typeof repoFlag !== 'string') throw new UsageError('--repo OWNER/NAME is required');
  const repo = parseRepo(repoFlag);
  if (!repo) throw new UsageError(`--repo must be OWNER/NAME (got "${repoFlag}")`);
  const token = env.GITHUB_TOKEN;
  if (!token)
    throw new UsageError('GITHUB_TOKEN is not set; export a token (a GitHub App installation token) for the bot');
  const unit = env.STAGEGATE_RETRY_UNIT_MS === undefined ? undefined : Number(env.STAGEGATE_RETRY_UNIT_MS);
  return {
    ...repo,
    token,
    apiUrl: env.GITHUB_API_URL || 'https://api.github.com',
    ...(unit !== undefined && Number.isFinite(unit) ? { github: { retryUnitMs: unit, writeSpacingMs: unit } } : {}),
  };
}

export const advanceCommand: Command = {
  name: 'advance',
  usage: 'advance --repo OWNER/NAME [--watch] [--interval 60s] [--cache FILE] [--json]',
  options: {
    repo: { type: 'string' },
    watch: { type: 'boolean' },
    interval: { type: 'string' },
    cache: { type: 'string' },
  },
  async run({ values }, io) {
    const settings = settingsFromEnv(values.repo, io.env);
    let intervalMs = 60_000;
    if (typeof values.interval === 'string') {
      try {
        intervalMs = parseDuration(values.interval);
      } catch (err) {
        throw new UsageError(`--interval: ${(err as Error).message}`);
      }
    }
    if (values.cache === '') throw new UsageError('--cache needs a file path');
    const cacheFile = typeof values.cache === 'string' ? resolve(io.cwd, values.cache) : undefined;
    return runAdvance(
      settings,
      { watch: values.watch === true, intervalMs, json: values.json === true, ...(cacheFile ? { cacheFile } : {}) },
      io,
    );
  },
};
