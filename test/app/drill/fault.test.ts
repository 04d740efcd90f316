import { describe, expect, it } from 'vitest';
import { drillRefusal, faultErrors } from '../../../app/drill/fault.js';

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
