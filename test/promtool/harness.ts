/**
 * Runs a rollout's generated rules against a synthetic scenario with `promtool test rules`.
 * The rules come out of the real construct (a PrometheusRule unwrapped to its `.spec`), and
 * alerts are selected only by their docs/design.md §2 labels, through the `ALERTS` series.
 */
import { App, Chart } from 'cdk8s';
import { buildRuleGroups } from '../../constructs/alert-rules.js';
import type { RolloutModel } from '../../constructs/model.js';
import { RolloutAlerts } from '../../constructs/rollout-alerts.js';
import {
  type InputSeries,
  promtoolWorkdir,
  ruleFileOf,
  testRules,
  writeRuleFile,
  type PromqlExprTest,
  type PromtoolResult,
  type RuleFile,
} from '../../tools/promtool.js';
import { scenarioSeries, type Scenario } from './scenario.js';

/**
 * The rules group (recordings, then the alerts that read them), then the slow group. promtool
 * evaluates rule groups in no guaranteed order unless `group_eval_order` names them (Prometheus
 * docs, "Unit testing for rules"). Prometheus runs the two groups concurrently, so the alerts may
 * read the slow group's previous value: evaluating it last tests that case, the later one.
 */
function groupEvalOrder(model: RolloutModel): string[] {
  return buildRuleGroups(model).map((g) => g.name);
}

/** The rule file of `model`, exactly as the PrometheusRule manifest carries it. */
export function ruleFileFor(model: RolloutModel): RuleFile {
  const app = new App();
  const chart = new Chart(app, 'test');
  const alerts = new RolloutAlerts(chart, 'alerts', { rollout: model });
  return ruleFileOf(alerts.apiObject.toJson() as { spec?: { groups?: unknown[] } });
}

export type LabelFilter = Readonly<Record<string, string>>;

function alertsSelector(filter: LabelFilter): string {
  const pairs = { alertstate: 'firing', ...filter };
  return `ALERTS{${Object.entries(pairs)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(', ')}}`;
}

/** Asserts that no alert matching `filter` was firing at any evaluation in (at − windowS, at]. */
export function neverFired(filter: LabelFilter, atS: number, windowS: number): PromqlExprTest {
  return {
    expr: `count(count_over_time(${alertsSelector(filter)}[${windowS}s]))`,
    eval_time: `${atS}s`,
    exp_samples: [],
  };
}

/** Asserts that an alert matching `filter` fired at some evaluation in (at − windowS, at]. */
export function firedWithin(filter: LabelFilter, atS: number, windowS: number): PromqlExprTest {
  return {
    expr: `count(count_over_time(${alertsSelector(filter)}[${windowS}s])) > bool 0`,
    eval_time: `${atS}s`,
    exp_samples: [{ value: 1 }],
  };
}

/** Asserts which (action, signal) pairs are firing at `at`. */
export function firingAt(
  filter: LabelFilter,
  atS: number,
  expected: readonly { action: string; signal: string }[],
): PromqlExprTest {
  return {
    expr: `count by (stagegate_action, stagegate_signal) (${alertsSelector(filter)})`,
    eval_time: `${atS}s`,
    exp_samples: expected.map((e) => ({
      labels: `{stagegate_action="${e.action}", stagegate_signal="${e.signal}"}`,
      value: 1,
    })),
  };
}

/**
 * Seconds from `fromS` to the first evaluation at which an alert matching `filter` was firing,
 * read at `atS`; undefined when it never fired. promtool has no "print" mode, so this asks for
 * an impossible value and reads the real one from the failure report.
 */
export async function firstFiringAfter(
  scenario: Scenario,
  filter: LabelFilter,
  fromS: number,
  atS: number,
): Promise<number | undefined> {
  // min(): several alerts may match (a fast alert and its sustained backstop); the first counts.
  const expr = `min(min_over_time(timestamp(${alertsSelector(filter)})[${atS - fromS}s:1m])) - ${fromS}`;
  const result = await runScenario(scenario, [{ expr, eval_time: `${atS}s`, exp_samples: [{ value: -1 }] }]);
  const report = result.stdout + result.stderr;
  const got = /got:.*\}\s+([-\d.E+]+)\s*$/m.exec(report);
  if (got) return Number(got[1]);
  if (/got:\s*(nil|\[\])/.test(report)) return undefined;
  throw new Error(`could not read the first firing time from promtool:\n${result.stdout}${result.stderr}`);
}

/** Runs `model`'s rules on hand-made input series (scraped every `stepS` seconds). */
export async function runSeries(
  model: RolloutModel,
  inputSeries: readonly InputSeries[],
  stepS: number,
  tests: readonly PromqlExprTest[],
): Promise<PromtoolResult> {
  const work = await promtoolWorkdir();
  try {
    await writeRuleFile(work.dir, ruleFileFor(model), 'rules.json');
    const file = {
      rule_files: ['rules.json'],
      evaluation_interval: '1m',
      group_eval_order: groupEvalOrder(model),
      tests: [{ interval: `${stepS}s`, input_series: inputSeries, promql_expr_test: tests }],
    };
    return await testRules(work.dir, file);
  } finally {
    await work.dispose();
  }
}

/** Writes the rules and the scenario's series, runs promtool, returns its result. */
export async function runScenario(scenario: Scenario, tests: readonly PromqlExprTest[]): Promise<PromtoolResult> {
  const work = await promtoolWorkdir();
  try {
    await writeRuleFile(work.dir, ruleFileFor(scenario.model), 'rules.json');
    const file = {
      rule_files: ['rules.json'],
      evaluation_interval: '1m',
      group_eval_order: groupEvalOrder(scenario.model),
      tests: [{ interval: `${scenario.stepS}s`, input_series: scenarioSeries(scenario), promql_expr_test: tests }],
    };
    return await testRules(work.dir, file);
  } finally {
    await work.dispose();
  }
}
