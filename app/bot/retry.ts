import { DEFAULT_OUT_DIR } from '../../constructs/conventions.js';
import type { RolloutModel } from '../../constructs/model.js';
import { isMap, isScalar, parseDocument, type Document } from 'yaml';
import { changelogPath, describeStage, rolloutId } from './content.js';
import type { FileChange } from './port.js';
import { observeOne, type ReconcileOptions } from './reconcile.js';
import { setStage } from './edit-intent.js';
import { openPersonPr } from './person-pr.js';
import { dropDrill } from '../drill/open.js';
import { markdownText, plainText } from './text.js';

export const TRAILER_RETRY = 'Stagegate-Retry';

export function retryBranch(m: Pick<RolloutModel, 'namespace' | 'name'>): string {
  return `stagegate-retry/${m.namespace}/${m.name}`;
}

/** A version as YAML text: plain when it reads back as the same string, else JSON-quoted. */
function scalarText(value: string): string {
  const plain = /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(value) && parseDocument(`x: ${value}`).get('x') === value;
  return plain ? value : JSON.stringify(value);
}

function sameExcept(a: Document.Parsed, b: Document.Parsed): boolean {
  return JSON.stringify(a.toJS()) === JSON.stringify(b.toJS());
}

/**
 * The intent with `spec.abort` removed, `spec.canary` and `spec.stage` set. Spliced into the text
 * where it can be checked (every other byte as the person wrote it, like edit-intent.ts), else
 * through the yaml Document API (comments kept, spacing normalized).
 */
export function retryIntent(text: string, canary: string, stage: string, file = 'intent'): string {
  const staged = setStage(text, stage, file);
  const doc = parseDocument(staged);
  const want = parseDocument(staged);
  want.deleteIn(['spec', 'abort']);
  want.setIn(['spec', 'canary'], canary);
  let out = staged;
  const canaryNode = doc.getIn(['spec', 'canary'], true);
  if (isScalar(canaryNode) && canaryNode.range) {
    const [start, end] = canaryNode.range;
    out = `${out.slice(0, start)}${scalarText(canary)}${out.slice(end)}`;
  }
  const spliced = parseDocument(out);
  const spec = spliced.get('spec', true);
  if (isMap(spec) && spec.flow !== true) {
    const pair = spec.items.find((p) => isScalar(p.key) && p.key.value === 'abort');
    const key = pair?.key;
    const value = pair?.value as { range?: [number, number, number] } | null | undefined;
    if (isScalar(key) && key.range) {
      const lineStart = out.lastIndexOf('\n', key.range[0]) + 1;
      const last = value?.range ? value.range[1] : key.range[1];
      const lineEnd = out.indexOf('\n', Math.max(last - 1, key.range[1]));
      out = `${out.slice(0, lineStart)}${lineEnd === -1 ? '' : out.slice(lineEnd + 1)}`;
    }
  }
  const check = parseDocument(out);
  if (check.errors.length === 0 && sameExcept(check, want as Document.Parsed)) return out;
  return want.toString();
}

export interface RetryReport {
  readonly rollout: string;
  readonly ok: boolean;
  readonly summary: string;
  readonly number?: number;
}

export interface RetryOptions {
  /**
   * Start the aborted version again (the dashboard's retry box, which cannot carry a new version:
   * docs/design.md §4b). A person still merges the PR, so this is their call, as Argo Rollouts'
   * `retry` restarts the same revision. @default false: `--canary` must be a new version.
   */
  readonly sameVersion?: boolean;
  /** Who asked and how (e.g. "ticked on the dashboard by @login"), kept in the changelog entry. @default none */
  readonly reason?: string;
}

/** Opens (or moves, when it holds only the bot's commits) the retry PR of an aborted rollout. */
export async function openRetry(
  opts: ReconcileOptions,
  path: string,
  canary: string,
  options: RetryOptions = {},
): Promise<RetryReport> {
  const { port } = opts;
  const { config, branch, observed: o } = await observeOne(opts, path);
  const m = o.model;
  const id = rolloutId(m);
  // A wave with clusters rolled back alone is retried the same way: the new canary starts over
  // everywhere at the first stage (README "Waves across clusters", onClusterFailure: cluster).
  const aborted = m.abort ?? m.clusterAbort;
  if (!aborted) return { rollout: id, ok: false, summary: `not retried: ${id} is not aborted (live at ${m.stage})` };
  const where = m.clusterAbort ? ` (rolled back in ${m.clusterAbort.clusters.join(', ')})` : '';
  const again = canary === m.canary;
  if (again && options.sameVersion !== true)
    return { rollout: id, ok: false, summary: `not retried: --canary must be a new version (${m.canary} was aborted)` };
  const first = m.stages[0]!;
  // A drilled staged copy (app/drill/open.ts) starts the new canary without the rehearsal's fault.
  const intent = dropDrill(retryIntent(o.text, canary, first.name, path));
  let generated: ReturnType<typeof o.regenerate>;
  try {
    generated = o.regenerate(path, intent);
  } catch (err) {
    return {
      rollout: id,
      ok: false,
      summary: `not retried: the intent with canary ${canary} is invalid: ${(err as Error).message}`,
    };
  }
  const reason = plainText(aborted.reason, 300);
  const entry = [
    `## retry: ${markdownText(canary, 100)} from ${first.name}`,
    '',
    `- aborted attempt: ${markdownText(m.canary, 100)} at ${m.stage}${where}, ${markdownText(aborted.at, 40)}: ${markdownText(reason)}`,
    again
      ? `- canary ${markdownText(canary, 100)} again; starts at ${first.name} (${describeStage(first, m)})`
      : `- canary ${markdownText(m.canary, 100)} → ${markdownText(canary, 100)}; starts at ${first.name} (${describeStage(first, m)})`,
    ...(options.reason ? [`- ${markdownText(options.reason, 300)}`] : []),
    '',
  ].join('\n');
  const changelog = await o.readChangelog();
  const head = changelog === '' ? `# ${id} changelog\n\nWritten by stagegate, one entry per stage PR.\n` : changelog;
  const changes: FileChange[] = [
    { path, content: intent },
    ...[generated, ...(generated.others ?? [])].map((g) => ({
      path: `${DEFAULT_OUT_DIR}/${g.file}`,
      content: g.content,
    })),
    { path: changelogPath(m), content: `${head.endsWith('\n') ? head : `${head}\n`}\n${entry}` },
  ];
  const title = `stagegate: retry ${m.name} with ${plainText(canary, 100)} from ${first.name}`;
  const ref = retryBranch(m);
  const body = [
    `Starts **${id}** again with canary \`${markdownText(canary, 100)}\` at \`${first.name}\` (${describeStage(first, m)}).`,
    '',
    `The aborted attempt (\`${markdownText(m.canary, 100)}\` at \`${m.stage}\`: ${markdownText(reason)}) stays in the changelog and the history.`,
    '',
    'A person merges this PR; then the bot opens the next stage PR as usual. stagegate never merges it.',
  ].join('\n');
  const pr = await openPersonPr(port, config, {
    branch: ref,
    base: branch,
    message: `${title}\n\nAborted attempt: ${m.canary} at ${m.stage}: ${reason}\n\n${TRAILER_RETRY}: ${id}/${plainText(canary, 100)}\n`,
    changes,
    title,
    body,
  });
  if (pr.kind === 'occupied') return { rollout: id, ok: false, summary: `not retried: ${pr.why}` };
  if (pr.kind === 'foreign')
    return { rollout: id, ok: false, summary: `not retried: #${pr.number} on ${ref} was opened by someone else` };
  return {
    rollout: id,
    ok: true,
    number: pr.number,
    summary: `retry #${pr.number} opened (${canary} from ${first.name}); merge it to start`,
  };
}
