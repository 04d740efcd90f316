/**
 * The cdk8s app entry, for teams that drive synthesis with `cdk8s synth` (cdk8s.yaml points
 * here). It builds the same charts as `stagegate synth` — one per rollout, named after it — so
 * both write byte-identical files to generated/.
 *
 * Rollouts written in TypeScript go here too: add `new StagedRollout(new Chart(app, 'name'), 'name', {…})`.
 */
import { App, Chart } from 'cdk8s';
import { compile } from '../constructs/compile.js';
import { RolloutResources } from '../constructs/rollout-resources.js';
import { IntentError, formatProblem } from '../constructs/spec/index.js';
import { readIntents } from './workspace.js';

const rolloutsDir = process.env.STAGEGATE_ROLLOUTS ?? 'rollouts';
try {
  const app = new App();
  for (const { model } of compile(readIntents(rolloutsDir, process.cwd()))) {
    new RolloutResources(new Chart(app, model.name), model.name, { rollout: model });
  }
  app.synth();
} catch (err) {
  if (!(err instanceof IntentError)) throw err;
  for (const problem of err.problems) console.error(formatProblem(problem));
  process.exit(1);
}
