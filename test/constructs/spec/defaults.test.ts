import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile } from '../../../constructs/compile.js';
import { formatProblem, IntentError } from '../../../constructs/spec/index.js';
import { parseDefaults } from '../../../constructs/spec/defaults.js';

const checkout = { path: 'rollouts/checkout.yaml', text: readFileSync('rollouts/checkout.yaml', 'utf8') };
const defaults = (text: string) => ({ path: 'rollouts/_defaults.yaml', text });
const KUBE_PROMETHEUS_STACK = `apiVersion: stagegate.dev/v1alpha1
kind: Defaults
spec:
  alerts:
    labels: { release: kube-prometheus-stack }
    namespace: monitoring
  istio: { apiVersion: v1beta1 }
`;

function problems(sources: { path: string; text: string }[]): string[] {
  try {
    compile(sources);
    return [];
  } catch (err) {
    if (!(err instanceof IntentError)) throw err;
    return err.problems.map(formatProblem);
  }
}

describe('repository defaults (rollouts/_defaults.yaml)', () => {
  // Was: an intent could not add a label a Prometheus Operator ruleSelector needs (issue 11 item 6).
  it('gives every rollout the PrometheusRule labels and namespace, and the Istio API version, it leaves out', () => {
    const [out] = compile([checkout, defaults(KUBE_PROMETHEUS_STACK)]);
    const rule = out!.objects.find((o) => o.kind === 'PrometheusRule')!;
    expect(rule.metadata).toEqual({
      name: 'checkout-stagegate',
      namespace: 'monitoring',
      labels: {
        release: 'kube-prometheus-stack',
        'app.kubernetes.io/managed-by': 'stagegate',
        'stagegate.dev/rollout': 'checkout',
      },
    });
    expect(out!.objects.filter((o) => o.apiVersion.startsWith('networking.')).map((o) => o.apiVersion)).toEqual([
      'networking.istio.io/v1beta1',
      'networking.istio.io/v1beta1',
    ]);
  });

  it('lets an intent override the namespace and add labels, merged key by key', () => {
    const own = {
      ...checkout,
      text: `${checkout.text}  alerts:\n    labels: { team: checkout }\n    namespace: shop\n`,
    };
    const [out] = compile([own, defaults(KUBE_PROMETHEUS_STACK)]);
    const rule = out!.objects.find((o) => o.kind === 'PrometheusRule')!;
    expect(rule.metadata.namespace).toBe('shop');
    expect((rule.metadata as unknown as { labels: Record<string, string> }).labels).toMatchObject({
      release: 'kube-prometheus-stack',
      team: 'checkout',
    });
  });

  it('is not compiled as a rollout', () => {
    expect(compile([checkout, defaults(KUBE_PROMETHEUS_STACK)]).map((c) => c.file)).toEqual(['checkout.k8s.yaml']);
  });

  it('reports its own problems at file:line:column, with the messages an intent gets', () => {
    const text = `apiVersion: stagegate.dev/v1alpha1
kind: Rollout
spec:
  alerts:
    labels: { "bad key!": x, stagegate.dev/rollout: y }
  trafficPolicy: {}
`;
    expect(problems([checkout, defaults(text)])).toEqual([
      'rollouts/_defaults.yaml:2:7: kind: must be Defaults (rollouts/_defaults.yaml holds repository defaults, not a rollout)',
      'rollouts/_defaults.yaml:6:3: spec.trafficPolicy: unknown field "trafficPolicy" (repository defaults may set: alerts, istio, signalTemplates)',
      'rollouts/_defaults.yaml:5:15: spec.alerts.labels["bad key!"]: must be a Kubernetes label key such as "version" or "app.kubernetes.io/version" (got "bad key!")',
      'rollouts/_defaults.yaml:5:53: spec.alerts.labels["stagegate.dev/rollout"]: is set by stagegate on every PrometheusRule (stagegate.dev/rollout); choose another label',
    ]);
    expect(parseDefaults('d.yaml', KUBE_PROMETHEUS_STACK)).toEqual({
      ok: true,
      defaults: {
        alerts: { labels: { release: 'kube-prometheus-stack' }, namespace: 'monitoring' },
        istio: { apiVersion: 'v1beta1' },
      },
    });
  });
});
