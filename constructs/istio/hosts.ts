/**
 * Service hosts as Istio handles them: how pilot expands a host written in a VirtualService or
 * DestinationRule, and how the proxy names the service on its metrics. The constructs emit the
 * host as written (it is one of the forms below that Istio resolves as meant); the pre-flight
 * compares hosts through {@link resolveHost}; the rules select by {@link metricsService}.
 *
 * Sources:
 * - istio/istio@1.30.0 pilot/pkg/model/config.go `ResolveShortnameToFQDN` l.197–227: only a
 *   name without a dot is completed (`name.<namespace of the VS/DR>.svc.<domain>`); "if FQDN is
 *   specified, do not append domain or namespace" — any dotted name is used literally.
 * - istio/istio@1.30.0 pkg/config/analysis/analyzers/util/hosts.go `ConvertHostToFQDN` l.76:
 *   `istioctl analyze` does the same, with the domain fixed to cluster.local.
 * - istio/istio@1.30.0 pilot/pkg/networking/core/cluster.go `buildServiceMetadata` l.1000–1020:
 *   the metrics' `destination_service` is the Service's hostname (FQDN),
 *   `destination_service_name` its short name (`svc.Attributes.Name`),
 *   `destination_service_namespace` its namespace.
 * - istio/istio@1.30.0 pilot/pkg/serviceregistry/serviceentry/conversion.go l.299–303: a
 *   ServiceEntry host becomes a service whose `Attributes.Name` is the host itself and whose
 *   namespace is the ServiceEntry's, so its `destination_service_name` is the host verbatim.
 */

export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';

const IPV4_RE = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * The hostname pilot matches a VS/DR host against, for an object in `namespace`: pilot's
 * `ResolveShortnameToFQDN`. `orders` → `orders.shop.svc.cluster.local`; `orders.shop` stays
 * `orders.shop` (which is not the Kubernetes Service `orders` in `shop`).
 */
export function resolveHost(host: string, namespace: string, clusterDomain = DEFAULT_CLUSTER_DOMAIN): string {
  if (host === '' || host === '*' || host.includes(':') || IPV4_RE.test(host) || host.includes('.')) return host;
  let out = host;
  if (namespace !== '') out += `.${namespace}`;
  if (clusterDomain !== '') out += `.svc.${clusterDomain}`;
  return out;
}

/** `name.namespace.svc.<domain>`: a Kubernetes Service's hostname (any cluster domain). */
const KUBE_FQDN_RE = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.svc\.(.+)$/;

export type HostForm =
  | { readonly kind: 'short'; readonly name: string }
  | { readonly kind: 'fqdn'; readonly name: string; readonly namespace: string; readonly domain: string }
  | { readonly kind: 'partial'; readonly name: string; readonly namespace: string; readonly svc: boolean }
  | { readonly kind: 'service-entry'; readonly host: string };

/** Which form `host` takes, for a Kubernetes Service host (`serviceEntry` false) or a ServiceEntry host. */
export function hostForm(host: string, serviceEntry = false): HostForm {
  if (serviceEntry) return { kind: 'service-entry', host };
  if (!host.includes('.')) return { kind: 'short', name: host };
  const fqdn = KUBE_FQDN_RE.exec(host);
  if (fqdn) return { kind: 'fqdn', name: fqdn[1]!, namespace: fqdn[3]!, domain: fqdn[5]! };
  const [name = '', namespace = '', third] = host.split('.');
  return { kind: 'partial', name, namespace, svc: third === 'svc' };
}

/**
 * Why Istio would not reach the intended Service through `host`, with the fix; undefined when
 * the host is a form Istio resolves as meant. `namespace` is the rollout's.
 */
export function hostProblem(host: string, namespace: string, serviceEntry = false): string | undefined {
  const form = hostForm(host, serviceEntry);
  if (form.kind !== 'partial') return undefined;
  const fqdn = `${form.name}.${form.namespace}.svc.${DEFAULT_CLUSTER_DOMAIN}`;
  const sameNs = form.namespace === namespace;
  const shortFix = sameNs
    ? `write host: ${form.name}`
    : `write host: ${form.name} with metadata.namespace: ${form.namespace}`;
  return `Istio uses a host containing a dot literally (pilot ResolveShortnameToFQDN completes only names without a dot), so "${host}" would not reach the Service ${form.name} in namespace ${form.namespace}; ${shortFix}, or the full name ${fqdn}; for a ServiceEntry host named exactly "${host}" set service.serviceEntry: true`;
}

/** The service as Istio's metrics name it: `destination_service_name` and `destination_service_namespace`. */
export interface MetricsService {
  readonly name: string;
  readonly namespace: string;
}

/**
 * How the proxy names the rollout's service on its metrics: the short name and the Service's
 * namespace for a Kubernetes Service (from its FQDN when written so), the host verbatim and the
 * rollout namespace for a ServiceEntry.
 */
export function metricsService(host: string, namespace: string, serviceEntry = false): MetricsService {
  const form = hostForm(host, serviceEntry);
  switch (form.kind) {
    case 'short':
      return { name: form.name, namespace };
    case 'fqdn':
    case 'partial':
      return { name: form.name, namespace: form.namespace };
    case 'service-entry':
      return { name: form.host, namespace };
  }
}
