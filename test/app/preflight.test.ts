import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../constructs/crd-schemas.js';
import { analyze, qualifyHost } from '../../app/preflight.js';

function vs(name: string, ns: string, http: unknown[], hosts = ['checkout'], gateways = ['mesh']): KubeObject {
  return {
    apiVersion: 'networking.istio.io/v1beta1',
    kind: 'VirtualService',
    metadata: { name, namespace: ns },
    spec: { hosts, gateways, http },
  };
}
function dr(name: string, ns: string, host: string, subsets: unknown[]): KubeObject {
  return {
    apiVersion: 'networking.istio.io/v1beta1',
    kind: 'DestinationRule',
    metadata: { name, namespace: ns },
    spec: { host, subsets },
  };
}
const dest = (subset: string, weight: number, port: number | null = 8080) => ({
  destination: { host: 'checkout', subset, ...(port === null ? {} : { port: { number: port } }) },
  weight,
});
const subsets = [
  { name: 'stable', labels: { version: 'v1' } },
  { name: 'canary', labels: { version: 'v2' } },
];

describe('pre-flight analysis', () => {
  it('finds nothing wrong with a rollout whose routes and subsets agree', () => {
    const objects = [
      vs('checkout', 'shop', [{ name: 'default', route: [dest('stable', 90), dest('canary', 10)] }]),
      dr('checkout', 'shop', 'checkout', subsets),
    ];
    expect(analyze(objects)).toEqual([]);
  });

  it('reports a route to a subset that no DestinationRule defines (IST0101)', () => {
    const objects = [
      vs('checkout', 'shop', [{ route: [dest('stable', 90), dest('canry', 10)] }]),
      dr('checkout', 'shop', 'checkout', subsets),
    ];
    expect(analyze(objects)).toEqual([
      {
        code: 'IST0101',
        level: 'error',
        object: 'VirtualService shop/checkout',
        path: 'spec.http[0].route[1].destination.subset',
        message: 'subset "canry" of host checkout is not defined by any DestinationRule',
      },
    ]);
  });

  it('does not accept subsets of the same short host in another namespace', () => {
    const objects = [
      vs('checkout', 'shop', [{ route: [dest('stable', 100), dest('canary', 0)] }]),
      dr('checkout', 'other', 'checkout', subsets),
    ];
    expect(analyze(objects).map((f) => f.code)).toEqual(['IST0101', 'IST0101']);
  });

  it('reports weights that do not sum to 100', () => {
    const objects = [
      vs('checkout', 'shop', [{ route: [dest('stable', 80), dest('canary', 10)] }]),
      dr('checkout', 'shop', 'checkout', subsets),
    ];
    expect(analyze(objects)).toEqual([
      expect.objectContaining({
        code: 'SG0102',
        path: 'spec.http[0].route',
        message: 'weights sum to 90, expected 100',
      }),
    ]);
  });

  it('reports uppercase header keys, which Envoy never matches', () => {
    const objects = [
      vs('checkout', 'shop', [
        { match: [{ headers: { 'X-Cohort': { exact: 'internal' } } }], route: [dest('canary', 100)] },
        { route: [dest('stable', 100), dest('canary', 0)] },
      ]),
      dr('checkout', 'shop', 'checkout', subsets),
    ];
    expect(analyze(objects)).toEqual([
      expect.objectContaining({ code: 'SG0103', path: 'spec.http[0].match[0].headers' }),
    ]);
  });

  it('reports a route to a host without a port', () => {
    const objects = [
      vs('checkout', 'shop', [{ route: [dest('stable', 100, null)] }]),
      dr('checkout', 'shop', 'checkout', subsets),
    ];
    expect(analyze(objects)).toEqual([
      expect.objectContaining({ code: 'SG0104', path: 'spec.http[0].route[0].destination.port' }),
    ]);
  });

  it('reports two rollouts routing the same host on the same gateway', () => {
    const objects = [
      vs('checkout', 'shop', [{ route: [dest('stable', 100), dest('canary', 0)] }]),
      vs(
        'checkout-v2',
        'shop',
        [{ route: [dest('stable', 100), dest('canary', 0)] }],
        ['checkout.shop.svc.cluster.local'],
      ),
      dr('checkout', 'shop', 'checkout', subsets),
    ];
    expect(analyze(objects)).toEqual([
      expect.objectContaining({
        code: 'IST0109',
        object: 'VirtualService shop/checkout-v2',
        message:
          'host checkout.shop.svc.cluster.local on gateway mesh is also routed by VirtualService shop/checkout; two rollouts cannot own one host',
      }),
    ]);
  });

  it('reports a catch-all route that hides the routes after it', () => {
    const objects = [
      vs('checkout', 'shop', [
        { name: 'all', route: [dest('stable', 100)] },
        { name: 'late', route: [dest('canary', 100)] },
      ]),
      dr('checkout', 'shop', 'checkout', subsets),
    ];
    expect(analyze(objects)).toEqual([expect.objectContaining({ code: 'SG0106', level: 'warning' })]);
  });

  it('reports two DestinationRules for one host and a subset without labels', () => {
    const objects = [
      dr('a', 'shop', 'checkout', subsets),
      dr('b', 'shop', 'checkout.shop', [{ name: 'stable', labels: {} }]),
    ];
    expect(
      analyze(objects)
        .map((f) => f.code)
        .sort(),
    ).toEqual(['SG0105', 'SG0107']);
  });

  it('qualifies short host names in the namespace of the rule', () => {
    expect(qualifyHost('checkout', 'shop')).toBe('checkout.shop.svc.cluster.local');
    expect(qualifyHost('checkout.shop', 'x')).toBe('checkout.shop.svc.cluster.local');
    expect(qualifyHost('checkout.shop.svc', 'x')).toBe('checkout.shop.svc.cluster.local');
    expect(qualifyHost('api.example.com', 'x')).toBe('api.example.com');
  });
});
