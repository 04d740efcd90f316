/**
 * The bot edits exactly two fields of an intent, `spec.stage` and `spec.abort`, through the
 * `yaml` Document API so comments, key order and formatting of everything else survive.
 */
import { parseDocument } from 'yaml';

export class EditIntentError extends Error {}

/** Keep flow collections as written (`[a, b]`) and never fold long lines. */
const FORMAT = { flowCollectionPadding: false, lineWidth: 0 } as const;

function load(text: string, file: string) {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    throw new EditIntentError(`${file} is not valid YAML (${doc.errors[0]!.message}); fix the intent on the default branch`);
  }
  if (!doc.hasIn(['spec', 'stage'])) throw new EditIntentError(`${file} has no spec.stage; it is not a rollout intent`);
  return doc;
}

/** `text` with `spec.stage` set to `stage`. */
export function setStage(text: string, stage: string, file = 'intent'): string {
  const doc = load(text, file);
  doc.setIn(['spec', 'stage'], stage);
  return doc.toString(FORMAT);
}

/** `text` with `spec.abort: {reason, at}` (the rollback PR's one change). */
export function setAbort(text: string, abort: { readonly reason: string; readonly at: string }, file = 'intent'): string {
  const doc = load(text, file);
  doc.setIn(['spec', 'abort'], doc.createNode({ reason: abort.reason, at: abort.at }));
  return doc.toString(FORMAT);
}
