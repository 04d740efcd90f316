/**
 * Validates emulator responses against GitHub's published OpenAPI description
 * (@octokit/openapi), so the emulator cannot drift from what GitHub documents.
 *
 * We read the non-dereferenced api.github.com.json (13 MB, ~0.3 s to parse) and let ajv follow
 * its `$ref`s, instead of the 73 MB dereferenced file (~2 s and several hundred MB per test
 * process) — same description, a fraction of the cost.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import AjvModule from 'ajv';
import addFormatsModule from 'ajv-formats';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };
interface ValidateFn {
  (data: unknown): boolean;
  errors?: Array<{ instancePath: string; message?: string; params?: unknown }> | null;
}
interface AjvLike {
  compile(schema: object): ValidateFn;
  addSchema(schema: object): unknown;
}

// ajv and ajv-formats are CommonJS with a `default` export; NodeNext sees the namespace.
const Ajv = ((AjvModule as unknown as { default?: unknown }).default ?? AjvModule) as new (opts: object) => AjvLike;
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  ajv: AjvLike,
) => void;

export interface OperationRef {
  readonly template: string;
  readonly method: string;
}

let doc: JsonObject | undefined;
let ajv: AjvLike | undefined;
const compiled = new Map<string, ValidateFn | null>();
/** Component schemas are registered in ajv under this prefix; `$ref`s are rewritten to it. */
const COMPONENTS_ID = 'https://stagegate.invalid/github-openapi/';
const registered = new Set<string>();

function description(): JsonObject {
  if (!doc) {
    const require = createRequire(import.meta.url);
    const file = require.resolve('@octokit/openapi/generated/api.github.com.json');
    try {
      doc = JSON.parse(readFileSync(file, 'utf8')) as JsonObject;
    } catch (err) {
      throw new Error(
        `cannot read GitHub's OpenAPI description at ${file}; run npm install (dev dependency @octokit/openapi)`,
        { cause: err },
      );
    }
  }
  return doc;
}

function lookup(pointer: string): Json {
  let node: Json = description();
  for (const part of pointer.replace(/^#\//, '').split('/')) {
    node = (node as JsonObject)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    if (node === undefined) throw new Error(`OpenAPI pointer ${pointer} does not resolve`);
  }
  return node;
}

/**
 * Turns OpenAPI 3.0 `nullable: true` into JSON Schema null unions and points component
 * `$ref`s at schemas registered once in ajv, so each component compiles once and is shared
 * by every operation (inlining them made one pull-request schema take a second to compile).
 * Names of the components met are added to `refs`.
 */
function normalize(node: Json, refs: Set<string>): Json {
  if (Array.isArray(node)) return node.map((n) => normalize(n, refs));
  if (node === null || typeof node !== 'object') return node;
  if (typeof node.$ref === 'string') {
    const name = /^#\/components\/schemas\/([^/]+)$/.exec(node.$ref)?.[1];
    if (!name) return normalize(lookup(node.$ref), refs);
    refs.add(name);
    return { $ref: `${COMPONENTS_ID}${name}` };
  }
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'nullable' || key === 'example' || key === 'examples' || key === 'discriminator') continue;
    // `properties`' keys are names, not keywords: normalize values only.
    out[key] =
      key === 'properties' ? mapValues(value as JsonObject, (v) => normalize(v, refs)) : normalize(value, refs);
  }
  if (node.nullable === true) {
    if (typeof out.type === 'string') {
      out.type = [out.type, 'null'];
      if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    } else {
      return { anyOf: [out, { type: 'null' }] };
    }
  }
  return out;
}

/** Registers the components a schema needs (transitively) before it is compiled. */
function register(names: Iterable<string>): void {
  const schemas = (description().components as JsonObject).schemas as JsonObject;
  const queue = [...names];
  while (queue.length > 0) {
    const name = queue.pop()!;
    if (registered.has(name)) continue;
    registered.add(name);
    const refs = new Set<string>();
    const schema = normalize(schemas[name], refs) as JsonObject;
    instance().addSchema({ ...schema, $id: `${COMPONENTS_ID}${name}` });
    queue.push(...refs);
  }
}

function mapValues(obj: JsonObject, fn: (v: Json) => Json): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(obj)) out[k] = fn(v);
  return out;
}

function validator(op: OperationRef, status: number): ValidateFn | null {
  const key = `${op.method} ${op.template} ${status}`;
  if (compiled.has(key)) return compiled.get(key)!;
  const paths = description().paths as JsonObject;
  const item = paths[op.template] as JsonObject | undefined;
  const operation = item?.[op.method.toLowerCase()] as JsonObject | undefined;
  if (!operation) throw new Error(`GitHub's OpenAPI description has no operation ${op.method} ${op.template}`);
  let response = (operation.responses as JsonObject)[String(status)] as Json;
  let fn: ValidateFn | null = null;
  if (response && typeof response === 'object' && !Array.isArray(response)) {
    if (typeof response.$ref === 'string') response = lookup(response.$ref);
    const schema = ((response as JsonObject).content as JsonObject | undefined)?.['application/json'] as
      | JsonObject
      | undefined;
    if (schema?.schema) {
      const refs = new Set<string>();
      const normalized = normalize(schema.schema, refs) as object;
      register(refs);
      fn = instance().compile(normalized);
    }
  }
  compiled.set(key, fn);
  return fn;
}

function instance(): AjvLike {
  if (!ajv) {
    // inlineRefs: false keeps one compiled function per component instead of a copy per use.
    ajv = new Ajv({ strict: false, allErrors: true, logger: false, inlineRefs: false, validateSchema: false });
    addFormats(ajv);
  }
  return ajv;
}

/** Whether the description documents this status for this operation. */
export function documentsStatus(op: OperationRef, status: number): boolean {
  const item = (description().paths as JsonObject)[op.template] as JsonObject | undefined;
  const operation = item?.[op.method.toLowerCase()] as JsonObject | undefined;
  return Boolean(operation && (operation.responses as JsonObject)[String(status)]);
}

/**
 * Problems of `body` against the documented response schema, [] when it conforms or when
 * the description has no JSON schema for that status (204s, undocumented error statuses).
 */
export function validateResponse(op: OperationRef, status: number, body: unknown): string[] {
  const fn = validator(op, status);
  if (!fn || fn(body)) return [];
  return (fn.errors ?? [])
    .slice(0, 20)
    .map((e) =>
      `${e.instancePath || '/'} ${e.message ?? 'is invalid'} ${e.params ? JSON.stringify(e.params) : ''}`.trim(),
    );
}
