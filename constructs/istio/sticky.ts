/**
 * Sticky canary: a user stays on the version they first got, as Flagger does on Istio
 * (fluxcd/flagger pkg/router/istio.go `getSessionAffinityRouteRules`): answers of the weighted
 * route carry a `Set-Cookie` (`headers.response.add` on the destination), and routes placed
 * before the weighted one send holders of the cookie to that version (a regex on the `cookie`
 * header, istio/cookies.ts). Istio takes the first route that matches, so a holder never reaches
 * the weights again while the cookie lives.
 *
 * Unlike Flagger's random per-run value, the cookie's value is the version itself (`v2`), so the
 * output stays a pure function of the intent (docs/design.md §1: generated files are diffs of
 * the intent) and a cookie from an earlier rollout names a version, not a stale run.
 *
 * - Canary answers set the cookie for `maxAge`. Stable answers set it for the stage's bake at
 *   most, as Flagger sets its primary cookie for one analysis interval: a user who drew stable is
 *   drawn again at each new stage's weight, instead of holding the weight of the first stage.
 * - At weight 0 and 100 there is nothing to keep apart: no sticky routes.
 * - Aborted: no sticky routes, so every request reaches the weighted route, now 100 % stable, at
 *   once; stable answers expire the cookie (Max-Age=0, RFC 6265 §5.2.2).
 */
import { formatDuration } from '../duration.js';
import { liveStage, type RolloutModel } from '../model.js';
import { cookieHeaderRegex } from './cookies.js';

/** Flagger's default session-affinity max age is one day (CanaryAnalysis.SessionAffinity GetMaxAge). */
export const DEFAULT_STICKY_MAX_AGE = '24h';

export interface StickyRouting {
  /** Routes before the weighted one: holders of `value` in the cookie go to `version`. */
  readonly routes: readonly { readonly version: 'canary' | 'stable'; readonly regex: string }[];
  /** `Set-Cookie` on the weighted route's answers, by version. */
  readonly setCookie: { readonly stable?: string; readonly canary?: string };
}

const NONE: StickyRouting = { routes: [], setCookie: {} };

const cookieLine = (name: string, value: string, maxAgeMs: number): string =>
  `${name}=${value}; Max-Age=${Math.floor(maxAgeMs / 1000)}; Path=/; HttpOnly`;

/** The sticky routes and cookies of `model` at its live stage. */
export function stickyRouting(model: RolloutModel): StickyRouting {
  const sticky = model.sticky;
  if (!sticky) return NONE;
  if (model.abort) return { routes: [], setCookie: { stable: `${sticky.cookie}=; Max-Age=0; Path=/; HttpOnly` } };
  const stage = liveStage(model);
  if (stage.weight === 0 || stage.weight === 100) return NONE;
  const stableMs = Math.min(sticky.maxAgeMs, stage.bakeMs ?? sticky.maxAgeMs);
  return {
    routes: [
      { version: 'canary', regex: cookieHeaderRegex(sticky.cookie, { exact: model.canary }) },
      { version: 'stable', regex: cookieHeaderRegex(sticky.cookie, { exact: model.stable }) },
    ],
    setCookie: {
      canary: cookieLine(sticky.cookie, model.canary, sticky.maxAgeMs),
      stable: cookieLine(sticky.cookie, model.stable, stableMs),
    },
  };
}

/** `plan`'s line about the sticky cookie. */
export function stickySummary(model: RolloutModel): string | undefined {
  const sticky = model.sticky;
  if (!sticky) return undefined;
  return `sticky: cookie ${sticky.cookie}; canary answers keep a user on canary for ${formatDuration(sticky.maxAgeMs)}, stable answers for the stage's bake at most (then drawn again at the new weight); no cookie route at 0 % and 100 %; abort sends everyone to stable and expires the cookie`;
}
