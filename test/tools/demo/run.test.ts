/**
 * The whole demo, in-process, as `npm run demo` runs it (real Prometheus, emulated GitHub, the
 * bot's reconcile passes, the gate as CI): about 75 s of real time, because Prometheus scrapes
 * and evaluates on its own clock. One run; every test below reads its summary.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, type Io } from '../../../app/cli/main.js';
import type { DemoSummary, RolloutSummary } from '../../../tools/demo/report.js';

let out: string;
let summary: DemoSummary;
let code: number;
let progress: string;

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'stagegate-demo-test-'));
  let stdout = '';
  let stderr = '';
  const io: Io = {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    cwd: out,
    env: process.env,
  };
  code = await main(['demo', '--json', '--out', join(out, 'svg'), '--tick', '2s'], io);
  progress = stderr;
  summary = JSON.parse(stdout) as DemoSummary;
}, 300_000);

afterAll(() => rmSync(out, { recursive: true, force: true }));

const rollout = (name: string): RolloutSummary => summary.rollouts.find((r) => r.name === name)!;

describe('stagegate demo', () => {
  it('exits 0 with no problems', () => {
    expect({ code, problems: summary.problems }).toEqual({ code: 0, problems: [] });
    expect(summary.seconds).toBeLessThan(300);
  });

  it('posts a notification for every promotion of storefront and for the rollback of payments-api', () => {
    const n = summary.notifications;
    expect(n.filter((x) => x === 'storefront: promoted')).toHaveLength(rollout('storefront').stagesReached.length - 1);
    expect(n.indexOf('payments-api: rollback-opened')).toBeGreaterThanOrEqual(0);
    expect(n.indexOf('payments-api: rollback-opened')).toBeLessThan(n.indexOf('payments-api: rolled-back'));
    expect(progress).toMatch(/\] storefront: notify: [a-z-]+\/storefront: promoted to full \(#\d+ merged\)/);
  });

  it('promotes storefront from its shadow stage through every stage to full, one merged PR per stage', () => {
    const s = rollout('storefront');
    expect(s.finalStage).toBe('full');
    expect(s.aborted).toBe(false);
    expect(s.stagesReached.map((x) => x.stage)).toEqual(['shadow', 'cohort', 'ten-percent', 'half', 'full']);
    const merged = s.pulls.filter((p) => p.merged);
    // The shadow stage (mirrored requests only, judged healthy) is promoted like any other.
    expect(merged.map((p) => p.title)).toEqual([
      'stagegate: storefront → cohort (cohort x-stagegate-cohort)',
      'stagegate: storefront → ten-percent (10 %)',
      'stagegate: storefront → half (50 %)',
      'stagegate: storefront → full (100 %)',
    ]);
    expect(s.stagesReached.slice(1).map((x) => x.pr)).toEqual(merged.map((p) => p.number));
    expect(s.finalWeights).toEqual({ stable: 0, canary: 100 });
  });

  it('rolls payments-api back with a merged rollback PR after a red health verdict', () => {
    const p = rollout('payments-api');
    expect(p.aborted).toBe(true);
    expect(p.finalStage).toBe('quarter');
    const rollbackPr = p.pulls.find((x) => x.kind === 'rollback')!;
    expect(rollbackPr).toMatchObject({
      state: 'closed',
      merged: true,
      title: 'stagegate: roll back payments-api (100 % v41)',
    });
    // The stage PR that was open when the gate went red is closed unmerged.
    expect(p.pulls.filter((x) => x.kind === 'stage' && !x.merged && x.state === 'closed').length).toBe(1);
    expect(p.verdicts.some((v) => v.kind === 'fail' && v.stage === 'quarter')).toBe(true);
    expect(p.rollback!.pr).toBe(rollbackPr.number);
    expect(p.rollback!.abortReason).toMatch(/^stagegate\/health failed on #\d+ during quarter: fail: errors: /);
    expect(p.rollback!.secondsToRollback).toBeGreaterThan(0);
    expect(p.rollback!.secondsToRollback).toBeLessThan(15);
  });

  it('leaves a VirtualService on main that sends 100 % to stable after the rollback', () => {
    expect(rollout('payments-api').finalWeights).toEqual({ stable: 100, canary: 0 });
  });

  it('writes the timeline SVG with the rollback marked', () => {
    expect(summary.timeline).toBe(join(out, 'svg', 'timeline.svg'));
    const svg = readFileSync(summary.timeline, 'utf8');
    expect(svg).toContain('data-rollout="payments-api"');
    expect(svg).toContain('class="event rollback"');
    expect(svg).toContain('class="canaryErrorRatio"');
  });

  it('writes the post-release report of both rollouts, naming the stage that caught the regression', () => {
    const reports = join(out, 'svg', 'reports');
    expect(progress).toContain(`report: ${join(reports, 'payments-payments-api.report.md')}`);
    const payments = readFileSync(join(reports, 'payments-payments-api.report.md'), 'utf8');
    expect(payments).toContain('Status: **aborted**.');
    expect(payments).toMatch(/^Stage \*\*\w[-\w]*\*\* \(\d+ %\) caught: stagegate\/health failed on #\d+/m);
    const storefront = readFileSync(join(reports, 'shop-storefront.report.md'), 'utf8');
    expect(storefront).toContain('Status: **finished**.');
    expect(storefront).toContain('No stage caught a regression.');
    // The alerts that fired, from Prometheus' ALERTS: the regression's and the drill's own.
    expect(payments).toMatch(/^\| StagegateCanaryErrorRatio \| errors \| rollback \| /m);
    expect(storefront).not.toMatch(/^\| \w+ \| [\w:]+ \| rollback \| /m);
    const search = readFileSync(join(reports, 'search-staging-search.report.md'), 'utf8');
    expect(search).toMatch(/^\| StagegateDrillFaultInjected \| drill:fault \| rollback \| /m);
    for (const signal of ['requests', 'errorRatio', 'p99Ms'])
      expect(readFileSync(join(reports, `payments-payments-api-${signal}.svg`), 'utf8')).toContain('<polyline ');
  });

  it('runs one drill on the staged search rollout that ends in a measured rollback, recorded in the ledger', () => {
    const [drill] = summary.drills ?? [];
    expect([drill?.rollout, drill?.outcome]).toEqual(['search-staging/search', 'rolled-back']);
    expect(drill!.toFirstRedMs).toBeGreaterThan(0);
    expect(drill!.toRollbackMergedMs).toBeGreaterThan(drill!.toFirstRedMs!);
    expect(drill!.toStableMs).toBe(drill!.toRollbackMergedMs);
    const search = rollout('search');
    expect(search.aborted).toBe(true);
    expect(search.finalWeights).toEqual({ stable: 100, canary: 0 });
    expect(search.rollback!.abortReason).toContain('drill:fault: search-staging/search: drill: the injected abort');
    expect(drill!.ledger).toEqual([
      `- drill #${drill!.drillPr}: fault live ${drill!.faultLiveAt} at cohort`,
      expect.stringMatching(
        /^- drill: first red \d+s, rollback merged \d+s, 100 % stable \d+s \(this commit\) after the fault went live; plan: the drill alert fires within 8s = 2 scrapes 2s \+ evaluation 1s \+ for 5s, red at the gate's next run$/,
      ),
    ]);
    // Predicted (the drill alert's own rule, constructs/drill-alert.ts) beside measured: no red before its `for`.
    expect(drill!.predictedFiringMs).toBe(8000);
    expect(drill!.toFirstRedMs).toBeGreaterThanOrEqual(5000);
    expect(progress).toMatch(/\[\s*\d+s\] search: reviewer merged drill #\d+: the fault is live on the cohort route/);
  });

  it('prints a progress line per step', () => {
    expect(progress).toMatch(/\[\s*\d+s\] storefront: merged #\d+ → ten-percent \(10 % \+ cohort\)/);
    expect(progress).toMatch(
      /\[\s*\d+s\] payments-api: health FAIL errors \d+\.\d % vs \d+\.\d %.*→ rollback PR #\d+ merged in \d+\.\d s/,
    );
  });

  it('stops prometheus and removes its temporary directories', () => {
    expect(summary.cleanup.prometheusExited).toBe(true);
    expect(summary.cleanup.tempDirsRemoved).toBe(true);
    expect(() => process.kill(summary.cleanup.prometheusPid!, 0)).toThrow(/ESRCH/);
    expect(existsSync(join(out, 'svg'))).toBe(true);
  });
});
