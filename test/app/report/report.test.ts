import { describe, expect, it } from 'vitest';
import { renderReport } from '../../../app/report/markdown.js';
import type { ReportExtras } from '../../../app/report/extras.js';
import { analyse, roundUp2, stageRecords, type IntentRevision, type Points } from '../../../app/report/model.js';
import { parseIntent } from '../../../constructs/spec/index.js';

const parsed = parseIntent(
  'payments.yaml',
  `
apiVersion: stagegate.dev/v1alpha1
kind: Rollout
metadata: { name: payments-api, namespace: payments }
spec:
  service: { host: payments-api, port: 8080 }
  stable: v1
  canary: v2
  stages:
    - { name: one-percent, weight: 1, bake: 10m }
    - { name: ten-percent, weight: 10, bake: 20m }
    - { name: full, weight: 100 }
  stage: one-percent
  health:
    errorRatio: { max: 0.02, maxVsStable: 2 }
    latencyP99Ms: { max: 400, maxVsStable: 1.5 }
  timebox: { stage: 30m, rollout: 2h }
`,
);
if (!parsed.ok) throw new Error(parsed.problems.map((p) => p.message).join('\n'));
const model = parsed.model;

const T0 = Date.parse('2026-12-02T10:00:00Z') / 1000;
const iso = (s: number) => new Date((T0 + s) * 1000).toISOString();
const revisions: IntentRevision[] = [
  { sha: 'a'.repeat(40), author: 'ada', at: iso(0), subject: 'start', stage: 'one-percent' },
  { sha: 'b'.repeat(40), author: 'stagegate[bot]', at: iso(720), subject: 'ten', stage: 'ten-percent' },
  {
    sha: 'c'.repeat(40),
    author: 'stagegate[bot]',
    at: iso(1500),
    subject: 'rollback',
    stage: 'ten-percent',
    abort: { reason: 'errors: 25.00 % vs 0.10 %' },
  },
];
// Every minute for 30 minutes: the canary regresses at 20 minutes.
const minutes = Array.from({ length: 31 }, (_, i) => i);
const line = (f: (m: number) => number): Points => minutes.map((m) => [T0 + m * 60, f(m)] as const);
const signals = {
  requests: { stable: line((m) => (m < 12 ? 99 : 90)), canary: line((m) => (m < 12 ? 1 : m < 25 ? 10 : 0)) },
  errorRatio: { stable: line(() => 0.001), canary: line((m) => (m >= 20 && m < 25 ? 0.25 : 0.001)) },
  p99Ms: { stable: line((m) => 80 + (m % 3) * 5), canary: line(() => 95) },
};

const extras: ReportExtras = {
  userSignals: [{ name: 'queue-depth', stable: line(() => 3), canary: line((m) => (m >= 20 ? 40 : 4)) }],
  alerts: [
    {
      alert: 'StagegateCanaryErrorRatio',
      signal: 'errors',
      action: 'rollback',
      firstAt: iso(1380),
      lastAt: iso(1500),
    },
  ],
  verdicts: [
    { pr: 2, conclusion: 'success', at: iso(690), summary: 'pass: 600 canary requests' },
    { pr: 3, conclusion: 'failure', at: iso(1440), summary: 'fail: errors | canary 25 % @team' },
  ],
};

describe('stagegate report rendering', () => {
  const analysis = analyse(model, revisions, signals, extras);

  it('says which stage caught what and how long each stage took', () => {
    expect(analysis.status).toBe('aborted');
    expect(analysis.stages.map((s) => [s.stage, s.outcome, s.durationMs, s.caught])).toEqual([
      ['one-percent', 'promoted', 720_000, undefined],
      ['ten-percent', 'rolled back', 780_000, 'errors: 25.00 % vs 0.10 %'],
    ]);
  });

  it('suggests thresholds from the stable peak, marked as suggestions', () => {
    expect(analysis.suggestions).toEqual([
      { signal: 'errorRatio', stableMax: 0.001, configuredMax: 0.02, suggestedMax: 0.002, room: 20 },
      { signal: 'p99Ms', stableMax: 90, configuredMax: 400, suggestedMax: 180, room: 400 / 90 },
    ]);
    expect(roundUp2(0.00731)).toBe(0.0074);
    expect(roundUp2(187)).toBe(190);
  });

  it('renders the golden Markdown and SVG charts', async () => {
    const rendered = renderReport(analysis);
    await expect(rendered.markdown).toMatchFileSnapshot('../../fixtures/report/payments-api.report.md');
    expect(Object.keys(rendered.charts)).toEqual([
      'payments-payments-api-requests.svg',
      'payments-payments-api-errorRatio.svg',
      'payments-payments-api-p99Ms.svg',
      'payments-payments-api-user-queue-depth.svg',
    ]);
    for (const [name, svg] of Object.entries(rendered.charts))
      await expect(svg).toMatchFileSnapshot(`../../fixtures/report/${name}`);
  });

  it('lists every user-defined signal, the alerts that fired and the gate verdicts, escaping outside text', () => {
    const md = renderReport(analysis).markdown;
    expect(md).toContain(
      '### user:queue-depth\n\n![user:queue-depth](payments-payments-api-user-queue-depth.svg)\n\nPeak: stable 3, canary 40.',
    );
    expect(md).toContain(`| StagegateCanaryErrorRatio | errors | rollback | ${iso(1380)} | ${iso(1500)} |`);
    expect(md).toContain(`| #3 | failure | ${iso(1440)} | fail: errors \\| canary 25 % @\u200bteam |`);
    expect(renderReport(analyse(model, revisions, signals)).markdown).toContain(
      'No alert of this rollout fired (Prometheus ALERTS over the rollout).',
    );
    expect(renderReport(analyse(model, revisions, signals)).markdown).not.toContain('## Gate verdicts');
  });

  it('keeps a stage that was committed twice as one stage, and a live last stage as final', () => {
    const same = [
      revisions[0]!,
      { ...revisions[0]!, sha: 'd'.repeat(40), at: iso(60) },
      { ...revisions[1]!, stage: 'full' },
    ];
    expect(stageRecords(model, same).map((s) => [s.stage, s.outcome, s.startedAt])).toEqual([
      ['one-percent', 'promoted', iso(0)],
      ['full', 'final', iso(720)],
    ]);
  });
});
