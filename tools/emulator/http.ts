/**
 * The request/response vocabulary shared by route modules: a parsed request context, the
 * GitHub error shape, pagination with Link headers, and the route table type.
 */

import type { Identity } from './identity.js';
import type { FaultSpec } from './types.js';

export const DOCS = 'https://docs.github.com/rest';

/** Thrown by handlers; the server answers it in GitHub's error shape. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly documentationUrl: string = DOCS,
    readonly errors?: ReadonlyArray<Record<string, unknown> | string>,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): Record<string, unknown> {
    const body: Record<string, unknown> = { message: this.message, documentation_url: this.documentationUrl };
    if (this.errors) body.errors = this.errors;
    // GitHub has added `status` (as a string) to error bodies; keep it for fidelity.
    body.status = String(this.status);
    return body;
  }
}

export const notFound = (): ApiError => new ApiError(404, 'Not Found');

/** 422 with GitHub's validation error shape. */
export function validationFailed(message: string, errors?: ReadonlyArray<Record<string, unknown>>): ApiError {
  return new ApiError(422, message, DOCS, errors);
}

export interface Ctx {
  readonly method: string;
  readonly params: Record<string, string>;
  readonly query: URLSearchParams;
  readonly body: unknown;
  /** Authenticated login (`SLUG[bot]` for an App installation token). */
  readonly login: string;
  /** Who the token is: a person or an App installation. */
  readonly identity: Identity;
  /** The token as sent. */
  readonly token: string;
  readonly now: Date;
  readonly baseUrl: string;
  /** A fault the handler itself plays out (racePush). */
  readonly fault?: FaultSpec;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Handler = (ctx: Ctx) => Reply;

export interface Route {
  readonly method: string;
  /** The OpenAPI path template, e.g. /repos/{owner}/{repo}/git/ref/{ref} */
  readonly template: string;
  readonly handler: Handler;
  /** Parameters that may span several path segments (refs, file paths). */
  readonly greedy?: readonly string[];
}

export interface CompiledRoute extends Route {
  readonly regex: RegExp;
  readonly names: string[];
}

export function compileRoute(route: Route): CompiledRoute {
  const names: string[] = [];
  const source = route.template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\/\{(\w+)\}/g, (_m, name: string) => {
    names.push(name);
    // `{path}` of contents may be empty (the root directory, asked for as `/contents`).
    if (name === 'path') return '(?:/(.*))?';
    return route.greedy?.includes(name) ? '/(.+?)' : '/([^/]+)';
  });
  return { ...route, names, regex: new RegExp(`^${source}/?$`) };
}

export function matchRoute(
  routes: readonly CompiledRoute[],
  method: string,
  rawPath: string,
): { route: CompiledRoute; params: Record<string, string> } | 'method' | null {
  let pathMatched = false;
  for (const route of routes) {
    const m = route.regex.exec(rawPath);
    if (!m) continue;
    pathMatched = true;
    if (route.method !== method) continue;
    const params: Record<string, string> = {};
    route.names.forEach((name, i) => {
      params[name] = decodeURIComponent(m[i + 1] ?? '');
    });
    return { route, params };
  }
  return pathMatched ? 'method' : null;
}

/** Required body fields, answered as GitHub does when one is missing. */
export function bodyOf(ctx: Ctx): Record<string, unknown> {
  const body = ctx.body;
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new ApiError(400, 'Problems parsing JSON');
  return body as Record<string, unknown>;
}

export function requireString(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value === '') {
    throw validationFailed('Invalid request.', [{ resource: 'Request', code: 'missing_field', field }]);
  }
  return value;
}

export function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string')
    throw validationFailed(`Invalid request.\n\nFor '${field}', ${JSON.stringify(value)} is not a string.`);
  return value;
}

/**
 * Slices a list by ?page=&per_page= and sets GitHub's Link header. An asked `per_page` is capped
 * at 100 (OA `per-page`: "The number of results per page (max 100)"); without one the
 * endpoint's own default applies, which may be larger (a commit's 300 files, a comparison's 250).
 */
export function paginate<T>(
  ctx: Ctx,
  items: readonly T[],
  path: string,
  defaultPerPage = 30,
): { page: T[]; headers: Record<string, string> } {
  const asked = Math.floor(Number(ctx.query.get('per_page')));
  const perPage = asked >= 1 ? Math.min(100, asked) : defaultPerPage;
  const pageNo = Math.max(1, Number(ctx.query.get('page')) || 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const page = items.slice((pageNo - 1) * perPage, pageNo * perPage);
  const link = (n: number, rel: string): string => {
    const q = new URLSearchParams(ctx.query);
    q.set('per_page', String(perPage));
    q.set('page', String(n));
    return `<${ctx.baseUrl}${path}?${q.toString()}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (pageNo > 1) links.push(link(pageNo - 1, 'prev'));
  if (pageNo < last) links.push(link(pageNo + 1, 'next'), link(last, 'last'));
  if (pageNo > 1) links.push(link(1, 'first'));
  return { page, headers: links.length > 0 ? { link: links.join(', ') } : {} };
}

/** GitHub's timestamp format: ISO 8601 in UTC without milliseconds. */
export function iso(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
