/**
 * YAML text → validated document + resolved model, or every problem located at
 * `file:line:column`. Positions come from the `yaml` package's node ranges, so a message
 * points at the value that is wrong, the key that is unknown, or the mapping that misses a key.
 */
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  visit,
  type Document,
  type ErrorCode,
  type Node,
} from 'yaml';
import type { RolloutModel } from '../model.js';
import { INTENT_API_VERSION } from '../conventions.js';
import type { AlertsLayout, RolloutDocument } from './types.js';
import { formatPath, validateDocument, type Problem } from './validate.js';
import { toModel } from './to-model.js';
import { alertsLayout, applyDefaults, type RepoDefaults } from './defaults.js';
import { insideScalar } from './scalar-position.js';

export interface SourceProblem {
  /** Display path of the file, as given to {@link parseIntent}. */
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
  /** `spec.stages[2].weight`; empty for problems of the file as a whole (syntax, size). */
  readonly path: string;
  readonly message: string;
}

export type ParseResult =
  | { ok: true; model: RolloutModel; document: RolloutDocument }
  | { ok: false; problems: SourceProblem[] };

/** Intents are small; a bigger file is a mistake (or an attack on the parser), not a rollout. */
export const MAX_INTENT_BYTES = 1024 * 1024;

/** `rollouts/x.yaml:14:7: spec.stages[2].weight: must be between 0 and 100 (got 140)` */
export function formatProblem(p: SourceProblem): string {
  return p.path === ''
    ? `${p.file}:${p.line}:${p.column}: ${p.message}`
    : `${p.file}:${p.line}:${p.column}: ${p.path}: ${p.message}`;
}

/** Thrown where an invalid intent cannot be returned as a value; its message lists every problem. */
export class IntentError extends Error {
  readonly problems: readonly SourceProblem[];

  // `options` is spelled out rather than ErrorOptions (lib ES2022): the published .d.ts must compile
  // in a stock cdk8s app, whose tsconfig has lib ES2016 and no skipLibCheck.
  constructor(problems: readonly SourceProblem[], options?: { readonly cause?: unknown }) {
    super(problems.map(formatProblem).join('\n'), options);
    this.name = 'IntentError';
    this.problems = problems;
  }
}

type Position = { line: number; column: number };

/** What to do about the syntax errors people actually hit in hand-written intents. */
const SYNTAX_HINTS: Partial<Record<ErrorCode, string>> = {
  TAB_AS_INDENT: '; indent with spaces',
  BAD_INDENT: '; check the indentation of this line against the lines above',
};

/**
 * Parses one intent file. `file` is only used in messages. Structural problems (size, YAML
 * syntax, empty file, several documents, top level not a mapping) stop before the schema,
 * because a half-parsed tree would produce misleading follow-on messages. `defaults` (from the
 * repository's rollouts/_defaults.yaml, spec/defaults.ts) fill what the intent leaves out.
 */
export function parseIntent(file: string, text: string, opts: { readonly defaults?: RepoDefaults } = {}): ParseResult {
  const problems: SourceProblem[] = [];
  const report = (pos: Position, path: string, message: string): void => {
    problems.push({ file, line: pos.line, column: pos.column, path, message });
  };
  const failed = (): ParseResult => ({ ok: false, problems: sortProblems(problems) });
  const origin = { line: 1, column: 1 };

  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_INTENT_BYTES) {
    report(origin, '', `file is ${bytes} bytes; intents are limited to 1 MiB`);
    return failed();
  }

  const tooDeep = nestingLimit(text);
  if (tooDeep) {
    const line = text.slice(0, tooDeep.offset).split('\n').length;
    const column = tooDeep.offset - text.lastIndexOf('\n', tooDeep.offset - 1);
    report({ line, column }, '', tooDeep.message);
    return failed();
  }

  const lineCounter = new LineCounter();
  const at = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  // uniqueKeys off: duplicates are found below, with the path they occur at.
  const docs = Array.from(parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: false }));
  // Only the first syntax error of a document: the parser's recovery makes later ones echoes of it.
  for (const doc of docs) {
    const err = doc.errors[0];
    if (err) report(at(err.pos[0]), '', `YAML syntax error: ${err.message}${SYNTAX_HINTS[err.code] ?? ''}`);
  }
  if (problems.length > 0) return failed();

  const present = docs.filter((d) => !isEmptyDocument(d));
  if (present.length === 0) {
    report(origin, '', `file is empty; expected a ${INTENT_API_VERSION} Rollout`);
    return failed();
  }
  if (present.length > 1) {
    report(
      at(present[1]!.range[0]),
      '',
      `file has ${present.length} YAML documents; expected exactly one Rollout per file (split them into separate files)`,
    );
    return failed();
  }
  const doc = present[0]!;
  if (!isMap(doc.contents)) {
    const found = isSeq(doc.contents)
      ? 'a list'
      : isScalar(doc.contents)
        ? `${JSON.stringify(doc.contents.value)}`
        : 'something else';
    report(
      at(doc.contents?.range[0] ?? 0),
      '',
      `top level must be a mapping with apiVersion, kind, metadata and spec (got ${found})`,
    );
    return failed();
  }

  findDuplicateKeys(doc.contents, [], (key, path, first) => {
    const name = JSON.stringify(path[path.length - 1]);
    report(
      at(key.range?.[0] ?? 0),
      formatPath(path),
      `duplicate key ${name} (first set on line ${at(first.range?.[0] ?? 0).line}); keep one`,
    );
  });

  let unresolved = false;
  visit(doc, {
    Alias(_, alias) {
      if (alias.resolve(doc) === undefined) {
        unresolved = true;
        report(
          at(alias.range?.[0] ?? 0),
          '',
          `YAML alias *${alias.source} refers to no anchor; define &${alias.source} before it or write the value`,
        );
      }
    },
  });
  if (unresolved) return failed();

  let value: unknown;
  try {
    value = applyDefaults(doc.toJS({ maxAliasCount: 100 }), opts.defaults);
  } catch (err) {
    // Unresolved aliases or alias bombs: the tree cannot be turned into data.
    report(origin, '', `YAML cannot be read: ${(err as Error).message}`);
    return failed();
  }

  const layout = alertsLayout(opts.defaults);
  for (const problem of [...validateDocument(value), ...layoutProblems(value, layout)]) {
    report(locate(doc, problem, text, at), formatPath(problem.path), problem.message);
  }
  if (problems.length > 0) return failed();
  return accepted(value, layout);
}

/**
 * What the repository's rule layout refuses in an intent: under `fleet`, a wave across clusters
 * (spec.clusters), whose rules would need one shared PrometheusRule per cluster, which is not
 * built (docs/design.md §7, "Fleet layout (opt-in)").
 */
function layoutProblems(value: unknown, layout: AlertsLayout): Problem[] {
  const spec = (value as { spec?: unknown }).spec;
  if (layout !== 'fleet' || typeof spec !== 'object' || spec === null || !('clusters' in spec)) return [];
  return [
    {
      path: ['spec', 'clusters'],
      message:
        'cannot be used with alerts.layout: fleet (rollouts/_defaults.yaml): the shared PrometheusRule stagegate-fleet is one file for one cluster, not one per cluster; remove spec.clusters or set alerts.layout: per-rollout',
      at: 'key',
    },
  ];
}

/** A document that passed validation, as the typed document and its model. */
function accepted(value: unknown, alertsLayout: AlertsLayout): ParseResult {
  // `abort:` left empty (docs/design.md §1 writes it so) is YAML null; the typed document says absent.
  const spec = (value as { spec: Record<string, unknown> }).spec;
  if (spec.abort === null) delete spec.abort;
  const document = value as RolloutDocument;
  return { ok: true, model: toModel(document, { alertsLayout }), document };
}

/**
 * `file:line:column` of `path` in an intent's text, `offset` characters into its string value
 * when given: for problems found after parsing (`check --prometheus`), located like parse problems.
 */
export function locateInIntent(
  text: string,
  path: readonly (string | number)[],
  offset?: number,
): { line: number; column: number } {
  const lineCounter = new LineCounter();
  const doc = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: false })[0];
  const at = (o: number): Position => {
    const { line, col } = lineCounter.linePos(o);
    return { line, column: col };
  };
  if (!doc || !('contents' in doc)) return { line: 1, column: 1 };
  return locate(doc, offset === undefined ? { path, message: '' } : { path, message: '', offset }, text, at);
}

/** Where `problem` points: the value node, the key for unknown keys, else the nearest existing parent. */
function locate(d: Document, problem: Problem, text: string, at: (offset: number) => Position): Position {
  let node: unknown = d.contents;
  let offset = (d.contents as Node).range?.[0] ?? 0;
  for (let i = 0; i < problem.path.length; i++) {
    const seg = problem.path[i]!;
    if (isAlias(node)) node = node.resolve(d);
    if (isMap(node)) {
      // With duplicate keys the last one wins, as in toJS().
      const pair = [...node.items].reverse().find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      const key = pair.key as Node;
      const value = pair.value as Node | null;
      const isLast = i === problem.path.length - 1;
      // `key:` with nothing after it has an empty value node; point at the key instead.
      const emptyValue = !value || (isScalar(value) && value.source === '' && value.value === null);
      if ((isLast && problem.at === 'key') || emptyValue) {
        offset = key.range?.[0] ?? offset;
        if (emptyValue) break;
        node = value;
        continue;
      }
      node = value;
      offset = value.range?.[0] ?? offset;
      if (isLast && problem.offset !== undefined && isScalar(value))
        return insideScalar(value, problem.offset, text, at);
    } else if (isSeq(node) && typeof seg === 'number' && node.items[seg] !== undefined) {
      node = node.items[seg];
      offset = (node as Node).range?.[0] ?? offset;
    } else {
      break;
    }
  }
  return at(offset);
}

/** Deepest flow nesting (`[`, `{`) and widest indentation a real intent comes anywhere near. */
const MAX_FLOW_DEPTH = 32;
const MAX_INDENT = 256;

/**
 * Nesting far beyond any intent, found before parsing: the parser recurses per level, and a
 * few hundred kilobytes of `[[[[…` exhaust its stack and, under tsx, the heap (measured: 100,000
 * levels crash the process). Quotes and comments are skipped so their text never counts.
 */
function nestingLimit(text: string): { offset: number; message: string } | undefined {
  let depth = 0;
  let indent = 0;
  let lineStart = true;
  let quote: string | undefined;
  let comment = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n') {
      lineStart = true;
      indent = 0;
      comment = false;
      continue;
    }
    if (lineStart && c === ' ') {
      if (++indent > MAX_INDENT)
        return {
          offset: i,
          message: `line is indented more than ${MAX_INDENT} columns; a rollout intent never needs that much`,
        };
      continue;
    }
    const prev = lineStart ? ' ' : text[i - 1]!;
    lineStart = false;
    if (comment) continue;
    if (quote) {
      if (c === quote && !(quote === '"' && prev === '\\')) quote = undefined;
    } else if (c === '#' && /\s/.test(prev)) {
      comment = true;
    } else if ((c === '"' || c === "'") && /[\s:[{,]/.test(prev)) {
      quote = c;
    } else if (c === '[' || c === '{') {
      if (++depth > MAX_FLOW_DEPTH)
        return {
          offset: i,
          message: `YAML nests more than ${MAX_FLOW_DEPTH} levels deep here; a rollout intent never needs that many`,
        };
    } else if ((c === ']' || c === '}') && depth > 0) {
      depth--;
    }
  }
  return undefined;
}

/** A document with nothing but comments, or the empty one after a trailing `---`. */
function isEmptyDocument(doc: Document): boolean {
  return doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null && doc.contents.source === '');
}

function findDuplicateKeys(
  node: unknown,
  path: (string | number)[],
  report: (key: Node, path: (string | number)[], first: Node) => void,
): void {
  if (isMap(node)) {
    const seen = new Map<string, Node>();
    for (const pair of node.items) {
      if (!isScalar(pair.key)) continue;
      const name = String(pair.key.value);
      const first = seen.get(name);
      if (first) report(pair.key, [...path, name], first);
      else seen.set(name, pair.key);
      findDuplicateKeys(pair.value, [...path, name], report);
    }
  } else if (isSeq(node)) {
    for (const [i, item] of node.items.entries()) findDuplicateKeys(item, [...path, i], report);
  }
}

/** By position; problems at the same place keep the order the rules produced them in. */
function sortProblems(problems: SourceProblem[]): SourceProblem[] {
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => a.p.line - b.p.line || a.p.column - b.p.column || a.i - b.i)
    .map(({ p }) => p);
}
