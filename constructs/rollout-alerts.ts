import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { buildRuleGroups, type RuleGroup } from './alert-rules.js';
import { LABEL_MANAGED_BY, LABEL_ROLLOUT, MANAGED_BY, PROMETHEUS_RULE_API_VERSION } from './conventions.js';
import { fleetRolloutGroup } from './fleet-reads.js';
import type { RolloutModel } from './model.js';

export interface RolloutAlertsProps {
  /** The resolved rollout intent. */
  readonly rollout: RolloutModel;
}

/**
 * The PrometheusRule of a rollout (`<name>-stagegate`): recording rules per version and the
 * alerts that compare canary with stable (see alert-rules.ts for the design). Under the
 * repository's `alerts.layout: fleet` it holds only the rollout's own group (fleet-reads.ts
 * fleetRolloutGroup): the recordings and alerts shared with the other rollouts are in
 * stagegate-fleet (fleet-prometheus-rule.ts, docs/design.md §7 "Fleet layout (opt-in)"). The rule
 * groups are also exposed as data, for the health gate and for promtool tests.
 */
export class RolloutAlerts extends Construct {
  public readonly apiObject: ApiObject;
  /** The same rule groups that are in `spec.groups`. */
  public readonly groups: readonly RuleGroup[];

  constructor(scope: Construct, id: string, props: RolloutAlertsProps) {
    super(scope, id);
    const model = props.rollout;
    this.groups = model.alerts?.layout === 'fleet' ? [fleetRolloutGroup(model)] : buildRuleGroups(model);
    this.apiObject = new ApiObject(this, 'Resource', {
      apiVersion: PROMETHEUS_RULE_API_VERSION,
      kind: 'PrometheusRule',
      metadata: {
        name: `${model.name}-stagegate`,
        // Where the Prometheus Operator's ruleNamespaceSelector looks (README "The alerts").
        namespace: model.alerts?.namespace ?? model.namespace,
        // The intent's labels (e.g. `release: kube-prometheus-stack` for a ruleSelector) never
        // replace the two stagegate selects its own rules by (validate.ts refuses them).
        labels: { ...model.alerts?.labels, [LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_ROLLOUT]: model.name },
      },
      spec: { groups: this.groups },
    });
  }
}
