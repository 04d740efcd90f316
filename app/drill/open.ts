/**
 * `stagegate drill <rollout>` (issue #16): one PR that rehearses the rollback on a staged copy.
 * The PR adds `spec.drill` (an Istio fault, app/drill/fault.ts) to the intent and regenerates
 * generated/, so the VirtualService's cohort route carries the fault and generated/ stays what
 * the intent compiles to (docs/design.md §1: the intent is the source). A person merges it, as
 * any PR; then the gate should turn red and the bot roll back (docs/design.md §4), and the
 * rollback removes the fault with the cohort route (model.ts `effectiveRouting`).
 *
 * Like retry.ts it lives on its own branch, `stagegate-drill/<namespace>/<name>`, outside the
 * bot's `stagegate/…` stage branches, so no pass adopts, merges or closes it.
 */
import { DEFAULT_OUT_DIR, DRILL_SIGNAL } from '../../constructs/conventions.js';
import { effectiveRouting, type RolloutModel } from '../../constructs/model.js';
import { drillFaultCountExpr, drillWindowMs } from '../../constructs/drill-alert.js';
import type { PrometheusApi } from '../gate/prometheus-api.js';
import { windowLabel } from '../../constructs/promql/windows.js';
import { isDeepStrictEqual } from 'node:util';
import { isMap, isScalar, parseDocument } from 'yaml';
import { changelogPath, rolloutId } from '../bot/content.js';
import type { FileChange } from '../bot/port.js';
import { observeOne, type ReconcileOptions } from '../bot/reconcile.js';
import { openPersonPr } from '../bot/person-pr.js';
import { drillBranch } from './record.js';
import { type DrillFault, drillRefusal, faultErrors, NO_CANARY_ONLY_ROUTE } from './fault.js';

export const TRAILER_DRILL = 'Stagegate-Drill';
export { PR_LABEL_DRILL_FAILED } from '../../constructs/conventions.js';

export { drillBranch } from './record.js';

/** `spec.drill` as the intent spells it. */
export function drillSpec(f: DrillFault): Record<string, unknown> {
  return f.kind === 'abort'
    ? { abort: { httpStatus: f.httpStatus, percent: f.percent } }
    : { delay: { fixedDelay: `${f.fixedDelayMs}ms`, percent: f.percent } };
}

/** One line for titles and the changelog. */
export function describeFault(f: DrillFault): string {
  return f.kind === 'abort'
    ? `abort ${f.httpStatus} on ${f.percent} % of the cohort route`
    : `delay ${f.fixedDelayMs} ms on ${f.percent} % of the cohort route`;
}

/** `{ a: { b: 1 } }`: the intent's flow style, for plain keys and scalars. */
function flow(v: unknown): string {
  if (v === null || typeof v !== 'object') return String(v);
  return `{ ${Object.entries(v)
    .map(([k, x]) => `${k}: ${flow(x)}`)
    .join(', ')} }`;
}

/**
 * The intent with `spec.drill` set: one flow-style line spliced after the `stage:` line (every
 * other byte kept, like edit-intent.ts), else through the yaml Document API.
 */
export function setDrill(text: string, fault: DrillFault): string {
  const want = parseDocument(text);
  want.setIn(['spec', 'drill'], want.createNode(drillSpec(fault), { flow: true }));
  const doc = parseDocument(text);
  const spec = doc.get('spec', true);
  if (isMap(spec) && spec.flow !== true && !doc.hasIn(['spec', 'drill'])) {
    const key = spec.items.find((p) => isScalar(p.key) && p.key.value === 'stage')?.key;
    if (isScalar(key) && key.range) {
      const lineStart = text.lastIndexOf('\n', key.range[0]) + 1;
      const indent = text.slice(lineStart, key.range[0]);
      const lineEnd = text.indexOf('\n', key.range[0]);
      const at = lineEnd === -1 ? text.length : lineEnd;
      const line = `${indent}drill: ${flow(drillSpec(fault))}`;
      const out = `${text.slice(0, at)}\n${line}${text.slice(at)}`;
      const check = parseDocument(out);
      if (check.errors.length === 0 && isDeepStrictEqual(check.toJS(), want.toJS())) return out;
    }
  }
  return want.toString();
}

/**
 * The intent without `spec.drill` (a retry starts a new canary, which must not inherit the
 * rehearsal's fault): its lines cut out where that can be checked, else the Document API.
 */
export function dropDrill(text: string): string {
  const doc = parseDocument(text);
  if (!doc.hasIn(['spec', 'drill'])) return text;
  const want = parseDocument(text);
  want.deleteIn(['spec', 'drill']);
  const spec = doc.get('spec', true);
  if (isMap(spec) && spec.flow !== true) {
    const pair = spec.items.find((p) => isScalar(p.key) && p.key.value === 'drill');
    const key = pair?.key;
    const value = pair?.value as { range?: [number, number, number] } | null | undefined;
    if (isScalar(key) && key.range && value?.range) {
      const lineStart = text.lastIndexOf('\n', key.range[0]) + 1;
      const lineEnd = text.indexOf('\n', Math.max(value.range[1] - 1, key.range[1]));
      const out = `${text.slice(0, lineStart)}${lineEnd === -1 ? '' : text.slice(lineEnd + 1)}`;
      const check = parseDocument(out);
      if (check.errors.length === 0 && isDeepStrictEqual(check.toJS(), want.toJS())) return out;
    }
  }
  return want.toString();
}

export interface DrillReport {
  readonly rollout: string;
  readonly ok: boolean;
  readonly summary: string;
  readonly number?: number;
  /** What the drill rehearses (see {@link drillNote}). */
  readonly warning?: string;
}

/**
 * What a drill rehearses, told to the person who opens it (constructs/drill-alert.ts has the
 * sources). Envoy's fault filter answers an abort in the client proxy before any upstream host is
 * picked, so the canary's own rules never count it: the drill's own alert (`drill:fault`, FI on
 * reporter source) stands in for them, and the drill rehearses the rollback path only.
 */
export function drillNote(fault: DrillFault): string | undefined {
  if (fault.kind === 'abort')
    return `an abort drill rehearses the rollback path, not the built-in detection: Envoy answers the abort in the client proxy before any canary pod sees it, so the canary's own alerts never count it; the drill's own alert (stagegate_signal ${DRILL_SIGNAL}: response_flags FI on reporter source) turns the gate red`;
  return undefined;
}

/**
 * A delay reaches the canary, but only the client's proxy times it from the start of the request
 * (Envoy's fault filter delays before the router forwards it, envoyproxy/envoy
 * source/extensions/filters/http/fault/fault_filter.cc `decodeHeaders`), and istio_stats records
 * `info.requestComplete()`, the time since *its own* proxy received the request
 * (istio/proxy@release-1.30 source/extensions/filters/http/istio_stats/istio_stats.cc l.834).
 * The server's sidecar (reporter destination) or a waypoint receives it after the delay, so the
 * p99 the rules read there never moves.
 */
export function delayRefusal(fault: DrillFault, reporter: RolloutModel['metrics']['reporter']): string | undefined {
  if (fault.kind !== 'delay' || reporter === 'source') return undefined;
  return `a delay drill needs metrics.reporter: source: Envoy adds the delay in the client proxy before it forwards the request, so only the source reporter's istio_request_duration_milliseconds includes it; reporter "${reporter}" times the request from when the canary's side received it and the latency rules would never see the delay (set metrics.reporter: source on the staged copy, or drill with --abort)`;
}

export interface DrillOptions {
  readonly staging?: readonly string[];
  readonly yesProduction?: number;
  /**
   * FI responses of the service already reported before the drill (`drill --prometheus`: the
   * drill alert's own count, constructs/drill-alert.ts `drillFaultCountExpr`); @default not checked
   */
  readonly faultsAlready?: (m: RolloutModel) => Promise<number>;
}

/** The FI responses of a rollout's service Prometheus holds now, as the drill alert counts them. */
export function faultsReportedBy(api: Pick<PrometheusApi, 'query'>): (m: RolloutModel) => Promise<number> {
  return async (m) => {
    const samples = await api.query(drillFaultCountExpr(m, drillWindowMs(m)), new Date());
    return samples.reduce((n, x) => n + x.value, 0);
  };
}

/** Opens the drill PR of `path`'s rollout, or says why not. */
export async function openDrill(
  opts: ReconcileOptions,
  path: string,
  fault: DrillFault,
  d: DrillOptions = {},
): Promise<DrillReport> {
  const { port } = opts;
  const { config, branch, observed: o } = await observeOne(opts, path);
  const m = o.model;
  const id = rolloutId(m);
  const refuse = (why: string): DrillReport => ({ rollout: id, ok: false, summary: `no drill: ${why}` });
  const production = drillRefusal(m.namespace, d.staging ?? [], d.yesProduction ?? 0);
  if (production) return refuse(production);
  const errs = faultErrors(fault);
  if (errs.length > 0) return refuse(`invalid fault: ${errs.join('; ')}`);
  if (m.abort) return refuse(`${id} is aborted; a drill needs a live canary (stagegate retry first)`);
  if (m.drill) return refuse(`${id} already carries spec.drill; a drill PR was merged, remove it first`);
  if (m.gatewayApi) return refuse(`${id} routes with a Gateway API HTTPRoute, which has no fault injection`);
  if (!effectiveRouting(m).cohortRoute) return refuse(`${m.stage}: ${NO_CANARY_ONLY_ROUTE}`);
  const delay = delayRefusal(fault, m.metrics.reporter);
  if (delay) return refuse(delay);
  // The drill alert counts every FI of the service; one that already flows (another VirtualService
  // faulting this host, a chaos tool) would fire it before this fault exists (review F5).
  const already = fault.kind === 'abort' && d.faultsAlready ? await d.faultsAlready(m) : 0;
  if (already > 0)
    return refuse(
      `${m.service.host}: ${Math.round(already)} responses with response flag FI (reporter source) over the last ${windowLabel(drillWindowMs(m))} before any drill; the drill alert counts every FI of the service and would fire on them, so find that fault first`,
    );

  const intent = setDrill(o.text, fault);
  let generated: ReturnType<typeof o.regenerate>;
  try {
    generated = o.regenerate(path, intent);
  } catch (err) {
    return refuse(`the intent with spec.drill is invalid: ${(err as Error).message}`);
  }
  const what = describeFault(fault);
  const changelog = await o.readChangelog();
  const head = changelog === '' ? `# ${id} changelog\n\nWritten by stagegate, one entry per stage PR.\n` : changelog;
  const entry = `## drill at ${m.stage}\n\n- ${what} (canary ${m.canary}); expected: the gate turns red and the bot rolls back\n`;
  const changes: FileChange[] = [
    { path, content: intent },
    ...[generated, ...(generated.others ?? [])].map((g) => ({
      path: `${DEFAULT_OUT_DIR}/${g.file}`,
      content: g.content,
    })),
    { path: changelogPath(m), content: `${head.endsWith('\n') ? head : `${head}\n`}\n${entry}` },
  ];
  const title = `stagegate: drill ${m.name}: ${what}`;
  const ref = drillBranch(m);
  const warning = drillNote(fault);
  const body = [
    `Rehearses the rollback of **${id}** at \`${m.stage}\`: ${what} (\`spec.drill\`, compiled into the VirtualService's cohort route).`,
    '',
    'Once merged the gate should turn red and the bot open and merge the rollback PR; `stagegate drill --measure` then reports the times.',
    '',
    'A person merges this PR; stagegate never merges it.',
    ...(warning ? ['', `**Note:** ${warning}.`] : []),
  ].join('\n');
  const pr = await openPersonPr(port, config, {
    branch: ref,
    base: branch,
    message: `${title}\n\nRehearses the rollback of ${id} at ${m.stage}.\n\n${TRAILER_DRILL}: ${id}/${m.stage}\n`,
    changes,
    title,
    body,
  });
  if (pr.kind === 'occupied') return refuse(pr.why);
  if (pr.kind === 'foreign')
    return { rollout: id, ok: false, summary: `no drill: #${pr.number} on ${ref} was opened by someone else` };
  return {
    rollout: id,
    ok: true,
    number: pr.number,
    summary: `drill #${pr.number} opened (${what}); merge it to start`,
    ...(warning ? { warning } : {}),
  };
}
