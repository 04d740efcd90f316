import { describe, expect, it } from 'vitest';
import type { RolloutModel } from '../../../constructs/model.js';
import { evaluateGate } from '../../../app/gate/evaluate.js';
import { PrometheusApi } from '../../../app/gate/prometheus-api.js';
import { backfillRecordingRules, freePort, startPrometheus } from '../../../tools/prometheus.js';
import { recordingRules } from '../../../constructs/alert-rules.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { gateModel, historyWindow, openMetricsOf, servePrometheus, steady } from './gate-fixtures.js';
import { HEALTHY_LATENCY, istioHistory, SLOW_LATENCY, type VersionTraffic } from './istio-history.js';

const model = (name: string): RolloutModel =>
  gateModel('gate.yaml', name, {
    stages: [
      '{ name: one-percent, weight: 1, bake: 30m }',
      '{ name: ten-percent, weight: 10, bake: 1h }',
      '{ name: full, weight: 100 }',
    ],
    stage: 'ten-percent',
  });
const named = model;

// Two hours of history that ends at END; the gate is asked about END.
const HOUR = 3600;
const { END, START, at } = historyWindow(2 * HOUR);
const liveSince = new Date((END - 90 * 60) * 1000);

const served = servePrometheus(
  () => {
    const series = (service: string, versions: VersionTraffic[]) =>
      istioHistory({
        namespace: 'shop',
        service,
        versions,
        start: START,
        durationSeconds: 2 * HOUR,
        stepSeconds: 30,
      });
    const text = [
      // healthy: both versions at 0.1 % errors
      series('healthy', [steady('v1', 360), steady('v2', 40)]),
      // regression: canary at 10 % errors for the last 40 minutes
      series('regressed', [
        steady('v1', 360),
        { version: 'v2', rps: () => 40, errorRatio: (t) => (t > 80 * 60 ? 0.1 : 0.001) },
      ]),
      // blip: canary 100 % errors for 40 s, 20 minutes ago
      series('blip', [
        steady('v1', 360),
        { version: 'v2', rps: () => 40, errorRatio: (t) => (t >= 100 * 60 && t < 100 * 60 + 40 ? 1 : 0.001) },
      ]),
      // slow: canary p99 ≈ 900 ms for the last 40 minutes
      series('slow', [
        steady('v1', 360),
        {
          version: 'v2',
          rps: () => 40,
          errorRatio: () => 0.001,
          latency: (t) => (t > 80 * 60 ? SLOW_LATENCY : HEALTHY_LATENCY),
        },
      ]),
      // thin: canary gets 0.02 requests per second
      series('thin', [steady('v1', 400), steady('v2', 0.02)]),
      // nodata: only stable exists
      series('nodata', [steady('v1', 400)]),
    ];
    return openMetricsOf(text.flatMap((doc) => doc.split('\n')));
  },
  {
    prepare: async (tsdb) => {
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
      } finally {
        rmSync(ruleDir, { recursive: true, force: true });
      }
    },
    timeoutMs: 180_000,
  },
);

const SERVICES = ['healthy', 'regressed', 'blip', 'slow', 'thin', 'nodata'];

const gate = (name: string, url = served.url) =>
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
      prometheus: new PrometheusApi(served.url),
      now: at,
      liveSince,
    });
    expect(verdict.kind).toBe('hold');
    expect(verdict.reasons[0]).toBe(
      'the rules of shop/unknown are not loaded in Prometheus (no stagegate:istio_requests:rate5m series); apply the PrometheusRule in generated/unknown.k8s.yaml',
    );
    // The service has no series either: the telemetry audit says so beside it.
    expect(verdict.reasons.slice(1).map((r) => r.slice(0, r.indexOf(' in the last')))).toEqual([
      'telemetry: no istio_requests_total series with reporter="destination", destination_service_name="unknown", destination_service_namespace="shop"',
    ]);
  });

  it('says a healthy stage is still baking before its bake window ends', async () => {
    const verdict = await evaluateGate({
      model: named('healthy'),
      prometheus: new PrometheusApi(served.url),
      now: at,
      liveSince: new Date(at.getTime() - 20 * 60_000),
    });
    expect(verdict.kind).toBe('pass');
    expect(verdict.baking).toBe(true);
    expect(verdict.summary).toContain('baked 20m of 60m');
    expect(verdict.evidence?.windowMs).toBe(20 * 60_000);
  });
});
