/**
 * The gate of a wave across clusters against a real Prometheus holding a Thanos/Mimir-style
 * global view: every series, raw and recorded, carries the `cluster` label its cluster's
 * Prometheus would add as an external label. eu-1 is healthy; us-1's canary regressed.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { dump } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordingRules } from '../../../constructs/alert-rules.js';
import { clusterModel } from '../../../constructs/clusters.js';
import type { RolloutModel } from '../../../constructs/model.js';
import { formatProblem, parseIntent } from '../../../constructs/spec/index.js';
import { PrometheusApi } from '../../../app/gate/prometheus-api.js';
import { combineVerdicts, evaluateWave, scopedPort, scopeQuery } from '../../../app/gate/waves.js';
import type { Verdict } from '../../../app/gate/evaluate.js';
import { redClustersOf } from '../../../app/gate/red-clusters.js';
import { healthCheckRun } from '../../../app/gate/check-run.js';
import {
  backfill,
  backfillRecordingRules,
  startPrometheus,
  type RunningPrometheus,
} from '../../../tools/prometheus.js';
import { istioHistory, type VersionTraffic } from './istio-history.js';
import { runCli } from '../../run-cli.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const FIXTURE = readFileSync(join(ROOT, 'test/fixtures/waves/storefront.yaml'), 'utf8');
const wave = (stage: string): RolloutModel => {
  const result = parseIntent('storefront.yaml', FIXTURE.replace('stage: eu-ten', `stage: ${stage}`));
  if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
  return result.model;
};

const HOUR = 3600;
const END = Math.floor(Date.now() / 1000 / 60) * 60 - 10 * 60;
const START = END - 2 * HOUR;
const at = new Date(END * 1000);
const liveSince = new Date((END - 90 * 60) * 1000);
const healthy = (version: string, rps: number): VersionTraffic => ({
  version,
  rps: () => rps,
  errorRatio: () => 0.001,
});
const HISTORY: Record<string, VersionTraffic[]> = {
  'eu-1': [healthy('v1', 360), healthy('v2', 40)],
  // canary at 10 % errors for the last 40 minutes
  'us-1': [healthy('v1', 360), { version: 'v2', rps: () => 40, errorRatio: (t) => (t > 80 * 60 ? 0.1 : 0.001) }],
};

let prometheus: RunningPrometheus;
let tsdb: ReturnType<typeof backfill>;
const scratch = mkdtempSync(join(tmpdir(), 'stagegate-waves-gate-'));

beforeAll(async () => {
  const families = new Map<string, string[]>();
  for (const [cluster, versions] of Object.entries(HISTORY)) {
    let type = '';
    const text = istioHistory({
      namespace: 'shop',
      service: 'storefront',
      versions,
      start: START,
      durationSeconds: 2 * HOUR,
      stepSeconds: 30,
    });
    for (const line of text.split('\n')) {
      if (line.startsWith('# TYPE')) type = line;
      else if (line !== '' && !line.startsWith('#'))
        families.set(type, [...(families.get(type) ?? []), line.replace('{', `{cluster="${cluster}",`)]);
    }
  }
  tsdb = backfill(`${[...families].map(([type, lines]) => `${type}\n${lines.join('\n')}\n`).join('')}# EOF\n`);
  // Each cluster's Prometheus records its own rules and the global view sees them with its
  // cluster label: the same rules, scoped to the cluster, with that label added.
  const rules = Object.keys(HISTORY).flatMap((cluster) =>
    recordingRules(clusterModel(wave('ten-percent'), cluster)).map((r) => ({
      ...r,
      expr: scopeQuery(r.expr, 'cluster', cluster),
      labels: { ...r.labels, cluster },
    })),
  );
  const passes = [
    rules.filter((r) => !r.expr.includes('stagegate:')),
    rules.filter((r) => r.expr.includes('stagegate:')),
  ];
  for (const [i, pass] of passes.entries()) {
    const ruleFile = join(scratch, `pass-${i}.yaml`);
    writeFileSync(ruleFile, dump({ groups: [{ name: `recording-pass-${i}`, interval: '30s', rules: pass }] }));
    const source = await startPrometheus({ tsdbDir: tsdb.dir });
    try {
      await backfillRecordingRules({
        url: source.url,
        ruleFile,
        start: new Date(START * 1000),
        end: at,
        tsdbDir: tsdb.dir,
      });
    } finally {
      await source.stop();
    }
  }
  prometheus = await startPrometheus({ tsdbDir: tsdb.dir });
}, 240_000);

afterAll(async () => {
  await prometheus?.stop();
  tsdb?.remove();
  rmSync(scratch, { recursive: true, force: true });
});

const globalView = () => ({ global: new PrometheusApi(prometheus.url, 5_000), clusterLabel: 'cluster' });

async function cli(argv: string[], cwd: string) {
  return runCli(argv, cwd, { PATH: '' });
}

describe('scopeQuery', () => {
  it('adds the cluster matcher to every vector selector, with or without matchers', () => {
    expect(scopeQuery('sum(rate(a{x="1"}[5m])) / on() group_left b + c{} > bool 0', 'cluster', 'eu-1')).toBe(
      'sum(rate(a{cluster="eu-1", x="1"}[5m])) / on() group_left b{cluster="eu-1"} + c{cluster="eu-1"} > bool 0',
    );
  });
});

describe('the gate of a wave, one global view with a cluster label (real Prometheus)', () => {
  it('fails the wave when one reached cluster regressed, and names that cluster first', async () => {
    const verdict = await evaluateWave({ wave: wave('ten-percent'), source: globalView(), now: at, liveSince });
    expect(verdict.clusters.map((c) => [c.cluster, c.verdict.kind])).toEqual([
      ['us-1', 'fail'],
      ['eu-1', 'pass'],
    ]);
    expect(verdict.kind).toBe('fail');
    expect(verdict.reasons[0]).toMatch(/^us-1: errors: /);
    expect(verdict.summary).toMatch(/^fail \(us-1 fail, eu-1 pass\): us-1: errors: /);
    // The stagegate/health check run the bot reads names the red cluster in its title, in the
    // form the bot reads back (red-clusters.ts) to roll back that cluster alone.
    expect(healthCheckRun(verdict)).toMatchObject({ status: 'completed', conclusion: 'failure' });
    expect(healthCheckRun(verdict).title).toMatch(/^fail: us-1: errors: /);
    expect(redClustersOf(healthCheckRun(verdict).title)).toEqual(['us-1']);
  });

  it('leaves a cluster rolled back alone out of the wave: eu-1 alone is judged and passes', async () => {
    const text = FIXTURE.replace('stage: eu-ten', 'stage: ten-percent').replace(
      '  stages:',
      '  onClusterFailure: cluster\n  abort: { reason: us-1 red, at: "2026-12-02T10:00:00Z", clusters: [us-1] }\n  stages:',
    );
    const result = parseIntent('storefront.yaml', text);
    if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
    const verdict = await evaluateWave({ wave: result.model, source: globalView(), now: at, liveSince });
    expect(verdict.clusters.map((c) => [c.cluster, c.verdict.kind])).toEqual([['eu-1', 'pass']]);
    expect(verdict.kind).toBe('pass');
  });

  it('judges only the clusters the live stage reaches: eu-1 alone passes', async () => {
    const verdict = await evaluateWave({ wave: wave('eu-ten'), source: globalView(), now: at, liveSince });
    expect(verdict.clusters.map((c) => [c.cluster, c.verdict.kind])).toEqual([['eu-1', 'pass']]);
    expect(verdict.kind).toBe('pass');
    expect(verdict.evidence?.canary.requests).toBeGreaterThan(200_000);
  });

  it('judges each cluster on its own Prometheus the same way (per-cluster mode)', async () => {
    const api = new PrometheusApi(prometheus.url, 5_000);
    // Each cluster's "own" Prometheus is the global view seen through that cluster's label.
    const perCluster = new Map(['eu-1', 'us-1'].map((c) => [c, scopedPort(api, 'cluster', c)]));
    const verdict = await evaluateWave({ wave: wave('ten-percent'), source: { perCluster }, now: at, liveSince });
    expect(verdict.clusters.map((c) => [c.cluster, c.verdict.kind])).toEqual([
      ['us-1', 'fail'],
      ['eu-1', 'pass'],
    ]);
  });

  it('stagegate gate: exit 1 with one line per cluster; a wave without a URL for a reached cluster is exit 4', async () => {
    const dir = join(scratch, 'repo');
    mkdirSync(join(dir, 'rollouts'), { recursive: true });
    writeFileSync(join(dir, 'rollouts/storefront.yaml'), FIXTURE.replace('stage: eu-ten', 'stage: ten-percent'));
    const times = ['--at', at.toISOString(), '--live-since', liveSince.toISOString()];
    const run = await cli(['gate', 'storefront', '--prometheus', prometheus.url, ...times], dir);
    expect(run.code).toBe(1);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(/^shop\/storefront: fail \(us-1 fail, eu-1 pass\): us-1: errors: /);
    expect(lines[1]).toMatch(/^ {2}us-1: fail: errors: /);
    expect(lines[2]).toMatch(/^ {2}eu-1: pass: /);
    const partial = await cli(['gate', 'storefront', '--prometheus', `eu-1=${prometheus.url}`, ...times], dir);
    expect(partial.code).toBe(4);
    expect(partial.stderr).toContain(
      'shop/storefront reaches us-1 at stage "ten-percent" but --prometheus names no URL for it; add --prometheus us-1=URL',
    );
  });
});

describe('combineVerdicts', () => {
  const v = (kind: Verdict['kind'], baking = false): Verdict => ({
    rollout: 'shop/storefront',
    kind,
    summary: `${kind}: r`,
    reasons: [`${kind} reason`],
    alerts: [],
    baking,
    at: at.toISOString(),
  });
  const combine = (...kinds: [string, Verdict][]) =>
    combineVerdicts(
      wave('ten-percent'),
      at,
      kinds.map(([cluster, verdict]) => ({ cluster, verdict })),
    );
  it.each([
    ['pass', 'pass', 'pass'],
    ['pass', 'hold', 'hold'],
    ['hold', 'fail', 'fail'],
    ['fail', 'pass', 'fail'],
  ] as const)('eu-1 %s and us-1 %s make %s', (eu, us, expected) => {
    expect(combine(['eu-1', v(eu)], ['us-1', v(us)]).kind).toBe(expected);
  });
  it('bakes while any cluster bakes; no reached cluster is a hold, never a pass', () => {
    const baking = combine(['eu-1', v('pass')], ['us-1', v('pass', true)]);
    expect([baking.kind, baking.baking]).toEqual(['pass', true]);
    expect(combine().reasons).toEqual(['no cluster is reached by the live stage']);
    expect(combine().kind).toBe('hold');
    expect(combine(['eu-1', v('pass')], ['us-1', v('hold')]).reasons).toEqual([
      'us-1: hold reason',
      'eu-1: pass reason',
    ]);
  });
  it('titles a red wave with every red cluster, in the form the bot reads back to roll those back', () => {
    const both = healthCheckRun(combine(['eu-1', v('fail')], ['us-1', v('fail')]));
    expect(both.title).toBe('fail: eu-1, us-1: fail reason');
    expect(redClustersOf(both.title)).toEqual(['eu-1', 'us-1']);
    expect(redClustersOf(healthCheckRun(combine(['eu-1', v('pass')], ['us-1', v('fail')])).title)).toEqual(['us-1']);
    // Text of another form names no cluster: the bot rolls back the whole rollout then.
    expect(redClustersOf('stagegate/health: failure')).toBeUndefined();
    expect(redClustersOf(undefined)).toBeUndefined();
  });
});
