import { describe, expect, it } from 'vitest';
import { responseHeaderErrors, virtualServiceMessages } from '../../../constructs/istio/route-validation.js';

/** istio/istio pkg/config/validation/virtualservice.go validateHTTPRoute / validateHTTPRouteMatchRequest. */
const dest = (subset: string, weight: number) => ({ destination: { host: 'catalog', subset }, weight });
const spec = (route: Record<string, unknown>) => ({
  hosts: ['catalog'],
  gateways: ['mesh'],
  http: [{ name: 'r', route: [dest('stable', 100), dest('canary', 0)], ...route }],
});
const errors = (route: Record<string, unknown>) =>
  virtualServiceMessages(spec(route)).map((m) => `${m.path.join('.')}: ${m.message}`);

describe('virtualServiceMessages: matches, response headers, mirrors', () => {
  it('refuses an empty prefix and an RE2-invalid regex in a header match', () => {
    expect(
      errors({ match: [{ headers: { 'x-a': { prefix: '' }, 'x-b': { regex: 'a(?=b)' } } }] }).map((e) =>
        e.slice(0, 114),
      ),
    ).toEqual([
      'http.0.match.0.headers.x-a: "headers": prefix string match should not be empty',
      'http.0.match.0.headers.x-b: "headers": error parsing regexp: invalid or unsupported Perl syntax: `(?=`; Istio uses',
    ]);
  });

  it('refuses a bad source label', () => {
    expect(errors({ match: [{ sourceLabels: { app: 'a b' } }] })).toEqual([
      'http.0.match.0.sourceLabels: invalid tag value: "a b"',
    ]);
  });

  it('refuses a mirror percentage above 100, as Go prints it', () => {
    expect(errors({ mirror: { host: 'catalog', subset: 'canary' }, mirrorPercentage: { value: 120 } })).toEqual([
      'http.0.mirrorPercentage: mirror_percentage must have a max value of 100 (it has 120.000000)',
    ]);
  });

  it('accepts a Set-Cookie response header and refuses Host and pseudo-headers', () => {
    expect(responseHeaderErrors('Set-Cookie', 'a=b; Max-Age=60; Path=/')).toEqual([]);
    expect(responseHeaderErrors('host', 'x')).toEqual(['invalid header "host": cannot set Host header']);
    expect(responseHeaderErrors(':status', 'x')).toEqual(['invalid header ":status": header cannot have ":" prefix']);
    expect(responseHeaderErrors('x-a', 'line\nbreak')).toEqual(['header value configuration line\nbreak is invalid']);
  });
});
