/**
 * `stagegate report <rollout>`: the post-release analysis of a finished or aborted rollout
 * (issue #16) from the local Git checkout (`git log` of its intent: who made each stage live,
 * when, what ended it) and Prometheus (range queries per version over the rollout's span).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { DEFAULT_ROLLOUTS_DIR } from '../../constructs/conventions.js';
import { defineCommand } from '../cli/command.js';
import { compileDir, findModel } from '../cli/intents.js';
import { PrometheusApi, PrometheusUnavailable } from '../gate/prometheus-api.js';
import { intentRevisions } from '../report/git-history.js';
import { renderReport } from '../report/markdown.js';
import { analyse, type SignalSeries } from '../report/model.js';
import { signalSeries } from '../report/series.js';

const NO_SIGNALS: SignalSeries = {
  requests: { stable: [], canary: [] },
  errorRatio: { stable: [], canary: [] },
  p99Ms: { stable: [], canary: [] },
};

export const reportCommand = defineCommand({
  name: 'report',
  summary: 'post-release analysis of a rollout from Git and Prometheus: Markdown with an SVG chart per signal',
  options: {
    rollouts: { type: 'string', value: 'DIR', help: `the intents (default ${DEFAULT_ROLLOUTS_DIR})` },
    prometheus: { type: 'string', value: 'URL', help: 'range queries per version (without it: Git only)' },
    out: { type: 'string', value: 'DIR', help: 'write <rollout>.report.md and the SVG charts there (default: stdout)' },
  },
  positionals: { usage: '<rollout>', min: 1, max: 1, missing: 'name one rollout (its metadata.name or file name)' },
  exits: {
    ok: 'the report was written',
    fail: 'an intent is invalid',
    error: 'git or Prometheus could not be read',
  },
  async run({ values, positionals }, io) {
    const compiled = compileDir(values.rollouts ?? DEFAULT_ROLLOUTS_DIR, io, values.json === true);
    if (!compiled) return 1;
    const model = findModel(
      compiled.map((c) => c.model),
      positionals[0]!,
    );
    const source = compiled.find((c) => c.model === model)!.source;
    let revisions: ReturnType<typeof intentRevisions>;
    try {
      revisions = intentRevisions({ cwd: io.cwd }, relative(io.cwd, resolve(io.cwd, source)));
    } catch (err) {
      io.stderr(`stagegate report: ${(err as Error).message}\n`);
      return 4;
    }
    let signals = NO_SIGNALS;
    if (values.prometheus && revisions.length > 0) {
      const start = new Date(revisions[0]!.at);
      const end = new Date(Math.max(start.getTime() + 60_000, Date.now()));
      try {
        signals = await signalSeries(model, new PrometheusApi(values.prometheus), { start, end });
      } catch (err) {
        if (!(err instanceof PrometheusUnavailable)) throw err;
        io.stderr(`stagegate report: ${err.message}\n`);
        return 4;
      }
    }
    const analysis = analyse(model, revisions, signals);
    if (values.json === true) {
      io.stdout(`${JSON.stringify(analysis, null, 2)}\n`);
      return 0;
    }
    const rendered = renderReport(analysis);
    if (!values.out) {
      io.stdout(rendered.markdown);
      return 0;
    }
    const out = resolve(io.cwd, values.out);
    mkdirSync(out, { recursive: true });
    for (const [name, svg] of Object.entries(rendered.charts)) writeFileSync(join(out, name), svg);
    const md = join(out, `${model.namespace}-${model.name}.report.md`);
    writeFileSync(md, rendered.markdown);
    io.stdout(`${relative(io.cwd, md)}\n`);
    return 0;
  },
});
