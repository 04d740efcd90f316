/**
 * The demo exporter's model of a drill's fault on the cohort route (tools/demo/route-fault.ts):
 * an abort is answered by the client's proxy (reporter source only, destination_version
 * "unknown", response_flags FI), a delay reaches the canary and shows only in the client's
 * durations (flag DI). Sources are cited in route-fault.ts and constructs/drill-alert.ts.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../../constructs/compile.js';
import { createSimulation, routingFromManifest, type ServiceTraffic } from '../../../tools/demo/exporter.js';
import type { RouteFault } from '../../../tools/demo/route-fault.js';

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

function parse(text: string): Sample[] {
  return text
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((line) => {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+)$/.exec(line);
      if (!m) throw new Error(`unparseable line: ${line}`);
      const labels: Record<string, string> = {};
      for (const p of m[2]!.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/g)) labels[p[1]!] = p[2]!;
      return { name: m[1]!, labels, value: Number(m[3]) };
    });
}

const requests = (samples: Sample[], filter: Record<string, string>) =>
  samples
    .filter((s) => s.name === 'istio_requests_total' && Object.entries(filter).every(([k, v]) => s.labels[k] === v))
    .reduce((a, s) => a + s.value, 0);

/** A cohort stage: nothing on the default route to canary, 50 rps on the cohort route. */
function simulate(fault: RouteFault | undefined): Sample[] {
  let t = 0;
  const service: ServiceTraffic = {
    namespace: 'shop-staging',
    service: 'checkout',
    stable: 'v1',
    canary: 'v2',
    requestsPerSecond: 400,
    cohortRequestsPerSecond: 50,
    canaryWeight: () => 0,
    cohortRoute: () => true,
    cohortFault: () => fault,
    errorRatio: { stable: 0, canary: 0 },
    latencyMs: { stable: { p50: 40, p99: 200 }, canary: { p50: 40, p99: 200 } },
  };
  const sim = createSimulation({ now: () => t, seed: 11, services: [service] });
  t = 600_000;
  return parse(sim.render());
}

describe('a fault on the cohort route in the demo exporter', () => {
  it('files an abort under reporter source only, destination_version "unknown", the status, flag FI', () => {
    const samples = simulate({ abort: { httpStatus: 503, percent: 100 } });
    const fi = samples.filter((s) => s.name === 'istio_requests_total' && s.labels.response_flags === 'FI');
    expect(fi.map((s) => s.labels)).toEqual([
      {
        reporter: 'source',
        source_workload: 'istio-ingressgateway',
        destination_service: 'checkout.shop-staging.svc.cluster.local',
        destination_service_name: 'checkout',
        destination_service_namespace: 'shop-staging',
        destination_workload: 'unknown',
        destination_version: 'unknown',
        destination_canonical_revision: 'latest',
        request_protocol: 'http',
        response_code: '503',
        response_flags: 'FI',
      },
    ]);
    expect(fi[0]!.value).toBeGreaterThan(50 * 600 * 0.95);
    // No pod saw them: the canary has no requests at all at either reporter.
    expect(requests(samples, { destination_version: 'v2' })).toBe(0);
    expect(requests(samples, { reporter: 'destination', destination_version: 'v1' })).toBeGreaterThan(400 * 600 * 0.95);
  });

  it('aborts only the given percent; the rest reaches the canary at both reporters', () => {
    const samples = simulate({ abort: { httpStatus: 500, percent: 20 } });
    const aborted = requests(samples, { response_flags: 'FI', response_code: '500' });
    const served = requests(samples, { reporter: 'destination', destination_version: 'v2' });
    expect(aborted / (aborted + served)).toBeCloseTo(0.2, 1);
    expect(requests(samples, { reporter: 'source', destination_version: 'v2' })).toBe(served);
  });

  it('shows a delay only in the client proxy’s durations, with flag DI', () => {
    const samples = simulate({ delay: { fixedDelayMs: 2000, percent: 100 } });
    const bucket = (reporter: string, le: string) =>
      samples
        .filter(
          (s) =>
            s.name === 'istio_request_duration_milliseconds_bucket' &&
            s.labels.reporter === reporter &&
            s.labels.destination_version === 'v2' &&
            s.labels.le === le,
        )
        .reduce((a, s) => a + s.value, 0);
    const count = requests(samples, { reporter: 'destination', destination_version: 'v2' });
    expect(count).toBeGreaterThan(50 * 600 * 0.95);
    // Server side: the canary's own 200 ms p99 profile, nothing near the delay.
    expect(bucket('destination', '1000')).toBe(count);
    // Client side: every request took the delay.
    expect(bucket('source', '1000')).toBe(0);
    expect(bucket('source', '5000')).toBe(count);
    expect(requests(samples, { reporter: 'source', destination_version: 'v2', response_flags: 'DI' })).toBe(count);
    expect(requests(samples, { reporter: 'destination', response_flags: 'DI' })).toBe(0);
  });

  it('reads the fault from the VirtualService stagegate generates for spec.drill, and none once aborted', () => {
    const intent = (extra: string) => ({
      path: 'rollouts/checkout.yaml',
      text: [
        'apiVersion: stagegate.dev/v1alpha1',
        'kind: Rollout',
        'metadata: { name: checkout, namespace: shop-staging }',
        'spec:',
        '  service: { host: checkout, port: 8080 }',
        '  stable: v1',
        '  canary: v2',
        '  cohort: { header: x-cohort, values: [internal] }',
        '  stages:',
        '    - { name: internal, cohort: true, bake: 30m }',
        '    - { name: full, weight: 100 }',
        '  stage: internal',
        '  drill: { abort: { httpStatus: 503, percent: 50 }, delay: { fixedDelay: 1500ms, percent: 10 } }',
        extra,
      ].join('\n'),
    });
    const [live] = compile([intent('')]);
    expect(routingFromManifest(live!.content)).toEqual({
      canaryWeight: 0,
      cohortRoute: true,
      cohortFault: { abort: { httpStatus: 503, percent: 50 }, delay: { fixedDelayMs: 1500, percent: 10 } },
    });
    const [aborted] = compile([intent('  abort: { reason: drill, at: "2026-12-02T14:00:00Z" }\n')]);
    expect(routingFromManifest(aborted!.content)).toEqual({ canaryWeight: 0, cohortRoute: false });
  });
});
