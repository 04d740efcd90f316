/**
 * Every example intent in rollouts/: its PrometheusRule passes `promtool check rules`, stays
 * silent on healthy traffic at its own request rate, and only holds when the canary is silent.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canaryRate } from '../../constructs/detectability.js';
import { liveStage, type RolloutModel, type StageModel } from '../../constructs/model.js';
import { parseIntent } from '../../constructs/spec/index.js';
import { checkRules, promtoolWorkdir, writeRuleFile } from '../../tools/promtool.js';
import { firingAt, neverFired, ruleFileFor, runScenario } from './harness.js';
import { steady } from './scenario.js';

const ROLLOUTS = join(import.meta.dirname, '../../rollouts');
const examples = readdirSync(ROLLOUTS)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

function load(file: string): RolloutModel {
  const parsed = parseIntent(`rollouts/${file}`, readFileSync(join(ROLLOUTS, file), 'utf8'));
  if (!parsed.ok) throw new Error(`example ${file} is invalid: ${JSON.stringify(parsed.problems)}`);
  return parsed.model;
}

/** The first stage that sends the canary a known share of traffic: the one worth simulating. */
function weightedModel(model: RolloutModel): RolloutModel {
  const stage = model.stages.find((s: StageModel) => s.weight > 0 && s.weight < 100) ?? liveStage(model);
  return { ...model, stage: stage.name, abort: undefined };
}

describe('example rollouts under promtool', () => {
  it('has example intents to check', () => {
    expect(examples.length).toBeGreaterThan(0);
  });

  it.each(examples)('%s: its PrometheusRule passes promtool check rules', async (file) => {
    const work = await promtoolWorkdir();
    try {
      const result = await checkRules(await writeRuleFile(work.dir, ruleFileFor(load(file))));
      expect(result.stdout).toContain('SUCCESS');
      expect(result.code).toBe(0);
    } finally {
      await work.dispose();
    }
  });

  it.each(examples)('%s: healthy traffic at its own rate fires nothing for two hours', async (file) => {
    const model = weightedModel(load(file));
    const rps = model.traffic.requestsPerSecond ?? 100;
    const canaryRps = canaryRate(liveStage(model), rps) ?? 0;
    const p0 = model.traffic.baselineErrorRatio;
    const result = await runScenario(
      {
        model,
        durationS: 7200,
        stepS: 30,
        seed: 7,
        pods: 2,
        stable: steady(rps - canaryRps, p0),
        canary: steady(canaryRps, p0),
      },
      [neverFired({ stagegate_rollout: model.name, stagegate_action: 'rollback' }, 7200, 7200)],
    );
    expect(result.stdout + result.stderr).toContain('SUCCESS');
  });

  it.each(examples)('%s: a silent canary only holds', async (file) => {
    const model = weightedModel(load(file));
    const rps = model.traffic.requestsPerSecond ?? 100;
    const result = await runScenario(
      {
        model,
        durationS: 3600,
        stepS: 30,
        seed: 7,
        pods: 2,
        stable: steady(rps, model.traffic.baselineErrorRatio),
        canary: steady(0, 0),
      },
      [
        neverFired({ stagegate_rollout: model.name, stagegate_action: 'rollback' }, 3600, 3600),
        firingAt({ stagegate_rollout: model.name }, 3600, [{ action: 'hold', signal: 'traffic' }]),
      ],
    );
    expect(result.stdout + result.stderr).toContain('SUCCESS');
  });
});
