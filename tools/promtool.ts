/**
 * promtool from PATH, driven from TypeScript: unwrap a PrometheusRule into a rule file, write
 * a unit-test file, run `promtool check rules` / `promtool test rules`. Used by the tests, and
 * meant for the demo and the benchmarks too. Files are JSON (promtool reads JSON as YAML), so
 * nothing is concatenated by hand.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The `spec.groups` of a PrometheusRule, which is exactly a Prometheus rule file. */
export interface RuleFile {
  readonly groups: readonly unknown[];
}

/** A PrometheusRule manifest (or anything with `spec.groups`) → rule file content. */
export function ruleFileOf(prometheusRule: { readonly spec?: { readonly groups?: readonly unknown[] } }): RuleFile {
  const groups = prometheusRule.spec?.groups;
  if (!Array.isArray(groups))
    throw new Error(
      'not a PrometheusRule: it has no spec.groups; pass the PrometheusRule object from the synthesized manifests',
    );
  return { groups };
}

/** One `promql_expr_test`; `exp_samples: []` asserts an empty result. */
export interface PromqlExprTest {
  readonly expr: string;
  readonly eval_time: string;
  readonly exp_samples: readonly { readonly labels?: string; readonly value: number }[];
}

export interface AlertRuleTest {
  readonly alertname: string;
  readonly eval_time: string;
  readonly exp_alerts: readonly {
    readonly exp_labels?: Record<string, string>;
    readonly exp_annotations?: Record<string, string>;
  }[];
}

export interface InputSeries {
  readonly series: string;
  /** promtool expanding notation or explicit space-separated values. */
  readonly values: string;
}

export interface TestGroup {
  readonly name?: string;
  readonly interval: string;
  readonly input_series: readonly InputSeries[];
  readonly promql_expr_test?: readonly PromqlExprTest[];
  readonly alert_rule_test?: readonly AlertRuleTest[];
}

export interface TestFile {
  readonly rule_files: readonly string[];
  readonly evaluation_interval: string;
  /** Groups evaluated in this order at each step (Prometheus docs, "Unit testing for rules"). */
  readonly group_eval_order?: readonly string[];
  readonly tests: readonly TestGroup[];
}

export interface PromtoolResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `promtool <args>`; never throws for a non-zero exit (the caller reads `code`). */
export function runPromtool(
  args: readonly string[],
  opts: { cwd?: string; promtool?: string } = {},
): Promise<PromtoolResult> {
  const bin = opts.promtool ?? 'promtool';
  return new Promise((resolve, reject) => {
    execFile(bin, [...args], { cwd: opts.cwd, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(
          new Error(`${bin} is not on PATH; run tools/ensure-prometheus.sh (or apt-get install prometheus)`, {
            cause: err,
          }),
        );
        return;
      }
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** A temp directory for rule/test files, removed by `dispose()`. */
export async function promtoolWorkdir(
  prefix = 'stagegate-promtool-',
): Promise<{ dir: string; dispose: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, dispose: () => rm(dir, { recursive: true, force: true }) };
}

/** Writes `rules` as `<dir>/<name>` and returns its path. */
export async function writeRuleFile(dir: string, rules: RuleFile, name = 'rules.json'): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, JSON.stringify(rules, null, 1));
  return path;
}

/** `promtool check rules` on a rule file. */
export function checkRules(path: string, opts: { promtool?: string } = {}): Promise<PromtoolResult> {
  return runPromtool(['check', 'rules', path], opts);
}

/** Writes `test` next to its rule files and runs `promtool test rules` on it. */
export async function testRules(
  dir: string,
  test: TestFile,
  name = 'test.json',
  opts: { promtool?: string } = {},
): Promise<PromtoolResult> {
  const path = join(dir, name);
  await writeFile(path, JSON.stringify(test, null, 1));
  return runPromtool(['test', 'rules', path], { cwd: dir, ...opts });
}
