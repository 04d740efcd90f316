/**
 * `stagegate promote <rollout> --reason "…" --repo OWNER/NAME`: merge the open stage PR before
 * its bake is over, recording why (app/bot/promote.ts). A person's own token works with
 * `--app-slug` (GitHub then records them as the merger); the PR must still be the bot's.
 */
import { DEFAULT_ROLLOUTS_DIR } from '../../constructs/conventions.js';
import { promoteEarly } from '../bot/promote.js';
import { botFromSettings } from '../bot/setup.js';
import { EXIT, UsageError, defineCommand } from '../cli/command.js';
import { APP_OPTIONS, GITHUB_ENV, REPO_OPTION, botSettings, githubAccess } from '../cli/flags.js';

export const promoteCommand = defineCommand({
  name: 'promote',
  summary: 'merge the open stage PR before its bake is over, with a reason recorded in the ledger',
  options: {
    ...REPO_OPTION,
    reason: { type: 'string', value: '"…"', help: 'why (required); it goes into the merge commit and the ledger' },
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
    ok: 'the stage PR was merged',
    fail: 'not promoted: the rollout or its PR does not allow it (the reason is printed)',
    error: 'GitHub unreachable, or the intent cannot be read',
  },
  async run({ values, positionals }, io) {
    const reason = values.reason?.trim();
    if (!reason) throw new UsageError('--reason "…" is required; it is recorded in the ledger');
    const settings = botSettings(githubAccess(values, io, 'promote'));
    const { options } = botFromSettings({
      ...settings,
      github: { log: (l) => io.stderr(`${l}\n`), ...settings.github },
    });
    const name = positionals[0]!;
    const path = name.includes('/') ? name : `${DEFAULT_ROLLOUTS_DIR}/${name.replace(/\.ya?ml$/, '')}.yaml`;
    const report = await promoteEarly(options, path, reason);
    if (values.json === true) io.stdout(`${JSON.stringify(report)}\n`);
    else (report.ok ? io.stdout : io.stderr)(`${report.rollout}: ${report.summary}\n`);
    return report.ok ? EXIT.ok : EXIT.fail;
  },
});
