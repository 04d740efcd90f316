/**
 * The posted report's bound (app/report/post.ts `boundedBody`): GitHub refuses a comment body over
 * 65,536 characters (tools/emulator/limits.ts cites the 422); the report keeps its headings and
 * the first rows of each table, says how many rows it left off, and never cuts a line.
 */
import { describe, expect, it } from 'vitest';
import { renderReport } from '../../../app/report/markdown.js';
import { analyse } from '../../../app/report/model.js';
import { boundedBody, COMMENT_BODY_LIMIT } from '../../../app/report/post.js';
import { parseIntent } from '../../../constructs/spec/index.js';

const parsed = parseIntent(
  'checkout.yaml',
  `
apiVersion: stagegate.dev/v1alpha1
kind: Rollout
metadata: { name: checkout, namespace: shop }
spec:
  service: { host: checkout, port: 8080 }
  stable: v1
  canary: v2
  stages:
    - { name: one-percent, weight: 1, bake: 10m }
    - { name: full, weight: 100 }
  stage: one-percent
`,
);
if (!parsed.ok) throw new Error(parsed.problems.map((p) => p.message).join('\n'));
const none = { stable: [], canary: [] };
const at = (i: number) => new Date(Date.parse('2026-12-02T10:00:00Z') + i * 1000).toISOString();
const revisions = [{ sha: 'a'.repeat(40), author: 'ada', at: at(0), subject: 'start', stage: 'one-percent' }];

function report(verdicts: number, alerts: number): string {
  const a = analyse(
    parsed.ok ? parsed.model : (undefined as never),
    revisions,
    { requests: none, errorRatio: none, p99Ms: none },
    {
      userSignals: [],
      alerts: Array.from({ length: alerts }, (_, i) => ({
        alert: `StagegateCanaryErrorRatio${i}`,
        signal: 'errors',
        action: 'rollback',
        firstAt: at(i),
        lastAt: at(i + 1),
      })),
      verdicts: Array.from({ length: verdicts }, (_, i) => ({
        pr: i + 1,
        conclusion: 'failure',
        at: at(i),
        summary: `fail: ${'x'.repeat(280)} ✓ ${i}`,
      })),
    },
  );
  return renderReport(a).markdown;
}

const chars = (s: string) => [...s].length;

describe('boundedBody', () => {
  it('leaves a report that fits unchanged', () => {
    const small = report(3, 2);
    expect(boundedBody(small, COMMENT_BODY_LIMIT)).toBe(small);
  });

  it('cuts every table to the rows that fit, says how many it left off, and never cuts a line', () => {
    const full = report(400, 900);
    expect(chars(full)).toBeGreaterThan(COMMENT_BODY_LIMIT);
    const body = boundedBody(full, COMMENT_BODY_LIMIT);
    expect(chars(body)).toBeLessThanOrEqual(COMMENT_BODY_LIMIT);
    const original = new Set(full.split('\n'));
    const added = body.split('\n').filter((l) => !original.has(l));
    const more = added.map((l) => /^… (\d+) more rows \(the full table: `stagegate report` without --post\)$/.exec(l));
    expect(more.every((m) => m !== null)).toBe(true);
    // The alerts (900 rows) and the verdicts (400) are cut to the same leading rows; the rest stays whole.
    const keptAlerts = body.split('\n').filter((l) => l.startsWith('| StagegateCanaryErrorRatio')).length;
    const keptVerdicts = body.split('\n').filter((l) => /^\| #\d+ \| failure/.test(l)).length;
    expect(keptAlerts).toBe(keptVerdicts);
    expect(more.map((m) => Number(m![1]))).toEqual([900 - keptAlerts, 400 - keptVerdicts]);
    expect(body).toContain('## Thresholds (suggestions only)');
    expect(body.endsWith('rounded up; a suggestion to review, not applied.\n')).toBe(true);
    // The most rows that fit: one more row per table would not.
    expect(keptAlerts).toBeGreaterThan(0);
    expect(chars(boundedBody(full, chars(body) - 1))).toBeLessThan(chars(body));
  });

  it('counts characters as code points and drops whole lines from the end when no table cut is enough', () => {
    const text = ['<!-- m -->', ...Array.from({ length: 50 }, (_, i) => `${'😀'.repeat(30)} ${i}`)].join('\n');
    const body = boundedBody(text, 1000);
    expect(chars(body)).toBeLessThanOrEqual(1000);
    // Code points, not UTF-16 units: an emoji is one character to GitHub and two units to JavaScript.
    expect(body.length).toBeGreaterThan(1000);
    const lines = body.split('\n');
    expect(lines[0]).toBe('<!-- m -->');
    const last = lines.at(-1)!;
    const dropped = Number(/^… (\d+) more lines left off \(a comment holds 1000 characters;/.exec(last)?.[1]);
    expect(lines.length - 2 + dropped).toBe(51);
    for (const l of lines.slice(1, -2)) expect(l).toMatch(/^(😀){30} \d+$/);
  });
});
