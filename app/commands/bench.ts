import { runBench, type BenchReport } from '../../tools/bench/run.js';
import { UsageError, type Command } from '../cli/command.js';

export const benchCommand: Command = {
  name: 'bench',
  usage: 'bench [--quick] [--only synth|detection|bot]... [--json]',
  options: {
    quick: { type: 'boolean' },
    only: { type: 'string', multiple: true },
  },
  async run({ values }, io) {
    const only = (values.only as string[] | undefined)?.map((o) => {
      if (o !== 'synth' && o !== 'detection' && o !== 'bot')
        throw new UsageError(`--only takes synth, detection or bot (got "${o}")`);
      return o;
    });
    const json = values.json === true;
    const report = await runBench({
      quick: values.quick === true,
      ...(only ? { only } : {}),
      ...(io.signal ? { signal: io.signal } : {}),
      log: (line) => io.stderr(`${line}\n`),
    });
    io.stdout(json ? `${JSON.stringify(report, null, 2)}\n` : render(report));
    return 0;
  },
};

const x = (r: number | null | undefined) =>
  r === null || r === undefined || !Number.isFinite(r) ? 'n/a' : `${r.toFixed(2)}×`;
const s = (v: number | null) => (v === null ? 'not detected' : `${v} s`);

function render(r: BenchReport): string {
  const out: string[] = [`stagegate bench${r.quick ? ' --quick' : ''} (node ${r.node}, ${r.cpus} CPUs)`];
  if (r.synth) {
    const largest = r.synth.runs[r.synth.runs.length - 1]!;
    out.push(
      `synth  ${largest.rollouts} rollouts: ${(largest.oursMs / 1000).toFixed(2)} s = ${x(r.synth.ratioToFloor)} the js-yaml floor; ` +
        `growth ×${r.synth.growth} from ${r.synth.growthFrom}; ${x(r.synth.ratioToCdk8s)} plain cdk8s at ${r.synth.ratioToCdk8sAt}; ` +
        `peak RSS ${(r.synth.peakRssBytes / 1048576).toFixed(0)} MiB`,
    );
  }
  if (r.detection) {
    for (const [name, d] of [
      ['stagegate', r.detection.stagegate],
      ['flagger-style', r.detection.flaggerStyle],
    ] as const) {
      out.push(
        `detect ${name.padEnd(13)} median ${s(d.medianDetectSeconds)} (${x(d.medianRatioToFloor)} the floor), ` +
          `${d.falseRollbacksPer1000} false rollbacks / 1000, ${d.blipRollbacks}/${d.blipRollouts} blips rolled back`,
      );
    }
  }
  if (r.bot) {
    out.push(
      `bot    ${r.bot.requestsPerHourAt500} counted requests/hour for 500 rollouts at a 5-min reconcile (scaled from ${r.bot.scaledFrom}; ` +
        `limit ${r.bot.limitPerHour}), ${r.bot.requestsPerHourAt500Advancing} while advancing`,
    );
  }
  return `${out.join('\n')}\n`;
}
