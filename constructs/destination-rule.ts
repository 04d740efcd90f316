import type { IDestinationRule } from '@kubernetes-models/istio/networking.istio.io/v1/DestinationRule';
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { ISTIO_API_VERSION, SUBSET_CANARY, SUBSET_STABLE } from './conventions.js';
import { formatProtoDuration as formatDuration } from './duration.js';
import type { RolloutModel, TrafficPolicyModel } from './model.js';
import { objectLabels } from './virtual-service.js';

/**
 * The DestinationRule spec as Istio's CRD types it (v1 and v1beta1 share it).
 *
 * Kept out of the exports: the published .d.ts must not name `@kubernetes-models` types, which a
 * stock cdk8s app (moduleResolution node10) cannot resolve (docs/design.md §5).
 */
type DestinationRuleSpec = NonNullable<IDestinationRule['spec']>;
type TrafficPolicy = NonNullable<DestinationRuleSpec['trafficPolicy']>;

export interface RolloutDestinationRuleProps {
  /** The resolved rollout intent. */
  readonly rollout: RolloutModel;
  /**
   * With router gateway-api: the rule of one version's own Service (no subsets; the HTTPRoute
   * weighs the Services). @default both subsets on the rollout's Service
   */
  readonly version?: 'stable' | 'canary';
}

/**
 * The Istio DestinationRule of a rollout: subsets `stable` and `canary` selected by the
 * version label, with the intent's outlier detection (stagegate's default when the intent says
 * nothing, none with `outlierDetection: false`) and connection pool for the host. Both subsets are
 * always present, also once a version has no pods left (IST0173 in a live cluster, README).
 */
export class RolloutDestinationRule extends Construct {
  public readonly apiObject: ApiObject;

  constructor(scope: Construct, id: string, props: RolloutDestinationRuleProps) {
    super(scope, id);
    const model = props.rollout;
    this.apiObject = new ApiObject(this, 'Resource', {
      apiVersion: model.istio?.apiVersion ?? ISTIO_API_VERSION,
      kind: 'DestinationRule',
      metadata: {
        name: props.version === undefined ? model.name : `${model.name}-${props.version}`,
        namespace: model.namespace,
        labels: objectLabels(model),
      },
      spec: props.version === undefined ? destinationRuleSpec(model) : versionRuleSpec(model, props.version),
    });
  }
}

/** The spec of a rollout's DestinationRule. */
function destinationRuleSpec(model: RolloutModel): DestinationRuleSpec {
  return {
    host: model.service.host,
    trafficPolicy: destinationPolicy(model.trafficPolicy),
    subsets: [
      { name: SUBSET_STABLE, labels: { [model.versionLabel]: model.stable } },
      { name: SUBSET_CANARY, labels: { [model.versionLabel]: model.canary } },
    ],
  };
}

/** One version's Service (router gateway-api): its traffic policy, no subsets. */
function versionRuleSpec(model: RolloutModel, version: 'stable' | 'canary'): DestinationRuleSpec {
  const services = model.gatewayApi!;
  const host = version === 'stable' ? services.stableService : services.canaryService;
  const policy = destinationPolicy(model.trafficPolicy);
  return { host, ...(policy ? { trafficPolicy: policy } : {}) };
}

const ms = (value: number | undefined) => (value === undefined ? undefined : formatDuration(value));

/** Undefined when there is nothing to say: Istio refuses an empty `trafficPolicy`. */
function destinationPolicy(tp: TrafficPolicyModel): TrafficPolicy | undefined {
  const od = tp.outlierDetection;
  const cp = tp.connectionPool;
  if (!od && !cp) return undefined;
  return {
    outlierDetection: od && {
      consecutive5xxErrors: od.consecutive5xxErrors,
      consecutiveGatewayErrors: od.consecutiveGatewayErrors,
      interval: ms(od.intervalMs),
      baseEjectionTime: ms(od.baseEjectionTimeMs),
      maxEjectionPercent: od.maxEjectionPercent,
      minHealthPercent: od.minHealthPercent,
    },
    connectionPool: cp && {
      tcp: cp.tcp && { maxConnections: cp.tcp.maxConnections, connectTimeout: ms(cp.tcp.connectTimeoutMs) },
      http: cp.http && {
        http1MaxPendingRequests: cp.http.http1MaxPendingRequests,
        http2MaxRequests: cp.http.http2MaxRequests,
        maxRequestsPerConnection: cp.http.maxRequestsPerConnection,
        maxRetries: cp.http.maxRetries,
        idleTimeout: ms(cp.http.idleTimeoutMs),
      },
    },
  };
}
