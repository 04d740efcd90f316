import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../../constructs/compile.js';
import { schemaProblems } from '../../constructs/crd-schemas.js';
import { virtualServiceMessages } from '../../constructs/istio/route-validation.js';
import { destinationRuleMessages } from '../../constructs/istio/validation.js';
import { readIntents } from '../../app/workspace.js';

/**
 * docs/examples/traffic/*.yaml — intents using cohorts, sticky canaries, shadow stages and the
 * Gateway API router — compile to the committed docs/examples/traffic/generated/ files. After a
 * deliberate output change: `UPDATE_GOLDENS=1` on this test file, then review the diff.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const DIR = 'docs/examples/traffic';
const update = process.env.UPDATE_GOLDENS === '1';

describe('traffic examples', () => {
  const outputs = compile(readIntents(DIR, ROOT));

  it('has an example per feature', () => {
    expect(outputs.length).toBe(readdirSync(join(ROOT, DIR)).filter((f) => f.endsWith('.yaml')).length);
  });

  it.each(outputs.map((o) => [o.file, o] as const))('%s matches its golden file', (file, out) => {
    const golden = join(ROOT, DIR, 'generated', file);
    if (update) writeFileSync(golden, out.content);
    expect(out.content).toBe(readFileSync(golden, 'utf8'));
  });

  it.each(outputs.map((o) => [o.file, o] as const))('%s passes the CRD schemas and Istio checks', (_, out) => {
    for (const obj of out.objects) {
      expect(schemaProblems(obj)).toEqual([]);
      const spec = (obj.spec ?? {}) as Record<string, unknown>;
      if (obj.kind === 'VirtualService') expect(virtualServiceMessages(spec)).toEqual([]);
      if (obj.kind === 'DestinationRule') expect(destinationRuleMessages(spec)).toEqual([]);
    }
  });
});
