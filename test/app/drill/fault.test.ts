import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { drilledVirtualService, drillRefusal, faultErrors } from '../../../app/drill/fault.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const objects = (file: string) =>
  parseAllDocuments(readFileSync(resolve(ROOT, 'generated', file), 'utf8')).map(
    (d) => d.toJSON() as Record<string, unknown>,
  );
const vsOf = (file: string) => objects(file).find((o) => o.kind === 'VirtualService')!;

describe('drill fault', () => {
  it("accepts what Istio's webhook accepts and refuses what it refuses, with Istio's messages", () => {
    expect(faultErrors({ kind: 'abort', httpStatus: 503, percent: 50 })).toEqual([]);
    expect(faultErrors({ kind: 'abort', httpStatus: 199, percent: 50 })).toEqual([
      'HTTP status 199 is not in range 200-599',
    ]);
    expect(faultErrors({ kind: 'abort', httpStatus: 503, percent: 0.00001 })).toEqual([
      'percentage 0.00001 is neither 0.0, nor in range [0.0001, 100.0]',
    ]);
    expect(faultErrors({ kind: 'delay', fixedDelayMs: 0.5, percent: 100 })).toEqual([
      'duration must be greater than 1ms',
    ]);
    expect(faultErrors({ kind: 'delay', fixedDelayMs: 1500, percent: 100 })).toEqual([]);
  });

  it('refuses faults the gate could not see: non-5xx aborts and 0 %', () => {
    expect(faultErrors({ kind: 'abort', httpStatus: 404, percent: 50 })).toEqual([
      'httpStatus 404: the error rules count 5xx only, so the gate would never turn red',
    ]);
    expect(faultErrors({ kind: 'abort', httpStatus: 503, percent: 0 })).toEqual([
      'percentage 0 injects nothing; the drill could not turn the gate red',
    ]);
  });

  it('puts the fault on the canary-only cohort route of a staged copy, schema-valid', () => {
    const drilled = drilledVirtualService(
      vsOf('checkout.k8s.yaml'),
      { kind: 'abort', httpStatus: 503, percent: 30 },
      'shop-staging',
    );
    const http = (drilled.spec as { http: Array<Record<string, unknown>> }).http;
    expect(http.map((r) => [r.name, r.fault])).toEqual([
      ['stagegate-cohort', { abort: { httpStatus: 503, percentage: { value: 30 } } }],
      ['stagegate-default', undefined],
    ]);
    expect((drilled.metadata as { namespace: string }).namespace).toBe('shop-staging');
  });

  it('refuses a stage whose canary traffic shares the weighted route with stable', () => {
    const vs = vsOf('checkout.k8s.yaml');
    const spec = vs.spec as { http: unknown[] };
    const noCohort = { ...vs, spec: { ...spec, http: spec.http.slice(1) } };
    expect(() =>
      drilledVirtualService(noCohort, { kind: 'delay', fixedDelayMs: 2000, percent: 100 }, 'staging'),
    ).toThrow(
      'no route of this stage sends traffic to the canary only: Istio applies a fault per route, before the weighted destination is picked, so it would hit stable too; drill a stage with the cohort route',
    );
  });

  it("fails Istio's schema for a percentage given as text", () => {
    const vs = vsOf('checkout.k8s.yaml');
    expect(() =>
      drilledVirtualService(vs, { kind: 'abort', httpStatus: 503, percent: '30' as unknown as number }, 'staging'),
    ).toThrow(/fault\/abort\/percentage\/value must be number/);
  });

  it('refuses a namespace not marked as staging unless --yes-production is given twice', () => {
    expect(drillRefusal('shop-staging', [], 0)).toBeUndefined();
    expect(drillRefusal('staging', [], 0)).toBeUndefined();
    expect(drillRefusal('rehearse', ['rehearse'], 0)).toBeUndefined();
    expect(drillRefusal('shop', [], 1)).toBe(
      'refusing to drill in shop: it is not marked as staging (staging, staging-*, *-staging or --staging-namespace shop), so it counts as production; give --yes-production twice to drill it anyway (given once)',
    );
    expect(drillRefusal('stagingarea', [], 0)).toMatch(/^refusing to drill in stagingarea: /);
    expect(drillRefusal('shop', [], 2)).toBeUndefined();
  });
});
