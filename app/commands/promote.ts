/**
 * `stagegate promote <rollout> --reason "…" --repo OWNER/NAME`: merge the open stage PR before
 * its bake is over, recording why (app/bot/promote.ts). A person's own token works with
 * `--app-slug` (GitHub then records them as the merger); the PR must still be the bot's.
 */
import { promoteEarly } from '../bot/promote.js';
import { EXIT, UsageError, defineCommand } from '../cli/command.js';
import { APP_OPTIONS, GITHUB_ENV, REPO_OPTION, githubAccess } from '../cli/flags.js';
import { ROLLOUT_POSITIONAL, botOptions, intentPathOf, printReport } from '../cli/rollout-command.js';

export const promoteCommand = defineCommand({
  name: 'promote',
  summary: 'merge the open stage PR before its bake is over, with a reason recorded in the ledger',
  options: {
    ...REPO_OPTION,
    reason: { type: 'string', value: '"…"', help: 'why (required); it goes into the merge commit and the ledger' },
    ...APP_OPTIONS,
  },
  positionals: ROLLOUT_POSITIONAL,
  env: GITHUB_ENV,
  exits: {
    ok: 'the stage PR was merged',
    fail: 'not promoted: the rollout or its PR does not allow it (the reason is printed)',
    error: 'GitHub unreachable, or the intent cannot be read',
  },
  async run({ values, positionals }, io) {
    const reason = values.reason?.trim();
    if (!reason) throw new UsageError('--reason "…" is required; it is recorded in the ledger');
    const options = botOptions(githubAccess(values, io, 'promote'), io);
    const report = await promoteEarly(options, intentPathOf(positionals[0]!), reason);
    printReport(report, report.ok, values.json === true, io);
    return report.ok ? EXIT.ok : EXIT.fail;
  },
});
