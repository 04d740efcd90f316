import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../constructs/crd-schemas.js';
import { StagedRollout, type StagedRolloutProps } from '../../constructs/index.js';
import { virtualServiceMessages } from '../../constructs/istio/route-validation.js';
import { routeRequest, seeded, type ModelRequest } from './istio/route-model.js';

const base: StagedRolloutProps = {
  namespace: 'shop',
  service: { host: 'catalog', port: 8080 },
  stable: 'v1',
  canary: 'v2',
  cohort: {
    match: [
      { headers: { 'x-group': { exact: 'beta' }, 'x-region': { prefix: 'eu-' } } },
      { headers: { 'user-agent': { regex: '.*(Android|iPhone).*' } } },
      { cookie: { name: 'employee', exact: '1' } },
      { sourceLabels: { app: 'storefront' } },
    ],
  },
  stages: [
    { name: 'cohorts', cohort: true, bake: '1h' },
    { name: 'full', weight: 100 },
  ],
  stage: 'cohorts',
};

function virtualService(props: StagedRolloutProps): Record<string, unknown> {
  const chart = Testing.chart();
  new StagedRollout(chart, 'catalog', props);
  const vs = (Testing.synth(chart) as KubeObject[]).find((o) => o.kind === 'VirtualService')!;
  return vs.spec as Record<string, unknown>;
}

describe('cohort match: alternatives (OR) of conditions (AND), through a model of Istio route matching', () => {
  const spec = virtualService(base);
  const subset = (req: ModelRequest) => routeRequest(spec, req, seeded(1)).subset;

  it('compiles to a VirtualService Istio accepts', () => {
    expect(virtualServiceMessages(spec)).toEqual([]);
  });

  it.each([
    ['both conditions of one alternative', { 'x-group': 'beta', 'x-region': 'eu-west-1' }, 'canary'],
    ['only one of two ANDed conditions', { 'x-group': 'beta', 'x-region': 'us-east-1' }, 'stable'],
    ['an exact header with another value', { 'x-group': 'betas', 'x-region': 'eu-west-1' }, 'stable'],
    ['a user agent the RE2 regex matches in full', { 'user-agent': 'Mozilla/5.0 (iPhone; CPU)' }, 'canary'],
    ['a user agent it does not', { 'user-agent': 'Mozilla/5.0 (X11; Linux)' }, 'stable'],
    ['the cookie among others', { cookie: 'theme=dark; employee=1; lang=en' }, 'canary'],
    ['the cookie first', { cookie: 'employee=1' }, 'canary'],
    ['a cookie whose name ends the same', { cookie: 'xemployee=1' }, 'stable'],
    ['the cookie with another value', { cookie: 'employee=10' }, 'stable'],
    ['no condition', {}, 'stable'],
  ])('%s → %s', (_, headers, expected) => {
    expect(subset({ headers })).toBe(expected);
  });

  it('routes a sidecar caller by its workload labels', () => {
    expect(subset({ headers: {}, sourceLabels: { app: 'storefront', version: 'v3' } })).toBe('canary');
    expect(subset({ headers: {}, sourceLabels: { app: 'search' } })).toBe('stable');
  });

  it('keeps the short form (header + values) as one exact match per value', () => {
    const short = virtualService({ ...base, cohort: { header: 'x-group', values: ['beta', 'staff'] } });
    expect((short.http as { match: unknown }[])[0]!.match).toEqual([
      { headers: { 'x-group': { exact: 'beta' } } },
      { headers: { 'x-group': { exact: 'staff' } } },
    ]);
  });

  it('refuses a regex RE2 cannot compile, in Istio words', () => {
    const chart = Testing.chart();
    new StagedRollout(chart, 'catalog', {
      ...base,
      cohort: { match: [{ headers: { 'user-agent': { regex: '(?<!bot).*' } } }] },
    });
    expect(() => Testing.synth(chart)).toThrow(
      'spec.cohort.match[0].headers.user-agent.regex: "headers": error parsing regexp: invalid or unsupported Perl syntax: `(?<!`',
    );
  });
});
