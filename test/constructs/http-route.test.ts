import { Testing } from 'cdk8s';
import { RE2 } from 're2-wasm';
import { describe, expect, it } from 'vitest';
import { type KubeObject, schemaProblems } from '../../constructs/crd-schemas.js';
import { StagedRollout, type StagedRolloutProps } from '../../constructs/index.js';
import { CookieJar, seeded } from './istio/route-model.js';

const base: StagedRolloutProps = {
  router: 'gateway-api',
  namespace: 'shop',
  service: { host: 'web', port: 8080 },
  stable: 'v1',
  canary: 'v2',
  cohort: { header: 'x-beta', values: ['yes'] },
  sticky: { maxAge: '1h' },
  stages: [
    { name: 'beta', cohort: true, bake: '1h' },
    { name: 'ten', weight: 10, bake: '1h' },
    { name: 'full', weight: 100 },
  ],
  stage: 'ten',
};

function synth(props: StagedRolloutProps): KubeObject[] {
  const chart = Testing.chart();
  new StagedRollout(chart, 'web', props);
  return Testing.synth(chart) as KubeObject[];
}
function problems(props: StagedRolloutProps): string {
  const chart = Testing.chart();
  new StagedRollout(chart, 'web', props);
  try {
    Testing.synth(chart);
    return '';
  } catch (err) {
    return String((err as Error).message);
  }
}

interface Header {
  type: string;
  name: string;
  value: string;
}
interface Rule {
  matches?: { headers?: Header[] }[];
  backendRefs: { name: string; weight?: number; filters?: { responseHeaderModifier: { add: Header[] } }[] }[];
}
const routeSpec = (props: StagedRolloutProps) =>
  synth(props).find((o) => o.kind === 'HTTPRoute')!.spec as { parentRefs: unknown[]; rules: Rule[] };

// re2-wasm objects hold WebAssembly memory that is never freed: compile each pattern once.
const compiled = new Map<string, RE2>();
const re2 = (pattern: string): RE2 => {
  if (!compiled.has(pattern)) compiled.set(pattern, new RE2(`^(?:${pattern})$`, 'u'));
  return compiled.get(pattern)!;
};

/**
 * Gateway API's precedence (HTTPRouteRule matches docs): with equal paths, the match with more
 * header matches wins, then the first rule in list order; weights split among backendRefs.
 */
function gatewayRoute(rules: Rule[], headers: Record<string, string>, random: () => number) {
  const holds = (m: { headers?: Header[] }) =>
    (m.headers ?? []).every((h) => {
      const v = headers[h.name.toLowerCase()];
      if (v === undefined) return false;
      return h.type === 'Exact' ? v === h.value : re2(h.value).test(v);
    });
  const candidates = rules.flatMap((rule, index) =>
    (rule.matches ?? [{}]).filter(holds).map((m) => ({ rule, index, headers: (m.headers ?? []).length })),
  );
  candidates.sort((a, b) => b.headers - a.headers || a.index - b.index);
  const rule = candidates[0]!.rule;
  const total = rule.backendRefs.reduce((s, b) => s + (b.weight ?? 1), 0);
  let pick = random() * total;
  let chosen = rule.backendRefs[0]!;
  for (const b of rule.backendRefs) {
    chosen = b;
    pick -= b.weight ?? 1;
    if (pick < 0) break;
  }
  const setCookies = (chosen.filters ?? []).flatMap((f) => f.responseHeaderModifier.add.map((h) => h.value));
  return { service: chosen.name, setCookies };
}

describe('RolloutHttpRoute: router gateway-api', () => {
  it('binds to the Service for mesh traffic (GAMMA) and to Gateways for ingress, valid against the CRD schema', () => {
    expect(routeSpec(base).parentRefs).toEqual([{ group: '', kind: 'Service', name: 'web', port: 8080 }]);
    const ingress = { ...base, service: { host: 'web', port: 8080, gateways: ['ingress/public'] } };
    expect(routeSpec(ingress).parentRefs).toEqual([
      { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'ingress', name: 'public' },
    ]);
    const objects = synth(ingress);
    expect(objects.map((o) => `${o.kind} ${o.metadata.name}`)).toEqual([
      'HTTPRoute web',
      'DestinationRule web-stable',
      'DestinationRule web-canary',
      'PrometheusRule web-stagegate',
    ]);
    expect(objects.flatMap(schemaProblems)).toEqual([]);
  });

  it('weighs the per-version Services and keeps cohort and cookie holders on their version under Gateway API precedence', () => {
    const rules = routeSpec(base).rules;
    const random = seeded(11);
    const seen: Set<string>[] = [];
    for (let u = 0; u < 300; u++) {
      const jar = new CookieJar();
      const services = new Set<string>();
      for (let r = 0; r < 15; r++) {
        const cookie = jar.header();
        const answer = gatewayRoute(rules, cookie === undefined ? {} : { cookie }, random);
        services.add(answer.service);
        jar.receive(answer.setCookies);
      }
      seen.push(services);
    }
    expect(seen.every((s) => s.size === 1)).toBe(true);
    expect(seen.filter((s) => s.has('web-canary')).length).toBeGreaterThan(10);
    // A beta tester holding a stable cookie still reaches canary: the cohort rule comes first.
    expect(gatewayRoute(rules, { 'x-beta': 'yes', cookie: 'stagegate-web=v1' }, random).service).toBe('web-canary');
  });

  it('sends everyone to stable on abort: no cohort or cookie rules, weights 100 / 0', () => {
    const rules = routeSpec({ ...base, abort: { reason: 'errors', at: '2026-12-02T12:00:00Z' } }).rules;
    expect(rules).toHaveLength(1);
    expect(rules[0]!.backendRefs.map((b) => [b.name, b.weight])).toEqual([
      ['web-stable', 100],
      ['web-canary', 0],
    ]);
  });

  it('mirrors with RequestMirror in a shadow stage', () => {
    const spec = routeSpec({
      ...base,
      shadow: { duplicatesSafe: true },
      stages: [
        { name: 'shadow', mirror: 100, bake: '1h' },
        { name: 'full', weight: 100 },
      ],
      stage: 'shadow',
    });
    expect((spec.rules.at(-1) as { filters?: unknown }).filters).toEqual([
      { type: 'RequestMirror', requestMirror: { backendRef: { name: 'web-canary', port: 8080 } } },
    ]);
  });

  it('mirrors a share of the requests with RequestMirror percent or fraction, valid against the CRD schema', () => {
    const shadow = (mirror: number) => ({
      ...base,
      shadow: { duplicatesSafe: true },
      stages: [
        { name: 'shadow', mirror, bake: '1h' },
        { name: 'full', weight: 100 },
      ],
      stage: 'shadow',
    });
    const filters = (mirror: number) => (routeSpec(shadow(mirror)).rules.at(-1) as { filters?: unknown }).filters;
    const backendRef = { name: 'web-canary', port: 8080 };
    expect(filters(20)).toEqual([{ type: 'RequestMirror', requestMirror: { backendRef, percent: 20 } }]);
    expect(filters(33.3)).toEqual([
      {
        type: 'RequestMirror',
        requestMirror: { backendRef, fraction: { numerator: 333_000, denominator: 1_000_000 } },
      },
    ]);
    expect(synth(shadow(33.3)).flatMap(schemaProblems)).toEqual([]);
  });

  it('refuses what an HTTPRoute of Gateway API v1.0 cannot say', () => {
    expect(problems({ ...base, trafficPolicy: { retries: { attempts: 2 } } })).toContain(
      'spec.trafficPolicy.retries: an HTTPRoute of Gateway API v1.0 (the schema stagegate checks it against) has no retry policy',
    );
    expect(problems({ ...base, cohort: { match: [{ sourceLabels: { app: 'web' } }] } })).toContain(
      'spec.cohort.match[0].sourceLabels: an HTTPRoute match has no caller labels',
    );
    expect(problems({ ...base, metrics: { reporter: 'source' } })).toContain(
      'spec.metrics.reporter: must be destination with router gateway-api (got "source"): the client proxy labels each request with the backendRef Service',
    );
    expect(problems({ ...base, router: undefined, gatewayApi: { stableService: 'a' } })).toContain(
      'spec.gatewayApi: is only read with router: gateway-api',
    );
  });
});
