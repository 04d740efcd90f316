/**
 * The bot edits exactly two fields of an intent, `spec.stage` and `spec.abort`. It splices the
 * new text into the source at the node's position (found with the `yaml` Document API), so every
 * other byte — comments, flow style, spacing — stays as the person wrote it. When a splice cannot
 * be placed safely it falls back to Document.setIn + toString (comments kept, spacing normalized).
 */
import { isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';

export class EditIntentError extends Error {}

function load(text: string, file: string): Document.Parsed {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    throw new EditIntentError(
      `${file} is not valid YAML (${doc.errors[0]!.message}); fix the intent on the default branch`,
    );
  }
  if (!doc.hasIn(['spec', 'stage'])) throw new EditIntentError(`${file} has no spec.stage; it is not a rollout intent`);
  return doc;
}

/** YAML scalar text: plain when safe (stage names are DNS labels), else JSON-quoted (valid YAML). */
function scalar(value: string): string {
  return /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(value) && !/^(true|false|null|yes|no|on|off|[0-9.e+-]+)$/i.test(value)
    ? value
    : JSON.stringify(value);
}

function verified(text: string, check: (doc: Document.Parsed) => boolean): string | undefined {
  const doc = parseDocument(text);
  return doc.errors.length === 0 && check(doc) ? text : undefined;
}

/** `text` with `spec.stage` set to `stage`. */
export function setStage(text: string, stage: string, file = 'intent'): string {
  const doc = load(text, file);
  const node = doc.getIn(['spec', 'stage'], true);
  if (isScalar(node) && node.range) {
    const [start, end] = node.range;
    const out = verified(
      `${text.slice(0, start)}${scalar(stage)}${text.slice(end)}`,
      (d) => d.getIn(['spec', 'stage']) === stage,
    );
    if (out !== undefined) return out;
  }
  doc.setIn(['spec', 'stage'], stage);
  return doc.toString();
}

/**
 * `text` with `spec.abort: {reason, at}` (the rollback PR's one change), and `clusters` when only
 * those clusters of a wave roll back (README "Waves across clusters", onClusterFailure: cluster).
 * An abort already there (a cluster rolled back before) is replaced as a whole.
 */
export function setAbort(
  text: string,
  abort: { readonly reason: string; readonly at: string; readonly clusters?: readonly string[] },
  file = 'intent',
): string {
  const doc = load(text, file);
  const spec = doc.get('spec', true);
  const clusters = abort.clusters ? [...abort.clusters] : undefined;
  const sameClusters = (v: unknown): boolean =>
    clusters === undefined ? v === undefined : JSON.stringify(isSeq(v) ? v.toJSON() : v) === JSON.stringify(clusters);
  const ok = (d: Document.Parsed): boolean =>
    d.getIn(['spec', 'abort', 'reason']) === abort.reason &&
    d.getIn(['spec', 'abort', 'at']) === abort.at &&
    sameClusters(d.getIn(['spec', 'abort', 'clusters'], true));
  if (isMap(spec) && spec.flow !== true) {
    const pairs = spec.items;
    const stagePair = pairs.find((p) => isScalar(p.key) && p.key.value === 'stage');
    const abortPair = pairs.find((p) => isScalar(p.key) && p.key.value === 'abort');
    const keyNode = stagePair?.key;
    if (isScalar(keyNode) && keyNode.range) {
      const lineStart = text.lastIndexOf('\n', keyNode.range[0]) + 1;
      const indent = text.slice(lineStart, keyNode.range[0]);
      const body =
        `\n${indent}  reason: ${JSON.stringify(abort.reason)}\n${indent}  at: ${JSON.stringify(abort.at)}` +
        (clusters ? `\n${indent}  clusters: [${clusters.join(', ')}]` : '');
      let out: string | undefined;
      if (!abortPair) {
        const stageLineEnd = text.indexOf('\n', keyNode.range[0]);
        const at = stageLineEnd === -1 ? text.length : stageLineEnd;
        out = verified(`${text.slice(0, at)}\n${indent}abort:${body}${text.slice(at)}`, ok);
      } else if (
        (abortPair.value === null || (isScalar(abortPair.value) && abortPair.value.value === null)) &&
        isScalar(abortPair.key) &&
        abortPair.key.range
      ) {
        // `abort:` present but empty (as in the documented example): fill it in after its line.
        const lineEnd = text.indexOf('\n', abortPair.key.range[1]);
        const at = lineEnd === -1 ? text.length : lineEnd;
        out = verified(`${text.slice(0, at)}${body}${text.slice(at)}`, ok);
      }
      if (out !== undefined) return out;
    }
  }
  doc.setIn(
    ['spec', 'abort'],
    doc.createNode({ reason: abort.reason, at: abort.at, ...(clusters ? { clusters } : {}) }),
  );
  return doc.toString();
}
