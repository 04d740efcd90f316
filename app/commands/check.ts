import { resolve } from 'node:path';
import { DEFAULT_OUT_DIR, DEFAULT_ROLLOUTS_DIR } from '../../constructs/conventions.js';
import { checkCompiled } from '../cli/check-report.js';
import { telemetryFindings } from '../cli/check-telemetry.js';
import { defineCommand } from '../cli/command.js';
import { compileRepositoryDir } from '../cli/intents.js';
import { formatFinding } from '../preflight.js';
import { signalsSelectingNothing } from '../check-signals.js';
import { PrometheusApi } from '../gate/prometheus-api.js';

export type { CheckReport } from '../cli/check-report.js';

export const checkCommand = defineCommand({
  name: 'check',
  summary: 'validate intents, pre-flight analysis of their output, and whether generated/ is current',
  options: {
    rollouts: { type: 'string', value: 'DIR', help: `the intents (default ${DEFAULT_ROLLOUTS_DIR})` },
    out: { type: 'string', value: 'DIR', help: `the generated manifests to compare (default ${DEFAULT_OUT_DIR})` },
    prometheus: {
      type: 'string',
      value: 'URL',
      help: 'also audit the live telemetry: both versions emit the series the rules read (SG0600/SG0601), and each user signal query selects data (app/check-signals.ts)',
    },
  },
  env: [{ name: 'PATH', help: 'istioctl analyze runs too when istioctl is on it' }],
  exits: {
    ok: 'intents valid, pre-flight clean (warnings allowed), generated/ current',
    fail: 'an intent is invalid, a pre-flight error, generated/ is stale, or a user signal query selects nothing (--prometheus)',
    error: 'the directory cannot be read',
  },
  async run({ values }, io) {
    const rolloutsDir = values.rollouts ?? DEFAULT_ROLLOUTS_DIR;
    const outDir = values.out ?? DEFAULT_OUT_DIR;
    const json = values.json === true;
    const repository = compileRepositoryDir(rolloutsDir, io, json);
    if (!repository) return 1;
    const compiled = repository.rollouts;
    let report = checkCompiled(repository, resolve(io.cwd, outDir), io);
    if (values.prometheus) {
      const audit = await telemetryFindings(
        compiled.map((c) => c.model),
        values.prometheus,
        new Date(),
      );
      report = { ...report, ok: report.ok && audit.length === 0, findings: [...report.findings, ...audit] };
    }
    const signals =
      values.prometheus === undefined
        ? []
        : await signalsSelectingNothing(compiled, new PrometheusApi(values.prometheus), io.cwd, new Date());
    if (json) {
      io.stdout(`${JSON.stringify(values.prometheus === undefined ? report : { ...report, signals }, null, 2)}\n`);
    } else {
      for (const problem of signals) io.stdout(`error ${problem}\n`);
      for (const f of report.findings) io.stdout(`${formatFinding(f)}\n`);
      for (const file of report.stale)
        io.stdout(`error SG0001 ${outDir}/${file}: differs from synth; run \`stagegate synth\`\n`);
      if (report.istioctl.ran) {
        const { ok, output, notes } = report.istioctl;
        io.stdout(
          `istioctl analyze (offline, all namespaces): ${ok ? 'ok' : 'failed'}\n${output ? `${output}\n` : ''}`,
        );
        for (const note of notes) io.stdout(`note: ${note}\n`);
      } else {
        io.stdout(`note: ${report.istioctl.reason}\n`);
      }
      const errors = report.findings.filter((f) => f.level === 'error').length;
      // istioctl's own messages count too (a failed run counts as one error).
      const ist = report.istioctl.ran ? report.istioctl : undefined;
      const istErrors = ist ? Math.max(ist.messages.filter((m) => m.level === 'Error').length, ist.ok ? 0 : 1) : 0;
      const istWarnings = ist ? ist.messages.filter((m) => m.level !== 'Error').length : 0;
      io.stdout(
        `check: ${report.rollouts} rollout(s), ${errors + report.stale.length + istErrors + signals.length} error(s), ${report.findings.length - errors + istWarnings} warning(s)\n`,
      );
    }
    return report.ok && signals.length === 0 ? 0 : 1;
  },
});
