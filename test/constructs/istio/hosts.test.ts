import { describe, expect, it } from 'vitest';
import { hostProblem, metricsService, resolveHost } from '../../../constructs/istio/hosts.js';

describe('resolveHost (pilot ResolveShortnameToFQDN)', () => {
  it('completes only names without a dot, in the namespace of the object that names them', () => {
    expect(resolveHost('orders', 'shop')).toBe('orders.shop.svc.cluster.local');
    expect(resolveHost('orders', 'shop', 'corp.internal')).toBe('orders.shop.svc.corp.internal');
  });

  it('keeps dotted names, wildcards and addresses literally', () => {
    for (const host of [
      'orders.shop',
      'orders.shop.svc',
      'orders.shop.svc.cluster.local',
      '*',
      '*.shop.svc.cluster.local',
      '10.0.0.1',
    ])
      expect(resolveHost(host, 'shop')).toBe(host);
  });
});

describe('hostProblem', () => {
  it('accepts a short name, a Kubernetes FQDN and a ServiceEntry host', () => {
    expect(hostProblem('orders', 'shop')).toBeUndefined();
    expect(hostProblem('orders.shop.svc.cluster.local', 'shop')).toBeUndefined();
    expect(hostProblem('payments.example.com', 'shop', true)).toBeUndefined();
  });

  it('refuses name.namespace, saying Istio keeps it literally and what to write instead', () => {
    expect(hostProblem('orders.shop', 'shop')).toBe(
      'Istio uses a host containing a dot literally (pilot ResolveShortnameToFQDN completes only names without a dot), so "orders.shop" would not reach the Service orders in namespace shop; write host: orders, or the full name orders.shop.svc.cluster.local; for a ServiceEntry host named exactly "orders.shop" set service.serviceEntry: true',
    );
    expect(hostProblem('orders.billing', 'shop')).toContain('write host: orders with metadata.namespace: billing');
    expect(hostProblem('orders.shop.svc', 'shop')).toContain('"orders.shop.svc" would not reach');
  });
});

describe('metricsService (pilot buildServiceMetadata, serviceentry conversion)', () => {
  it('names a Kubernetes Service by its short name and namespace, however the host is written', () => {
    expect(metricsService('orders', 'shop')).toEqual({ name: 'orders', namespace: 'shop' });
    expect(metricsService('orders.billing.svc.cluster.local', 'shop')).toEqual({
      name: 'orders',
      namespace: 'billing',
    });
  });

  it('names a ServiceEntry host verbatim, in the rollout namespace', () => {
    expect(metricsService('payments.example.com', 'shop', true)).toEqual({
      name: 'payments.example.com',
      namespace: 'shop',
    });
  });
});
