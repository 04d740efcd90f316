import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CompiledRollout } from '../../constructs/compile.js';
import { DEFAULT_OUT_DIR, DEFAULT_ROLLOUTS_DIR } from '../../constructs/conventions.js';
import type { Command, Io } from '../cli/command.js';
import { istioctlAnalyze, type IstioctlResult } from '../istioctl.js';
import { analyze, formatFinding, type Finding } from '../preflight.js';
import { compileDir } from './synth.js';

export interface CheckReport {
  readonly ok: boolean;
  readonly rollouts: number;
  readonly findings: readonly Finding[];
  /** Files of the output directory that differ from a fresh synth (missing, changed, extra). */
  readonly stale: readonly string[];
  readonly istioctl: IstioctlResult;
}

export const checkCommand: Command = {
  name: 'check',
  usage: 'check [--rollouts DIR] [--out DIR] [--json]',
  options: { rollouts: { type: 'string' }, out: { type: 'string' } },
  async run({ values }, io) {
    const rolloutsDir = (values.rollouts as string | undefined) ?? DEFAULT_ROLLOUTS_DIR;
    const outDir = (values.out as string | undefined) ?? DEFAULT_OUT_DIR;
    const json = values.json === true;
    const compiled = compileDir(rolloutsDir, io, json);
    if (!compiled) return 1;
    const report = checkCompiled(compiled, resolve(io.cwd, outDir), io);
    if (json) {
      io.stdout(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      for (const f of report.findings) io.stdout(`${formatFinding(f)}\n`);
      for (const file of report.stale)
        io.stdout(`error SG0001 ${outDir}/${file}: differs from synth; run \`stagegate synth\`\n`);
      io.stdout(
        report.istioctl.ran
          ? `istioctl analyze: ${report.istioctl.ok ? 'ok' : 'failed'}\n${report.istioctl.output}\n`
          : `note: ${report.istioctl.reason}\n`,
      );
      const errors = report.findings.filter((f) => f.level === 'error').length + report.stale.length;
      io.stdout(
        `check: ${report.rollouts} rollout(s), ${errors} error(s), ${report.findings.length - report.findings.filter((f) => f.level === 'error').length} warning(s)\n`,
      );
    }
    return report.ok ? 0 : 1;
  },
};

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
