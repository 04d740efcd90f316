/**
 * Where the bot's notifications go (issue 15): one webhook per repository, read once at the
 * command's edge. The URL comes only from the environment — a Slack webhook URL is itself a
 * credential, so it belongs in a repository secret, not in the repository or on a command line —
 * and is never printed. The body's format comes from `--notify-format` or the environment.
 */
import { Notifier, type NotifyFormat } from '../bot/notify.js';
import { UsageError, type EnvSpec, type Io, type Options } from './command.js';

export const NOTIFY_OPTIONS = {
  'notify-format': {
    type: 'string',
    value: 'json|slack',
    help: 'body of the notifications to $STAGEGATE_NOTIFY_URL (default: $STAGEGATE_NOTIFY_FORMAT, else json)',
  },
} as const satisfies Options;

export const NOTIFY_ENV: readonly EnvSpec[] = [
  {
    name: 'STAGEGATE_NOTIFY_URL',
    help: 'webhook for stage opened / promoted / held / rolling back / rolled back (a repository secret); never printed',
  },
  { name: 'STAGEGATE_NOTIFY_FORMAT', help: 'json (default) or slack (an incoming webhook)' },
];

/** The notifier for this repository, or undefined when no webhook is configured. */
export function notifierFrom(
  values: { readonly 'notify-format'?: string },
  io: Io,
  repository: string,
  retryUnitMs?: number,
): Notifier | undefined {
  const url = io.env.STAGEGATE_NOTIFY_URL?.trim();
  const formatText = values['notify-format'] ?? (io.env.STAGEGATE_NOTIFY_FORMAT?.trim() || 'json');
  if (formatText !== 'json' && formatText !== 'slack')
    throw new UsageError(`--notify-format takes json or slack (got ${JSON.stringify(formatText)})`);
  if (!url) {
    if (values['notify-format'] !== undefined) throw new UsageError('--notify-format needs STAGEGATE_NOTIFY_URL');
    return undefined;
  }
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:'))
    throw new UsageError('STAGEGATE_NOTIFY_URL must be an http(s) URL (its value is not printed)');
  return new Notifier({
    url,
    format: formatText as NotifyFormat,
    repository,
    log: (line) => io.stderr(`stagegate: ${line}\n`),
    ...(retryUnitMs !== undefined ? { backoffMs: retryUnitMs * 1_000 } : {}),
  });
}
