import { resolve } from 'node:path';
import { compileRepository } from '../../constructs/compile.js';
import { CHECK_VERIFY, DEFAULT_OUT_DIR, DEFAULT_ROLLOUTS_DIR } from '../../constructs/conventions.js';
import { IntentError, formatProblem } from '../../constructs/spec/index.js';
import { checkCompiled } from '../cli/check-report.js';
import { defineCommand } from '../cli/command.js';
import { GITHUB_ENV } from '../cli/flags.js';
import { POST_OPTIONS, postCheckRun } from '../cli/post-check.js';
import { formatFinding } from '../preflight.js';
import { readIntents } from '../workspace.js';

/**
 * The static half of the merge rule: intents valid, generated/ exactly what synth writes, and
 * the pre-flight analysis clean. Posted as check run `stagegate/verify`; the rollback PR needs
 * only this one, so a rollback never waits for traffic.
 */
export const verifyCommand = defineCommand({
  name: 'verify',
  summary: 'static check (intents, generated/ current, pre-flight), optionally posted as stagegate/verify',
  options: {
    rollouts: { type: 'string', value: 'DIR', help: `the intents (default ${DEFAULT_ROLLOUTS_DIR})` },
    out: { type: 'string', value: 'DIR', help: `the generated manifests to compare (default ${DEFAULT_OUT_DIR})` },
    ...POST_OPTIONS,
  },
  env: [...GITHUB_ENV.map((e) => ({ ...e, help: `with --post: ${e.help}` }))],
  exits: {
    ok: 'valid, generated/ current, pre-flight clean (and posted as success)',
    fail: 'problems found (and posted as failure)',
    error: 'the check could not run or could not be posted',
  },
  async run({ values }, io) {
    const outDir = values.out ?? DEFAULT_OUT_DIR;
    const lines: string[] = [];
    let ok: boolean;
    try {
      // The whole output directory: the rollouts' files and, under alerts.layout: fleet, stagegate-fleet.k8s.yaml.
      const compiled = compileRepository(readIntents(values.rollouts ?? DEFAULT_ROLLOUTS_DIR, io.cwd));
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
});
