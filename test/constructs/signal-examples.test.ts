import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readIntents } from '../../app/workspace.js';
import { compile } from '../../constructs/compile.js';
import { schemaProblems } from '../../constructs/crd-schemas.js';

/**
 * docs/examples/signals/*.yaml — intents with user-defined signals — compile to the committed
 * docs/examples/signals/generated/ files (PrometheusRule with the signals' rules, dashboard with
 * their panels). After a deliberate output change: `UPDATE_GOLDENS=1` on this test file, then
 * review the diff.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const DIR = 'docs/examples/signals';
const update = process.env.UPDATE_GOLDENS === '1';

describe('signal examples', () => {
  const outputs = compile(readIntents(DIR, ROOT));

  it.each(outputs.map((o) => [o.file, o] as const))('%s matches its golden file', (file, out) => {
    const golden = join(ROOT, DIR, 'generated', file);
    if (update) {
      mkdirSync(join(ROOT, DIR, 'generated'), { recursive: true });
      writeFileSync(golden, out.content);
    }
    expect(out.content).toBe(readFileSync(golden, 'utf8'));
  });

  it.each(outputs.map((o) => [o.file, o] as const))('%s passes the CRD schemas', (_, out) => {
    for (const obj of out.objects) expect(schemaProblems(obj)).toEqual([]);
  });
});
