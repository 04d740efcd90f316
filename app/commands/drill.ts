/**
 * `stagegate drill <rollout> --abort STATUS | --delay DURATION [--percent N] --repo OWNER/NAME`:
 * open the PR that rehearses the rollback of a staged copy (app/drill/open.ts): `spec.drill` on
 * the intent, the fault on the VirtualService's cohort route. A rollout whose namespace is not
 * marked as staging counts as production and needs `--yes-production` twice (app/drill/fault.ts).
 */
import { isDuration, parseDuration } from '../../constructs/duration.js';
import { PrometheusApi } from '../gate/prometheus-api.js';
import { EXIT, UsageError, defineCommand } from '../cli/command.js';
import { APP_OPTIONS, GITHUB_ENV, REPO_OPTION, githubAccess } from '../cli/flags.js';
import { NOTIFY_ENV, NOTIFY_OPTIONS, notifierFrom } from '../cli/notify-env.js';
import { botOptions, intentPathOf, printReport, ROLLOUT_POSITIONAL } from '../cli/rollout-command.js';
import type { DrillFault } from '../drill/fault.js';
import { measureDrill } from '../drill/measure.js';
import { faultsReportedBy, openDrill } from '../drill/open.js';

/** The fault the flags ask for; a UsageError says what is missing or wrong. */
export function faultFromFlags(values: { abort?: string; delay?: string; percent?: string }): DrillFault {
  const percentText = values.percent ?? '100';
  const percent = Number(percentText);
  if (percentText.trim() === '' || !Number.isFinite(percent))
    throw new UsageError(`--percent ${percentText}: expected a number in [0.0001, 100]`);
  if ((values.abort === undefined) === (values.delay === undefined))
    throw new UsageError('give exactly one of --abort STATUS (e.g. 503) or --delay DURATION (e.g. 2s)');
  if (values.abort !== undefined) {
    if (!/^\d+$/.test(values.abort)) throw new UsageError(`--abort ${values.abort}: expected an HTTP status, e.g. 503`);
    return { kind: 'abort', httpStatus: Number(values.abort), percent };
  }
  const delay = values.delay!;
  if (!isDuration(delay)) throw new UsageError(`--delay ${delay}: expected a duration, e.g. 500ms or 2s`);
  return { kind: 'delay', fixedDelayMs: parseDuration(delay), percent };
}

export const drillCommand = defineCommand({
  name: 'drill',
  summary: 'open the PR that rehearses a rollback: an Istio fault on the staged copy’s cohort route',
  options: {
    ...REPO_OPTION,
    abort: { type: 'string', value: 'STATUS', help: 'abort requests with this 5xx status' },
    delay: { type: 'string', value: 'DURATION', help: 'delay requests by this long (e.g. 2s)' },
    percent: { type: 'string', value: 'N', help: 'percent of the cohort route’s requests to fault (default 100)' },
    'staging-namespace': {
      type: 'string',
      multiple: true,
      value: 'NS',
      help: 'a namespace that is staging although its name does not say so (repeatable)',
    },
    'yes-production': {
      type: 'boolean',
      multiple: true,
      help: 'give twice to drill a rollout whose namespace is not marked as staging',
    },
    prometheus: {
      type: 'string',
      value: 'URL',
      help: 'refuse an abort drill when FI responses of the service already flow (what the drill alert would count)',
    },
    measure: {
      type: 'boolean',
      help: 'instead: read the merged drill from GitHub and print fault → first red → rollback merged → 100 % stable',
    },
    deadline: {
      type: 'string',
      value: 'DURATION',
      help: 'with --measure: a drill not rolled back this long after its merge failed (default 1h)',
    },
    ...APP_OPTIONS,
    ...NOTIFY_OPTIONS,
  },
  positionals: {
    ...ROLLOUT_POSITIONAL,
    missing: 'expected one rollout (its file name under rollouts/, e.g. checkout-staging)',
  },
  env: [...GITHUB_ENV, ...NOTIFY_ENV],
  exits: {
    ok: 'the drill PR is open (--measure: the drill rolled back)',
    hold: '--measure: the drill is running, within its deadline',
    fail: '--measure: failed drill, or none merged; else no drill: production without --yes-production twice, an invalid fault, no cohort route, FI already flowing (--prometheus), or the branch is taken',
    error: 'GitHub unreachable, or the intent cannot be read',
  },
  async run({ values, positionals }, io) {
    const deadline = values.deadline ?? '1h';
    if (!isDuration(deadline)) throw new UsageError(`--deadline ${deadline}: expected a duration, e.g. 30m`);
    const fault = values.measure === true ? undefined : faultFromFlags(values);
    const access = githubAccess(values, io, 'drill');
    // A failed drill is also a notification ($STAGEGATE_NOTIFY_URL, app/bot/notify.ts).
    const notifier = notifierFrom(values, io, `${access.owner}/${access.repo}`, access.retryUnitMs);
    const options = botOptions(access, io, notifier ? (p) => notifier.wrap(p) : undefined);
    const path = intentPathOf(positionals[0]!);
    if (fault === undefined) {
      const measured = await measureDrill(options, path, parseDuration(deadline));
      await notifier?.flush();
      printReport(measured, measured.outcome === 'rolled-back', values.json === true, io);
      return measured.outcome === 'rolled-back' ? EXIT.ok : measured.outcome === 'running' ? EXIT.hold : EXIT.fail;
    }
    const prometheus = values.prometheus ? new PrometheusApi(values.prometheus) : undefined;
    const report = await openDrill(options, path, fault, {
      staging: values['staging-namespace'] ?? [],
      yesProduction: (values['yes-production'] ?? []).filter(Boolean).length,
      ...(prometheus ? { faultsAlready: faultsReportedBy(prometheus) } : {}),
    });
    printReport(report, report.ok, values.json === true, io);
    if (report.warning && values.json !== true) io.stderr(`${report.rollout}: note: ${report.warning}\n`);
    return report.ok ? EXIT.ok : EXIT.fail;
  },
});
