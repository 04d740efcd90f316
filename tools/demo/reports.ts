/**
 * After the story: `stagegate report` for each of the demo's rollouts (issue #16), from the
 * emulated repository's Git history and the demo's Prometheus, written beside the timeline.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PrometheusApi } from '../../app/gate/prometheus-api.js';
import { intentRevisions } from '../../app/report/git-history.js';
import { firedAlerts, userSignalSeries } from '../../app/report/extras.js';
import { renderReport } from '../../app/report/markdown.js';
import { analyse } from '../../app/report/model.js';
import { signalSeries } from '../../app/report/series.js';
import type { Mainline } from './mainline.js';

/** Writes `<outDir>/reports/<ns>-<name>.report.md` and its charts; returns the Markdown paths. */
export async function writeDemoReports(opts: {
  readonly gitDir: string;
  readonly mainline: Mainline;
  readonly names: readonly string[];
  readonly prometheus: PrometheusApi;
  readonly outDir: string;
}): Promise<string[]> {
  const dir = join(opts.outDir, 'reports');
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const name of opts.names) {
    const live = opts.mainline.get(name);
    const revisions = intentRevisions({ gitDir: opts.gitDir, ref: 'main' }, live.path);
    if (revisions.length === 0) continue;
    const span = { start: new Date(revisions[0]!.at), end: new Date() };
    const [signals, userSignals, alerts] = await Promise.all([
      signalSeries(live.model, opts.prometheus, span),
      userSignalSeries(live.model, opts.prometheus, span),
      firedAlerts(live.model, opts.prometheus, span),
    ]);
    const analysis = analyse(live.model, revisions, signals, { userSignals, alerts });
    const rendered = renderReport(analysis);
    for (const [file, svg] of Object.entries(rendered.charts)) writeFileSync(join(dir, file), svg);
    const md = join(dir, `${live.model.namespace}-${live.model.name}.report.md`);
    writeFileSync(md, rendered.markdown);
    written.push(md);
  }
  return written;
}
