import { Construct } from 'constructs';
import { RolloutDestinationRule } from './destination-rule.js';
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
  public readonly virtualService: RolloutVirtualService;
  public readonly destinationRule: RolloutDestinationRule;
  public readonly alerts: RolloutAlerts;
  /** Present when the intent sets `dashboard: true`. */
  public readonly dashboard?: RolloutDashboard;

  constructor(scope: Construct, id: string, props: RolloutResourcesProps) {
    super(scope, id);
    const model = props.rollout;
    this.model = model;
    this.virtualService = new RolloutVirtualService(this, 'VirtualService', { rollout: model });
    this.destinationRule = new RolloutDestinationRule(this, 'DestinationRule', { rollout: model });
    this.alerts = new RolloutAlerts(this, 'Alerts', { rollout: model });
    if (model.dashboard) this.dashboard = new RolloutDashboard(this, 'Dashboard', { rollout: model });
  }
}
