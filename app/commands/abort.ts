/**
 * `stagegate abort <rollout> --repo OWNER/NAME --reason "…"`: opens (or adopts) the rollback PR
 * by hand. It merges through the normal bot pass, as soon as its static checks pass.
 */
import { DEFAULT_ROLLOUTS_DIR } from '../../constructs/conventions.js';
import { EXIT, UsageError, defineCommand } from '../cli/command.js';
import { APP_OPTIONS, GITHUB_ENV, REPO_OPTION, botSettings, githubAccess } from '../cli/flags.js';
import { openRollback } from '../bot/reconcile.js';
import { botFromSettings } from '../bot/setup.js';
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
  positionals: {
    usage: '<rollout>',
    min: 1,
    max: 1,
    missing: 'expected one rollout (its file name under rollouts/, e.g. checkout)',
  },
  env: [...GITHUB_ENV, ...NOTIFY_ENV],
  exits: {
    ok: 'a rollback PR of the bot is open (or the rollout is already aborted)',
    error: 'nothing was rolled back: GitHub unreachable, or a PR the bot does not trust is in the way',
  },
  async run({ values, positionals }, io) {
    const rollout = positionals[0]!;
    const reason = values.reason?.trim();
    if (!reason) throw new UsageError('--reason "…" is required; it goes into spec.abort');
    const settings = botSettings(githubAccess(values, io, 'abort'));
    const notifier = notifierFrom(values, io, `${settings.owner}/${settings.repo}`, settings.github?.retryUnitMs);
    const { options } = botFromSettings({
      ...settings,
      ...(notifier ? { wrapPort: (p) => notifier.wrap(p) } : {}),
      github: { log: (l) => io.stderr(`${l}\n`), ...settings.github },
    });
    const path = rollout.includes('/') ? rollout : `${DEFAULT_ROLLOUTS_DIR}/${rollout.replace(/\.ya?ml$/, '')}.yaml`;
    const report = await openRollback(options, path, reason);
    await notifier?.flush();
    // Only a rollback PR of the bot's own (or an abort already on the default branch) is success:
    // a refusal or an error leaves the canary where it was (issue 10, item 3).
    const ok = report.ok ?? (report.action === 'rollback' || report.action === 'nothing');
    if (values.json === true) io.stdout(`${JSON.stringify({ ok, report })}\n`);
    else (ok ? io.stdout : io.stderr)(`${report.rollout}: ${report.summary}\n`);
    return ok ? EXIT.ok : EXIT.error;
  },
});
