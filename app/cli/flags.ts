/**
 * The one place the CLI reads GitHub access: `--repo`, `--app-slug`, `--trust-app` and the
 * environment (GITHUB_TOKEN, GITHUB_API_URL, STAGEGATE_APP_SLUG). Nothing below the commands
 * touches the environment (docs/design.md §3); the token is never echoed, and credentials written
 * into GITHUB_API_URL are dropped here and masked in every message by `secretsOf` (main.ts).
 */
import type { BotSettings } from '../bot/setup.js';
import { CommandError, UsageError, type EnvSpec, type Io, type Options } from './command.js';

export const REPO_OPTION = {
  repo: { type: 'string', value: 'OWNER/NAME', help: 'the repository holding rollouts/ and generated/' },
} as const satisfies Options;

/** The GitHub App identity (issue 10, item 7): an installation token cannot ask GET /user. */
export const APP_OPTIONS = {
  'app-slug': {
    type: 'string',
    value: 'SLUG',
    help: 'the GitHub App the token belongs to; the bot is SLUG[bot] (default: $STAGEGATE_APP_SLUG)',
  },
  'trust-app': {
    type: 'string',
    multiple: true,
    value: 'SLUG',
    help: "another GitHub App whose check runs count (the bot's own App always does)",
  },
} as const satisfies Options;

export const ENV_TOKEN: EnvSpec = {
  name: 'GITHUB_TOKEN',
  help: 'the token (a GitHub App installation token in Actions); never printed',
};
export const ENV_API_URL: EnvSpec = {
  name: 'GITHUB_API_URL',
  help: 'the REST API root (default https://api.github.com); credentials in it are ignored',
};
export const ENV_APP_SLUG: EnvSpec = {
  name: 'STAGEGATE_APP_SLUG',
  help: "the App's slug when --app-slug is not given (the app-slug output of actions/create-github-app-token)",
};
export const GITHUB_ENV: readonly EnvSpec[] = [ENV_TOKEN, ENV_API_URL, ENV_APP_SLUG];

const DEFAULT_API = 'https://api.github.com';

/**
 * `OWNER/NAME` as GitHub allows them: an owner of letters, digits and single hyphens (at most 39),
 * a name of letters, digits, `.`, `_`, `-` (at most 100).
 */
export function parseRepo(text: string | undefined): { owner: string; repo: string } {
  if (text === undefined || text === '') throw new UsageError('--repo OWNER/NAME is required');
  const m = /^([A-Za-z0-9][A-Za-z0-9-]{0,38})\/([A-Za-z0-9._-]{1,100})$/.exec(text);
  if (!m || m[2] === '.' || m[2] === '..')
    throw new UsageError(`--repo must be OWNER/NAME (got ${JSON.stringify(text)})`);
  return { owner: m[1]!, repo: m[2]! };
}

/** An App slug as GitHub makes them: lowercase letters, digits and hyphens. */
function parseSlug(flag: string, text: string): string {
  const slug = text.trim().replace(/\[bot\]$/, '');
  if (!/^[a-z0-9][a-z0-9-]{0,33}$/i.test(slug))
    throw new UsageError(`${flag} takes a GitHub App slug such as stagegate-bot (got ${JSON.stringify(text)})`);
  return slug.toLowerCase();
}

/** GITHUB_API_URL without credentials; the URL itself is never printed (it may hold one). */
export function apiUrlOf(env: Io['env']): { url: string; droppedCredentials: boolean } {
  const raw = env.GITHUB_API_URL;
  if (raw === undefined || raw.trim() === '') return { url: DEFAULT_API, droppedCredentials: false };
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new CommandError('GITHUB_API_URL is not a URL (e.g. https://api.github.com)');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new CommandError(`GITHUB_API_URL must be an http(s) URL (got a ${url.protocol} URL)`);
  const droppedCredentials = url.username !== '' || url.password !== '';
  url.username = '';
  url.password = '';
  return { url: url.href.replace(/\/+$/, ''), droppedCredentials };
}

/**
 * Strings that must never reach the output: the token, and any credential inside GITHUB_API_URL
 * (its `user:password@` part, each half on its own too). main.ts masks them in everything printed.
 */
export function secretsOf(env: Io['env']): string[] {
  const out: string[] = [];
  const token = env.GITHUB_TOKEN?.trim();
  if (token && token.length >= 4) out.push(token);
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^@/?#]*)@/i.exec(env.GITHUB_API_URL?.trim() ?? '');
  if (m) {
    const userinfo = m[1]!;
    out.push(userinfo);
    for (const part of userinfo.split(':')) {
      out.push(part);
      try {
        out.push(decodeURIComponent(part));
      } catch {
        // not percent-encoded: the raw part is enough
      }
    }
  }
  // Longest first, so a token is masked whole before any part of it.
  return [...new Set(out.filter((s) => s.length >= 4))].sort((a, b) => b.length - a.length);
}

/** Replaces every secret in `text` with `***`. */
export function mask(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('***');
  return out;
}

export interface GitHubAccess {
  readonly owner: string;
  readonly repo: string;
  readonly token: string;
  readonly apiUrl: string;
  /** The App the token belongs to, when known; then the bot's login is `${appSlug}[bot]`. */
  readonly appSlug?: string;
  /** Further Apps whose check runs count. */
  readonly trustedApps: readonly string[];
  /** STAGEGATE_RETRY_UNIT_MS: a test knob for the retry delays (ms per second). */
  readonly retryUnitMs?: number;
}

/**
 * Everything a command needs to talk to GitHub, from its flags and the environment. `why` says
 * what the token is for, e.g. "--post" or "the bot".
 */
export function githubAccess(
  values: { readonly repo?: string; readonly 'app-slug'?: string; readonly 'trust-app'?: readonly string[] },
  io: Io,
  why: string,
): GitHubAccess {
  const repo = parseRepo(values.repo);
  const token = io.env.GITHUB_TOKEN?.trim();
  if (!token)
    throw new UsageError(`GITHUB_TOKEN is not set; ${why} needs a token (a GitHub App installation token in Actions)`);
  const api = apiUrlOf(io.env);
  if (api.droppedCredentials)
    io.stderr('stagegate: GITHUB_API_URL carries credentials; they are ignored (the token goes in GITHUB_TOKEN)\n');
  const slugText = values['app-slug'] ?? (io.env.STAGEGATE_APP_SLUG?.trim() || undefined);
  const appSlug = slugText === undefined ? undefined : parseSlug('--app-slug', slugText);
  const trustedApps = [...new Set((values['trust-app'] ?? []).map((s) => parseSlug('--trust-app', s)))];
  const unit = io.env.STAGEGATE_RETRY_UNIT_MS === undefined ? undefined : Number(io.env.STAGEGATE_RETRY_UNIT_MS);
  return {
    ...repo,
    token,
    apiUrl: api.url,
    ...(appSlug !== undefined ? { appSlug } : {}),
    trustedApps,
    ...(unit !== undefined && Number.isFinite(unit) && unit >= 0 ? { retryUnitMs: unit } : {}),
  };
}

/** The bot's settings for this access (advance, abort). */
export function botSettings(a: GitHubAccess): BotSettings {
  return {
    owner: a.owner,
    repo: a.repo,
    token: a.token,
    apiUrl: a.apiUrl,
    ...(a.appSlug !== undefined ? { appSlug: a.appSlug } : {}),
    ...(a.trustedApps.length > 0 ? { trustedApps: a.trustedApps } : {}),
    ...(a.retryUnitMs !== undefined ? { github: { retryUnitMs: a.retryUnitMs, writeSpacingMs: a.retryUnitMs } } : {}),
  };
}

/** The Levenshtein distance of two short strings (flag names). */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    const row = [i];
    for (let j = 1; j <= b.length; j += 1)
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

/** The known flag closest to a mistyped one, when it is close enough to be what was meant. */
export function closestFlag(typed: string, known: readonly string[]): string | undefined {
  const bare = typed.replace(/^-+/, '').split('=')[0]!;
  let best: { flag: string; d: number } | undefined;
  for (const flag of known) {
    const d = flag.startsWith(bare) && bare.length >= 2 ? 0.5 : distance(bare, flag);
    if (best === undefined || d < best.d) best = { flag, d };
  }
  return best && best.d <= Math.max(1, Math.floor(bare.length / 3)) ? best.flag : undefined;
}
