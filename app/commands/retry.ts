/**
 * `stagegate retry <rollout> --canary VERSION --repo OWNER/NAME`: after an abort, open the PR that
 * starts a new canary version at the first stage (app/bot/retry.ts). A person merges it.
 */
import { DEFAULT_ROLLOUTS_DIR } from '../../constructs/conventions.js';
import { openRetry } from '../bot/retry.js';
import { botFromSettings } from '../bot/setup.js';
import { EXIT, UsageError, defineCommand } from '../cli/command.js';
import { APP_OPTIONS, GITHUB_ENV, REPO_OPTION, botSettings, githubAccess } from '../cli/flags.js';

export const retryCommand = defineCommand({
  name: 'retry',
  summary: 'after an abort: open the PR that starts a new canary version at the first stage',
  options: {
    ...REPO_OPTION,
    canary: { type: 'string', value: 'VERSION', help: 'the new canary version (required; not the aborted one)' },
    ...APP_OPTIONS,
  },
  positionals: {
    usage: '<rollout>',
    min: 1,
    max: 1,
    missing: 'expected one rollout (its file name under rollouts/, e.g. checkout)',
  },
  env: GITHUB_ENV,
  exits: {
    ok: 'the retry PR is open',
    fail: 'not retried: the rollout is not aborted, the version is the aborted one or invalid, or the branch is taken',
    error: 'GitHub unreachable, or the intent cannot be read',
  },
  async run({ values, positionals }, io) {
    const canary = values.canary?.trim();
    if (!canary) throw new UsageError('--canary VERSION is required: a retry starts a new canary version');
    const settings = botSettings(githubAccess(values, io, 'retry'));
    const { options } = botFromSettings({
      ...settings,
      github: { log: (l) => io.stderr(`${l}\n`), ...settings.github },
    });
    const name = positionals[0]!;
    const path = name.includes('/') ? name : `${DEFAULT_ROLLOUTS_DIR}/${name.replace(/\.ya?ml$/, '')}.yaml`;
    const report = await openRetry(options, path, canary);
    if (values.json === true) io.stdout(`${JSON.stringify(report)}\n`);
    else (report.ok ? io.stdout : io.stderr)(`${report.rollout}: ${report.summary}\n`);
    return report.ok ? EXIT.ok : EXIT.fail;
  },
});
