/**
 * The rollout's history from the local Git checkout: every commit that touched its intent file
 * (`git log --follow`), with the live stage and abort that revision says. Merged stage PRs are
 * commits on the default branch (docs/design.md §4: one PR per stage editing `spec.stage`; a
 * rollback PR sets `spec.abort`), so this is the stage history the bot wrote.
 */
import { spawnSync } from 'node:child_process';
import { parseIntent } from '../../constructs/spec/index.js';
import type { IntentRevision } from './model.js';

/** A work tree (`git log` of HEAD), or a bare repository and a ref (the demo's emulated GitHub). */
export type GitSource = { readonly cwd: string } | { readonly gitDir: string; readonly ref: string };

function git(src: GitSource, args: readonly string[]): string {
  const full = 'gitDir' in src ? [`--git-dir=${src.gitDir}`, ...args] : args;
  const cwd = 'cwd' in src ? src.cwd : undefined;
  const run = spawnSync('git', full, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`git ${args.join(' ')}: ${(run.stderr || String(run.error)).trim()}`);
  return run.stdout;
}

/** Revisions of `file` (relative to the top of the repository), oldest first; ones that do not parse are skipped. */
export function intentRevisions(src: GitSource, file: string): IntentRevision[] {
  const ref = 'ref' in src ? [src.ref] : [];
  const format = '--format=%H%x1f%an%x1f%aI%x1f%s';
  const log = git(src, ['log', '--follow', '--reverse', format, '--name-only', ...ref, '--', file]);
  const out: IntentRevision[] = [];
  // Each entry: header line, blank line, the path the file had in that commit.
  const entries = log.split('\n').filter((l) => l.trim() !== '');
  for (let i = 0; i < entries.length; i++) {
    const header = entries[i]!.split('\x1f');
    if (header.length !== 4) continue;
    const path = entries[i + 1] && entries[i + 1]!.split('\x1f').length !== 4 ? entries[++i]! : file;
    const [sha, author, at, subject] = header as [string, string, string, string];
    let text: string;
    try {
      text = git(src, ['show', `${sha}:${path}`]);
    } catch {
      continue; // deleted in this commit
    }
    const parsed = parseIntent(path, text);
    if (!parsed.ok) continue;
    const m = parsed.model;
    out.push({
      sha,
      author,
      at: new Date(at).toISOString(),
      subject,
      stage: m.stage,
      ...(m.abort ? { abort: { reason: m.abort.reason } } : {}),
    });
  }
  return out;
}
