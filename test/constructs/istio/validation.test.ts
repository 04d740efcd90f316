import { describe, expect, it } from 'vitest';
import { rolloutObjects } from '../../../constructs/compile.js';
import {
  connectionPoolErrors,
  durationErrors,
  gatewayNameMessages,
  headerNameErrors,
  labelErrors,
  retryErrors,
  retryOnPolicies,
  wildcardDomainErrors,
} from '../../../constructs/istio/validation.js';
import { webhookErrors } from '../../../constructs/istio/route-validation.js';
import { rolloutModel } from '../fixtures.js';

// Every expectation is Istio's behaviour as read in istio/istio 1.22.0–1.30.0
// pkg/config/validation/{validation.go,agent/validation.go} and pkg/config/labels/instance.go.
describe("Istio's semantic validation, as data", () => {
  it('validateHTTPRetry: splits retryOn on "," without trimming; policies or status codes Go knows', () => {
    const retryOn = (r: string, minor?: number) =>
      retryErrors({ attempts: 1, retryOn: r }, minor).map((m) => m.message);
    expect(retryOn('5xx,gateway-error,reset,connect-failure,503,+503,0503,418')).toEqual([]);
    expect(retryOn('5xx, reset')).toEqual(['" reset" is not a valid retryOn policy']);
    expect(retryOn('5xx,')).toEqual(['"" is not a valid retryOn policy']);
    expect(retryOn('306,599,GATEWAY-ERROR')).toEqual([
      '"306" is not a valid retryOn policy',
      '"599" is not a valid retryOn policy',
      '"GATEWAY-ERROR" is not a valid retryOn policy',
    ]);
    // reset-before-request and http3-post-connect-failure: absent in 1.22.0, present from 1.23.0.
    expect(retryOn('reset-before-request')).toEqual(['"reset-before-request" is not a valid retryOn policy']);
    expect(retryOn('reset-before-request,http3-post-connect-failure', 23)).toEqual([]);
    expect(retryOnPolicies(22)).not.toContain('reset-before-request');
  });

  it('validateHTTPRetry: attempts 0 with perTryTimeout or retryOn is refused, attempts below 0 always', () => {
    expect(retryErrors({ attempts: 0, perTryTimeoutNanos: 5e8 }).map((m) => m.message)).toEqual([
      'http retry policy configured when attempts are set to 0 (disabled)',
    ]);
    expect(retryErrors({ attempts: 0 })).toEqual([]);
    expect(retryErrors({ attempts: -1 }).map((m) => m.message)).toEqual(['attempts cannot be negative']);
  });

  it('ValidateDuration: at least 1ms (1ms itself passes), whole milliseconds, no maximum', () => {
    expect(durationErrors(1_000_000)).toEqual([]);
    expect(durationErrors(0)).toEqual(['duration must be greater than 1ms']);
    expect(durationErrors(1_500_000)).toEqual(['only durations to ms precision are supported']);
    expect(durationErrors(7 * 24 * 3600e9)).toEqual([]);
  });

  it('validateGatewayNames: ns/name DNS-1123 labels (uppercase allowed), legacy form warned, stops after a name without "/"', () => {
    expect(gatewayNameMessages(['mesh', 'istio-system/Public-GW'])).toEqual([]);
    expect(gatewayNameMessages(['istio-system/public_gw', '/gw'])).toEqual([
      { path: [0], level: 'error', message: 'invalid value for gateway name: "public_gw"' },
      { path: [1], level: 'error', message: 'config namespace and gateway name cannot be empty' },
      { path: [1], level: 'error', message: 'invalid value for namespace: ""' },
    ]);
    expect(gatewayNameMessages(['gw.ns.svc.cluster.local'])).toEqual([
      {
        path: [0],
        level: 'warning',
        message:
          'using legacy gatewayName format "gw.ns.svc.cluster.local"; prefer the <namespace>/<name> format: "ns/gw"',
      },
    ]);
    // The quirk: after "mesh" (no "/"), the function returns, so the bad name is never checked.
    expect(gatewayNameMessages(['mesh', 'istio-system/public_gw'])).toEqual([]);
  });

  it('ValidateHTTPHeaderNameOrJwtClaimRoute: tchar from 1.23, only non-empty in 1.22; uppercase is fine', () => {
    expect(headerNameErrors('X-Cohort', 23)).toEqual([]);
    expect(headerNameErrors('x cohort', 23)).toEqual(['header name x cohort is not a valid header name']);
    expect(headerNameErrors('x cohort', 22)).toEqual([]);
    expect(headerNameErrors('', 22)).toEqual(['header name cannot be empty']);
    expect(headerNameErrors(':authority', 23)).toEqual([]);
  });

  it('ValidateWildcardDomain: short names, FQDNs and wildcards pass; bad labels and numeric TLDs do not', () => {
    expect(
      ['checkout', 'checkout.shop', 'checkout.shop.svc.cluster.local', '*.example.com', 'istio.io.'].flatMap(
        wildcardDomainErrors,
      ),
    ).toEqual([]);
    expect(wildcardDomainErrors('check_out')).toEqual(['domain name "check_out" invalid (label "check_out" invalid)']);
    expect(wildcardDomainErrors('a.123')).toEqual([
      'domain name "123" invalid (top level domain "123" cannot be all-numeric)',
    ]);
  });

  it('labels.Instance.Validate and validateConnectionPool, with Istio messages', () => {
    expect(labelErrors({ 'app.kubernetes.io/version': '2024.11.2', version: '' })).toEqual([]);
    expect(labelErrors({ 'bad key': 'v', version: 'v 1' })).toEqual([
      'invalid tag key: "bad key"',
      'invalid tag value: "v 1"',
    ]);
    expect(connectionPoolErrors({}).map((m) => m.message)).toEqual(['connection pool must have at least one field']);
    expect(connectionPoolErrors({ http: {} })).toEqual([]);
    expect(
      connectionPoolErrors({ tcp: { maxConnections: -1 }, http: { maxRetries: -2 } }).map((m) => m.message),
    ).toEqual(['max retries must be non-negative', 'max connections must be non-negative']);
  });

  // compile()'s last guard: a model the intent rules would never let through still does not leave synth.
  it('webhookErrors names what Istio would answer for the objects a model compiles to', () => {
    const model = rolloutModel({ trafficPolicy: { retries: { attempts: 0, retryOn: '5xx, reset' } } });
    expect(rolloutObjects(model).flatMap((o) => webhookErrors(o))).toEqual([
      'spec.http[0].retries.attempts: http retry policy configured when attempts are set to 0 (disabled)',
      'spec.http[0].retries.retryOn: " reset" is not a valid retryOn policy',
      'spec.http[1].retries.attempts: http retry policy configured when attempts are set to 0 (disabled)',
      'spec.http[1].retries.retryOn: " reset" is not a valid retryOn policy',
    ]);
    expect(rolloutObjects(rolloutModel()).flatMap((o) => webhookErrors(o))).toEqual([]);
  });
});
