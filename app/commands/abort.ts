/**
 * `stagegate abort <rollout> --repo OWNER/NAME --reason "…"`: opens (or adopts) the rollback PR
 * by hand. It merges through the normal bot pass, as soon as its static checks pass.
 */
import { UsageError, type Command } from '../cli/command.js';
import { openRollback } from '../bot/reconcile.js';
import { botFromSettings } from '../bot/setup.js';
import { settingsFromEnv } from './advance.js';
import { DEFAULT_ROLLOUTS_DIR } from '../../constructs/conventions.js';

export const abortCommand: Command = {
  name: 'abort',
  usage: 'abort <rollout> --repo OWNER/NAME --reason "…" [--json]',
  options: { repo: { type: 'string' }, reason: { type: 'string' } },
  async run({ values, positionals }, io) {
    const [rollout] = positionals;
    if (rollout === undefined || positionals.length > 1)
      throw new UsageError('expected one rollout (its file name under rollouts/, e.g. checkout)');
    if (typeof values.reason !== 'string' || values.reason.trim() === '')
      throw new UsageError('--reason "…" is required; it goes into spec.abort');
    const settings = settingsFromEnv(values.repo, io.env);
    const { options } = botFromSettings({
      ...settings,
      github: { log: (l) => io.stderr(`${l}\n`), ...settings.github },
    });
    const path = rollout.includes('/') ? rollout : `${DEFAULT_ROLLOUTS_DIR}/${rollout.replace(/\.ya?ml$/, '')}.yaml`;
    const report = await openRollback(options, path, values.reason.trim());
    if (values.json === true) io.stdout(`${JSON.stringify({ ok: true, report })}\n`);
    else io.stdout(`${report.rollout}: ${report.summary}\n`);
    return 0;
  },
};
