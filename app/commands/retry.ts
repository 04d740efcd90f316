/**
 * `stagegate retry <rollout> --canary VERSION --repo OWNER/NAME`: after an abort, open the PR that
 * starts a new canary version at the first stage (app/bot/retry.ts). A person merges it.
 */
import { openRetry } from '../bot/retry.js';
import { EXIT, UsageError, defineCommand } from '../cli/command.js';
import { APP_OPTIONS, GITHUB_ENV, REPO_OPTION, githubAccess } from '../cli/flags.js';
import { ROLLOUT_POSITIONAL, botOptions, intentPathOf, printReport } from '../cli/rollout-command.js';

export const retryCommand = defineCommand({
  name: 'retry',
  summary: 'after an abort: open the PR that starts a new canary version at the first stage',
  options: {
    ...REPO_OPTION,
    canary: { type: 'string', value: 'VERSION', help: 'the new canary version (required; not the aborted one)' },
    ...APP_OPTIONS,
  },
  positionals: ROLLOUT_POSITIONAL,
  env: GITHUB_ENV,
  exits: {
    ok: 'the retry PR is open',
    fail: 'not retried: the rollout is not aborted, the version is the aborted one or invalid, or the branch is taken',
    error: 'GitHub unreachable, or the intent cannot be read',
  },
  async run({ values, positionals }, io) {
    const canary = values.canary?.trim();
    if (!canary) throw new UsageError('--canary VERSION is required: a retry starts a new canary version');
    const options = botOptions(githubAccess(values, io, 'retry'), io);
    const report = await openRetry(options, intentPathOf(positionals[0]!), canary);
    printReport(report, report.ok, values.json === true, io);
    return report.ok ? EXIT.ok : EXIT.fail;
  },
});
