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
import { HTTPRoute } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute';

interface Validatable {
  validate(): void;
}
/** Any model class: what it accepts is exactly what `validate()` checks, so its static input type does not matter here. */
type ModelClass = new (data: never) => Validatable;

const MODELS: Record<string, ModelClass> = {
  'networking.istio.io/v1beta1/VirtualService': VirtualServiceV1beta1,
  'networking.istio.io/v1beta1/DestinationRule': DestinationRuleV1beta1,
  'networking.istio.io/v1/VirtualService': VirtualServiceV1,
  'networking.istio.io/v1/DestinationRule': DestinationRuleV1,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
  'v1/ConfigMap': ConfigMap,
  'gateway.networking.k8s.io/v1/HTTPRoute': HTTPRoute,
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
    new Model(obj as never).validate();
    return [];
  } catch (err) {
    return String((err as Error).message)
      .split(/,\s+(?=data\/)|\n/)
      .map((line) => line.trim())
      .filter((line) => line.length > 0)
      .map(jsonPointerToPath);
  }
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
