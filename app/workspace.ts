/**
 * The file-system edge of the compiler: reading intents from a directory and writing
 * `generated/` atomically. Everything between is `compile()`, in memory.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import type { IntentSource, SynthOutput } from '../constructs/compile.js';

/** Intents are the `*.yaml` / `*.yml` files directly in `dir` (sub-folders such as changelog/ are not intents). */
export function readIntents(dir: string, cwd: string): IntentSource[] {
  const abs = resolve(cwd, dir);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) {
    throw new Error(`rollouts directory ${dir} does not exist (pass --rollouts DIR)`);
  }
  return readdirSync(abs)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => {
      const full = join(abs, name);
      return { path: displayPath(full, cwd), text: readFileSync(full, 'utf8') };
    });
}

/** Paths in messages are relative to where the user stands, like a compiler's. */
export function displayPath(full: string, cwd: string): string {
  const rel = relative(cwd, full);
  return rel.startsWith('..') ? full : rel;
}

export interface WriteReport {
  readonly written: readonly string[];
  readonly unchanged: readonly string[];
  readonly removed: readonly string[];
}

/**
 * Replaces `outDir` with exactly `compiled`'s files. The new tree is written beside the old one
 * and swapped in with renames, so a crash leaves either the old or the new directory, never a
 * mix; files of rollouts that no longer exist are removed.
 */
export function writeGenerated(
  outDir: string,
  compiled: readonly Pick<SynthOutput, 'file' | 'content'>[],
): WriteReport {
  const target = resolve(outDir);
  const parent = dirname(target);
  mkdirSync(parent, { recursive: true });
  const previous = new Map<string, string>();
  if (existsSync(target)) {
    for (const name of readdirSync(target)) {
      const full = join(target, name);
      if (statSync(full).isFile()) previous.set(name, readFileSync(full, 'utf8'));
      // generated/<cluster>/ of a wave across clusters (README "Waves across clusters").
      else if (statSync(full).isDirectory())
        for (const inner of readdirSync(full))
          if (statSync(join(full, inner)).isFile())
            previous.set(`${name}/${inner}`, readFileSync(join(full, inner), 'utf8'));
    }
  }
  const suffix = randomBytes(4).toString('hex');
  const staging = join(parent, `.${basename(target)}.new-${suffix}`);
  const retired = join(parent, `.${basename(target)}.old-${suffix}`);
  mkdirSync(staging);
  try {
    for (const rollout of compiled) {
      mkdirSync(dirname(join(staging, rollout.file)), { recursive: true });
      writeFileSync(join(staging, rollout.file), rollout.content);
    }
    if (existsSync(target)) renameSync(target, retired);
    renameSync(staging, target);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(target) && existsSync(retired)) renameSync(retired, target);
    throw new Error(`could not write ${outDir}; it was left as it was`, { cause: err });
  }
  rmSync(retired, { recursive: true, force: true });
  const names = new Set(compiled.map((c) => c.file));
  return {
    written: compiled.filter((c) => previous.get(c.file) !== c.content).map((c) => c.file),
    unchanged: compiled.filter((c) => previous.get(c.file) === c.content).map((c) => c.file),
    removed: [...previous.keys()].filter((name) => !names.has(name)).sort(),
  };
}
