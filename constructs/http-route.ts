import type { IHTTPRoute } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute';
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { ANNOTATION_ABORT_REASON, LABEL_STAGE } from './conventions.js';
import { cookieHeaderRegex, re2Escape } from './istio/cookies.js';
import { stickyRouting } from './istio/sticky.js';
import { type CohortMatchModel, effectiveRouting, type RolloutModel, type StringMatchModel } from './model.js';
import { objectLabels } from './virtual-service.js';

/**
 * The HTTPRoute spec as the Gateway API CRD types it (gateway.networking.k8s.io/v1, from
 * @kubernetes-models/gateway-api). Kept out of the exports, like the Istio types (docs/design.md §5).
 */
type HttpRouteSpec = NonNullable<IHTTPRoute['spec']>;
type Rule = NonNullable<HttpRouteSpec['rules']>[number];
type Match = NonNullable<Rule['matches']>[number];
type HeaderMatch = NonNullable<Match['headers']>[number];
type BackendRef = NonNullable<Rule['backendRefs']>[number];
type ParentRef = NonNullable<HttpRouteSpec['parentRefs']>[number];

export const GATEWAY_API_VERSION = 'gateway.networking.k8s.io/v1';

export interface RolloutHttpRouteProps {
  /** The resolved rollout intent, with `gatewayApi` set (router: gateway-api). */
  readonly rollout: RolloutModel;
}

/**
 * The Gateway API HTTPRoute of a rollout (`router: gateway-api`): the same intent as the
 * VirtualService — cohort rules, sticky cookie rules, then the weighted rule — with weighted
 * `backendRefs` to one Service per version, as Flagger does on Gateway API (a primary and a canary
 * Service): an HTTPRoute has no subsets. Bound to Gateways (`service.gateways: [ns/name]`) for
 * ingress, or to the Service itself (`mesh`: GAMMA, Istio's mesh routing with Gateway API).
 *
 * Rule order carries over: Gateway API ranks matches by path, method, then the number of header
 * matches, and within one HTTPRoute by list order (HTTPRouteRule.matches docs). Every rule here
 * has the implicit path prefix "/", cohort and sticky rules have at least one header match
 * (sourceLabels are refused, spec/router-rules.ts) and the weighted rule none, so cohort, then
 * sticky, then weights — as in the VirtualService.
 */
export class RolloutHttpRoute extends Construct {
  public readonly apiObject: ApiObject;

  constructor(scope: Construct, id: string, props: RolloutHttpRouteProps) {
    super(scope, id);
    const model = props.rollout;
    this.apiObject = new ApiObject(this, 'Resource', {
      apiVersion: GATEWAY_API_VERSION,
      kind: 'HTTPRoute',
      metadata: {
        name: model.name,
        namespace: model.namespace,
        labels: { ...objectLabels(model), [LABEL_STAGE]: model.abort ? 'aborted' : model.stage },
        annotations: model.abort ? { [ANNOTATION_ABORT_REASON]: model.abort.reason } : undefined,
      },
      spec: httpRouteSpec(model),
    });
  }
}

/** `service.gateways` as parentRefs: `ns/name` a Gateway; `mesh` the Service itself (GAMMA). */
function parentRefs(model: RolloutModel): ParentRef[] {
  return model.service.gateways.map((g) => {
    if (g === 'mesh')
      return { group: '', kind: 'Service', name: model.service.host.split('.')[0]!, port: model.service.port };
    const [namespace, name] = g.split('/') as [string, string];
    return { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace, name };
  });
}

/** Gateway API Duration (`^([0-9]{1,5}(h|m|s|ms)){1,4}$`): whole seconds, else milliseconds. */
const gatewayDuration = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);

const headerMatch = (name: string, m: StringMatchModel): HeaderMatch =>
  'exact' in m
    ? { type: 'Exact', name, value: m.exact }
    : { type: 'RegularExpression', name, value: 'prefix' in m ? `${re2Escape(m.prefix)}.*` : m.regex };

function cohortMatch(m: CohortMatchModel): Match {
  const headers = Object.entries(m.headers).map(([name, sm]) => headerMatch(name, sm));
  if (m.cookie) headers.push(headerMatch('cookie', { regex: cookieHeaderRegex(m.cookie.name, m.cookie.value) }));
  return { headers };
}

function httpRouteSpec(model: RolloutModel): HttpRouteSpec {
  const services = model.gatewayApi!;
  const routing = effectiveRouting(model);
  const port = model.service.port;
  const timeouts =
    model.trafficPolicy.timeoutMs === undefined
      ? {}
      : { timeouts: { request: gatewayDuration(model.trafficPolicy.timeoutMs) } };
  const backend = (name: string, weight: number, setCookie?: string): BackendRef => ({
    name,
    port,
    weight,
    ...(setCookie === undefined
      ? {}
      : {
          filters: [
            {
              type: 'ResponseHeaderModifier',
              responseHeaderModifier: { add: [{ name: 'Set-Cookie', value: setCookie }] },
            },
          ],
        }),
  });
  const rules: Rule[] = [];
  if (routing.cohortRoute && model.cohort)
    rules.push({
      matches: model.cohort.match.map(cohortMatch),
      backendRefs: [backend(services.canaryService, 1)],
      ...timeouts,
    });
  const sticky = stickyRouting(model);
  for (const r of sticky.routes) {
    const name = r.version === 'canary' ? services.canaryService : services.stableService;
    rules.push({
      matches: [{ headers: [{ type: 'RegularExpression', name: 'cookie', value: r.regex }] }],
      backendRefs: [backend(name, 1)],
      ...timeouts,
    });
  }
  rules.push({
    backendRefs: [
      backend(services.stableService, 100 - routing.canaryWeight, sticky.setCookie.stable),
      backend(services.canaryService, routing.canaryWeight, sticky.setCookie.canary),
    ],
    // Shadow stage: RequestMirror copies the stage's share of the rule's requests (Gateway API
    // HTTPRequestMirrorFilter: `percent`, a whole number, or `fraction`; neither is 100 %).
    ...(routing.mirrorPercent > 0
      ? {
          filters: [
            {
              type: 'RequestMirror',
              requestMirror: {
                backendRef: { name: services.canaryService, port },
                ...mirrorShare(routing.mirrorPercent),
              },
            },
          ],
        }
      : {}),
    ...timeouts,
  });
  return { parentRefs: parentRefs(model), rules };
}

/** The share to mirror: nothing for 100 %, `percent` when whole, else a `fraction` of 1,000,000. */
function mirrorShare(percent: number): { percent?: number; fraction?: { numerator: number; denominator: number } } {
  if (percent >= 100) return {};
  if (Number.isInteger(percent)) return { percent };
  return { fraction: { numerator: Math.round(percent * 10_000), denominator: 1_000_000 } };
}
