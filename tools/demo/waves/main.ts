/**
 * Entry of `npm run demo:waves` (README "The two-cluster demo"): runs tools/demo/waves/run.ts,
 * prints the outcome per rollout and cluster (`--json`: the summary document), exits 0 only when
 * the story ended as told — storefront at 100 % in both clusters, payments-api rolled back in
 * us-1 alone and at 100 % in eu-1 — 1 when it did not, 2 when the demo could not run.
 */
import { runWaveDemo, type WaveDemoSummary } from './run.js';

function format(s: WaveDemoSummary): string {
  const lines = ['', `two-cluster demo: ${s.ok ? 'ok' : 'FAILED'} in ${s.seconds} s`];
  for (const r of s.rollouts) {
    const weights = Object.entries(r.weights)
      .map(([c, w]) => `${c} ${w.canary} % canary`)
      .join(', ');
    const scope =
      r.aborted === false ? '' : r.aborted === 'rollout' ? ', rolled back' : `, rolled back in ${r.aborted.join(', ')}`;
    lines.push(`  ${r.name}: ${r.finalStage}${scope}; ${weights}`, `    bot: ${r.lastReport}`);
    for (const p of r.rollbackPulls) lines.push(`    #${p.number} ${p.title}${p.merged ? ' (merged)' : ''}`);
  }
  for (const p of s.problems) lines.push(`  problem: ${p}`);
  return `${lines.join('\n')}\n`;
}

const json = process.argv.includes('--json');
const controller = new AbortController();
process.once('SIGINT', () => controller.abort());
try {
  const summary = await runWaveDemo({
    log: (line) => (json ? process.stderr : process.stdout).write(`${line}\n`),
    signal: controller.signal,
  });
  process.stdout.write(json ? `${JSON.stringify(summary, null, 2)}\n` : format(summary));
  process.exitCode = summary.ok ? 0 : 1;
} catch (err) {
  process.stderr.write(`demo:waves: ${(err as Error).message}\n`);
  process.exitCode = 2;
}
