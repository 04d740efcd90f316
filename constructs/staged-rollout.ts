import { Construct } from 'constructs';
import { INTENT_API_VERSION, INTENT_KIND } from './conventions.js';
import { RolloutResources } from './rollout-resources.js';
import { formatPath, toModel, validateDocument } from './spec/index.js';
import type { RolloutDocument, RolloutSpec } from './spec/types.js';

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

/**
 * One staged rollout from intent props: a VirtualService, a DestinationRule and a PrometheusRule
 * (and, when asked, a Grafana dashboard). Invalid props do not throw here; they are reported by
 * `cdk8s synth` as `[path] spec.stages[2].weight: …`, every problem at once, like every other
 * construct. Valid props build one {@link RolloutResources} (`resources`).
 *
 * Already have a resolved model (e.g. from `parseIntent`)? Build `RolloutResources` directly.
 */
export class StagedRollout extends Construct {
  /** The rollout's objects; undefined when the props were invalid (cdk8s synth then fails). */
  public readonly resources?: RolloutResources;

  constructor(scope: Construct, id: string, props: StagedRolloutProps) {
    super(scope, id);
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
      return;
    }
    this.resources = new RolloutResources(this, 'Resources', { rollout: toModel(document) });
  }
}
