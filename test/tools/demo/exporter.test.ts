import { afterEach, describe, expect, it } from 'vitest';
import {
  ISTIO_DURATION_BUCKETS,
  canaryWeightFromManifest,
  createSimulation,
  routingFromManifest,
  startExporter,
  type Exporter,
  type ServiceTraffic,
} from '../../../tools/demo/exporter.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A strict reader of the text exposition format: every non-comment line must parse. */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+)$/.exec(line);
    if (!m) throw new Error(`unparseable line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of m[2]!.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/g)) labels[pair[1]!] = pair[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

const key = (s: Sample) =>
  `${s.name}{${Object.entries(s.labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',')}}`;

function total(samples: Sample[], filter: Record<string, string>, name = 'istio_requests_total'): number {
  return samples
    .filter((s) => s.name === name && Object.entries(filter).every(([k, v]) => s.labels[k] === v))
    .reduce((acc, s) => acc + s.value, 0);
}

function checkout(over: Partial<ServiceTraffic> = {}): ServiceTraffic {
  return {
    namespace: 'shop',
    service: 'checkout',
    stable: 'v1',
    canary: 'v2',
    requestsPerSecond: 400,
    canaryWeight: () => 10,
    errorRatio: { stable: 0.002, canary: 0.002 },
    latencyMs: { stable: { p50: 40, p99: 200 }, canary: { p50: 40, p99: 200 } },
    ...over,
  };
}

describe('synthetic Istio exporter', () => {
  let exporter: Exporter | undefined;
  afterEach(async () => {
    await exporter?.close();
    exporter = undefined;
  });

  it('serves Istio-shaped series over HTTP on 127.0.0.1 with a random port', async () => {
    let t = 0;
    exporter = await startExporter({ now: () => t, seed: 7, services: [checkout()] });
    expect(exporter.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    t = 60_000;
    const res = await fetch(`${exporter.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const samples = parseExposition(await res.text());
    const req = samples.find((s) => s.name === 'istio_requests_total' && s.labels.reporter === 'destination')!;
    expect(Object.keys(req.labels).sort()).toEqual([
      'destination_canonical_revision',
      'destination_service',
      'destination_service_name',
      'destination_service_namespace',
      'destination_version',
      'destination_workload',
      'reporter',
      'request_protocol',
      'response_code',
      'response_flags',
      'source_workload',
    ]);
    const les = samples
      .filter(
        (s) =>
          s.name === 'istio_request_duration_milliseconds_bucket' &&
          s.labels.destination_version === 'v1' &&
          s.labels.reporter === 'destination' &&
          s.labels.response_code === '200',
      )
      .map((s) => s.labels.le);
    expect(les).toEqual([...ISTIO_DURATION_BUCKETS.map(String), '+Inf']);
    expect((await fetch(`${exporter.url}/nope`)).status).toBe(404);
  });

  it('keeps every counter and bucket monotonic across scrapes', () => {
    let t = 0;
    const sim = createSimulation({ now: () => t, seed: 3, services: [checkout()] });
    let previous = new Map<string, number>();
    for (let i = 1; i <= 20; i++) {
      t = i * 15_000;
      const current = new Map(parseExposition(sim.render()).map((s) => [key(s), s.value]));
      for (const [k, v] of previous) expect(current.get(k), k).toBeGreaterThanOrEqual(v);
      previous = current;
    }
    expect(previous.size).toBeGreaterThan(100);
  });

  it('keeps buckets cumulative and equal to _count at +Inf', () => {
    let t = 0;
    const sim = createSimulation({ now: () => t, seed: 5, services: [checkout()] });
    t = 600_000;
    const samples = parseExposition(sim.render());
    const filter = { reporter: 'destination', destination_version: 'v1', response_code: '200' };
    const buckets = samples
      .filter(
        (s) =>
          s.name === 'istio_request_duration_milliseconds_bucket' &&
          Object.entries(filter).every(([k, v]) => s.labels[k] === v),
      )
      .map((s) => s.value);
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]).toBeGreaterThanOrEqual(buckets[i - 1]!);
    expect(buckets.at(-1)).toBe(total(samples, filter, 'istio_request_duration_milliseconds_count'));
    expect(buckets.at(-1)).toBe(total(samples, filter));
  });

  it('advances counters with the simulated clock, not wall time', () => {
    let t = 1_000_000;
    const sim = createSimulation({ now: () => t, seed: 1, services: [checkout()] });
    expect(total(parseExposition(sim.render()), { reporter: 'destination' })).toBe(0);
    t += 3_600_000; // one simulated hour at 400 rps
    const requests = total(parseExposition(sim.render()), { reporter: 'destination' });
    expect(requests).toBeGreaterThan(400 * 3600 * 0.98);
    expect(requests).toBeLessThan(400 * 3600 * 1.02);
  });

  it('produces the configured error share within tolerance, and an injected regression raises only the canary', () => {
    let t = 0;
    const sim = createSimulation({ now: () => t, seed: 11, services: [checkout({ canaryWeight: () => 50 })] });
    t = 1_800_000;
    let s = parseExposition(sim.render());
    const share = (v: string) =>
      total(s, { reporter: 'destination', destination_version: v, response_code: '500' }) /
      total(s, { reporter: 'destination', destination_version: v });
    expect(share('v1')).toBeGreaterThan(0.0015);
    expect(share('v1')).toBeLessThan(0.0025);
    sim.set('shop/checkout', { canaryErrorRatio: 0.2 });
    const before = {
      canary: total(s, { reporter: 'destination', destination_version: 'v2' }),
      errors: total(s, { reporter: 'destination', destination_version: 'v2', response_code: '500' }),
    };
    t += 1_800_000;
    s = parseExposition(sim.render());
    const canaryShare =
      (total(s, { reporter: 'destination', destination_version: 'v2', response_code: '500' }) - before.errors) /
      (total(s, { reporter: 'destination', destination_version: 'v2' }) - before.canary);
    expect(canaryShare).toBeGreaterThan(0.19);
    expect(canaryShare).toBeLessThan(0.21);
    expect(share('v1')).toBeLessThan(0.0025);
  });

  it('moves traffic to canary when the live weight changes', () => {
    let t = 0;
    let weight = 1;
    const sim = createSimulation({ now: () => t, seed: 2, services: [checkout({ canaryWeight: () => weight })] });
    t = 600_000;
    let s = parseExposition(sim.render());
    const canaryAt1 = total(s, { reporter: 'destination', destination_version: 'v2' });
    const allAt1 = total(s, { reporter: 'destination' });
    expect(canaryAt1 / allAt1).toBeGreaterThan(0.008);
    expect(canaryAt1 / allAt1).toBeLessThan(0.012);
    weight = 50;
    t += 600_000;
    s = parseExposition(sim.render());
    const share =
      (total(s, { reporter: 'destination', destination_version: 'v2' }) - canaryAt1) /
      (total(s, { reporter: 'destination' }) - allAt1);
    expect(share).toBeGreaterThan(0.48);
    expect(share).toBeLessThan(0.52);
  });

  it('sends cohort requests to canary only while the cohort route exists', () => {
    let t = 0;
    let cohortRoute = true;
    const sim = createSimulation({
      now: () => t,
      seed: 4,
      services: [
        checkout({
          requestsPerSecond: 0,
          cohortRequestsPerSecond: 10,
          canaryWeight: () => 0,
          cohortRoute: () => cohortRoute,
        }),
      ],
    });
    t = 60_000;
    let s = parseExposition(sim.render());
    expect(total(s, { reporter: 'destination', destination_version: 'v1' })).toBe(0);
    const canary = total(s, { reporter: 'destination', destination_version: 'v2' });
    expect(canary).toBeGreaterThan(450);
    cohortRoute = false;
    t += 60_000;
    s = parseExposition(sim.render());
    expect(total(s, { reporter: 'destination', destination_version: 'v2' })).toBe(canary);
  });

  it("counts a shadow stage's copies on canary's destination reporter only, users staying on stable", () => {
    let t = 0;
    const sim = createSimulation({
      now: () => t,
      seed: 5,
      services: [checkout({ requestsPerSecond: 100, canaryWeight: () => 0, mirrorPercent: () => 20 })],
    });
    t = 60_000;
    const s = parseExposition(sim.render());
    const copies = total(s, { reporter: 'destination', destination_version: 'v2' });
    // 6000 requests, 20 % copied: 1200 ± 4 standard deviations (≈ 124).
    expect(copies).toBeGreaterThan(1076);
    expect(copies).toBeLessThan(1324);
    // The client proxy never sees a copy (Envoy's async client), and no user reached canary.
    expect(total(s, { reporter: 'source', destination_version: 'v2' })).toBe(0);
    expect(total(s, { reporter: 'source', destination_version: 'v1' })).toBe(
      total(s, { reporter: 'destination', destination_version: 'v1' }),
    );
  });

  it('fits latency buckets to p50 and p99', () => {
    let t = 0;
    const sim = createSimulation({
      now: () => t,
      seed: 9,
      services: [
        checkout({
          latencyMs: { stable: { p50: 40, p99: 200 }, canary: { p50: 40, p99: 200 } },
        }),
      ],
    });
    t = 600_000;
    const s = parseExposition(sim.render());
    const filter = { reporter: 'destination', destination_version: 'v1', response_code: '200' };
    const bucket = (le: string) => total(s, { ...filter, le }, 'istio_request_duration_milliseconds_bucket');
    const count = total(s, filter);
    expect(bucket('50') / count).toBeGreaterThan(0.5); // p50 = 40 < 50
    expect(bucket('25') / count).toBeLessThan(0.5);
    expect(bucket('250') / count).toBeGreaterThan(0.99); // p99 = 200 < 250
    expect(bucket('100') / count).toBeLessThan(0.99);
    const mean = total(s, filter, 'istio_request_duration_milliseconds_sum') / count;
    expect(mean).toBeGreaterThan(45); // log-normal mean exp(mu + sigma²/2) ≈ 55 ms
    expect(mean).toBeLessThan(65);
  });

  it('counts circuit-breaker overflow as 503 UO at the source reporter only, with no version (no pod answered)', () => {
    // istio_stats.cc (release-1.30 l.1218–1231): without peer metadata destination_version is
    // "unknown", and with no upstream host the canonical revision is "latest". (The exporter used
    // to label these v2, which no Istio writes.)
    let t = 0;
    const sim = createSimulation({ now: () => t, seed: 6, services: [checkout({ canaryWeight: () => 50 })] });
    sim.set('checkout', { canaryOverflowRatio: 0.1 });
    t = 60_000;
    const s = parseExposition(sim.render());
    const uo = { reporter: 'source', response_flags: 'UO', response_code: '503' };
    expect(
      total(s, { ...uo, destination_version: 'unknown', destination_canonical_revision: 'latest' }),
    ).toBeGreaterThan(1000);
    expect(total(s, { ...uo, destination_version: 'v2' })).toBe(0);
    expect(total(s, { reporter: 'destination', response_code: '503' })).toBe(0);
  });

  it('creates a series at its first request, with no zero sample before it (as Istio does)', () => {
    let t = 0;
    const sim = createSimulation({
      now: () => t,
      seed: 6,
      services: [checkout({ errorRatio: { stable: 0, canary: 0 } })],
    });
    t = 10_000;
    const before = parseExposition(sim.render());
    expect(before.some((x) => x.labels.response_code === '500')).toBe(false);
    sim.set('checkout', { canaryErrorRatio: 0.5 });
    t = 20_000;
    const after = parseExposition(sim.render());
    expect(total(after, { reporter: 'destination', response_code: '500', destination_version: 'v2' })).toBeGreaterThan(
      0,
    );
  });

  it('leaves destination_version out on reporter destination and writes "unknown" on source when pods carry only app.kubernetes.io/version', () => {
    let t = 0;
    const sim = createSimulation({
      now: () => t,
      seed: 6,
      services: [checkout({ podVersionLabel: 'app.kubernetes.io/version' })],
    });
    t = 10_000;
    const s = parseExposition(sim.render()).filter((x) => x.name === 'istio_requests_total');
    expect(
      s.filter((x) => x.labels.reporter === 'destination').every((x) => !('destination_version' in x.labels)),
    ).toBe(true);
    expect(
      total(s, { reporter: 'source', destination_version: 'unknown', destination_canonical_revision: 'v2' }),
    ).toBeGreaterThan(0);
  });

  it('is reproducible for the same seed and clock', () => {
    const run = (seed: number) => {
      let t = 0;
      const sim = createSimulation({ now: () => t, seed, services: [checkout()] });
      t = 30_000;
      sim.update();
      t = 90_000;
      return sim.render();
    };
    expect(run(42)).toBe(run(42));
    expect(run(42)).not.toBe(run(43));
  });

  it('rejects an unknown service and an impossible ratio with what to do next', () => {
    const sim = createSimulation({ now: () => 0, services: [checkout()] });
    expect(() => sim.set('nope', { canaryErrorRatio: 0.1 })).toThrow(
      'exporter: no service "nope" (known: shop/checkout); use "namespace/name"',
    );
    expect(() => sim.set('checkout', { canaryErrorRatio: 2 })).toThrow(
      'exporter: canaryErrorRatio must be between 0 and 1 (got 2)',
    );
    expect(() => createSimulation({ services: [checkout({ errorRatio: { stable: -1, canary: 0 } })] })).toThrow(
      'exporter: shop/checkout errorRatio.stable must be between 0 and 1 (got -1)',
    );
    expect(() =>
      createSimulation({
        services: [checkout({ latencyMs: { stable: { p50: 50, p99: 10 }, canary: { p50: 1, p99: 2 } } })],
      }),
    ).toThrow('exporter: shop/checkout stable latency needs 0 < p50 ≤ p99 (got p50 50, p99 10)');
  });
});

describe('canaryWeightFromManifest', () => {
  const manifest = (weights: [number, number], extra = '') => `apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata:
  name: checkout
  namespace: shop
  labels:
    stagegate.dev/stage: half
${extra}spec:
  hosts: [checkout]
  http:
    - name: stagegate-cohort
      route:
        - destination: { host: checkout, subset: canary }
          weight: 100
    - name: stagegate-default
      route:
        - destination: { host: checkout, subset: stable }
          weight: ${weights[0]}
        - destination: { host: checkout, subset: canary }
          weight: ${weights[1]}
---
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: { name: checkout, namespace: shop }
spec: { host: checkout }
`;

  it('reads the canary weight of the default route, not the cohort route', () => {
    expect(canaryWeightFromManifest(manifest([50, 50]))).toBe(50);
    expect(canaryWeightFromManifest(manifest([99, 1]))).toBe(1);
  });

  it('reads 0 for an aborted rollout', () => {
    expect(
      canaryWeightFromManifest(manifest([90, 10], '  annotations:\n    stagegate.dev/abort-reason: errors\n')),
    ).toBe(0);
  });

  it('reports whether the cohort route exists, and none once aborted', () => {
    expect(routingFromManifest(manifest([99, 1]))).toEqual({ canaryWeight: 1, cohortRoute: true });
    expect(routingFromManifest(manifest([99, 1]).replace('stagegate-cohort', 'other'))).toEqual({
      canaryWeight: 1,
      cohortRoute: false,
    });
    expect(routingFromManifest(manifest([90, 10], '  annotations:\n    stagegate.dev/abort-reason: errors\n'))).toEqual(
      { canaryWeight: 0, cohortRoute: false },
    );
  });

  it("reads a shadow stage's mirror percentage, 100 for a mirror without one", () => {
    const mirrored = manifest([100, 0]).replace(
      '    - name: stagegate-default\n',
      '    - name: stagegate-default\n      mirror: { host: checkout, subset: canary }\n      mirrorPercentage: { value: 12.5 }\n',
    );
    expect(routingFromManifest(mirrored)).toEqual({ canaryWeight: 0, cohortRoute: true, mirrorPercent: 12.5 });
    expect(routingFromManifest(mirrored.replace('      mirrorPercentage: { value: 12.5 }\n', '')).mirrorPercent).toBe(
      100,
    );
  });

  it('reads the manifests stagegate itself generates', async () => {
    const { compile } = await import('../../../constructs/compile.js');
    const { readFileSync } = await import('node:fs');
    const read = (name: string) => ({
      path: `rollouts/${name}.yaml`,
      text: readFileSync(new URL(`../../../rollouts/${name}.yaml`, import.meta.url), 'utf8'),
    });
    const compiled = compile(['checkout', 'payments', 'search', 'catalog'].map(read));
    const byName = Object.fromEntries(compiled.map((c) => [c.model.name, routingFromManifest(c.content)]));
    expect(byName).toEqual({
      catalog: { canaryWeight: 100, cohortRoute: false },
      checkout: { canaryWeight: 0, cohortRoute: true },
      payments: { canaryWeight: 10, cohortRoute: false },
      search: { canaryWeight: 0, cohortRoute: false },
    });
  });

  it('explains a manifest without a VirtualService', () => {
    expect(() => canaryWeightFromManifest('kind: ConfigMap\n')).toThrow('manifest has no VirtualService');
  });
});
