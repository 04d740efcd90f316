/**
 * The cdk8s app entry, for teams that drive synthesis with `cdk8s synth` (cdk8s.yaml points
 * here). It builds the same charts as `stagegate synth` — one per rollout, named after it — so
 * both write byte-identical files to generated/.
 *
 * Rollouts written in TypeScript go here too: add `new StagedRollout(new Chart(app, 'name'), 'name', {…})`.
 */
import { join } from 'node:path';
import { App, Chart } from 'cdk8s';
import { compileRepository } from '../constructs/compile.js';
import { FLEET_RULE_NAME } from '../constructs/conventions.js';
import { FleetPrometheusRule } from '../constructs/fleet-prometheus-rule.js';
import { RolloutResources } from '../constructs/rollout-resources.js';
import { IntentError, formatProblem } from '../constructs/spec/index.js';
import { readIntents } from './workspace.js';

const rolloutsDir = process.env.STAGEGATE_ROLLOUTS ?? 'rollouts';
try {
  // One App per output folder: the flat one, and one per cluster of a wave across clusters
  // (generated/<cluster>/<name>.k8s.yaml, README "Waves across clusters"). App.synth() writes
  // only its own charts' files into its outdir and deletes nothing, so they can share the tree.
  const root = new App();
  const byCluster = new Map<string, App>();
  const { rollouts, fleet } = compileRepository(readIntents(rolloutsDir, process.cwd()));
  for (const { model, cluster } of rollouts) {
    let app = root;
    if (cluster) {
      app = byCluster.get(cluster.name) ?? new App({ outdir: join(root.outdir, cluster.name) });
      byCluster.set(cluster.name, app);
    }
    new RolloutResources(new Chart(app, model.name), model.name, { rollout: model });
  }
  // alerts.layout: fleet (docs/design.md §7): the shared rule, the chart synth names stagegate-fleet.k8s.yaml.
  if (fleet) new FleetPrometheusRule(new Chart(root, FLEET_RULE_NAME), FLEET_RULE_NAME, fleet.props);
  root.synth();
  for (const app of byCluster.values()) app.synth();
} catch (err) {
  if (!(err instanceof IntentError)) throw err;
  for (const problem of err.problems) console.error(formatProblem(problem));
  process.exit(1);
}
