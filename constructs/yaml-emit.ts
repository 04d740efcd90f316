/**
 * A fast path for cdk8s's `Yaml.stringify(...docs)`: the same bytes, about five times faster.
 *
 * cdk8s serializes each object with the `yaml` package (`YAML.stringify(doc, { keepUndefined:
 * true, lineWidth: 0, version: '1.1' })`), which first builds a full node tree (Document, Pair,
 * Scalar per value, a context object per pair) and then prints it; at thousands of rollouts that
 * was 44 % of synth. Generated objects are plain JSON trees, so the tree walk is done here
 * directly, mirroring the package's block-style printer (stringifyDocument, stringifyPair,
 * stringifyCollection with indentSeq), and every string still goes through the package's own
 * `stringifyString` with the context it would have had: quoting rules (YAML 1.1 booleans such as
 * `yes`, octal-looking numbers, indicators, multi-line block scalars) are never re-implemented.
 *
 * Anything outside that shape (shared references, which `yaml` prints as anchors; non-plain
 * objects; bigints; keys the printer would make explicit; the merge key `<<`) sends the whole document to cdk8s's
 * own serializer, so the result is byte-identical either way. test/constructs/yaml-emit.test.ts
 * compares both over the benchmark corpus and over adversarial values.
 */
import { Yaml } from 'cdk8s';
import { Document, Scalar } from 'yaml';
import { stringifyNumber, stringifyString } from 'yaml/util';

/** cdk8s's options for every document (cdk8s/lib/yaml.js, `Yaml.stringify`). */
const CDK8S_OPTIONS = { keepUndefined: true, lineWidth: 0, version: '1.1' } as const;

/** The schema `YAML.stringify` builds for those options: its tags decide what must be quoted. */
const SCHEMA_DOC = new Document(null, CDK8S_OPTIONS);

/** `createStringifyContext`'s defaults with cdk8s's options applied (yaml/dist/stringify/stringify.js). */
const STRING_OPTIONS = {
  blockQuote: true,
  defaultKeyType: null,
  defaultStringType: 'PLAIN',
  directives: null,
  doubleQuotedAsJSON: false,
  doubleQuotedMinMultiLineLength: 40,
  falseStr: 'false',
  flowCollectionPadding: true,
  indentSeq: true,
  minContentWidth: 20,
  nullStr: 'null',
  simpleKeys: false,
  singleQuote: null,
  trailingComma: false,
  trueStr: 'true',
  verifyAliasOrder: true,
  ...CDK8S_OPTIONS,
};

const INDENT_STEP = '  ';
/** `stringifyPair` turns longer keys into explicit `? key` entries; those documents fall back. */
const MAX_IMPLICIT_KEY = 1024;

/** Thrown inside the walk when a document leaves the supported shape. */
class Unsupported extends Error {}

/**
 * Byte-identical to cdk8s's `Yaml.stringify(...docs)`: each document printed by `yaml` with
 * cdk8s's options, joined with `---`.
 */
export function stringifyDocuments(docs: readonly unknown[]): string {
  return docs.map(stringifyDocument).join('---\n');
}

function stringifyDocument(doc: unknown): string {
  if (doc === undefined) return '\n';
  if (isPlainObject(doc)) {
    try {
      return `${emitMap(doc, '', new Set())}\n`;
    } catch (err) {
      if (!(err instanceof Unsupported)) throw err;
    }
  }
  return Yaml.stringify(doc);
}

/** A block mapping whose context indent is `indent` (its keys start there). */
function emitMap(obj: Record<string, unknown>, indent: string, seen: Set<object>): string {
  enter(obj, seen);
  const keys = Object.keys(obj);
  if (keys.length === 0) return '{}';
  const inner = indent + INDENT_STEP;
  let out = '';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const keyStr = stringScalar(key, true, inner);
    if (keyStr.length > MAX_IMPLICIT_KEY) throw new Unsupported();
    if (i > 0) out += `\n${indent}`;
    out += `${keyStr}:${valueAfterKey(obj[key], inner, seen)}`;
  }
  return out;
}

/** A block sequence whose context indent is `indent` (its dashes start there). */
function emitSeq(items: readonly unknown[], indent: string, seen: Set<object>): string {
  enter(items, seen);
  if (items.length === 0) return '[]';
  const itemIndent = indent + INDENT_STEP;
  let out = '';
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out += `\n${indent}`;
    out += `- ${node(items[i], itemIndent, seen)}`;
  }
  return out;
}

/** What follows `key:`: a nested block on the next lines, else a space and the value. */
function valueAfterKey(value: unknown, indent: string, seen: Set<object>): string {
  const str = node(value, indent, seen);
  if (typeof value === 'object' && value !== null) {
    // Empty collections print in flow style (`{}` / `[]`) on the key's line.
    const empty = Array.isArray(value) ? value.length === 0 : Object.keys(value).length === 0;
    return empty ? ` ${str}` : `\n${indent}${str}`;
  }
  return str === '' || str[0] === '\n' ? str : ` ${str}`;
}

function node(value: unknown, indent: string, seen: Set<object>): string {
  switch (typeof value) {
    case 'string':
      return stringScalar(value, false, indent);
    case 'number':
      return stringifyNumber({ value } as Scalar);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
      return 'null';
    case 'object':
      if (value === null) return 'null';
      if (Array.isArray(value)) return emitSeq(value, indent, seen);
      if (isPlainObject(value)) return emitMap(value, indent, seen);
      throw new Unsupported();
    default:
      throw new Unsupported();
  }
}

/** `yaml` prints an object met twice as an anchor and aliases; leave that to it. */
function enter(obj: object, seen: Set<object>): void {
  if (seen.has(obj)) throw new Unsupported();
  seen.add(obj);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Single-line strings print the same at every indent except those with a document marker
 * (`---`, `...`, `%`) at the start of any line, whose keys are quoted only at the top level;
 * those and multi-line strings are not cached.
 */
const valueCache = new Map<string, string>();
const keyCache = new Map<string, string>();
const CACHE_LIMIT = 20_000;

/**
 * A value `stringifyString` prints as it is: printable ASCII (no forced double quotes), none of
 * the indicator patterns of its `plainString`, and a character that no YAML 1.1 scalar tag
 * (null, bool, int, float, timestamp, merge) accepts, so no tag could claim the string. Most
 * generated keys and strings (PromQL, label values) pass, and skip the general path.
 */
const PRINTABLE = /^[\x20-\x7e]*$/;
const PLAIN_INDICATORS = /^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/;
/** Outside the union of the characters of every 1.1 tag's test pattern. */
const NO_TAG_CHAR = /[^0-9A-FILNORSTUYZa-filnorstuxy+\-._:~< \t]/;

function stringScalar(value: string, implicitKey: boolean, indent: string): string {
  if (
    NO_TAG_CHAR.test(value) &&
    PRINTABLE.test(value) &&
    !PLAIN_INDICATORS.test(value) &&
    // A key at the top level that starts like a document marker is quoted (`%` is an indicator already).
    !(implicitKey && (value.startsWith('---') || value.startsWith('...')))
  )
    return value;
  // The YAML 1.1 schema's merge tag claims the string `<<` before the string tag does.
  if (value === '<<') throw new Unsupported();
  // The same test as yaml's containsDocumentMarker: with the m flag, \r, U+2028 and U+2029 start lines too.
  const cacheable = value.length < 256 && !value.includes('\n') && !/^(%|---|\.\.\.)/m.test(value);
  const cache = implicitKey ? keyCache : valueCache;
  if (cacheable) {
    const hit = cache.get(value);
    if (hit !== undefined) return hit;
  }
  const ctx = {
    actualString: true,
    anchors: new Set<string>(),
    doc: SCHEMA_DOC,
    flowCollectionPadding: ' ',
    implicitKey,
    indent,
    indentStep: INDENT_STEP,
    inFlow: null,
    options: STRING_OPTIONS,
  };
  const str = stringifyString(new Scalar(value), ctx as unknown as Parameters<typeof stringifyString>[1]);
  if (cacheable) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(value, str);
  }
  return str;
}
