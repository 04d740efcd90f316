/** Shared setup for the bot's emulator tests: a repo seeded with one intent, a test clock, CI. */
import { readFileSync } from 'node:fs';
import { Octokit } from '@octokit/rest';
import { compile } from '../../../constructs/compile.js';
import { CHECK_HEALTH, CHECK_VERIFY } from '../../../constructs/conventions.js';
import { startEmulator, type Emulator } from '../../../tools/emulator/index.js';
import { reconcile, type RolloutReport } from '../../../app/bot/reconcile.js';
import { botFromSettings, type BotSettings } from '../../../app/bot/setup.js';
import type { GitHubAdapter } from '../../../app/bot/github.js';
import type { ReconcileOptions } from '../../../app/bot/reconcile.js';

export const BOT_TOKEN = 'ghs_botTOKEN_do_not_print_4f2a9c';
export const CI_TOKEN = 'ci-token';
export const PERSON_TOKEN = 'person-token';
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

export async function world(seedFiles: Record<string, string> = {}): Promise<World> {
  const clock = { t: Date.parse('2026-03-02T09:00:00Z') };
  const now = (): Date => new Date(clock.t);
  const generated = compile([{ path: 'rollouts/checkout.yaml', text: INTENT }])[0]!;
  const gh = await startEmulator({
    owner: OWNER,
    repo: REPO,
    now,
    users: { [BOT_TOKEN]: 'stagegate-bot', [CI_TOKEN]: 'ci-bot', [PERSON_TOKEN]: 'alice' },
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
  const r = { owner: OWNER, repo: REPO };
  const w: World = {
    gh,
    clock,
    now,
    ci,
    person,
    bot(over = {}) {
      const built = botFromSettings({
        ...r,
        token: BOT_TOKEN,
        apiUrl: gh.url,
        now,
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
