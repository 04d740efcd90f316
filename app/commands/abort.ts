/**
 * `stagegate abort <rollout> --repo OWNER/NAME --reason "…"`: opens (or adopts) the rollback PR
 * by hand. It merges through the normal bot pass, as soon as its static checks pass.
 */
import { EXIT, UsageError, defineCommand } from '../cli/command.js';
import { APP_OPTIONS, GITHUB_ENV, REPO_OPTION, githubAccess } from '../cli/flags.js';
import { ROLLOUT_POSITIONAL, botOptions, intentPathOf, printReport } from '../cli/rollout-command.js';
import { openRollback } from '../bot/reconcile.js';
import { NOTIFY_ENV, NOTIFY_OPTIONS, notifierFrom } from '../cli/notify-env.js';

export const abortCommand = defineCommand({
  name: 'abort',
  summary: 'open the rollback PR of a rollout by hand (spec.abort: 100 % stable)',
  options: {
    ...REPO_OPTION,
    reason: { type: 'string', value: '"…"', help: 'why (required); it goes into spec.abort and the PR' },
    ...APP_OPTIONS,
    ...NOTIFY_OPTIONS,
  },
  positionals: ROLLOUT_POSITIONAL,
  env: [...GITHUB_ENV, ...NOTIFY_ENV],
  exits: {
    ok: 'a rollback PR of the bot is open (or the rollout is already aborted)',
    error: 'nothing was rolled back: GitHub unreachable, or a PR the bot does not trust is in the way',
  },
  async run({ values, positionals }, io) {
    const reason = values.reason?.trim();
    if (!reason) throw new UsageError('--reason "…" is required; it goes into spec.abort');
    const access = githubAccess(values, io, 'abort');
    const notifier = notifierFrom(values, io, `${access.owner}/${access.repo}`, access.retryUnitMs);
    const options = botOptions(access, io, notifier ? (p) => notifier.wrap(p) : undefined);
    const report = await openRollback(options, intentPathOf(positionals[0]!), reason);
    await notifier?.flush();
    // Only a rollback PR of the bot's own (or an abort already on the default branch) is success:
    // a refusal or an error leaves the canary where it was (issue 10, item 3).
    const ok = report.ok ?? (report.action === 'rollback' || report.action === 'nothing');
    printReport(report, ok, values.json === true, io, { ok, report });
    return ok ? EXIT.ok : EXIT.error;
  },
});
