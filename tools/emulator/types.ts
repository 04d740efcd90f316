/**
 * The public surface of the GitHub REST emulator. The bot's tests code against these types,
 * so they change only by adding optional members.
 */

import type { AppConfig } from './identity.js';
import type { PermissionLevel } from './permissions.js';

export type { AppConfig } from './identity.js';
export type { PermissionLevel } from './permissions.js';

export interface EmulatorOptions {
  /** Owner login of the single served repository. */
  readonly owner: string;
  /** Name of the single served repository. */
  readonly repo: string;
  /** Directory whose files (git-tracked ones when it is a work tree) become main's first commit. */
  readonly seedDir?: string;
  /** Extra files of main's first commit, path → UTF-8 content; they win over seedDir. */
  readonly seedFiles?: Record<string, string>;
  /** @default 0 (a random free port) */
  readonly port?: number;
  /** Clock for every timestamp (commits, PRs, check runs, rate-limit windows). @default () => new Date() */
  readonly now?: () => Date;
  /**
   * People: token → login (`type: "User"`; a login ending in `[bot]` is taken as that App).
   * With `users` or `apps`, any other token is answered 401; with neither, every token is the
   * person "stagegate-bot".
   */
  readonly users?: Record<string, string>;
  /**
   * GitHub App installation tokens: token → slug (or `{ slug, id, name, botUserId }`). They act
   * as `SLUG[bot]` (`type: "Bot"`), get 403 from GET /user, create check runs under that App,
   * and share one rate-limit bucket per App. Slug "github-actions" is App 15368 (a workflow's
   * GITHUB_TOKEN).
   */
  readonly apps?: Record<string, AppConfig>;
  /** Extra commit email → login links (GitHub links commits to accounts by email). */
  readonly emails?: Record<string, string>;
  /**
   * Compatibility with the emulator's older model: people's tokens may create and update check
   * runs (filed under an App named after the login). GitHub allows only Apps.
   * @default true when `apps` is absent, false when it is given
   */
  readonly checkRunsByUsers?: boolean;
  /**
   * Rules per branch, enforced on merge the way a repository ruleset is (405 "Repository rule
   * violations found…") and readable at GET /repos/{o}/{r}/rules/branches/{branch}.
   */
  readonly protection?: Record<string, BranchProtection>;
  /** Merge methods the repository allows (GET /repos `allow_*_merge`). @default all three */
  readonly mergeMethods?: ReadonlyArray<MergeMethod>;
  /** GET /repos `allow_auto_merge`. @default false */
  readonly allowAutoMerge?: boolean;
  /** GET /repos `allow_update_branch`. @default false */
  readonly allowUpdateBranch?: boolean;
  /** Logins or App slugs with admin rights (may read GET /branches/{b}/protection). @default [] */
  readonly admins?: readonly string[];
  /**
   * Repository roles by login (GET /repos/{o}/{r}/collaborators/{username}/permission; `maintain`
   * reports as write, `triage` as read). Approving reviews and code owners' approvals count on merge
   * only from admin, maintain or write, as on GitHub. @default write for every configured account,
   * admin for the owner and `admins`
   */
  readonly permissions?: Readonly<Record<string, PermissionLevel>>;
  /**
   * Organization teams, `org/slug` → members (`login`, or `login:pending` for an invitation not yet
   * accepted): GET /orgs/{org}/teams/{team_slug}/memberships/{username} (teams.ts). @default none
   */
  readonly teams?: Readonly<Record<string, readonly string[]>>;
  /** Called with each request log entry as it is recorded (the CLI's --config requestLog). */
  readonly onRequest?: (entry: RequestLogEntry) => void;
  /** Validate every response against GitHub's OpenAPI description; a mismatch is answered 500. */
  readonly validateResponses?: boolean;
  /** Where the bare repository lives; @default a temporary directory removed by close() */
  readonly dataDir?: string;
  /** Requests per token per hour before GitHub's primary limit answers 403. @default 5000 */
  readonly rateLimit?: number;
  /**
   * Like GitHub, answer `mergeable: null` (mergeable_state "unknown") to the first GET of a PR
   * after its head or base moved, and the computed value from the next GET on. @default false
   */
  readonly lazyMergeability?: boolean;
}

export type MergeMethod = 'merge' | 'squash' | 'rebase';

/**
 * One branch's rules, modelled on a repository ruleset (docs.github.com/en/rest/repos/rules):
 * a `pull_request` rule (reviews), a `required_status_checks` rule (checks, strict) and a
 * `merge_queue` rule. Bypass actors skip all of them, as `bypass_mode: always` does.
 */
export interface BranchProtection {
  /** Approving reviews needed, from people with write access other than the PR's author. @default 0 */
  readonly requiredApprovingReviews?: number;
  /** An approval from a code owner (.github/CODEOWNERS on the base) of every changed file. @default false */
  readonly requireCodeOwnerReviews?: boolean;
  /** Checks (run name or status context) that must succeed; `app` pins the App slug it must come from. */
  readonly requiredStatusChecks?: ReadonlyArray<{ readonly context: string; readonly app?: string }>;
  /** Require the head to contain the base's tip ("require branches to be up to date"). @default false */
  readonly strict?: boolean;
  /** Merges must go through the merge queue: the merge API refuses them. @default false */
  readonly mergeQueue?: boolean;
  /** App slugs or user logins that bypass these rules. @default [] */
  readonly bypass?: readonly string[];
}

export interface RequestLogEntry {
  readonly method: string;
  /** URL path without the query string, as sent (percent-encoding kept). */
  readonly path: string;
  /** The query string without "?", '' when none. */
  readonly query: string;
  /** HTTP status sent; 0 when the connection was dropped before any response. */
  readonly status: number;
  /** True for primary (remaining = 0) and secondary rate-limit answers. */
  readonly rateLimited: boolean;
  readonly at: Date;
  /** The login the token maps to, when authenticated. */
  readonly login?: string;
  /** The kind of the injected fault that shaped this answer, if any. */
  readonly fault?: FaultSpec['kind'];
  /** The matched operation, e.g. "GET /repos/{owner}/{repo}/pulls/{pull_number}". */
  readonly route?: string;
  /** Real time spent answering, in milliseconds (for profiling; not from the injected clock). */
  readonly ms?: number;
}

export interface FaultMatch {
  readonly method?: string;
  /** Tested against the decoded path (without query), e.g. /repos/o/r/git/refs/heads/main */
  readonly path?: RegExp;
  /** Only requests whose token maps to this login (e.g. the bot's, not CI's). */
  readonly login?: string;
}

export type FaultSpec =
  /** Answer this status (with GitHub's error body) instead of running the handler. */
  | { readonly kind: 'status'; readonly status: number; readonly message?: string }
  /** 403 with retry-after and GitHub's secondary rate limit message; the handler does not run. */
  | { readonly kind: 'secondaryRateLimit'; readonly retryAfter?: number }
  /** Wait this long (real time) before handling normally. */
  | { readonly kind: 'latency'; readonly ms: number }
  /** Destroy the socket before the handler runs: nothing was applied. */
  | { readonly kind: 'drop' }
  /** Run the handler (the write is applied), then destroy the socket without answering. */
  | { readonly kind: 'dropAfter' }
  /**
   * On a merge: someone pushes to the base after the merge commit is built and before the base
   * ref moves, the race GitHub answers 405 "Base branch was modified. Review and try the merge
   * again." (NixOS/nixpkgs-merge-bot#179). Other requests run normally.
   */
  | { readonly kind: 'racePush' };

export type FaultRule = FaultSpec & {
  readonly match?: FaultMatch;
  /** How many matching requests it hits; @default 1. Use Infinity for every one. */
  readonly times?: number;
};

export interface FaultInjector {
  /** Schedule a fault; rules are tried in the order they were added. */
  add(rule: FaultRule): void;
  /**
   * From now on, each request not hit by a scheduled rule gets a fault with probability
   * `rate`, drawn from `kinds` by a PRNG seeded with `seed` (same seed → same schedule).
   */
  random(seed: number, rate: number, kinds?: readonly FaultSpec[], match?: FaultMatch): void;
  /** Remove every scheduled rule and stop random faults. */
  clear(): void;
  /** Rules still waiting to hit. */
  readonly pending: number;
}

export interface Emulator {
  /** http://127.0.0.1:PORT — pass as Octokit's baseUrl. */
  readonly url: string;
  /** The bare repository; inspect with `git --git-dir`. */
  readonly gitDir: string;
  readonly requests: RequestLogEntry[];
  readonly faults: FaultInjector;
  close(): Promise<void>;
  resetLog(): void;
  /** A file's content at a ref (branch name, refs/…, or sha); undefined when absent. */
  readFile(ref: string, path: string): string | undefined;
  /** First-parent history of a ref (default main), newest first. */
  log(ref?: string): Array<{ sha: string; message: string; parents: string[] }>;
}
