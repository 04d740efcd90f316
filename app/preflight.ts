/**
 * A pre-flight analysis of generated Istio objects, before anything reaches a cluster. It looks
 * at the objects of *all* rollouts together, because the dangerous mistakes are between them
 * (two rollouts claiming one host) or between kinds (a route to a subset no rule defines).
 * Codes follow `istioctl analyze` where one exists (IST0101…) and use SG… otherwise.
 */
import type { KubeObject } from '../constructs/crd-schemas.js';
import { resolveHost } from '../constructs/istio/hosts.js';
import { virtualServiceMessages } from '../constructs/istio/route-validation.js';
import { destinationRuleMessages, type IstioMessage, ISTIO_SUPPORTED } from '../constructs/istio/validation.js';
import { formatPath } from '../constructs/spec/validate.js';

export type FindingLevel = 'error' | 'warning';

export interface Finding {
  readonly code: string;
  readonly level: FindingLevel;
  /** "VirtualService shop/checkout" */
  readonly object: string;
  /** Field path inside the object, e.g. "spec.http[1].route". */
  readonly path: string;
  readonly message: string;
}

interface Destination {
  host?: string;
  subset?: string;
  port?: { number?: number };
}
interface RouteDestination {
  destination?: Destination;
  weight?: number;
}
interface HttpRoute {
  name?: string;
  match?: Array<{ headers?: Record<string, unknown> }>;
  route?: RouteDestination[];
}

const describe = (obj: KubeObject) => `${obj.kind} ${obj.metadata.namespace ?? 'default'}/${obj.metadata.name}`;

/**
 * Hosts are compared as Istio resolves them: a dotless name in the namespace of the rule that
 * names it, any dotted name literally (constructs/istio/hosts.ts, pilot ResolveShortnameToFQDN).
 */
export function qualifyHost(host: string, namespace: string): string {
  return resolveHost(host, namespace);
}

export interface AnalyzeOptions {
  /** The oldest Istio minor an object must be valid for (retryOn policies, header names). @default 22 */
  readonly istioMinorOf?: (obj: KubeObject) => number;
}

/**
 * Istio's validating webhook on each VirtualService and DestinationRule (constructs/istio/
 * validation.ts): SG0110, an error where Istio refuses the object, a warning where it admits it
 * with an admission warning. Runs on any objects, also ones read back from a hand-edited generated/.
 */
export function webhookFindings(objects: readonly KubeObject[], opts: AnalyzeOptions = {}): Finding[] {
  const findings: Finding[] = [];
  for (const obj of objects) {
    const spec = (obj.spec ?? {}) as Record<string, unknown>;
    const minor = opts.istioMinorOf?.(obj) ?? ISTIO_SUPPORTED.oldestMinor;
    let messages: IstioMessage[];
    if (obj.kind === 'VirtualService') messages = virtualServiceMessages(spec, minor);
    else if (obj.kind === 'DestinationRule') messages = destinationRuleMessages(spec);
    else continue;
    for (const m of messages) {
      findings.push({
        code: 'SG0110',
        level: m.level,
        object: describe(obj),
        path: formatPath(['spec', ...m.path]),
        message:
          m.level === 'error'
            ? `Istio's validating webhook refuses this: ${m.message}`
            : `Istio admits this with a warning: ${m.message}`,
      });
    }
  }
  return findings;
}

export function analyze(objects: readonly KubeObject[], opts: AnalyzeOptions = {}): Finding[] {
  const findings: Finding[] = webhookFindings(objects, opts);
  const virtualServices = objects.filter((o) => o.kind === 'VirtualService');
  const destinationRules = objects.filter((o) => o.kind === 'DestinationRule');

  // Subsets each host defines, by qualified host.
  const subsets = new Map<string, Set<string>>();
  const ruleOwner = new Map<string, KubeObject>();
  for (const dr of destinationRules) {
    const ns = dr.metadata.namespace ?? 'default';
    const spec = (dr.spec ?? {}) as {
      host?: string;
      subsets?: Array<{ name?: string; labels?: Record<string, string> }>;
    };
    const host = qualifyHost(spec.host ?? '', ns);
    const first = ruleOwner.get(host);
    if (first) {
      findings.push({
        code: 'SG0105',
        level: 'error',
        object: describe(dr),
        path: 'spec.host',
        message: `host ${host} already has ${describe(first)}; Istio merges neither subsets nor policies reliably across two DestinationRules`,
      });
    } else {
      ruleOwner.set(host, dr);
    }
    const names = subsets.get(host) ?? new Set<string>();
    (spec.subsets ?? []).forEach((subset, i) => {
      if (!subset.labels || Object.keys(subset.labels).length === 0) {
        findings.push({
          code: 'SG0107',
          level: 'error',
          object: describe(dr),
          path: `spec.subsets[${i}].labels`,
          message: `subset "${subset.name}" selects no labels, so it matches every pod of the host`,
        });
      }
      if (subset.name) names.add(subset.name);
    });
    subsets.set(host, names);
  }

  const hostOwner = new Map<string, KubeObject>();
  for (const vs of virtualServices) {
    const ns = vs.metadata.namespace ?? 'default';
    const spec = (vs.spec ?? {}) as { hosts?: string[]; gateways?: string[]; http?: HttpRoute[] };
    for (const gateway of spec.gateways?.length ? spec.gateways : ['mesh']) {
      for (const host of spec.hosts ?? []) {
        const key = `${gateway}|${qualifyHost(host, ns)}`;
        const first = hostOwner.get(key);
        if (first && first !== vs) {
          findings.push({
            // istioctl's IST0109 covers the mesh gateway only (conflictingmeshgatewayhosts.go).
            code: gateway === 'mesh' ? 'IST0109' : 'SG0109',
            level: 'error',
            object: describe(vs),
            path: 'spec.hosts',
            message: `host ${host} on gateway ${gateway} is also routed by ${describe(first)}; two rollouts cannot own one host`,
          });
        } else {
          hostOwner.set(key, vs);
        }
      }
    }
    const http = spec.http ?? [];
    http.forEach((route, r) => {
      const at = `spec.http[${r}]`;
      if ((!route.match || route.match.length === 0) && r < http.length - 1) {
        findings.push({
          code: 'SG0106',
          level: 'warning',
          object: describe(vs),
          path: at,
          message: `route "${route.name ?? r}" matches everything, so the ${http.length - 1 - r} route(s) after it are never used`,
        });
      }
      (route.match ?? []).forEach((match, m) => {
        for (const header of Object.keys(match.headers ?? {})) {
          if (header !== header.toLowerCase()) {
            // Istio admits it and Envoy lowercases the name before matching (HeaderData keeps a
            // LowerCaseString), so it still matches; Istio's docs ask for lowercase.
            findings.push({
              code: 'SG0103',
              level: 'warning',
              object: describe(vs),
              path: `${at}.match[${m}].headers`,
              message: `header "${header}" has uppercase letters; Envoy matches it as "${header.toLowerCase()}", write that`,
            });
          }
        }
      });
      const destinations = route.route ?? [];
      if (destinations.length > 1) {
        const sum = destinations.reduce((total, d) => total + (d.weight ?? 0), 0);
        if (sum !== 100) {
          findings.push({
            code: 'SG0102',
            level: 'error',
            object: describe(vs),
            path: `${at}.route`,
            message: `weights sum to ${sum}, expected 100`,
          });
        }
      }
      destinations.forEach((d, i) => {
        const dest = d.destination ?? {};
        const host = qualifyHost(dest.host ?? '', ns);
        if (dest.port?.number === undefined) {
          findings.push({
            code: 'SG0104',
            level: 'error',
            object: describe(vs),
            path: `${at}.route[${i}].destination.port`,
            message: `route to ${dest.host} names no port; istioctl analyze reports IST0112 when the Service has more than one`,
          });
        }
        if (dest.subset !== undefined && !subsets.get(host)?.has(dest.subset)) {
          findings.push({
            code: 'IST0101',
            level: 'error',
            object: describe(vs),
            path: `${at}.route[${i}].destination.subset`,
            message: `subset "${dest.subset}" of host ${dest.host} is not defined by any DestinationRule`,
          });
        }
      });
    });
  }
  return findings;
}

export function formatFinding(f: Finding): string {
  return `${f.level} ${f.code} ${f.object} ${f.path}: ${f.message}`;
}
