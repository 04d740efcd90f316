/**
 * `stagegate advance --repo OWNER/NAME [--watch] [--interval 60s] [--cache FILE] [--json]`: one
 * reconcile pass of the bot over every rollout (or a loop of them). `--cache` keeps remembered
 * answers (ETags, content by sha; never the token) in FILE between processes. GitHub access is
 * read by app/cli/flags.ts, once; nothing below this file touches the environment.
 */
import { resolve } from 'node:path';
import { parseDuration } from '../../constructs/duration.js';
import { UsageError, defineCommand } from '../cli/command.js';
import { APP_OPTIONS, GITHUB_ENV, REPO_OPTION, botSettings, githubAccess } from '../cli/flags.js';
import { runAdvance } from '../bot/run.js';
import { NOTIFY_ENV, NOTIFY_OPTIONS, notifierFrom } from '../cli/notify-env.js';
import { onlyRollouts } from '../cli/only.js';

export const advanceCommand = defineCommand({
  name: 'advance',
  summary: 'one reconcile pass of the stage bot (--watch to loop); GITHUB_TOKEN / GITHUB_API_URL from env',
  options: {
    ...REPO_OPTION,
    ...APP_OPTIONS,
    watch: { type: 'boolean', help: 'loop: a pass every --interval until Ctrl-C' },
    interval: { type: 'string', value: 'DURATION', help: 'time between passes with --watch (default 60s)' },
    only: {
      type: 'string',
      multiple: true,
      value: 'ROLLOUT|BRANCH',
      help: 'look only at this rollout (name, namespace/name) or the rollout of a stagegate/... branch',
    },
    'skip-open': {
      type: 'boolean',
      help: 'skip rollouts that have an open stagegate PR (the frequent scheduled pass; events move those)',
    },
    cache: {
      type: 'string',
      value: 'FILE',
      help: 'remembered answers (ETags, content by sha; never the token) kept in FILE between runs',
    },
    ...NOTIFY_OPTIONS,
    dashboard: {
      type: 'boolean',
      help: 'keep the rollout dashboard issue up to date after each pass (edited only when it changes)',
    },
    actor: {
      type: 'string',
      value: 'LOGIN',
      help: 'with --dashboard: who edited the issue (the issues event sender); their ticks act with write access',
    },
  },
  env: [...GITHUB_ENV, ...NOTIFY_ENV],
  exits: {
    ok: 'the pass ran; every rollout was looked at',
    fail: 'the pass ran, but some rollout reported an error (an unreadable intent, a failed call)',
    error: 'the pass could not run (GitHub unreachable, bad token); nothing half-done is lost',
  },
  async run({ values }, io) {
    const access = botSettings(githubAccess(values, io, 'the bot'));
    const wrapPort = onlyRollouts(values.only ?? [], values['skip-open'] === true);
    const settings = wrapPort ? { ...access, wrapPort } : access;
    let intervalMs = 60_000;
    if (values.interval !== undefined) {
      try {
        intervalMs = parseDuration(values.interval);
      } catch (err) {
        throw new UsageError(`--interval: ${(err as Error).message}`);
      }
    }
    if (values.cache === '') throw new UsageError('--cache needs a file path');
    if (values.actor !== undefined && values.dashboard !== true) throw new UsageError('--actor goes with --dashboard');
    const cacheFile = values.cache !== undefined ? resolve(io.cwd, values.cache) : undefined;
    const notifier = notifierFrom(values, io, `${access.owner}/${access.repo}`, access.github?.retryUnitMs);
    return runAdvance(
      settings,
      {
        watch: values.watch === true,
        intervalMs,
        json: values.json === true,
        ...(cacheFile ? { cacheFile } : {}),
        ...(notifier ? { notifier } : {}),
        ...(values.dashboard === true ? { dashboard: values.actor !== undefined ? { actor: values.actor } : {} } : {}),
      },
      io,
    );
  },
});
