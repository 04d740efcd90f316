/**
 * Wiring shared by `advance` and `abort`: settings come in as values (read from the environment
 * once, at the command's edge), and leave as a port + reconcile options.
 */
import { CHECK_HEALTH, DEFAULT_REQUIRED_CHECKS, DEFAULT_ROLLOUTS_DIR } from '../../constructs/conventions.js';
import { DEFAULTS_FILE } from '../../constructs/spec/defaults.js';
import { compile } from '../../constructs/compile.js';
import type { ResponseCache } from './cache.js';
import type { Regenerate } from './content.js';
import { GitHubAdapter, type GitHubOptions } from './github.js';
import type { GitHubPort } from './port.js';
import type { ReconcileOptions } from './reconcile.js';
import { withoutCredentials } from './text.js';

export interface BotSettings {
  readonly owner: string;
  readonly repo: string;
  readonly token: string;
  readonly apiUrl: string;
  readonly now?: () => Date;
  readonly requiredChecks?: readonly string[];
  /**
   * The GitHub App the token belongs to (`--app-slug` / STAGEGATE_APP_SLUG, the `app-slug` output of
   * actions/create-github-app-token). Then the bot's login is `${appSlug}[bot]` and GET /user (403 for
   * installation tokens) is never called; its check runs are the ones whose `app.slug` is this.
   */
  readonly appSlug?: string;
  /** More App slugs whose check runs count (`--trust-app SLUG`, repeatable). @default only the bot's own App */
  readonly trustedApps?: readonly string[];
  /** Merge method override. @default read from the repository (squash, else merge, else rebase) */
  readonly mergeMethod?: 'squash' | 'merge' | 'rebase';
  /** Test knobs for the Octokit client (tiny retry delays, no write spacing). */
  readonly github?: Partial<
    Pick<GitHubOptions, 'retries' | 'rateLimitRetries' | 'retryUnitMs' | 'writeSpacingMs' | 'fetch' | 'log'>
  >;
  /** Remembered answers (ETags, content by sha), e.g. from `advance --cache FILE`. @default empty */
  readonly cache?: ResponseCache;
  /** Wraps the adapter (tests inject crashes between calls). */
  readonly wrapPort?: (port: GitHubPort) => GitHubPort;
}

/** What a cache file must belong to: the API root and the repository (a file for another is ignored). */
export function cacheScope(s: Pick<BotSettings, 'owner' | 'repo' | 'apiUrl'>): { api: string; repo: string } {
  // Never a credential in the file: `user:password@` in GITHUB_API_URL is dropped from the scope.
  return { api: withoutCredentials(s.apiUrl).replace(/\/+$/, ''), repo: `${s.owner}/${s.repo}`.toLowerCase() };
}

/** The App slugs whose check runs count: the bot's own App and any named with --trust-app. */
export function trustedAppsOf(s: Pick<BotSettings, 'appSlug' | 'trustedApps'>): readonly string[] | undefined {
  if (s.appSlug === undefined && s.trustedApps === undefined) return undefined;
  return [...new Set([...(s.appSlug !== undefined ? [s.appSlug] : []), ...(s.trustedApps ?? [])])];
}

/** `OWNER/NAME` → parts; undefined when malformed. */
export function parseRepo(text: string): { owner: string; repo: string } | undefined {
  const m = /^([A-Za-z0-9][A-Za-z0-9-]{0,38})\/([A-Za-z0-9._-]{1,100})$/.exec(text);
  return m ? { owner: m[1]!, repo: m[2]! } : undefined;
}

/**
 * compile() for one intent (with the repository defaults when given, as `synth` applies them),
 * memoized: it is pure and each pass asks for the same texts again.
 */
export function compilingRegenerate(): Regenerate {
  const cache = new Map<string, ReturnType<Regenerate>>();
  return (path, text, defaults) => {
    const key = `${path}\0${text}\0${defaults ?? ''}`;
    let hit = cache.get(key);
    if (!hit) {
      const defaultsSource =
        defaults === undefined ? [] : [{ path: `${DEFAULT_ROLLOUTS_DIR}/${DEFAULTS_FILE}`, text: defaults }];
      const [out, ...rest] = compile([...defaultsSource, { path, text }]);
      if (!out) throw new Error(`compiling ${path} produced nothing`);
      // compile() gives the rollouts' files only: under alerts.layout: fleet the shared
      // stagegate-fleet.k8s.yaml is every rollout's, and neither a stage advance nor a rollback
      // changes it (docs/design.md §7, "Fleet layout (opt-in)"), so a bot PR never carries it.
      // A wave across clusters compiles to one file per cluster; a stage PR changes them all.
      const others = rest.map((o) => ({ file: o.file, content: o.content }));
      hit = { file: out.file, content: out.content, ...(others.length > 0 ? { others } : {}) };
      if (cache.size > 256) cache.clear();
      cache.set(key, hit);
    }
    return hit;
  };
}

export function botFromSettings(s: BotSettings): { adapter: GitHubAdapter; options: ReconcileOptions } {
  if (withoutCredentials(s.apiUrl) !== s.apiUrl)
    throw new Error('GITHUB_API_URL carries credentials (user:password@); give the token in GITHUB_TOKEN only');
  const trustedApps = trustedAppsOf(s);
  const adapter = new GitHubAdapter({
    owner: s.owner,
    repo: s.repo,
    token: s.token,
    baseUrl: s.apiUrl,
    ...s.github,
    ...(s.cache ? { cache: s.cache } : {}),
    ...(s.appSlug !== undefined ? { appSlug: s.appSlug } : {}),
  });
  const port = s.wrapPort ? s.wrapPort(adapter) : adapter;
  const web =
    s.apiUrl.replace(/\/+$/, '') === 'https://api.github.com' ? 'https://github.com' : s.apiUrl.replace(/\/+$/, '');
  return {
    adapter,
    options: {
      port,
      now: s.now ?? (() => new Date()),
      config: {
        requiredChecks: s.requiredChecks ?? DEFAULT_REQUIRED_CHECKS,
        healthCheck: CHECK_HEALTH,
        allowedPrefixes: ['rollouts/', 'generated/'],
        ...(trustedApps !== undefined ? { trustedApps } : {}),
        // An App's API commits are signed by GitHub; a push carrying its email is not.
        ...(s.appSlug !== undefined ? { requireVerified: true } : {}),
      },
      ...(s.appSlug !== undefined ? { appSlug: s.appSlug } : {}),
      ...(s.mergeMethod !== undefined ? { mergeMethod: s.mergeMethod } : {}),
      regenerate: compilingRegenerate(),
      repoUrl: `${web}/${s.owner}/${s.repo}`,
      ...(s.github?.log ? { log: s.github.log } : {}),
    },
  };
}
