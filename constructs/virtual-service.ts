import type { IVirtualService } from '@kubernetes-models/istio/networking.istio.io/v1/VirtualService';
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import {
  ANNOTATION_ABORT_REASON,
  ISTIO_API_VERSION,
  LABEL_MANAGED_BY,
  LABEL_ROLLOUT,
  LABEL_STAGE,
  MANAGED_BY,
  ROUTE_COHORT,
  ROUTE_DEFAULT,
  ROUTE_STICKY_CANARY,
  ROUTE_STICKY_STABLE,
  SUBSET_CANARY,
  SUBSET_STABLE,
} from './conventions.js';
import { formatProtoDuration as formatDuration } from './duration.js';
import { cookieHeaderRegex } from './istio/cookies.js';
import { stickyRouting } from './istio/sticky.js';
import { type CohortMatchModel, effectiveRouting, type RolloutModel, type StringMatchModel } from './model.js';

/** Kept for existing importers; the names live in conventions.ts. */
export { ROUTE_COHORT, ROUTE_DEFAULT } from './conventions.js';

/**
 * The VirtualService spec as Istio's CRD types it (the same schema serves v1 and v1beta1), so a
 * misspelt key is a compile error.
 *
 * Kept out of the exports: the published .d.ts must not name `@kubernetes-models` types, which a
 * stock cdk8s app (moduleResolution node10) cannot resolve (docs/design.md §5).
 */
type VirtualServiceSpec = NonNullable<IVirtualService['spec']>;
type HttpRoute = NonNullable<VirtualServiceSpec['http']>[number];
type HttpMatch = NonNullable<HttpRoute['match']>[number];
type RouteDestination = NonNullable<HttpRoute['route']>[number]['destination'];

export interface RolloutVirtualServiceProps {
  /** The resolved rollout intent. */
  readonly rollout: RolloutModel;
}

/**
 * The Istio VirtualService of a rollout: the cohort header route first (100 % canary, from the
 * cohort stage on, so the first cohort stays on canary while traffic widens), then one default
 * route, last, with stable/canary weights summing to exactly 100. Both destinations are always
 * present so a stage change is a one-number diff.
 */
export class RolloutVirtualService extends Construct {
  public readonly apiObject: ApiObject;

  constructor(scope: Construct, id: string, props: RolloutVirtualServiceProps) {
    super(scope, id);
    const model = props.rollout;
    this.apiObject = new ApiObject(this, 'Resource', {
      apiVersion: model.istio?.apiVersion ?? ISTIO_API_VERSION,
      kind: 'VirtualService',
      metadata: {
        name: model.name,
        namespace: model.namespace,
        labels: { ...objectLabels(model), [LABEL_STAGE]: model.abort ? 'aborted' : model.stage },
        annotations: model.abort ? { [ANNOTATION_ABORT_REASON]: model.abort.reason } : undefined,
      },
      spec: virtualServiceSpec(model),
    });
  }
}

/** The spec of a rollout's VirtualService. */
function virtualServiceSpec(model: RolloutModel): VirtualServiceSpec {
  const routing = effectiveRouting(model);
  const destination = (subset: string): RouteDestination => ({
    host: model.service.host,
    port: { number: model.service.port },
    subset,
  });
  const policy = routePolicy(model);
  const http: HttpRoute[] = [];
  if (routing.cohortRoute && model.cohort) {
    http.push({
      name: ROUTE_COHORT,
      // One match block per alternative: Istio ORs match blocks and ANDs the fields inside one.
      match: model.cohort.match.map(matchRequest),
      route: [{ destination: destination(SUBSET_CANARY), weight: 100 }],
      ...policy,
      ...drillFault(model),
    });
  }
  // Sticky canary (istio/sticky.ts): cookie holders first, the weights after.
  const sticky = stickyRouting(model);
  for (const r of sticky.routes) {
    http.push({
      name: r.version === 'canary' ? ROUTE_STICKY_CANARY : ROUTE_STICKY_STABLE,
      match: [{ headers: { cookie: { regex: r.regex } } }],
      route: [{ destination: destination(r.version === 'canary' ? SUBSET_CANARY : SUBSET_STABLE), weight: 100 }],
      ...policy,
    });
  }
  const setCookie = (line: string | undefined) =>
    line === undefined ? {} : { headers: { response: { add: { 'Set-Cookie': line } } } };
  http.push({
    name: ROUTE_DEFAULT,
    route: [
      {
        destination: destination(SUBSET_STABLE),
        weight: 100 - routing.canaryWeight,
        ...setCookie(sticky.setCookie.stable),
      },
      { destination: destination(SUBSET_CANARY), weight: routing.canaryWeight, ...setCookie(sticky.setCookie.canary) },
    ],
    // Shadow stage (istio/shadow.ts): copies of stable's requests to canary; callers get stable's answers.
    ...(routing.mirrorPercent > 0
      ? { mirror: destination(SUBSET_CANARY), mirrorPercentage: { value: routing.mirrorPercent } }
      : {}),
    ...policy,
  });
  return { hosts: [model.service.host], gateways: [...model.service.gateways], http };
}

/**
 * A drill's fault (spec.drill) on the cohort route only: Istio applies `fault` per route, before
 * the weighted pick, so only a canary-only route faults the canary alone (app/drill/fault.ts).
 * An aborted rollout has no cohort route, so the rollback removes the fault with it.
 */
function drillFault(model: RolloutModel): Pick<HttpRoute, 'fault'> {
  const d = model.drill;
  if (!d) return {};
  return {
    fault: {
      ...(d.abort ? { abort: { httpStatus: d.abort.httpStatus, percentage: { value: d.abort.percent } } } : {}),
      ...(d.delay
        ? { delay: { fixedDelay: formatDuration(d.delay.fixedDelayMs), percentage: { value: d.delay.percent } } }
        : {}),
    },
  };
}

/** One cohort alternative as an HTTPMatchRequest; a cookie is a regex on the `cookie` header (istio/cookies.ts). */
function matchRequest(m: CohortMatchModel): HttpMatch {
  const headers: Record<string, StringMatchModel> = { ...m.headers };
  if (m.cookie) headers.cookie = { regex: cookieHeaderRegex(m.cookie.name, m.cookie.value) };
  return {
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
    ...(m.sourceLabels ? { sourceLabels: { ...m.sourceLabels } } : {}),
  };
}

/**
 * Labels on every object of a rollout. The live stage is only on the VirtualService, so a
 * stage PR changes one object.
 */
export function objectLabels(model: RolloutModel): Record<string, string> {
  return { [LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_ROLLOUT]: model.name };
}

function routePolicy(model: RolloutModel): Pick<HttpRoute, 'timeout' | 'retries'> {
  const tp = model.trafficPolicy;
  const out: Pick<HttpRoute, 'timeout' | 'retries'> = {};
  if (tp.timeoutMs !== undefined) out.timeout = formatDuration(tp.timeoutMs);
  if (tp.retries) {
    out.retries = {
      attempts: tp.retries.attempts,
      perTryTimeout: tp.retries.perTryTimeoutMs === undefined ? undefined : formatDuration(tp.retries.perTryTimeoutMs),
      retryOn: tp.retries.retryOn,
    };
  }
  return out;
}
