/**
 * The shared PrometheusRule of `alerts.layout: fleet` (docs/design.md §7, "Fleet layout
 * (opt-in)"): `stagegate-fleet` in the defaults' `alerts.namespace`, written to
 * generated/stagegate-fleet.k8s.yaml. It holds the fleet groups of fleet-rules.ts with
 * fleet-wide alerts (one group per metrics shape, and its slow group) for every rollout of the
 * repository; each rollout's own PrometheusRule holds only its own group (fleet-reads.ts). The
 * fleet groups serve every stage of every rollout, so a stage advance leaves this object as it is
 * and the bot, which regenerates one rollout at a time, never touches it.
 */
import { ApiObject, App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import type { RuleGroup } from './alert-rules.js';
import { FLEET_RULE_NAME, LABEL_MANAGED_BY, MANAGED_BY, PROMETHEUS_RULE_API_VERSION } from './conventions.js';
import type { KubeObject } from './crd-schemas.js';
import { fleetSharedGroups } from './fleet-rules.js';
import type { RolloutModel } from './model.js';

export interface FleetPrometheusRuleProps {
  /** The rollouts the fleet groups serve: every rollout of the repository, in any order. */
  readonly rollouts: readonly RolloutModel[];
  /** Namespace of the PrometheusRule: the defaults' `alerts.namespace`. */
  readonly namespace: string;
  /** The defaults' `alerts.labels` (a ruleSelector's, e.g. `release: kube-prometheus-stack`). */
  readonly labels?: Readonly<Record<string, string>>;
}

export class FleetPrometheusRule extends Construct {
  public readonly apiObject: ApiObject;
  /** The same rule groups that are in `spec.groups`. */
  public readonly groups: readonly RuleGroup[];

  constructor(scope: Construct, id: string, props: FleetPrometheusRuleProps) {
    super(scope, id);
    // By name (unique across the repository, compile.ts), so the file is the same whatever the
    // order the intents were read in: the groups follow the order of their first rollout.
    const rollouts = [...props.rollouts].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this.groups = fleetSharedGroups(rollouts, { alerts: 'fleet' });
    this.apiObject = new ApiObject(this, 'Resource', {
      apiVersion: PROMETHEUS_RULE_API_VERSION,
      kind: 'PrometheusRule',
      metadata: {
        name: FLEET_RULE_NAME,
        namespace: props.namespace,
        // The label stagegate's own rules carry (rollout-alerts.ts), without a rollout's: this one is every rollout's.
        labels: { ...props.labels, [LABEL_MANAGED_BY]: MANAGED_BY },
      },
      spec: { groups: this.groups },
    });
  }
}

/** The object of the fleet PrometheusRule, through cdk8s in an App of its own (as compile.ts rolloutObjects). */
export function fleetObjects(props: FleetPrometheusRuleProps): KubeObject[] {
  const app = new App({ outdir: '/nonexistent' });
  const chart = new Chart(app, FLEET_RULE_NAME);
  new FleetPrometheusRule(chart, FLEET_RULE_NAME, props);
  return chart.toJson() as KubeObject[];
}
