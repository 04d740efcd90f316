/**
 * Cookies on Istio routes. Istio has no cookie match: a route matches the `cookie` request header
 * with a regex (what Flagger does, fluxcd/flagger pkg/router/istio.go `getSessionAffinityRouteRules`),
 * and sets a cookie by adding a `Set-Cookie` response header on a destination
 * (`headers.response.add`). Envoy's safe_regex header match is a full match, so the pattern
 * spells out the whole header: `name=value` first, or after a `;` and optional spaces.
 */
import type { StringMatchModel } from '../model.js';

/** `s` as a literal inside an RE2 pattern. */
export function re2Escape(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, (c) => `\\${c}`);
}

/** The RE2 pattern of the value part: exact, any value starting so, or the user's regex. */
function valuePattern(value: StringMatchModel): string {
  if ('exact' in value) return re2Escape(value.exact);
  if ('prefix' in value) return `${re2Escape(value.prefix)}[^;]*`;
  return `(?:${value.regex})`;
}

/** The regex on the `cookie` header that holds when cookie `name` matches `value`. */
export function cookieHeaderRegex(name: string, value: StringMatchModel): string {
  return `^(.*;\\s*)?${re2Escape(name)}=${valuePattern(value)}(\\s*;.*)?$`;
}

/** RFC 6265 §4.1.1 cookie-octet: what a cookie value may hold unquoted. */
export const COOKIE_VALUE_RE = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/;
