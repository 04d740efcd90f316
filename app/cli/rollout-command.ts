/**
 * What the commands that act on one rollout through GitHub share (abort, promote, retry): the
 * rollout positional, its intent path, the bot's options with GitHub's log on stderr, and the
 * one-line report.
 */
import { DEFAULT_ROLLOUTS_DIR } from '../../constructs/conventions.js';
import type { ReconcileOptions } from '../bot/reconcile.js';
import type { GitHubPort } from '../bot/port.js';
import { botFromSettings } from '../bot/setup.js';
import type { Io } from './command.js';
import { botSettings, type GitHubAccess } from './flags.js';

export const ROLLOUT_POSITIONAL = {
  usage: '<rollout>',
  min: 1,
  max: 1,
  missing: 'expected one rollout (its file name under rollouts/, e.g. checkout)',
} as const;

/** `checkout`, `checkout.yaml` → `rollouts/checkout.yaml`; a path (with a `/`) is taken as it is. */
export function intentPathOf(rollout: string): string {
  return rollout.includes('/') ? rollout : `${DEFAULT_ROLLOUTS_DIR}/${rollout.replace(/\.ya?ml$/, '')}.yaml`;
}

/** The bot's options for this access, GitHub's log lines on stderr, the port wrapped if asked. */
export function botOptions(
  access: GitHubAccess,
  io: Io,
  wrapPort?: (port: GitHubPort) => GitHubPort,
): ReconcileOptions {
  const settings = botSettings(access);
  return botFromSettings({
    ...settings,
    ...(wrapPort ? { wrapPort } : {}),
    github: { log: (l) => io.stderr(`${l}\n`), ...settings.github },
  }).options;
}

/** `--json`: the report as one line of JSON; else `<rollout>: <summary>` on stdout (ok) or stderr. */
export function printReport(
  report: { readonly rollout: string; readonly summary: string },
  ok: boolean,
  json: boolean,
  io: Io,
  body: unknown = report,
): void {
  if (json) io.stdout(`${JSON.stringify(body)}\n`);
  else (ok ? io.stdout : io.stderr)(`${report.rollout}: ${report.summary}\n`);
}
