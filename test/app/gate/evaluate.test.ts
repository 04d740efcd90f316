import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIntent } from '../../../constructs/spec/index.js';
import type { RolloutModel } from '../../../constructs/model.js';
import { evaluateGate } from '../../../app/gate/evaluate.js';
import { PrometheusApi } from '../../../app/gate/prometheus-api.js';
import {
  backfill,
  backfillRecordingRules,
  freePort,
  startPrometheus,
  type RunningPrometheus,
} from '../../../tools/prometheus.js';
import { recordingRules } from '../../../constructs/alert-rules.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { HEALTHY_LATENCY, istioHistory, SLOW_LATENCY, type VersionTraffic } from './istio-history.js';

function model(name: string): RolloutModel {
  const result = parseIntent(
    'gate.yaml',
    `
apiVersion: stagegate.dev/v1alpha1
kind: Rollout
metadata: { name: NAME, namespace: shop }
spec:
  service: { host: NAME, port: 8080 }
  stable: v1
  canary: v2
  stages:
    - { name: one-percent, weight: 1, bake: 30m }
    - { name: ten-percent, weight: 10, bake: 1h }
    - { name: full, weight: 100 }
  stage: ten-percent
  health:
    errorRatio: { max: 0.01, maxVsStable: 2 }
    latencyP99Ms: { max: 300, maxVsStable: 1.5 }
  traffic: { requestsPerSecond: 400, baselineErrorRatio: 0.001 }
`.replaceAll('NAME', name),
  );
  if (!result.ok) throw new Error(result.problems.map((p) => p.message).join('\n'));
  return result.model;
}
const named = model;

// Two hours of history that ends at END; the gate is asked about END.
const HOUR = 3600;
const END = Math.floor(Date.now() / 1000 / 60) * 60 - 10 * 60;
const START = END - 2 * HOUR;
const at = new Date(END * 1000);
const liveSince = new Date((END - 90 * 60) * 1000);

const healthy = (version: string, rps: number, errorRatio = 0.001): VersionTraffic => ({
  version,
  rps: () => rps,
  errorRatio: () => errorRatio,
});

let prometheus: RunningPrometheus;
let tsdb: ReturnType<typeof backfill>;

beforeAll(async () => {
  const series = (service: string, versions: VersionTraffic[]) =>
    istioHistory({
      namespace: 'shop',
      service,
      versions,
      start: START,
      durationSeconds: 2 * HOUR,
      stepSeconds: 30,
    }).replace(/\n# EOF\n$/, '\n');
  const text = [
    // healthy: both versions at 0.1 % errors
    series('healthy', [healthy('v1', 360), healthy('v2', 40)]),
    // regression: canary at 10 % errors for the last 40 minutes
    series('regressed', [
      healthy('v1', 360),
      { version: 'v2', rps: () => 40, errorRatio: (t) => (t > 80 * 60 ? 0.1 : 0.001) },
    ]),
    // blip: canary 100 % errors for 40 s, 20 minutes ago
    series('blip', [
      healthy('v1', 360),
      { version: 'v2', rps: () => 40, errorRatio: (t) => (t >= 100 * 60 && t < 100 * 60 + 40 ? 1 : 0.001) },
    ]),
    // slow: canary p99 ≈ 900 ms for the last 40 minutes
    series('slow', [
      healthy('v1', 360),
      {
        version: 'v2',
        rps: () => 40,
        errorRatio: () => 0.001,
        latency: (t) => (t > 80 * 60 ? SLOW_LATENCY : HEALTHY_LATENCY),
      },
    ]),
    // thin: canary gets 0.02 requests per second
    series('thin', [healthy('v1', 400), healthy('v2', 0.02)]),
    // nodata: only stable exists
    series('nodata', [healthy('v1', 400)]),
  ];
  tsdb = backfill(
    `${text
      .join('')
      .replace(/# EOF\n/g, '')
      .split('\n')
      .reduce(mergeFamilies, new Families())
      .render()}# EOF\n`,
  );
  // The alerts read the rollout's recorded series: give the history those too, as Prometheus
  // would have recorded them. promtool evaluates each rule against the source data only, so
  // rules built on other recorded series go in a second pass, after a restart.
  const all = SERVICES.flatMap((s) => recordingRules(model(s)).map((rule) => ({ service: s, rule })));
  const passes = [
    all.filter((r) => !r.rule.expr.includes('stagegate:')),
    all.filter((r) => r.rule.expr.includes('stagegate:')),
  ];
  const ruleDir = mkdtempSync(join(tmpdir(), 'stagegate-gate-rules-'));
  try {
    for (const [i, rules] of passes.entries()) {
      const ruleFile = join(ruleDir, `pass-${i}.yaml`);
      writeFileSync(
        ruleFile,
        dump({ groups: [{ name: `recording-pass-${i}`, interval: '30s', rules: rules.map((r) => r.rule) }] }),
      );
      const source = await startPrometheus({ tsdbDir: tsdb.dir });
      try {
        backfillRecordingRules({
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
  } finally {
    rmSync(ruleDir, { recursive: true, force: true });
  }
  prometheus = await startPrometheus({ tsdbDir: tsdb.dir });
}, 180_000);

const SERVICES = ['healthy', 'regressed', 'blip', 'slow', 'thin', 'nodata'];

afterAll(async () => {
  await prometheus?.stop();
  tsdb?.remove();
});

/** The per-service documents each carry their own `# TYPE` lines; one family may appear only once. */
class Families {
  readonly lines = new Map<string, string[]>();
  current = '';
  render(): string {
    return [...this.lines].map(([type, lines]) => `${type}\n${lines.join('\n')}\n`).join('');
  }
}
function mergeFamilies(acc: Families, line: string): Families {
  if (line.startsWith('# TYPE')) {
    acc.current = line;
    if (!acc.lines.has(line)) acc.lines.set(line, []);
  } else if (line.trim() !== '') {
    acc.lines.get(acc.current)!.push(line);
  }
  return acc;
}

const gate = (name: string, url = prometheus.url) =>
  evaluateGate({ model: named(name), prometheus: new PrometheusApi(url, 5_000), now: at, liveSince });

describe('stagegate gate against a real Prometheus', () => {
  it('passes a healthy canary with enough traffic, with the evidence', async () => {
    const verdict = await gate('healthy');
    expect(verdict.kind).toBe('pass');
    expect(verdict.baking).toBe(false);
    expect(verdict.evidence?.canary.requests).toBeGreaterThan(200_000);
    expect(verdict.evidence?.canary.errorRatio).toBeCloseTo(0.001, 3);
    expect(verdict.evidence?.stable.errorRatio).toBeCloseTo(0.001, 3);
    expect(verdict.alerts.every((a) => a.state === 'inactive' && a.source === 'expression')).toBe(true);
  });

  it('fails a sustained 100× error regression and names the errors signal', async () => {
    const verdict = await gate('regressed');
    expect(verdict.kind).toBe('fail');
    expect(
      verdict.alerts.filter((a) => a.state === 'firing' && a.action === 'rollback').map((a) => a.signal),
    ).toContain('errors');
    expect(verdict.summary).toMatch(/^fail: errors: /);
  });

  it('does not fail a 40-second blip of 100 % errors', async () => {
    const verdict = await gate('blip');
    expect(verdict.kind).toBe('pass');
  });

  it('fails a sustained p99 latency regression', async () => {
    const verdict = await gate('slow');
    expect(verdict.kind).toBe('fail');
    expect(verdict.alerts.filter((a) => a.state === 'firing').map((a) => a.signal)).toContain('latency');
  });

  it('holds when the canary has too few requests to tell', async () => {
    const verdict = await gate('thin');
    expect(verdict.kind).toBe('hold');
    expect(verdict.alerts.some((a) => a.state === 'firing' && a.signal === 'traffic' && a.action === 'hold')).toBe(
      true,
    );
  });

  it('holds when there is no canary data at all, never passes', async () => {
    const verdict = await gate('nodata');
    expect(verdict.kind).toBe('hold');
    expect(verdict.evidence?.canary.requests).toBe(0);
    // The telemetry audit says why, with the fix, instead of a bare "no canary data".
    expect(verdict.reasons[0]).toMatch(
      /^telemetry: canary v2 emits no istio_requests_total with destination_version="v2" in the last \d+m, while stable v1 does: its pods likely run without an Istio sidecar/,
    );
  });

  it('holds when Prometheus is down', async () => {
    const port = await freePort();
    const verdict = await gate('healthy', `http://127.0.0.1:${port}`);
    expect(verdict.kind).toBe('hold');
    expect(verdict.summary).toBe(`hold: Prometheus at http://127.0.0.1:${port} is unreachable`);
  });

  it("holds, naming the fix, when the rollout's rules are not loaded in Prometheus", async () => {
    const other = model('unknown');
    const verdict = await evaluateGate({
      model: other,
      prometheus: new PrometheusApi(prometheus.url),
      now: at,
      liveSince,
    });
    expect(verdict.kind).toBe('hold');
    expect(verdict.reasons[0]).toBe(
      'the rules of shop/unknown are not loaded in Prometheus (no stagegate:istio_requests_by_code:rate5m series); apply the PrometheusRule in generated/unknown.k8s.yaml',
    );
    // The service has no series either: the telemetry audit says so beside it.
    expect(verdict.reasons.slice(1).map((r) => r.slice(0, r.indexOf(' in the last')))).toEqual([
      'telemetry: no istio_requests_total series with reporter="destination", destination_service_name="unknown", destination_service_namespace="shop"',
    ]);
  });

  it('says a healthy stage is still baking before its bake window ends', async () => {
    const verdict = await evaluateGate({
      model: named('healthy'),
      prometheus: new PrometheusApi(prometheus.url),
      now: at,
      liveSince: new Date(at.getTime() - 20 * 60_000),
    });
    expect(verdict.kind).toBe('pass');
    expect(verdict.baking).toBe(true);
    expect(verdict.summary).toContain('baked 20m of 60m');
    expect(verdict.evidence?.windowMs).toBe(20 * 60_000);
  });
});
