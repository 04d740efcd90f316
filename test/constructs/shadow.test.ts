import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { buildRuleGroups, isAlertRule } from '../../constructs/alert-rules.js';
import { type KubeObject, schemaProblems } from '../../constructs/crd-schemas.js';
import { planStages } from '../../constructs/detectability.js';
import { StagedRollout, type StagedRolloutProps } from '../../constructs/index.js';
import { virtualServiceMessages } from '../../constructs/istio/route-validation.js';
import { toModel } from '../../constructs/spec/index.js';
import { routeRequest, seeded } from './istio/route-model.js';

const base: StagedRolloutProps = {
  namespace: 'shop',
  service: { host: 'payments', port: 8080 },
  stable: 'v1',
  canary: 'v2',
  shadow: { duplicatesSafe: true },
  stages: [
    { name: 'shadow', mirror: 20, bake: '1h' },
    { name: 'ten', weight: 10, bake: '1h' },
    { name: 'full', weight: 100 },
  ],
  stage: 'shadow',
  traffic: { requestsPerSecond: 100 },
};

function synth(props: StagedRolloutProps): KubeObject[] {
  const chart = Testing.chart();
  new StagedRollout(chart, 'payments', props);
  return Testing.synth(chart) as KubeObject[];
}
const vsSpec = (props: StagedRolloutProps) =>
  synth(props).find((o) => o.kind === 'VirtualService')!.spec as { http: Record<string, unknown>[] };
const problems = (props: StagedRolloutProps): string => {
  const chart = Testing.chart();
  new StagedRollout(chart, 'payments', props);
  try {
    Testing.synth(chart);
    return '';
  } catch (err) {
    return String((err as Error).message);
  }
};
const doc = (props: StagedRolloutProps) => {
  const { namespace, ...spec } = props;
  return toModel({
    apiVersion: 'stagegate.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'payments', namespace: namespace ?? 'default' },
    spec,
  });
};

describe('shadow stage: mirror + mirrorPercentage of stable traffic to canary', () => {
  it('mirrors on the weighted route, all of which goes to stable, in objects Istio and the CRD accept', () => {
    const objects = synth(base);
    const spec = vsSpec(base);
    expect(spec.http).toHaveLength(1);
    expect(spec.http[0]!.mirror).toEqual({ host: 'payments', port: { number: 8080 }, subset: 'canary' });
    expect(spec.http[0]!.mirrorPercentage).toEqual({ value: 20 });
    expect((spec.http[0]!.route as { weight: number }[]).map((d) => d.weight)).toEqual([100, 0]);
    expect(objects.flatMap(schemaProblems)).toEqual([]);
    expect(virtualServiceMessages(spec as unknown as Record<string, unknown>)).toEqual([]);
  });

  it('answers every user from stable and copies about a fifth of the requests to canary', () => {
    const spec = vsSpec(base);
    const random = seeded(3);
    const answers = Array.from({ length: 2000 }, () => routeRequest(spec, { headers: {} }, random));
    expect(answers.every((a) => a.subset === 'stable')).toBe(true);
    const mirrored = answers.filter((a) => a.mirroredTo === 'canary').length;
    expect(mirrored).toBeGreaterThan(340);
    expect(mirrored).toBeLessThan(460);
  });

  it('stops mirroring at the next stage and on abort', () => {
    expect(vsSpec({ ...base, stage: 'ten' }).http[0]!.mirror).toBeUndefined();
    const aborted = vsSpec({ ...base, abort: { reason: 'errors', at: '2026-12-02T12:00:00Z' } });
    expect(aborted.http[0]!.mirror).toBeUndefined();
  });

  it('sizes the sample from the mirrored rate, with its own minimum', () => {
    const [shadow] = planStages(doc(base));
    expect(shadow!.canaryRequestsPerSecond).toBe(20);
    expect(shadow!.mirror).toBe(20);
    const own = planStages(
      doc({ ...base, shadow: { duplicatesSafe: true, minRequests: 250 }, health: { minRequests: 900 } }),
    );
    expect(own.map((s) => s.minRequests)).toEqual([250, 900, 900]);
  });

  it('waits for enough mirrored requests: the too-few-requests hold alert exists in the shadow stage', () => {
    const alerts = buildRuleGroups(doc(base))
      .flatMap((g) => g.rules)
      .filter(isAlertRule)
      .map((r) => r.alert);
    expect(alerts).toContain('StagegateCanaryTooFewRequests');
  });

  it('refuses a shadow stage unless the intent says duplicated requests are safe, and says why', () => {
    expect(problems({ ...base, shadow: undefined })).toContain(
      'spec.stages[0].mirror: stage "shadow" mirrors requests but spec.shadow is not set: a shadow stage sends copies of real requests, writes included, to canary: a POST that charges a card or sends a mail runs on both versions; when the service is safe to receive requests twice (idempotent handlers, or a canary that writes to a sandbox), add spec.shadow: { duplicatesSafe: true }',
    );
    expect(problems({ ...base, shadow: { duplicatesSafe: false } })).toContain(
      'spec.shadow.duplicatesSafe: must be true for a shadow stage to compile',
    );
  });

  it('refuses users on canary in a shadow stage, a shadow stage after the cohort, and reporters that see no copies', () => {
    expect(
      problems({
        ...base,
        stages: [
          { name: 'shadow', mirror: 20, weight: 5, bake: '1h' },
          { name: 'full', weight: 100 },
        ],
      }),
    ).toContain('spec.stages[0].weight: must be 0 in a shadow stage (got 5)');
    expect(
      problems({
        ...base,
        cohort: { header: 'x-beta', values: ['1'] },
        stages: [
          { name: 'beta', cohort: true, bake: '1h' },
          { name: 'shadow', mirror: 20, bake: '1h' },
          { name: 'full', weight: 100 },
        ],
        stage: 'beta',
      }),
    ).toContain('spec.stages[1].mirror: stage "shadow" mirrors requests but comes at or after the cohort stage');
    expect(problems({ ...base, metrics: { reporter: 'source' } })).toContain(
      'spec.metrics.reporter: must be destination with a shadow stage (got "source"): Envoy sends mirrored requests through its async HTTP client',
    );
  });
});
