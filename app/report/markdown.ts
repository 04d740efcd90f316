/**
 * The report as Markdown beside one SVG per signal (svg.ts). Every threshold it proposes is
 * labelled a suggestion: the intent's limits change only through a reviewed PR.
 */
import { formatDuration } from '../../constructs/duration.js';
import { SIGNALS, SIGNAL_TITLES, type RolloutAnalysis, type Signal } from './model.js';
import { markdownText } from '../bot/text.js';
import { lineChart } from './svg.js';

export interface RenderedReport {
  readonly markdown: string;
  /** File name → SVG text, referenced from the Markdown. */
  readonly charts: Readonly<Record<string, string>>;
}

const pct = (x: number) => `${(x * 100).toFixed(x < 0.001 && x > 0 ? 3 : 2)} %`;
const ms = (x: number) => `${Math.round(x)} ms`;
const dur = (x: number) => formatDuration(Math.max(0, Math.round(x / 1000) * 1000));
const FORMAT: Record<Signal, (v: number) => string> = {
  requests: (v) => `${v.toFixed(v < 10 ? 1 : 0)}/s`,
  errorRatio: pct,
  p99Ms: ms,
};

export function chartFile(rollout: string, signal: Signal | `user-${string}`): string {
  return `${rollout.replace('/', '-')}-${signal}.svg`;
}

const num = (v: number) => String(Number(v.toPrecision(4)));

/**
 * How a chart appears in the Markdown. A file beside the report is linked as an image; a PR
 * comment cannot embed it (the SVG has no URL GitHub could fetch), so `--post` names the file
 * instead (report.ts `postedChart`).
 */
export type ChartLine = (file: string, title: string) => string;
const imageLine: ChartLine = (file, title) => `![${title}](${file})`;

export function renderReport(a: RolloutAnalysis, chartLine: ChartLine = imageLine): RenderedReport {
  const marks = a.stages.map((s) => [Date.parse(s.startedAt) / 1000, s.stage] as const);
  if (a.abortedAt) marks.push([Date.parse(a.abortedAt) / 1000, 'rollback'] as const);
  const charts: Record<string, string> = {};
  for (const signal of SIGNALS)
    charts[chartFile(a.rollout, signal)] = lineChart({
      title: `${a.rollout}: ${SIGNAL_TITLES[signal]}`,
      ...a.signals[signal],
      marks,
      format: FORMAT[signal],
    });
  for (const u of a.userSignals)
    charts[chartFile(a.rollout, `user-${u.name}`)] = lineChart({
      title: `${a.rollout}: user:${u.name}`,
      stable: u.stable,
      canary: u.canary,
      marks,
      format: num,
    });
  const lines = [`# Rollout report: ${a.rollout}`, '', `Status: **${a.status}**.`, ''];
  const caught = a.stages.filter((s) => s.caught);
  lines.push(
    caught.length > 0
      ? caught.map((s) => `Stage **${s.stage}** (${s.weight} %) caught: ${s.caught}.`).join('\n')
      : 'No stage caught a regression.',
    '',
    '## Stages',
    '',
    '| stage | weight | live from | by | took | bake | timebox | outcome |',
    '| --- | ---: | --- | --- | --- | --- | --- | --- |',
  );
  for (const s of a.stages) {
    const took = s.durationMs === undefined ? '—' : dur(s.durationMs);
    const over = s.durationMs !== undefined && s.durationMs > s.timeboxMs ? ' (over timebox)' : '';
    const bake = s.bakeMs === undefined ? '—' : dur(s.bakeMs);
    lines.push(
      `| ${s.stage} | ${s.weight} % | ${s.startedAt} | ${s.by} | ${took}${over} | ${bake} | ${dur(s.timeboxMs)} | ${s.outcome}${s.caught ? `: ${s.caught}` : ''} (${s.commit.slice(0, 7)}) |`,
    );
  }
  lines.push('', '## Signals', '');
  for (const signal of SIGNALS) {
    const peak = (role: 'stable' | 'canary') => {
      const p = a.signals[signal][role];
      return p.length ? FORMAT[signal](Math.max(...p.map(([, v]) => v))) : 'no data';
    };
    lines.push(
      `### ${SIGNAL_TITLES[signal]}`,
      '',
      chartLine(chartFile(a.rollout, signal), SIGNAL_TITLES[signal]),
      '',
      `Peak: stable ${peak('stable')}, canary ${peak('canary')}.`,
      '',
    );
  }
  for (const u of a.userSignals) {
    const peak = (p: typeof u.stable) => (p.length ? num(Math.max(...p.map(([, v]) => v))) : 'no data');
    lines.push(
      `### user:${u.name}`,
      '',
      chartLine(chartFile(a.rollout, `user-${u.name}`), `user:${u.name}`),
      '',
      `Peak: stable ${peak(u.stable)}, canary ${peak(u.canary)}.`,
      '',
    );
  }
  lines.push('## Alerts that fired', '');
  if (a.alerts.length === 0) lines.push('No alert of this rollout fired (Prometheus ALERTS over the rollout).', '');
  else {
    lines.push('| alert | signal | action | first firing | last firing |', '| --- | --- | --- | --- | --- |');
    for (const x of a.alerts)
      lines.push(`| ${x.alert} | ${markdownText(x.signal)} | ${x.action} | ${x.firstAt} | ${x.lastAt} |`);
    lines.push('');
  }
  if (a.verdicts) {
    lines.push('## Gate verdicts (stagegate/health)', '');
    if (a.verdicts.length === 0) lines.push('No stagegate/health run on the rollout’s PRs.', '');
    else {
      lines.push('| PR | verdict | at | summary |', '| ---: | --- | --- | --- |');
      for (const v of a.verdicts)
        lines.push(`| #${v.pr} | ${v.conclusion} | ${v.at} | ${markdownText(v.summary, 300)} |`);
      lines.push('');
    }
  }
  lines.push(
    '## Thresholds (suggestions only)',
    '',
    '| signal | stable peak | configured max | room | suggested max |',
    '| --- | ---: | ---: | ---: | ---: |',
  );
  for (const s of a.suggestions) {
    const f = FORMAT[s.signal];
    lines.push(
      `| ${SIGNAL_TITLES[s.signal]} | ${s.stableMax === undefined ? 'no data' : f(s.stableMax)} | ${f(s.configuredMax)} | ${s.room === undefined ? '—' : `${s.room.toFixed(1)}×`} | ${s.suggestedMax === undefined ? '—' : `${f(s.suggestedMax)} (suggestion)`} |`,
    );
  }
  lines.push(
    '',
    'Suggested max = twice the highest value stable showed during this rollout, rounded up; a suggestion to review, not applied.',
    '',
  );
  return { markdown: lines.join('\n'), charts };
}
