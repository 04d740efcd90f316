import { Construct } from 'constructs';
import { RolloutDestinationRule } from './destination-rule.js';
import { RolloutHttpRoute } from './http-route.js';
import type { RolloutModel } from './model.js';
import { RolloutAlerts } from './rollout-alerts.js';
import { RolloutDashboard } from './rollout-dashboard.js';
import { RolloutVirtualService } from './virtual-service.js';

export interface RolloutResourcesProps {
  /** The resolved rollout intent (from `parseIntent` or `toModel`), already validated. */
  readonly rollout: RolloutModel;
}

/**
 * The objects of one rollout, built from its resolved model: a VirtualService, a
 * DestinationRule, a PrometheusRule and, when the intent asks for one, a Grafana dashboard.
 * The YAML path (`compile()`, `stagegate synth`) builds this directly; `StagedRollout` builds
 * one from validated props. Its children always exist (docs/design.md §5).
 */
export class RolloutResources extends Construct {
  /** The resolved intent the objects were built from. */
  public readonly model: RolloutModel;
  /** Absent with router gateway-api, which has `httpRoute` instead. */
  public readonly virtualService?: RolloutVirtualService;
  /** Present with router gateway-api (http-route.ts). */
  public readonly httpRoute?: RolloutHttpRoute;
  /** With router gateway-api: the canary Service's traffic policy (`destinationRule` is stable's). */
  public readonly canaryDestinationRule?: RolloutDestinationRule;
  public readonly destinationRule: RolloutDestinationRule;
  public readonly alerts: RolloutAlerts;
  /** Present when the intent sets `dashboard: true`. */
  public readonly dashboard?: RolloutDashboard;

  constructor(scope: Construct, id: string, props: RolloutResourcesProps) {
    super(scope, id);
    const model = props.rollout;
    this.model = model;
    if (model.gatewayApi) {
      // Gateway API weighs per-version Services; Istio still applies each one's DestinationRule policy.
      this.httpRoute = new RolloutHttpRoute(this, 'HttpRoute', { rollout: model });
      this.destinationRule = new RolloutDestinationRule(this, 'DestinationRule', { rollout: model, version: 'stable' });
      this.canaryDestinationRule = new RolloutDestinationRule(this, 'CanaryDestinationRule', {
        rollout: model,
        version: 'canary',
      });
    } else {
      this.virtualService = new RolloutVirtualService(this, 'VirtualService', { rollout: model });
      this.destinationRule = new RolloutDestinationRule(this, 'DestinationRule', { rollout: model });
    }
    this.alerts = new RolloutAlerts(this, 'Alerts', { rollout: model });
    if (model.dashboard) this.dashboard = new RolloutDashboard(this, 'Dashboard', { rollout: model });
  }
}
