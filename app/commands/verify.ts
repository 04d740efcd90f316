import { resolve } from 'node:path';
import { CHECK_VERIFY, DEFAULT_OUT_DIR, DEFAULT_ROLLOUTS_DIR } from '../../constructs/conventions.js';
import { IntentError, formatProblem } from '../../constructs/spec/index.js';
import { compile } from '../../constructs/compile.js';
import type { Command } from '../cli/command.js';
import { formatFinding } from '../preflight.js';
import { readIntents } from '../workspace.js';
import { checkCompiled } from './check.js';
import { POST_OPTIONS, postCheckRun } from './post-check.js';

/**
 * The static half of the merge rule: intents valid, generated/ exactly what synth writes, and
 * the pre-flight analysis clean. Posted as check run `stagegate/verify`; the rollback PR needs
 * only this one, so a rollback never waits for traffic.
 */
export const verifyCommand: Command = {
  name: 'verify',
  usage: 'verify [--rollouts DIR] [--out DIR] [--post --repo OWNER/NAME --sha SHA] [--json]',
  options: {
    rollouts: { type: 'string' },
    out: { type: 'string' },
    ...POST_OPTIONS,
  },
  async run({ values }, io) {
    const outDir = (values.out as string | undefined) ?? DEFAULT_OUT_DIR;
    const lines: string[] = [];
    let ok: boolean;
    try {
      const compiled = compile(readIntents((values.rollouts as string | undefined) ?? DEFAULT_ROLLOUTS_DIR, io.cwd));
      const report = checkCompiled(compiled, resolve(io.cwd, outDir), io);
      lines.push(
        ...report.findings.map(formatFinding),
        ...report.stale.map((f) => `error SG0001 ${outDir}/${f}: differs from synth; run \`stagegate synth\``),
      );
      if (report.istioctl.ran && !report.istioctl.ok) lines.push(`istioctl analyze failed:\n${report.istioctl.output}`);
      ok = report.ok;
      lines.unshift(
        `${report.rollouts} rollout(s): ${ok ? 'valid, generated/ current, pre-flight clean' : 'problems found'}`,
      );
    } catch (err) {
      if (!(err instanceof IntentError)) throw err;
      ok = false;
      lines.push(`${err.problems.length} problem(s) in the intents`, ...err.problems.map(formatProblem));
    }
    io.stdout(values.json ? `${JSON.stringify({ ok, lines }, null, 2)}\n` : `${lines.join('\n')}\n`);
    await postCheckRun(values, io, {
      name: CHECK_VERIFY,
      status: 'completed',
      conclusion: ok ? 'success' : 'failure',
      title: lines[0]!,
      summary: ['```', ...lines, '```'].join('\n'),
    });
    return ok ? 0 : 1;
  },
};
