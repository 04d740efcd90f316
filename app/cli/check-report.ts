/**
 * The static verdict shared by `check` and `verify`: pre-flight findings over all rollouts
 * together, `generated/` against a fresh synth, and `istioctl analyze` when it is on PATH.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CompiledRollout } from '../../constructs/compile.js';
import { istioctlAnalyze, type IstioctlResult } from '../istioctl.js';
import { analyze, type Finding } from '../preflight.js';
import type { Io } from './command.js';

export interface CheckReport {
  readonly ok: boolean;
  readonly rollouts: number;
  readonly findings: readonly Finding[];
  /** Files of the output directory that differ from a fresh synth (missing, changed, extra). */
  readonly stale: readonly string[];
  readonly istioctl: IstioctlResult;
}

/** The pre-flight report of an already compiled set of rollouts against the files in `outDir`. */
export function checkCompiled(compiled: readonly CompiledRollout[], outDir: string, io: Pick<Io, 'env'>): CheckReport {
  const findings = analyze(compiled.flatMap((c) => c.objects));
  const stale = staleFiles(compiled, outDir);
  const istioctl = istioctlAnalyze(
    compiled.map((c) => c.content),
    io.env.PATH,
  );
  const ok = !findings.some((f) => f.level === 'error') && stale.length === 0 && (!istioctl.ran || istioctl.ok);
  return { ok, rollouts: compiled.length, findings, stale, istioctl };
}

function staleFiles(compiled: readonly CompiledRollout[], outDir: string): string[] {
  const expected = new Map(compiled.map((c) => [c.file, c.content]));
  const present = existsSync(outDir) ? readdirSync(outDir).filter((f) => f.endsWith('.yaml')) : [];
  const stale = new Set<string>();
  for (const [file, content] of expected) {
    const path = join(outDir, file);
    if (!existsSync(path) || readFileSync(path, 'utf8') !== content) stale.add(file);
  }
  for (const file of present) if (!expected.has(file)) stale.add(file);
  return [...stale].sort();
}
