/** Shared setup: an emulator with a frozen clock and response validation on, and Octokit clients. */
import { execFileSync } from 'node:child_process';
import { Octokit } from '@octokit/rest';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../../tools/emulator/index.js';

export const OWNER = 'acme';
export const REPO = 'shop';
export const repo = { owner: OWNER, repo: REPO } as const;

export interface Harness {
  emu: Emulator;
  clock: { now: Date; advance(ms: number): void };
  client(token?: string): Octokit;
}

export async function harness(opts: Partial<EmulatorOptions> = {}): Promise<Harness> {
  const clock = {
    now: new Date('2026-03-01T12:00:00Z'),
    advance(ms: number) {
      clock.now = new Date(clock.now.getTime() + ms);
    },
  };
  const emu = await startEmulator({
    owner: OWNER,
    repo: REPO,
    validateResponses: true,
    now: () => clock.now,
    seedFiles: {
      'rollouts/checkout.yaml': 'stage: internal\n',
      'generated/checkout.k8s.yaml': 'kind: VirtualService\n',
      'README.md': '# shop\n',
    },
    ...opts,
  });
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  return { emu, clock, client: (token = 'x') => new Octokit({ baseUrl: emu.url, auth: token, log: quiet }) };
}

/** Runs git against the emulator's bare repository, as a person inspecting it would. */
export function git(emu: Emulator, ...args: string[]): string {
  return execFileSync('git', ['--git-dir', emu.gitDir, ...args], {
    encoding: 'utf8',
    env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null' },
  }).trim();
}

/** The status of a rejected Octokit call (fails the test when the call succeeded). */
export async function statusOf(
  p: Promise<unknown>,
): Promise<{ status: number; message: string; headers: Record<string, string | undefined>; data: unknown }> {
  try {
    await p;
  } catch (err) {
    const e = err as {
      status: number;
      message: string;
      response?: { headers: Record<string, string | undefined>; data: unknown };
    };
    return { status: e.status, message: e.message, headers: e.response?.headers ?? {}, data: e.response?.data };
  }
  throw new Error('expected the request to fail');
}

/** Commits `files` on top of `branch` (creating it from main when absent) through the git data API. */
export async function commitFiles(
  o: Octokit,
  branch: string,
  files: Record<string, string | null>,
  message = `change ${branch}`,
): Promise<string> {
  const existing = await o.git.getRef({ ...repo, ref: `heads/${branch}` }).then(
    (r) => r.data.object.sha,
    () => undefined,
  );
  const parent = existing ?? (await o.git.getRef({ ...repo, ref: 'heads/main' })).data.object.sha;
  const base = (await o.git.getCommit({ ...repo, commit_sha: parent })).data.tree.sha;
  const tree = await o.git.createTree({
    ...repo,
    base_tree: base,
    tree: Object.entries(files).map(([path, content]) =>
      content === null
        ? { path, mode: '100644' as const, type: 'blob' as const, sha: null }
        : { path, mode: '100644' as const, type: 'blob' as const, content },
    ),
  });
  const commit = await o.git.createCommit({ ...repo, message, tree: tree.data.sha, parents: [parent] });
  if (existing) await o.git.updateRef({ ...repo, ref: `heads/${branch}`, sha: commit.data.sha });
  else await o.git.createRef({ ...repo, ref: `refs/heads/${branch}`, sha: commit.data.sha });
  return commit.data.sha;
}
