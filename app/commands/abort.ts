/**
 * `stagegate abort <rollout> --repo OWNER/NAME --reason "…" [--cluster NAME]…`: opens (or adopts)
 * the rollback PR by hand. It merges through the normal bot pass, as soon as its static checks
 * pass. With --cluster, only those clusters of a wave roll back (app/bot/abort-clusters.ts,
 * docs/design.md §4c); without it the whole rollout does, clusters rolled back alone included.
 */
import { EXIT, UsageError, defineCommand } from '../cli/command.js';
import { APP_OPTIONS, GITHUB_ENV, REPO_OPTION, githubAccess } from '../cli/flags.js';
import { ROLLOUT_POSITIONAL, botOptions, intentPathOf, printReport } from '../cli/rollout-command.js';
import { openRollback } from '../bot/reconcile.js';
import { openClusterRollback } from '../bot/abort-clusters.js';
import { NOTIFY_ENV, NOTIFY_OPTIONS, notifierFrom } from '../cli/notify-env.js';

export const abortCommand = defineCommand({
  name: 'abort',
  summary: 'open the rollback PR of a rollout by hand (spec.abort: 100 % stable)',
  options: {
    ...REPO_OPTION,
    reason: { type: 'string', value: '"…"', help: 'why (required); it goes into spec.abort and the PR' },
    cluster: {
      type: 'string',
      multiple: true,
      value: 'NAME',
      help: 'roll back only this cluster of a wave (repeatable; spec.abort.clusters)',
    },
    ...APP_OPTIONS,
    ...NOTIFY_OPTIONS,
  },
  positionals: ROLLOUT_POSITIONAL,
  env: [
    ...GITHUB_ENV,
    ...NOTIFY_ENV,
    { name: 'GITHUB_ACTOR', help: 'who asked, for the ledger of a --cluster rollback (set in a workflow run)' },
  ],
  exits: {
    ok: 'a rollback PR of the bot is open (or the rollout is already aborted)',
    error:
      'nothing was rolled back: GitHub unreachable, a PR the bot does not trust is in the way, or --cluster names no cluster it can roll back alone',
  },
  async run({ values, positionals }, io) {
    const reason = values.reason?.trim();
    if (!reason) throw new UsageError('--reason "…" is required; it goes into spec.abort');
    const access = githubAccess(values, io, 'abort');
    const notifier = notifierFrom(values, io, `${access.owner}/${access.repo}`, access.retryUnitMs);
    const options = botOptions(access, io, notifier ? (p) => notifier.wrap(p) : undefined);
    const path = intentPathOf(positionals[0]!);
    const clusters = (values.cluster ?? []).map((c) => c.trim());
    if (clusters.some((c) => c === '')) throw new UsageError('--cluster needs a cluster name (one of spec.clusters)');
    const who = io.env.GITHUB_ACTOR?.trim();
    const report =
      clusters.length > 0
        ? await openClusterRollback(options, path, [...new Set(clusters)], { reason, ...(who ? { who } : {}) })
        : await openRollback(options, path, reason);
    await notifier?.flush();
    // Only a rollback PR of the bot's own (or an abort already on the default branch) is success:
    // a refusal or an error leaves the canary where it was (issue 10, item 3).
    const ok = report.ok ?? (report.action === 'rollback' || report.action === 'nothing');
    printReport(report, ok, values.json === true, io, { ok, report });
    return ok ? EXIT.ok : EXIT.error;
  },
});
