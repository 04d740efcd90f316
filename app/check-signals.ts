/**
 * `stagegate check --prometheus URL` for user-defined signals (README "User-defined signals"):
 * each signal's query, filled in for the stable version, is asked of Prometheus selector by
 * selector (found with the official PromQL grammar) and as a whole; one that selects nothing is
 * an error at the file:line:column of that selector in the intent. Stable is asked, not the
 * canary, because the canary may not be deployed yet when the intent is checked.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CompiledRollout } from '../constructs/compile.js';
import { substitute, vectorSelectors } from '../constructs/promql/signal-template.js';
import { formatProblem, locateInIntent } from '../constructs/spec/index.js';
import { userSignalValues, userSignalWindowsMs } from '../constructs/user-signals.js';
import type { PrometheusApi } from './gate/prometheus-api.js';

/** Every problem, formatted `file:line:column: spec.signals[i].query: …`; empty when every query selects data. */
export async function signalsSelectingNothing(
  compiled: readonly CompiledRollout[],
  prometheus: PrometheusApi,
  cwd: string,
  now: Date,
): Promise<string[]> {
  const out: string[] = [];
  for (const c of compiled) {
    const signals = c.model.signals ?? [];
    if (signals.length === 0) continue;
    const text = readFileSync(resolve(cwd, c.source), 'utf8');
    for (const [i, s] of signals.entries()) {
      const path = ['spec', 'signals', i, 'query'];
      const { windowMs } = userSignalWindowsMs(c.model, s);
      const filled = substitute(s.query, userSignalValues(c.model, 'stable', windowMs));
      const report = (offset: number, message: string) => {
        const { line, column } = locateInIntent(text, path, offset);
        out.push(formatProblem({ file: c.source, line, column, path: `spec.signals[${i}].query`, message }));
      };
      let empty = false;
      for (const sel of vectorSelectors(filled.text)) {
        if ((await prometheus.query(`count(${sel.text})`, now)).length > 0) continue;
        empty = true;
        report(
          filled.origin(sel.from),
          `${sel.text} selects nothing in Prometheus (filled in for stable ${c.model.stable}); check the metric name and its labels`,
        );
      }
      if (!empty && (await prometheus.query(filled.text, now)).length === 0)
        report(
          0,
          `selects nothing in Prometheus as a whole (filled in for stable ${c.model.stable}), though each selector does; check the label matching of its joins`,
        );
    }
  }
  return out;
}
