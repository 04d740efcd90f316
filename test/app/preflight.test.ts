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

  it('warns about uppercase header keys, which Envoy lowercases', () => {
    const objects = [
      vs('checkout', 'shop', [
        { match: [{ headers: { 'X-Cohort': { exact: 'internal' } } }], route: [dest('canary', 100)] },
        { route: [dest('stable', 100), dest('canary', 0)] },
      ]),
      dr('checkout', 'shop', 'checkout', subsets),
    ];
    // A warning: Envoy lowercases header names before matching (audit: SG0103 was wrongly an error).
    expect(analyze(objects)).toEqual([
      {
        code: 'SG0103',
        level: 'warning',
        object: 'VirtualService shop/checkout',
        path: 'spec.http[0].match[0].headers',
        message: 'header "X-Cohort" has uppercase letters; Envoy matches it as "x-cohort", write that',
      },
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
      dr('b', 'shop', 'checkout.shop.svc.cluster.local', [{ name: 'stable', labels: {} }]),
    ];
    expect(
      analyze(objects)
        .map((f) => f.code)
        .sort(),
    ).toEqual(['SG0105', 'SG0107']);
  });

  // Was: a two-label host expanded to .svc.cluster.local, which Istio never does (issue 11 item 1).
  it('qualifies only dotless host names, as pilot ResolveShortnameToFQDN does', () => {
    expect(qualifyHost('checkout', 'shop')).toBe('checkout.shop.svc.cluster.local');
    expect(qualifyHost('checkout.shop', 'x')).toBe('checkout.shop');
    expect(qualifyHost('checkout.shop.svc', 'x')).toBe('checkout.shop.svc');
    expect(qualifyHost('api.example.com', 'x')).toBe('api.example.com');
  });

  it('does not take subsets of host checkout.shop for host checkout: Istio keeps dotted names literally', () => {
    const objects = [
      vs('checkout', 'shop', [{ route: [dest('stable', 100), dest('canary', 0)] }]),
      dr('checkout', 'shop', 'checkout.shop', subsets),
    ];
    expect(analyze(objects).map((f) => f.code)).toEqual(['IST0101', 'IST0101']);
  });

  describe("Istio's validating webhook (SG0110), on objects as written, e.g. a hand-edited generated/", () => {
    const webhook = (objects: KubeObject[]) =>
      analyze(objects)
        .filter((f) => f.code === 'SG0110')
        .map((f) => `${f.level} ${f.path}: ${f.message}`);

    it('refuses retries Istio refuses (validateHTTPRetry: attempts 0, retryOn split on "," untrimmed)', () => {
      const objects = [
        vs('checkout', 'shop', [
          {
            route: [dest('stable', 100), dest('canary', 0)],
            retries: { attempts: 0, perTryTimeout: '0.5s', retryOn: '5xx, reset,gateway-errors,503' },
            timeout: '0.0005s',
          },
        ]),
        dr('checkout', 'shop', 'checkout', subsets),
      ];
      expect(webhook(objects)).toEqual([
        "error spec.http[0].timeout: Istio's validating webhook refuses this: duration must be greater than 1ms",
        "error spec.http[0].retries.attempts: Istio's validating webhook refuses this: http retry policy configured when attempts are set to 0 (disabled)",
        'error spec.http[0].retries.retryOn: Istio\'s validating webhook refuses this: " reset" is not a valid retryOn policy',
        'error spec.http[0].retries.retryOn: Istio\'s validating webhook refuses this: "gateway-errors" is not a valid retryOn policy',
      ]);
    });

    it('refuses a gateway name that is not a DNS-1123 label and warns about the legacy form (validateGatewayNames)', () => {
      const objects = [
        vs(
          'a',
          'shop',
          [{ route: [dest('stable', 100)] }],
          ['checkout'],
          ['istio-system/public_gw', 'public.istio-system'],
        ),
        dr('checkout', 'shop', 'checkout', subsets),
      ];
      expect(webhook(objects)).toEqual([
        'error spec.gateways[0]: Istio\'s validating webhook refuses this: invalid value for gateway name: "public_gw"',
        'warning spec.gateways[1]: Istio admits this with a warning: using legacy gatewayName format "public.istio-system"; prefer the <namespace>/<name> format: "istio-system/public"',
      ]);
    });

    it('refuses an empty traffic policy and an empty connection pool, and explains maxEjectionPercent 0', () => {
      const objects = [
        vs('checkout', 'shop', [{ route: [dest('stable', 100), dest('canary', 0)] }]),
        {
          ...dr('checkout', 'shop', 'checkout', [{ ...subsets[0], trafficPolicy: {} }, subsets[1]]),
          spec: {
            host: 'checkout',
            trafficPolicy: {
              outlierDetection: { maxEjectionPercent: 0, minHealthPercent: 101, interval: '0.0015s' },
              connectionPool: {},
            },
            subsets: [{ ...subsets[0], trafficPolicy: {} }, subsets[1]],
          },
        },
      ];
      expect(webhook(objects)).toEqual([
        "error spec.trafficPolicy.outlierDetection.interval: Istio's validating webhook refuses this: only durations to ms precision are supported",
        "error spec.trafficPolicy.outlierDetection.minHealthPercent: Istio's validating webhook refuses this: percentage 101 is not in range 0..100",
        'warning spec.trafficPolicy.outlierDetection.maxEjectionPercent: Istio admits this with a warning: maxEjectionPercent 0 does not stop ejection: Istio only passes values above 0 to Envoy, which then ejects up to its default 10 %',
        "error spec.trafficPolicy.connectionPool: Istio's validating webhook refuses this: connection pool must have at least one field",
        "error spec.subsets[0].trafficPolicy: Istio's validating webhook refuses this: traffic policy must have at least one field",
      ]);
    });

    it('accepts reset-before-request only for Istio 1.23 and later', () => {
      const objects = [
        vs('checkout', 'shop', [
          { route: [dest('stable', 100)], retries: { attempts: 2, retryOn: 'reset-before-request' } },
        ]),
        dr('checkout', 'shop', 'checkout', subsets),
      ];
      expect(webhook(objects)).toEqual([
        'error spec.http[0].retries.retryOn: Istio\'s validating webhook refuses this: "reset-before-request" is not a valid retryOn policy',
      ]);
      expect(analyze(objects, { istioMinorOf: () => 23 })).toEqual([]);
    });
  });
});
