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

describe('routingSummary: shadow stages', () => {
  it('names each shadow stage, its share and what judges it', () => {
    const model = rolloutModel({
      cohort: undefined,
      stages: [
        { name: 'shadow', weight: 0, cohort: false, mirror: 25, bakeMs: 3_600_000 },
        { name: 'full', weight: 100, cohort: false },
      ],
      stage: 'shadow',
    });
    expect(routingSummary(model)).toEqual([
      `shadow: "shadow" mirrors 25 % for 1h of stable's requests to canary; users get stable's answers; judged on canary's reporter="destination" series, which in these stages hold mirrored requests only (the client proxy reports none)`,
    ]);
  });
});

describe('routingSummary: router gateway-api', () => {
  it('names the HTTPRoute parents and the per-version Services', () => {
    const model = rolloutModel({
      cohort: undefined,
      service: { host: 'web', port: 8080, gateways: ['ingress/public', 'mesh'] },
      gatewayApi: { stableService: 'web-stable', canaryService: 'web-canary' },
    });
    expect(routingSummary(model)).toEqual([
      "router: Gateway API HTTPRoute on Gateway ingress/public, the Service (GAMMA, mesh traffic), weighing Services web-stable (stable) and web-canary (canary); DestinationRules keep each one's traffic policy",
    ]);
  });
});
