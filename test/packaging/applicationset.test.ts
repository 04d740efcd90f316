/**
 * docs/examples/applicationset.yaml against the fields of Argo CD's ApplicationSet CRD
 * (argoproj/argo-cd manifests/crds/applicationset-crd.yaml, read at commit 004a9db): the parts
 * the example uses, transcribed as closed JSON Schema objects, so a misspelt or invented field
 * fails. The @kubernetes-models/argo-cd package would carry the whole schema; it is not a
 * dependency here (report-waves.md).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = resolve(import.meta.dirname, '../..');
type Schema = Record<string, unknown>;
const str = { type: 'string' };
const closed = (properties: Record<string, Schema>, required: string[] = []): Schema => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
});
const stringMap = { type: 'object', additionalProperties: str };
// spec.template.spec (the Application spec): the CRD's property names.
const applicationSpec = closed(
  {
    destination: closed({ name: str, namespace: str, server: str }),
    ignoreDifferences: { type: 'array' },
    info: { type: 'array' },
    project: str,
    revisionHistoryLimit: { type: 'integer' },
    source: closed(
      {
        chart: str,
        directory: { type: 'object' },
        helm: { type: 'object' },
        kustomize: { type: 'object' },
        name: str,
        path: str,
        plugin: closed({ env: { type: 'array' }, name: str, parameters: { type: 'array' } }),
        ref: str,
        repoURL: str,
        targetRevision: str,
      },
      ['repoURL'],
    ),
    sources: { type: 'array' },
    syncPolicy: closed({
      automated: closed({
        allowEmpty: { type: 'boolean' },
        enabled: { type: 'boolean' },
        prune: { type: 'boolean' },
        selfHeal: { type: 'boolean' },
      }),
      managedNamespaceMetadata: { type: 'object' },
      retry: { type: 'object' },
      syncOptions: { type: 'array', items: str },
    }),
  },
  ['destination', 'project'],
);
const template = closed(
  {
    metadata: closed({
      annotations: stringMap,
      finalizers: { type: 'array' },
      labels: stringMap,
      name: str,
      namespace: str,
    }),
    spec: applicationSpec,
  },
  ['metadata', 'spec'],
);
const labelSelector = closed({ matchExpressions: { type: 'array' }, matchLabels: stringMap });
const APPLICATION_SET = closed(
  {
    apiVersion: { const: 'argoproj.io/v1alpha1' },
    kind: { const: 'ApplicationSet' },
    metadata: { type: 'object' },
    spec: closed(
      {
        applyNestedSelectors: { type: 'boolean' },
        generators: {
          type: 'array',
          items: closed({
            clusters: closed({ flatList: { type: 'boolean' }, selector: labelSelector, template, values: stringMap }),
            selector: labelSelector,
          }),
        },
        goTemplate: { type: 'boolean' },
        goTemplateOptions: { type: 'array', items: str },
        ignoreApplicationDifferences: { type: 'array' },
        preservedFields: { type: 'object' },
        strategy: { type: 'object' },
        syncPolicy: { type: 'object' },
        template,
        templatePatch: str,
      },
      ['generators', 'template'],
    ),
  },
  ['apiVersion', 'kind', 'spec'],
);

const example = parse(readFileSync(join(ROOT, 'docs/examples/applicationset.yaml'), 'utf8'));

describe('the Argo CD ApplicationSet example', () => {
  it('uses only fields of the ApplicationSet CRD', () => {
    const validate = new Ajv({ allErrors: true, strict: false }).compile(APPLICATION_SET);
    validate(example);
    expect(validate.errors ?? []).toEqual([]);
  });

  it('would fail on a field the CRD does not have (the check can fail)', () => {
    const validate = new Ajv({ allErrors: true, strict: false }).compile(APPLICATION_SET);
    const wrong = structuredClone(example);
    wrong.spec.template.spec.source.folder = 'generated/{{.name}}';
    expect(validate(wrong)).toBe(false);
  });

  it('maps each cluster of the cluster generator to generated/<cluster>/, the folder synth writes', () => {
    expect(example.spec.generators[0].clusters.selector.matchLabels).toEqual({ 'stagegate.dev/wave': 'true' });
    expect(example.spec.template.spec.source.path).toBe('generated/{{.name}}');
    expect(example.spec.template.spec.destination.server).toBe('{{.server}}');
    expect(example.spec.goTemplateOptions).toEqual(['missingkey=error']);
  });
});
