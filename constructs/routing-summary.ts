/**
 * What the routes of a rollout do beyond weights, in words, for `stagegate plan`: who the cohort
 * is, how the sticky cookie keeps users on a version, what a shadow stage mirrors.
 */
import { shadowSummary } from './istio/shadow.js';
import { stickySummary } from './istio/sticky.js';
import type { CohortMatchModel, RolloutModel, StringMatchModel } from './model.js';

const matchText = (m: StringMatchModel): string =>
  'exact' in m ? `= ${JSON.stringify(m.exact)}` : 'prefix' in m ? `prefix ${JSON.stringify(m.prefix)}` : `~ ${m.regex}`;

function alternativeText(m: CohortMatchModel): string {
  const parts = [
    ...Object.entries(m.headers).map(([name, sm]) => `${name} ${matchText(sm)}`),
    ...(m.cookie ? [`cookie ${m.cookie.name} ${matchText(m.cookie.value)}`] : []),
    ...(m.sourceLabels
      ? [
          `caller ${Object.entries(m.sourceLabels)
            .map(([k, v]) => `${k}=${v}`)
            .join(',')}`,
        ]
      : []),
  ];
  return parts.join(' and ');
}

/** One line per routing feature the intent uses; none for weights alone. */
export function routingSummary(model: RolloutModel): string[] {
  const out: string[] = [];
  if (model.gatewayApi) {
    const parents = model.service.gateways.map((g) =>
      g === 'mesh' ? 'the Service (GAMMA, mesh traffic)' : `Gateway ${g}`,
    );
    out.push(
      `router: Gateway API HTTPRoute on ${parents.join(', ')}, weighing Services ${model.gatewayApi.stableService} (stable) and ${model.gatewayApi.canaryService} (canary); DestinationRules keep each one's traffic policy`,
    );
  }
  if (model.cohort) {
    const alts = model.cohort.match.map(alternativeText);
    out.push(
      `cohort: ${alts.length > 1 ? `any of: ${alts.join(' | ')}` : alts[0]} (header regexes are RE2, full match)`,
    );
  }
  const shadow = shadowSummary(model);
  if (shadow) out.push(shadow);
  const sticky = stickySummary(model);
  if (sticky) out.push(sticky);
  return out;
}
