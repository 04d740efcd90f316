import { describe, expect, it } from 'vitest';
import { routingSummary } from '../../constructs/routing-summary.js';
import { rolloutModel } from './fixtures.js';

describe('routingSummary: what plan prints about the routes', () => {
  it('says nothing for weights alone', () => {
    expect(routingSummary(rolloutModel({ cohort: undefined }))).toEqual([]);
  });

  it('names each cohort alternative and its conditions', () => {
    const model = rolloutModel({
      cohort: {
        label: 'x-beta, cookie employee',
        match: [
          { headers: { 'x-beta': { exact: 'yes' }, 'user-agent': { regex: '.*iPhone.*' } } },
          { headers: {}, cookie: { name: 'employee', value: { prefix: 'staff-' } }, sourceLabels: { app: 'web' } },
        ],
      },
    });
    expect(routingSummary(model)).toEqual([
      'cohort: any of: x-beta = "yes" and user-agent ~ .*iPhone.* | cookie employee prefix "staff-" and caller app=web (header regexes are RE2, full match)',
    ]);
  });

  it('says how long the sticky cookie keeps users on each version', () => {
    const model = rolloutModel({ cohort: undefined, sticky: { cookie: 'sg', maxAgeMs: 86_400_000 } });
    expect(routingSummary(model)).toEqual([
      "sticky: cookie sg; canary answers keep a user on canary for 24h, stable answers for the stage's bake at most (then drawn again at the new weight); no cookie route at 0 % and 100 %; abort sends everyone to stable and expires the cookie",
    ]);
  });
});
