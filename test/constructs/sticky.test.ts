import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { type KubeObject, schemaProblems } from '../../constructs/crd-schemas.js';
import { StagedRollout, type StagedRolloutProps } from '../../constructs/index.js';
import { virtualServiceMessages } from '../../constructs/istio/route-validation.js';
import { CookieJar, routeRequest, seeded } from './istio/route-model.js';

const base: StagedRolloutProps = {
  namespace: 'shop',
  service: { host: 'storefront', port: 8080 },
  stable: 'v1',
  canary: 'v2',
  sticky: { maxAge: '24h' },
  stages: [
    { name: 'ten', weight: 10, bake: '1h' },
    { name: 'half', weight: 50, bake: '2h' },
    { name: 'full', weight: 100 },
  ],
  stage: 'ten',
};

function virtualService(props: StagedRolloutProps): KubeObject {
  const chart = Testing.chart();
  new StagedRollout(chart, 'storefront', props);
  return (Testing.synth(chart) as KubeObject[]).find((o) => o.kind === 'VirtualService')!;
}

/** `users` browsers, `requests` each, keeping their cookies: the subsets each one reached. */
function browse(spec: unknown, users: number, requests: number, jars = new Map<number, CookieJar>()) {
  const random = seeded(7);
  const seen: Set<string>[] = [];
  for (let u = 0; u < users; u++) {
    const jar = jars.get(u) ?? new CookieJar();
    jars.set(u, jar);
    const subsets = new Set<string>();
    for (let r = 0; r < requests; r++) {
      const cookie = jar.header();
      const answer = routeRequest(spec, { headers: cookie === undefined ? {} : { cookie } }, random);
      subsets.add(answer.subset);
      jar.receive(answer.setCookies);
    }
    seen.push(subsets);
  }
  return { seen, jars };
}

describe('sticky canary, through a model of Istio route matching', () => {
  const vs = virtualService(base);

  it('compiles to objects the CRD schema and Istio accept', () => {
    expect(schemaProblems(vs)).toEqual([]);
    expect(virtualServiceMessages(vs.spec as Record<string, unknown>)).toEqual([]);
  });

  it('puts the cookie routes before the weighted route, and sets the cookie on each version’s answers', () => {
    const http = (vs.spec as { http: { name: string; route: { headers?: unknown }[] }[] }).http;
    expect(http.map((r) => r.name)).toEqual([
      'stagegate-sticky-canary',
      'stagegate-sticky-stable',
      'stagegate-default',
    ]);
    expect(http[2]!.route.map((d) => d.headers)).toEqual([
      // Stable: the stage's bake (1h), so a stable user is drawn again at the next weight.
      { response: { add: { 'Set-Cookie': 'stagegate-storefront=v1; Max-Age=3600; Path=/; HttpOnly' } } },
      { response: { add: { 'Set-Cookie': 'stagegate-storefront=v2; Max-Age=86400; Path=/; HttpOnly' } } },
    ]);
  });

  it('sends every request of a user with the returned cookie to the version of their first answer', () => {
    const { seen } = browse(vs.spec, 400, 25);
    expect(seen.every((s) => s.size === 1)).toBe(true);
    const onCanary = seen.filter((s) => s.has('canary')).length;
    // 10 % of users drew canary (binomial, 400 users: 40 ± 3 standard deviations).
    expect(onCanary).toBeGreaterThan(22);
    expect(onCanary).toBeLessThan(58);
  });

  it('is what makes the difference: the same stage without sticky flips users between versions', () => {
    const { seen } = browse(virtualService({ ...base, sticky: undefined }).spec, 400, 25);
    expect(seen.filter((s) => s.size === 2).length).toBeGreaterThan(300);
  });

  it('keeps canary users on canary when the stage widens', () => {
    const { seen, jars } = browse(vs.spec, 200, 3);
    const canaryUsers = seen.flatMap((s, u) => (s.has('canary') ? [u] : []));
    const later = browse(virtualService({ ...base, stage: 'half' }).spec, 200, 10, jars);
    expect(canaryUsers.length).toBeGreaterThan(0);
    expect(canaryUsers.every((u) => later.seen[u]!.size === 1 && later.seen[u]!.has('canary'))).toBe(true);
  });

  it('sends everyone to stable at once on abort, cookie holders included, and expires the cookie', () => {
    const { seen, jars } = browse(vs.spec, 200, 3);
    const canaryUsers = seen.flatMap((s, u) => (s.has('canary') ? [u] : []));
    const aborted = virtualService({ ...base, abort: { reason: 'errors', at: '2026-12-02T12:00:00Z' } });
    const http = (aborted.spec as { http: { name: string }[] }).http;
    expect(http.map((r) => r.name)).toEqual(['stagegate-default']);
    const after = browse(aborted.spec, 200, 5, jars);
    expect(after.seen.every((s) => s.size === 1 && s.has('stable'))).toBe(true);
    expect(canaryUsers.length).toBeGreaterThan(0);
    expect(canaryUsers.map((u) => jars.get(u)!.header())).toEqual(canaryUsers.map(() => undefined));
  });

  it('has no cookie routes at 100 %', () => {
    const full = virtualService({ ...base, stage: 'full' });
    expect((full.spec as { http: { name: string }[] }).http.map((r) => r.name)).toEqual(['stagegate-default']);
  });

  it('refuses a max age that is not whole seconds, and a cookie name with a space', () => {
    const chart = Testing.chart();
    new StagedRollout(chart, 'storefront', { ...base, sticky: { maxAge: '1500ms', cookie: 'my cookie' } });
    expect(() => Testing.synth(chart)).toThrow(
      /spec\.sticky\.cookie: must be a cookie name.*\n.*spec\.sticky\.maxAge: must be whole seconds, at least 1s: a cookie's Max-Age counts seconds \(got "1500ms"\)/,
    );
  });
});
