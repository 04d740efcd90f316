import { renderDetection } from '../../tools/bench/detection-report.js';
import { renderFleet } from '../../tools/bench/fleet.js';
import { renderRuleCost } from '../../tools/bench/rule-cost.js';
import { BENCH_NAMES, runBench, type BenchName, type BenchReport } from '../../tools/bench/run.js';
import { renderSynth } from '../../tools/bench/synth.js';
import { UsageError, defineCommand } from '../cli/command.js';

export const benchCommand = defineCommand({
  name: 'bench',
  summary: 'benchmarks (synth, detection, bot, rules, fleet) as ratios against baselines measured in the same run',
  options: {
    quick: { type: 'boolean', help: 'smaller sizes (a smoke run, not the published figures)' },
    only: { type: 'string', multiple: true, value: 'synth|detection|bot|rules|fleet', help: 'run only this part' },
  },
  exits: { ok: 'the report was printed', error: 'a benchmark could not run' },
  async run({ values }, io) {
    const only = values.only?.map((o) => {
      if (!BENCH_NAMES.includes(o as BenchName))
        throw new UsageError(`--only takes synth, detection, bot, rules or fleet (got "${o}")`);
      return o as BenchName;
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
});

function render(r: BenchReport): string {
  const out: string[] = [`stagegate bench${r.quick ? ' --quick' : ''} (node ${r.node}, ${r.cpus} CPUs)`];
  if (r.synth) out.push(...renderSynth(r.synth));
  if (r.detection) out.push(...renderDetection(r.detection));
  if (r.bot) {
    const a = r.bot.actions;
    out.push(
      `bot    documented workflow, 500 rollouts, new token per run, idle: ${a.requestsPerHour} requests/hour ` +
        `(${a.scheduledPerPass}/scheduled pass × 6 + ${a.fullPerPass}/full pass + gate ${a.gateIdlePerPass}/pass × 6) = ` +
        `${(a.ratioToLimit * 100).toFixed(1)} % of ${r.bot.limitPerHour}/h; a stage advance costs ${a.perAdvance} ` +
        `(2 event passes of ${a.eventPerPass}, 2 gate posts of ${a.gatePerPost}, writes): ${a.advancesPerHourInHeadroom} advances/hour fit before half the limit`,
    );
    out.push(
      `bot    ${r.bot.requestsPerHourAt500} counted requests/hour for 500 rollouts at a 5-min reconcile (scaled from ${r.bot.scaledFrom}; ` +
        `limit ${r.bot.limitPerHour}), ${r.bot.requestsPerHourAt500Advancing} while advancing`,
    );
  }
  if (r.rules) out.push(...renderRuleCost(r.rules));
  if (r.fleet) out.push(...renderFleet(r.fleet));
  return `${out.join('\n')}\n`;
}
