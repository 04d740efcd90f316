/**
 * The response shapes the planner relies on, checked at the edge (STYLE: "validate the response
 * shapes the planner relies on"; Renovate does the same with zod). Only the fields the bot reads
 * are described, after GitHub's OpenAPI description (@octokit/openapi: check-run, pull-request-
 * simple, commit, diff-entry, status, pull-request-review, repository-collaborator-permission); anything else may come and go. A mismatch fails the read
 * with the JSON path, so a surprising answer stops the pass instead of reaching a decision.
 */
import { Ajv, type ValidateFunction } from 'ajv';

const ajv = new Ajv({ allErrors: false, strict: true });

const str = { type: 'string' } as const;
const nstr = { type: ['string', 'null'] } as const;
const login = { type: ['object', 'null'], properties: { login: str } } as const;

const SCHEMAS = {
  checkRun: {
    type: 'object',
    required: ['id', 'name', 'head_sha', 'status'],
    properties: {
      id: { type: 'integer' },
      name: str,
      head_sha: str,
      status: { enum: ['queued', 'in_progress', 'completed', 'waiting', 'requested', 'pending'] },
      conclusion: {
        enum: ['success', 'failure', 'neutral', 'cancelled', 'skipped', 'timed_out', 'action_required', 'stale', null],
      },
      started_at: nstr,
      completed_at: nstr,
      app: { type: ['object', 'null'], properties: { id: { type: 'integer' }, slug: str } },
    },
  },
  pull: {
    type: 'object',
    required: ['number', 'state', 'head', 'base', 'created_at'],
    properties: {
      number: { type: 'integer' },
      state: { enum: ['open', 'closed'] },
      merged_at: nstr,
      closed_at: nstr,
      created_at: str,
      user: login,
      head: {
        type: 'object',
        required: ['ref', 'sha'],
        properties: { ref: str, sha: str, repo: { type: ['object', 'null'] } },
      },
      base: { type: 'object', required: ['ref'], properties: { ref: str, sha: str } },
      labels: { type: 'array' },
    },
  },
  commit: {
    type: 'object',
    required: ['sha'],
    properties: {
      sha: str,
      author: login,
      committer: login,
      parents: { type: 'array' },
      commit: {
        type: 'object',
        properties: {
          author: { type: ['object', 'null'], properties: { email: nstr } },
          committer: { type: ['object', 'null'], properties: { email: nstr } },
          verification: { type: ['object', 'null'], properties: { verified: { type: 'boolean' } } },
        },
      },
    },
  },
  file: {
    type: 'object',
    required: ['filename', 'status'],
    properties: { filename: str, sha: nstr, status: str, previous_filename: str },
  },
  review: {
    type: 'object',
    required: ['id', 'state'],
    // OA: commit_id (nullable) is the commit the review was given on; the stage approval needs the head's.
    properties: { id: { type: 'integer' }, state: str, user: login, commit_id: nstr },
  },
  /** OA team-membership (teams/get-membership-for-user-in-org): only `state: active` is a member. */
  membership: {
    type: 'object',
    required: ['state'],
    properties: { state: { enum: ['active', 'pending'] }, role: str },
  },
  /** OA repository-collaborator-permission: `permission` is the legacy base role (maintain → write). */
  permission: {
    type: 'object',
    required: ['permission'],
    properties: { permission: { enum: ['admin', 'write', 'read', 'none'] }, role_name: str },
  },
  status: {
    type: 'object',
    required: ['id', 'context', 'state'],
    properties: {
      id: { type: 'integer' },
      context: str,
      state: { enum: ['error', 'failure', 'pending', 'success'] },
      creator: login,
    },
  },
} as const;

export type ShapeName = keyof typeof SCHEMAS;

const compiled = new Map<ShapeName, ValidateFunction>();

/** Throws when `value` (one item) does not have the shape `name` the bot relies on. */
export function assertShape<T>(name: ShapeName, value: unknown): T {
  let check = compiled.get(name);
  if (!check) {
    check = ajv.compile(SCHEMAS[name]);
    compiled.set(name, check);
  }
  if (!check(value)) {
    const e = check.errors?.[0];
    throw new Error(`GitHub answered an unexpected ${name}: ${e?.instancePath || '/'} ${e?.message ?? 'is invalid'}`);
  }
  return value as T;
}

/** Each item of a listing, checked. */
export function assertShapes<T>(name: ShapeName, value: unknown): T[] {
  if (!Array.isArray(value)) throw new Error(`GitHub answered an unexpected ${name} list: not an array`);
  return value.map((v) => assertShape<T>(name, v));
}
