/**
 * Every generated object is checked against the CRD schema of its kind before anything is
 * written, using the models published as `@kubernetes-models/*` (generated from the CRDs).
 */
import { DestinationRule as DestinationRuleV1 } from '@kubernetes-models/istio/networking.istio.io/v1/DestinationRule';
import { VirtualService as VirtualServiceV1 } from '@kubernetes-models/istio/networking.istio.io/v1/VirtualService';
import { DestinationRule as DestinationRuleV1beta1 } from '@kubernetes-models/istio/networking.istio.io/v1beta1/DestinationRule';
import { VirtualService as VirtualServiceV1beta1 } from '@kubernetes-models/istio/networking.istio.io/v1beta1/VirtualService';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: any) => Validatable;

const MODELS: Record<string, ModelClass> = {
  'networking.istio.io/v1beta1/VirtualService': VirtualServiceV1beta1,
  'networking.istio.io/v1beta1/DestinationRule': DestinationRuleV1beta1,
  'networking.istio.io/v1/VirtualService': VirtualServiceV1,
  'networking.istio.io/v1/DestinationRule': DestinationRuleV1,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
  'v1/ConfigMap': ConfigMap,
};

export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly [key: string]: unknown;
}

/**
 * Problems of `obj` against its CRD schema, as `spec.http[0].route[0].weight must be integer`;
 * an unknown kind is itself a problem (we only emit kinds we can check).
 */
export function schemaProblems(obj: KubeObject): string[] {
  const Model = MODELS[`${obj.apiVersion}/${obj.kind}`];
  if (!Model) return [`no CRD schema known for ${obj.apiVersion} ${obj.kind}`];
  try {
    // A model's constructor deep-copies `obj` minus its undefined properties, then validates the
    // copy. The validators never modify data, so an object without undefined properties (every
    // cdk8s object: toJson() drops them) is validated in place: same verdict, same messages.
    if (hasUndefinedProperty(obj)) new Model(obj).validate();
    else Model.prototype.validate.call(obj);
    return [];
  } catch (err) {
    return String((err as Error).message)
      .split(/,\s+(?=data\/)|\n/)
      .map((line) => line.trim())
      .filter((line) => line.length > 0)
      .map(jsonPointerToPath);
  }
}

function hasUndefinedProperty(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasUndefinedProperty);
  if (typeof value !== 'object' || value === null) return false;
  for (const key of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined || hasUndefinedProperty(v)) return true;
  }
  return false;
}

/** "data/spec/http/0/weight must be integer" → "spec.http[0].weight must be integer". */
function jsonPointerToPath(line: string): string {
  return line.replace(/^data(\/\S*)?/, (_, pointer: string | undefined) => {
    if (!pointer) return '(object)';
    return pointer
      .split('/')
      .filter(Boolean)
      .map((part, i) => (/^\d+$/.test(part) ? `[${part}]` : i === 0 ? part : `.${part}`))
      .join('');
  });
}
