import { Construct } from 'constructs';
import type { RolloutModel } from './model.js';
import { RolloutAlerts } from './rollout-alerts.js';
import { RolloutDashboard } from './rollout-dashboard.js';
import { RolloutDestinationRule } from './destination-rule.js';
import { formatPath, toModel, validateDocument } from './spec/index.js';
import type { RolloutDocument, RolloutSpec } from './spec/types.js';
import { INTENT_API_VERSION, INTENT_KIND } from './conventions.js';
import { RolloutVirtualService } from './virtual-service.js';

/**
 * A rollout intent written in TypeScript: the same field names as `spec` in
 * `rollouts/*.yaml`, plus where it lives.
 */
export interface StagedRolloutProps extends RolloutSpec {
  /** The rollout's name (DNS-1123 label). @default the construct id */
  readonly name?: string;
  /** Namespace of the Service and of every generated object. @default "default" */
  readonly namespace?: string;
}

const FROM_MODEL = Symbol('stagegate.fromModel');

/**
 * One staged rollout: a VirtualService, a DestinationRule and a PrometheusRule (and, when asked,
 * a Grafana dashboard) derived from one intent. Invalid props do not throw here; they are
 * reported by `cdk8s synth` as `[path] spec.stages[2].weight: …`, like every other construct.
 */
export class StagedRollout extends Construct {
  /** A rollout from an intent that was already parsed and validated (the YAML path). */
  public static fromModel(scope: Construct, id: string, model: RolloutModel): StagedRollout {
    return new StagedRollout(scope, id, { [FROM_MODEL]: model } as unknown as StagedRolloutProps);
  }

  /** The resolved intent; undefined when the props were invalid. */
  public readonly model?: RolloutModel;
  public readonly virtualService?: RolloutVirtualService;
  public readonly destinationRule?: RolloutDestinationRule;
  public readonly alerts?: RolloutAlerts;
  public readonly dashboard?: RolloutDashboard;

  constructor(scope: Construct, id: string, props: StagedRolloutProps) {
    super(scope, id);
    const given = (props as unknown as { [FROM_MODEL]?: RolloutModel })[FROM_MODEL];
    const model = given ?? this.modelFromProps(id, props);
    if (!model) return;
    this.model = model;
    this.virtualService = new RolloutVirtualService(this, 'VirtualService', { rollout: model });
    this.destinationRule = new RolloutDestinationRule(this, 'DestinationRule', { rollout: model });
    this.alerts = new RolloutAlerts(this, 'Alerts', { rollout: model });
    if (model.dashboard) this.dashboard = new RolloutDashboard(this, 'Dashboard', { rollout: model });
  }

  private modelFromProps(id: string, props: StagedRolloutProps): RolloutModel | undefined {
    const { name, namespace, ...spec } = props;
    const document: RolloutDocument = {
      apiVersion: INTENT_API_VERSION,
      kind: INTENT_KIND,
      metadata: namespace === undefined ? { name: name ?? id } : { name: name ?? id, namespace },
      spec,
    };
    const problems = validateDocument(document);
    if (problems.length > 0) {
      const messages = problems.map((p) => `${formatPath(p.path)}: ${p.message}`);
      this.node.addValidation({ validate: () => messages });
      return undefined;
    }
    return toModel(document);
  }
}
