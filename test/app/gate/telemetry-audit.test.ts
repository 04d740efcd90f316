import { describe, expect, it } from 'vitest';
import type { RolloutModel } from '../../../constructs/model.js';
import { decide, evaluateGate, type Evidence } from '../../../app/gate/evaluate.js';
import { PrometheusApi } from '../../../app/gate/prometheus-api.js';
import { auditTelemetry } from '../../../app/gate/telemetry-audit.js';
import { gateModel, historyWindow, openMetricsOf, servePrometheus, steady } from './gate-fixtures.js';
import { istioHistory, type VersionTraffic } from './istio-history.js';

const model = (name: string, extra = ''): RolloutModel =>
  gateModel('audit.yaml', name, {
    stages: ['{ name: one-percent, weight: 1, bake: 30m }', '{ name: full, weight: 100 }'],
    stage: 'one-percent',
    extra,
  });

const { START, at } = historyWindow(3600);

const served = servePrometheus(
  () => {
    const history = (service: string, versions: VersionTraffic[]) =>
      istioHistory({
        namespace: 'shop',
        service,
        versions,
        start: START,
        durationSeconds: 3600,
        stepSeconds: 30,
      }).split('\n');
    const both = (service: string) => history(service, [steady('v1', 360), steady('v2', 40)]);
    return openMetricsOf([
      ...both('healthy'),
      // The canary's pods have no sidecar: only stable's proxies report the service.
      ...history('nosidecar', [steady('v1', 400)]),
      // Requests no pod answered: Istio writes destination_version="unknown" (istio/telemetry.ts UNKNOWN).
      ...history('unknown', [steady('v1', 360), steady('unknown', 40)]),
      // Canary pods labelled only with service.istio.io/canonical-revision: the revision carries
      // v2, destination_version is empty (Prometheus drops empty labels).
      ...both('revision').map((l) =>
        l.includes('destination_version="v2"')
          ? l.replace('destination_version="v2"', 'destination_canonical_revision="v2"')
          : l,
      ),
      // The duration histogram renamed away: the requests are there, the buckets are not.
      ...both('renamed').filter((l) => !l.startsWith('istio_request_duration_milliseconds')),
    ]);
  },
  { timeoutMs: 120_000 },
);

const audit = (name: string, extra = '') =>
  auditTelemetry({ model: model(name, extra), prometheus: new PrometheusApi(served.url, 5_000), now: at });

describe('telemetry audit against a real Prometheus', () => {
  it('finds nothing when both versions emit every metric the rules read', async () => {
    expect(await audit('healthy')).toEqual([]);
  });

  it('catches a canary without metrics (no sidecar) while stable has them, with the fix', async () => {
    expect(await audit('nosidecar')).toEqual([
      {
        role: 'canary',
        metric: 'istio_requests_total',
        message:
          'canary v2 emits no istio_requests_total with destination_version="v2" in the last 5m, while stable v1 does: its pods likely run without an Istio sidecar (no istio-proxy container: label the namespace istio-injection=enabled or the pods sidecar.istio.io/inject: "true", then restart them), or no traffic reached it yet',
      },
    ]);
  });

  it('names the unattributed value when the canary shows up only as destination_version="unknown"', async () => {
    expect((await audit('unknown')).map((f) => f.message)).toEqual([
      'canary v2 has no istio_requests_total series with destination_version="v2" in the last 5m, while series of the service carry destination_version="unknown": the canary pods lack the version label, or their requests got no response Istio could attribute; give the v2 pods the label "version: v2", which Istio copies into destination_version on reporter destination',
    ]);
  });

  it('says which label does carry the version when the pods lack the one the rules select', async () => {
    expect((await audit('revision')).map((f) => f.message)).toEqual([
      'canary v2: its istio_requests_total series carry destination_canonical_revision="v2" but not destination_version="v2", which the rules select; give the v2 pods the label "version: v2", which Istio copies into destination_version on reporter destination, or set metrics.versionLabel: destination_canonical_revision',
    ]);
  });

  it('catches a renamed duration histogram for both versions', async () => {
    const findings = await audit('renamed');
    expect(findings.map((f) => [f.role, f.metric])).toEqual([
      ['stable', 'istio_request_duration_milliseconds_bucket'],
      ['canary', 'istio_request_duration_milliseconds_bucket'],
    ]);
    expect(findings[1]!.message).toBe(
      'canary v2 has istio_requests_total but no istio_request_duration_milliseconds_bucket in the last 5m: the latency rules read that histogram; it was renamed or disabled (Istio Telemetry API metric overrides, a custom stats config, or histograms dropped at scrape): restore it, or remove health.latencyP99Ms',
    );
  });

  it('reports a service with no series at all once, for both versions', async () => {
    expect(await audit('absent')).toEqual([
      {
        role: 'both',
        metric: 'istio_requests_total',
        message:
          'no istio_requests_total series with reporter="destination", destination_service_name="absent", destination_service_namespace="shop" in the last 5m: the service gets no mesh traffic, its pods run without an Istio sidecar, Prometheus does not scrape the sidecars, or the metric is renamed; the rules read exactly this selector',
      },
    ]);
  });

  it('does not expect canary telemetry from an aborted rollout', async () => {
    expect(await audit('nosidecar', '  abort: { reason: "drill", at: "2026-12-02T10:00:00.000Z" }')).toEqual([]);
  });

  it('makes the gate hold with the fix for a canary without a sidecar, never pass', async () => {
    const verdict = await evaluateGate({
      model: model('nosidecar'),
      prometheus: new PrometheusApi(served.url, 5_000),
      now: at,
    });
    expect(verdict.kind).toBe('hold');
    expect(verdict.reasons).toContain(
      'telemetry: canary v2 emits no istio_requests_total with destination_version="v2" in the last 5m, while stable v1 does: its pods likely run without an Istio sidecar (no istio-proxy container: label the namespace istio-injection=enabled or the pods sidecar.istio.io/inject: "true", then restart them), or no traffic reached it yet',
    );
  });
});

describe('decide with telemetry findings', () => {
  const m = model('rows');
  const evidence: Evidence = {
    stage: 'one-percent',
    weight: 1,
    canary: { requests: 100_000, errorRatio: 0.001, p99Ms: 90 },
    stable: { requests: 900_000, errorRatio: 0.001, p99Ms: 90 },
    minRequests: 1000,
    windowMs: 3_600_000,
    bakedMs: 3_600_000,
    bakeMs: 1_800_000,
  };
  const finding = { role: 'canary' as const, metric: 'istio_request_duration_milliseconds_bucket', message: 'gone' };

  it('holds what would have passed', () => {
    expect(decide(m, at, { alerts: [], evidence }).kind).toBe('pass');
    const verdict = decide(m, at, { alerts: [], evidence, telemetry: [finding] });
    expect([verdict.kind, verdict.summary]).toEqual(['hold', 'hold: telemetry: gone']);
  });

  it('still fails on a firing rollback alert', () => {
    const alert = {
      alert: 'X',
      signal: 'errors' as const,
      action: 'rollback' as const,
      state: 'firing' as const,
      source: 'expression' as const,
      summary: 'errors high',
    };
    expect(decide(m, at, { alerts: [alert], evidence, telemetry: [finding] }).kind).toBe('fail');
  });
});
