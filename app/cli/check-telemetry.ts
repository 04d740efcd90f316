/**
 * `check --prometheus URL`: the telemetry audit (app/gate/telemetry-audit.ts) of every rollout,
 * as pre-flight findings. SG0601: a version does not emit what the rules read; SG0600: the
 * audit could not ask Prometheus (an error too: an audit that did not run is no clean result).
 */
import type { RolloutModel } from '../../constructs/model.js';
import { PrometheusApi, PrometheusUnavailable } from '../gate/prometheus-api.js';
import { auditTelemetry } from '../gate/telemetry-audit.js';
import type { Finding } from '../preflight.js';

export async function telemetryFindings(models: readonly RolloutModel[], url: string, now: Date): Promise<Finding[]> {
  const prometheus = new PrometheusApi(url);
  const out: Finding[] = [];
  for (const model of models) {
    const object = `Rollout ${model.namespace}/${model.name}`;
    try {
      for (const f of await auditTelemetry({ model, prometheus, now }))
        out.push({ code: 'SG0601', level: 'error', object, path: f.metric, message: `${f.role}: ${f.message}` });
    } catch (err) {
      if (!(err instanceof PrometheusUnavailable)) throw err;
      out.push({ code: 'SG0600', level: 'error', object, path: 'telemetry', message: err.message });
    }
  }
  return out;
}
