import { describe, expect, it } from 'vitest';
import { formatPath, validateDocument, type RolloutDocument } from '../../../constructs/spec/index.js';

/** A valid intent as TypeScript props would build it; tests change one thing at a time. */
function intent(spec: Record<string, unknown> = {}, top: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'stagegate.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'checkout' },
    spec: {
      service: { host: 'checkout', port: 8080 },
      stable: 'v1',
      canary: 'v2',
      stages: [
        { name: 'ten', weight: 10, bake: '1h' },
        { name: 'full', weight: 100 },
      ],
      stage: 'ten',
      ...spec,
    },
    ...top,
  };
}

const messages = (doc: unknown): string[] => validateDocument(doc).map((p) => `${formatPath(p.path)}: ${p.message}`);

describe('formatPath', () => {
  it('writes keys with dots and indices in brackets', () => {
    expect(formatPath(['spec', 'stages', 2, 'weight'])).toBe('spec.stages[2].weight');
  });

  it('quotes keys that are not identifiers', () => {
    expect(formatPath(['spec', 'my key', 0])).toBe('spec["my key"][0]');
  });

  it('is empty for the document root', () => {
    expect(formatPath([])).toBe('');
  });
});

describe('validateDocument on plain objects', () => {
  it('accepts a minimal intent', () => {
    expect(validateDocument(intent())).toEqual([]);
  });

  it('treats properties set to undefined as absent, as TypeScript props often are', () => {
    expect(
      validateDocument(intent({ cohort: undefined, dashboard: undefined, health: { minRequests: undefined } })),
    ).toEqual([]);
  });

  it('reports a path with numeric indices for a value out of range', () => {
    const doc = intent({
      stages: [
        { name: 'a', weight: 10, bake: '1h' },
        { name: 'b', weight: 140 },
      ],
      stage: 'a',
    });
    expect(validateDocument(doc)).toEqual([
      { path: ['spec', 'stages', 1, 'weight'], message: 'must be between 0 and 100 (got 140)' },
    ]);
  });

  it('names both stages when weights decrease', () => {
    const doc = intent({
      stages: [
        { name: 'full', weight: 100, bake: '1h' },
        { name: 'half', weight: 50, bake: '1h' },
        { name: 'done', weight: 100 },
      ],
      stage: 'full',
    });
    expect(messages(doc)).toEqual(['spec.stages[1].weight: stage "half" has weight 50 but comes after "full" (100)']);
  });

  it('reports every problem of a document, not just the first', () => {
    const doc = intent({ service: { host: 'checkout', port: 0 }, canary: 'v1', stage: 'nope' }, { kind: 'Deployment' });
    expect(messages(doc)).toEqual([
      'kind: must be Rollout (got "Deployment")',
      'spec.service.port: must be between 1 and 65535 (got 0)',
      'spec.stage: must be one of the stage names: ten, full (got "nope")',
      'spec.canary: must differ from stable (both are "v1"); canary pods need their own value of the "version" label',
    ]);
  });

  it('suggests the closest field for an unknown key and drops the matching "is required"', () => {
    const doc = intent({ service: { host: 'checkout', prot: 8080 } });
    expect(messages(doc)).toEqual(['spec.service.prot: unknown field "prot" (did you mean "port"?)']);
  });

  it('marks a problem about an unknown key with at: "key", a plain field that survives a copy', () => {
    const [unknown] = validateDocument(intent({ service: { host: 'checkout', prot: 8080 } }));
    expect(structuredClone(unknown)).toEqual({
      path: ['spec', 'service', 'prot'],
      message: 'unknown field "prot" (did you mean "port"?)',
      at: 'key',
    });
    const [value] = validateDocument(intent({ stage: 'nowhere' }));
    expect(value?.at).toBeUndefined();
  });

  it('lists the allowed fields when no field is close', () => {
    expect(messages(intent({ replicas: 3 }))).toEqual([
      'spec.replicas: unknown field "replicas" (allowed: service, versionLabel, stable, canary, cohort, shadow, router, gatewayApi, sticky, stages, stage, abort, drill, health, trafficPolicy, timebox, metrics, traffic, dashboard, alerts, istio, clusters, onClusterFailure, signals)',
    ]);
  });

  it('requires spec.cohort for a cohort stage and allows only one cohort stage', () => {
    const doc = intent({
      stages: [
        { name: 'a', cohort: true, bake: '1h' },
        { name: 'b', cohort: true, weight: 10, bake: '1h' },
        { name: 'c', weight: 100 },
      ],
      stage: 'a',
    });
    expect(messages(doc)).toEqual([
      'spec.stages[0].cohort: stage "a" has cohort: true but spec.cohort is not set; add spec.cohort with a header and values',
      'spec.stages[1].cohort: stage "b" has cohort: true but "a" already does; only one stage may start the cohort',
    ]);
  });

  it('lets a cohort stage leave out its weight but no other stage', () => {
    const doc = intent({
      cohort: { header: 'x-cohort', values: ['beta'] },
      stages: [
        { name: 'beta', cohort: true, bake: '1h' },
        { name: 'some', bake: '1h' },
        { name: 'all', weight: 100 },
      ],
      stage: 'beta',
    });
    expect(messages(doc)).toEqual([
      'spec.stages[1].weight: is required (only a stage with cohort: true may leave it out; it then runs at 0)',
    ]);
  });

  it('checks perTryTimeout against timeout only when both are set', () => {
    expect(validateDocument(intent({ trafficPolicy: { retries: { attempts: 1, perTryTimeout: '10s' } } }))).toEqual([]);
    expect(
      messages(intent({ trafficPolicy: { timeout: '1s', retries: { attempts: 1, perTryTimeout: '1500ms' } } })),
    ).toEqual([
      'spec.trafficPolicy.retries.perTryTimeout: perTryTimeout 1500ms is longer than trafficPolicy.timeout 1s; each try must fit in the request timeout',
    ]);
  });

  it('compares the baseline error ratio with the default errorRatio.max when none is given', () => {
    expect(messages(intent({ traffic: { baselineErrorRatio: 0.01 } }))).toEqual([
      'spec.traffic.baselineErrorRatio: must be less than health.errorRatio.max (0.01, the default) (got 0.01)',
    ]);
    expect(validateDocument(intent({ traffic: { baselineErrorRatio: 0 } }))).toEqual([]);
  });

  it('accepts an abort with an RFC 3339 timestamp with offset and fraction', () => {
    expect(validateDocument(intent({ abort: { reason: 'errors', at: '2026-11-26T10:00:00.5+01:00' } }))).toEqual([]);
  });

  it('rejects an abort timestamp without a time zone', () => {
    expect(messages(intent({ abort: { reason: 'errors', at: '2026-11-26T10:00:00' } }))).toEqual([
      'spec.abort.at: must be an RFC 3339 timestamp such as 2026-11-26T10:00:00Z (got "2026-11-26T10:00:00")',
    ]);
  });

  it('accepts prefixed label keys and fully qualified hosts', () => {
    const doc = intent({
      versionLabel: 'app.kubernetes.io/version',
      service: { host: 'checkout.shop.svc.cluster.local', port: 80 },
    });
    expect(validateDocument(doc)).toEqual([]);
  });

  it('checks timebox.rollout against the default timebox.stage', () => {
    expect(messages(intent({ timebox: { rollout: '12h' } }))).toEqual([
      'spec.timebox.rollout: timebox.stage 24h (the default) is longer than timebox.rollout 12h',
    ]);
  });

  it('reports a root that is not a mapping', () => {
    expect(messages([1, 2])).toEqual([': must be a mapping (got a list)']);
  });

  it('types a valid document as RolloutDocument without casts in the test', () => {
    const doc: RolloutDocument = {
      apiVersion: 'stagegate.dev/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'x' },
      spec: {
        service: { host: 'x', port: 1 },
        stable: 'a',
        canary: 'b',
        stages: [{ name: 'all', weight: 100 }],
        stage: 'all',
      },
    };
    expect(validateDocument(doc)).toEqual([]);
  });
});
