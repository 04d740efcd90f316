import { readdirSync, readFileSync } from 'node:fs';
import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { compile } from '../../constructs/compile.js';
import { schemaProblems, type KubeObject } from '../../constructs/crd-schemas.js';
import { virtualServiceMessages } from '../../constructs/istio/route-validation.js';
import { destinationRuleMessages } from '../../constructs/istio/validation.js';
import { StagedRollout, type StagedRolloutProps } from '../../constructs/index.js';

const base: StagedRolloutProps = {
  namespace: 'shop',
  service: { host: 'checkout', port: 8080 },
  stable: 'v1',
  canary: 'v2',
  stages: [
    { name: 'one-percent', weight: 1, bake: '1h' },
    { name: 'full', weight: 100 },
  ],
  stage: 'one-percent',
};

function synth(props: StagedRolloutProps): KubeObject[] {
  const chart = Testing.chart();
  new StagedRollout(chart, 'checkout', props);
  return Testing.synth(chart) as KubeObject[];
}
const istioObjects = (objects: KubeObject[]) => objects.filter((o) => o.apiVersion.startsWith('networking.istio.io/'));

describe('RolloutVirtualService and RolloutDestinationRule: API version', () => {
  // Istio serves networking.istio.io/v1 from 1.22 and stores it from 1.27 (crd-all.gen.yaml); was v1beta1.
  it('writes networking.istio.io/v1 by default, valid against its CRD schema', () => {
    const objects = istioObjects(synth(base));
    expect(objects.map((o) => `${o.apiVersion} ${o.kind}`)).toEqual([
      'networking.istio.io/v1 VirtualService',
      'networking.istio.io/v1 DestinationRule',
    ]);
    expect(objects.flatMap(schemaProblems)).toEqual([]);
  });

  it('writes networking.istio.io/v1beta1 when the intent asks for it, valid against that CRD schema', () => {
    const objects = istioObjects(synth({ ...base, istio: { apiVersion: 'v1beta1' } }));
    expect(objects.map((o) => o.apiVersion)).toEqual(['networking.istio.io/v1beta1', 'networking.istio.io/v1beta1']);
    expect(objects.flatMap(schemaProblems)).toEqual([]);
  });

  it('refuses any other apiVersion in the intent', () => {
    const chart = Testing.chart();
    new StagedRollout(chart, 'checkout', { ...base, istio: { apiVersion: 'v1alpha3' as 'v1' } });
    expect(() => Testing.synth(chart)).toThrow('spec.istio.apiVersion: must be one of: v1, v1beta1 (got "v1alpha3")');
  });
});

describe('RolloutVirtualService: retry policies by the Istio releases the intent targets', () => {
  const retries = { attempts: 2, retryOn: 'reset-before-request,5xx' };
  // supportedRetryOnPolicies has reset-before-request from 1.23.0 (absent in 1.22.0).
  it('refuses reset-before-request for the oldest supported Istio, 1.22', () => {
    const chart = Testing.chart();
    new StagedRollout(chart, 'checkout', { ...base, trafficPolicy: { retries } });
    expect(() => Testing.synth(chart)).toThrow(
      'spec.trafficPolicy.retries.retryOn: "reset-before-request" is not a valid retryOn policy',
    );
  });

  it('writes it for an intent that targets Istio 1.23 and later', () => {
    const vs = synth({ ...base, istio: { minVersion: '1.23' }, trafficPolicy: { retries } }).find(
      (o) => o.kind === 'VirtualService',
    )!;
    expect((vs.spec as { http: { retries: unknown }[] }).http[0]!.retries).toEqual(retries);
  });
});

describe("every shipped intent compiles to objects Istio's validating webhook admits", () => {
  for (const dir of ['rollouts', 'test/fixtures/good-intents', 'tools/demo/rollouts']) {
    it(`${dir}/`, () => {
      const sources = readdirSync(dir)
        .filter((f) => f.endsWith('.yaml'))
        .map((f) => ({ path: `${dir}/${f}`, text: readFileSync(`${dir}/${f}`, 'utf8') }));
      const messages = compile(sources).flatMap((c) =>
        c.objects.flatMap((o) => {
          const spec = (o.spec ?? {}) as Record<string, unknown>;
          const found =
            o.kind === 'VirtualService'
              ? virtualServiceMessages(spec)
              : o.kind === 'DestinationRule'
                ? destinationRuleMessages(spec)
                : [];
          return found.map((m) => `${o.kind} ${o.metadata.name} ${m.path.join('.')}: ${m.message}`);
        }),
      );
      expect(sources.length).toBeGreaterThan(0);
      expect(messages).toEqual([]);
    });
  }
});
