import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RolloutAnalysis } from '../../../app/report/model.js';
import { backfill, startPrometheus, type RunningPrometheus } from '../../../tools/prometheus.js';
import { istioHistory } from '../gate/istio-history.js';
import { runCli } from '../../run-cli.js';

const INTENT = (stage: string, abort = '') => `apiVersion: stagegate.dev/v1alpha1
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
  stage: ${stage}
${abort}`;

// History: 60 minutes, ending 10 minutes ago; ten-percent from minute 20, rollback at minute 45.
const END = Math.floor(Date.now() / 1000 / 60) * 60 - 10 * 60;
const START = END - 3600;
let repo: string;
let prometheus: RunningPrometheus;
let tsdb: ReturnType<typeof backfill>;

function commit(at: number, author: string, text: string, message: string) {
  writeFileSync(join(repo, 'rollouts/payments-api.yaml'), text);
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: author,
    GIT_AUTHOR_EMAIL: `${author}@example.com`,
    GIT_COMMITTER_NAME: author,
    GIT_COMMITTER_EMAIL: `${author}@example.com`,
    GIT_AUTHOR_DATE: `@${at} +0000`,
    GIT_COMMITTER_DATE: `@${at} +0000`,
  };
  for (const args of [
    ['add', '-A'],
    ['commit', '-qm', message],
  ]) {
    const run = spawnSync('git', args, { cwd: repo, env, encoding: 'utf8' });
    if (run.status !== 0) throw new Error(run.stderr);
  }
}

beforeAll(async () => {
  repo = mkdtempSync(join(tmpdir(), 'stagegate-report-'));
  mkdirSync(join(repo, 'rollouts'));
  spawnSync('git', ['init', '-q', '-b', 'main'], { cwd: repo });
  commit(START, 'ada', INTENT('one-percent'), 'payments-api: start at one-percent');
  commit(START + 20 * 60, 'stagegate[bot]', INTENT('ten-percent'), 'payments-api: ten-percent');
  commit(
    START + 45 * 60,
    'stagegate[bot]',
    INTENT('ten-percent', '  abort: { reason: "errors: 25.00 % vs 0.10 %", at: "2026-12-02T10:00:00.000Z" }\n'),
    'payments-api: roll back',
  );
  const canaryShare = (t: number) => (t < 20 * 60 ? 0.01 : t < 45 * 60 ? 0.1 : 0);
  tsdb = backfill(
    istioHistory({
      namespace: 'payments',
      service: 'payments-api',
      versions: [
        { version: 'v1', rps: (t) => 100 * (1 - canaryShare(t)), errorRatio: () => 0.001 },
        { version: 'v2', rps: (t) => 100 * canaryShare(t), errorRatio: (t) => (t >= 35 * 60 ? 0.25 : 0.001) },
      ],
      start: START,
      durationSeconds: 3600,
      stepSeconds: 15,
    }),
  );
  prometheus = await startPrometheus({ tsdbDir: tsdb.dir });
}, 120_000);

afterAll(async () => {
  await prometheus?.stop();
  tsdb?.remove();
  rmSync(repo, { recursive: true, force: true });
});

async function run(argv: string[]) {
  return runCli(argv, repo, {});
}

describe('stagegate report (command)', () => {
  it('reads the stages from git log and the signals from Prometheus (--json)', async () => {
    const result = await run(['report', 'payments-api', '--prometheus', prometheus.url, '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const a = JSON.parse(result.stdout) as RolloutAnalysis;
    expect([a.rollout, a.status]).toEqual(['payments/payments-api', 'aborted']);
    expect(a.stages.map((s) => [s.stage, s.by, s.durationMs, s.outcome, s.caught])).toEqual([
      ['one-percent', 'ada', 20 * 60_000, 'promoted', undefined],
      ['ten-percent', 'stagegate[bot]', 25 * 60_000, 'rolled back', 'errors: 25.00 % vs 0.10 %'],
    ]);
    const peak = (p: ReadonlyArray<readonly [number, number]>) => Math.max(...p.map(([, v]) => v));
    expect(peak(a.signals.errorRatio.canary)).toBeCloseTo(0.25, 2);
    expect(peak(a.signals.errorRatio.stable)).toBeCloseTo(0.001, 3);
    expect(peak(a.signals.requests.stable)).toBeGreaterThan(95);
    expect(peak(a.signals.p99Ms.stable)).toBeGreaterThan(50);
    // Stable's peak is ≈ 0.1 % (counts are rounded per scrape), so the suggestion is ≈ 0.2 %.
    const [errors] = a.suggestions;
    expect([errors!.signal, errors!.configuredMax]).toEqual(['errorRatio', 0.01]);
    expect(errors!.suggestedMax).toBeGreaterThanOrEqual(0.002);
    expect(errors!.suggestedMax).toBeLessThan(0.003);
  });

  it('writes the Markdown and one SVG per signal with --out', async () => {
    const result = await run(['report', 'payments-api', '--prometheus', prometheus.url, '--out', 'reports']);
    expect(result.stdout).toBe('reports/payments-payments-api.report.md\n');
    const md = readFileSync(join(repo, 'reports/payments-payments-api.report.md'), 'utf8');
    expect(md).toContain('Stage **ten-percent** (10 %) caught: errors: 25.00 % vs 0.10 %.');
    for (const s of ['requests', 'errorRatio', 'p99Ms'])
      expect(readFileSync(join(repo, `reports/payments-payments-api-${s}.svg`), 'utf8')).toMatch(
        /^<svg [\s\S]*<polyline [\s\S]*<polyline [\s\S]*<\/svg>\n$/,
      );
  });
});
