import { resolve } from 'node:path';
import { DEFAULT_OUT_DIR, DEFAULT_ROLLOUTS_DIR } from '../../constructs/conventions.js';
import { generatedOutputs, type CompiledRollout } from '../../constructs/compile.js';
import { defineCommand, type Io, UsageError } from '../cli/command.js';
import { compileRepositoryDir } from '../cli/intents.js';
import { writeGenerated } from '../workspace.js';

export const synthCommand = defineCommand({
  name: 'synth',
  summary: 'compile every intent in rollouts/ into generated/ (atomic; --stdout for Argo CD)',
  options: {
    rollouts: { type: 'string', value: 'DIR', help: `the intents (default ${DEFAULT_ROLLOUTS_DIR})` },
    out: { type: 'string', value: 'DIR', help: `where the manifests go (default ${DEFAULT_OUT_DIR})` },
    stdout: { type: 'boolean', help: 'print the manifests as one YAML stream instead (Argo CD plugin)' },
    cluster: {
      type: 'string',
      value: 'NAME',
      help: 'with --stdout: only the manifests of this cluster of a wave (generated/NAME/; Argo CD ApplicationSet)',
    },
  },
  exits: {
    ok: 'compiled (and written, or printed)',
    fail: 'an intent is invalid (nothing written), or --stdout with no intents',
    error: 'the directory cannot be read or written',
  },
  async run({ values }, io) {
    const rolloutsDir = values.rollouts ?? DEFAULT_ROLLOUTS_DIR;
    const outDir = values.out ?? DEFAULT_OUT_DIR;
    const json = values.json === true;
    const repository = compileRepositoryDir(rolloutsDir, io, json);
    if (!repository) return 1;
    const compiled = repository.rollouts;
    if (values.cluster !== undefined && !values.stdout) throw new UsageError('--cluster goes with --stdout');
    if (values.stdout) {
      // Without --cluster, only one-cluster intents: a wave's copies per cluster share object names.
      const printed =
        values.cluster === undefined ? compiled.filter((c) => !c.cluster) : forCluster(compiled, values.cluster, io);
      if (!printed) return 1;
      if (printed.length === 0) {
        // An empty manifest set makes Argo CD prune every live object of the app.
        io.stderr(`stagegate synth: no intents in ${rolloutsDir}; refusing to print an empty manifest set\n`);
        return 1;
      }
      // The fleet rule of alerts.layout: fleet too: Argo CD would otherwise prune it (and every alert).
      const shared = repository.fleet && values.cluster === undefined ? [repository.fleet] : [];
      io.stdout([...printed, ...shared].map((c) => c.content).join('---\n'));
      return 0;
    }
    // One swap for every file, the fleet rule's with the rollouts' (workspace.ts): never one without the other.
    const report = writeGenerated(resolve(io.cwd, outDir), generatedOutputs(repository));
    if (json) {
      io.stdout(`${JSON.stringify({ ok: true, out: outDir, ...report }, null, 2)}\n`);
    } else {
      io.stdout(
        `synth: ${compiled.length} rollout(s) → ${outDir}/ (${report.written.length} written, ` +
          `${report.unchanged.length} unchanged, ${report.removed.length} removed)\n`,
      );
      for (const file of report.written) io.stdout(`  wrote   ${outDir}/${file}\n`);
      for (const file of report.removed) io.stdout(`  removed ${outDir}/${file}\n`);
    }
    return 0;
  },
});

/**
 * The outputs of one cluster of a wave (README "Waves across clusters"). A name no intent runs
 * in is an error, not an empty set: a typo in an ApplicationSet would otherwise prune the app.
 */
function forCluster(compiled: readonly CompiledRollout[], cluster: string, io: Io): CompiledRollout[] | undefined {
  const known = [...new Set(compiled.flatMap((c) => (c.cluster ? [c.cluster.name] : [])))].sort();
  if (!known.includes(cluster)) {
    io.stderr(
      `stagegate synth: no intent runs in cluster ${JSON.stringify(cluster)} (spec.clusters name: ${known.join(', ') || 'none'}); nothing printed\n`,
    );
    return undefined;
  }
  return compiled.filter((c) => c.cluster?.name === cluster);
}
