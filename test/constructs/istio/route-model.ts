/**
 * A model of how Envoy, configured by Istio, picks a route for a request, for tests that reason
 * about whole request sequences (stickiness, cohorts, mirroring). Facts it encodes:
 * - Istio's `http` routes are tried in order and the first whose match holds wins
 *   (VirtualService docs: "The first rule matching an incoming request is used"); a route without
 *   `match` holds for every request; match blocks are ORed, the conditions inside one ANDed.
 * - A header `regex` is a full match with RE2 (Envoy StringMatcher safe_regex: "the entire
 *   string"), so the model compiles it with RE2 (re2-wasm), not JavaScript's RegExp.
 * - Weights pick one destination per request in proportion to its weight.
 * - `headers.response.add` on the route and on the chosen destination are added to the answer.
 * - `mirror` sends a copy of the request to the mirror subset (mirrorPercentage of requests,
 *   default 100 %); the caller still gets the chosen destination's answer.
 */
import { RE2 } from 're2-wasm';

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Rec) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

export interface ModelRequest {
  /** Lowercase header names. */
  readonly headers: Readonly<Record<string, string>>;
  /** Labels of the calling workload (a sidecar caller). */
  readonly sourceLabels?: Readonly<Record<string, string>>;
}

export interface ModelAnswer {
  /** Route name that took the request. */
  readonly route: string;
  /** Subset that answered. */
  readonly subset: string;
  readonly setCookies: readonly string[];
  /** Subset that got a mirrored copy, if any. */
  readonly mirroredTo?: string;
}

const compiled = new Map<string, RE2>();
function fullMatch(pattern: string, value: string): boolean {
  let re = compiled.get(pattern);
  if (!re) {
    re = new RE2(`^(?:${pattern})$`, 'u');
    compiled.set(pattern, re);
  }
  return re.test(value);
}

function stringMatches(sm: Rec, value: string | undefined): boolean {
  if (value === undefined) return false;
  if (typeof sm.exact === 'string') return value === sm.exact;
  if (typeof sm.prefix === 'string') return value.startsWith(sm.prefix);
  if (typeof sm.regex === 'string') return fullMatch(sm.regex, value);
  return false;
}

function blockMatches(block: Rec, req: ModelRequest): boolean {
  for (const [name, sm] of Object.entries(rec(block.headers)))
    if (!stringMatches(rec(sm), req.headers[name])) return false;
  for (const [key, value] of Object.entries(rec(block.sourceLabels)))
    if (req.sourceLabels?.[key] !== value) return false;
  return true;
}

/** The route Envoy takes for `req` under VirtualService `spec`; `random` in [0, 1) picks by weight. */
export function routeRequest(spec: unknown, req: ModelRequest, random: () => number): ModelAnswer {
  for (const raw of list(rec(spec).http)) {
    const route = rec(raw);
    const blocks = list(route.match).map(rec);
    if (blocks.length > 0 && !blocks.some((b) => blockMatches(b, req))) continue;
    const destinations = list(route.route).map(rec);
    const total = destinations.reduce((sum, d) => sum + (typeof d.weight === 'number' ? d.weight : 0), 0);
    let pick = random() * (total === 0 ? 1 : total);
    let chosen = destinations[0]!;
    for (const d of destinations) {
      const w = total === 0 ? 1 : typeof d.weight === 'number' ? d.weight : 0;
      if (pick < w) {
        chosen = d;
        break;
      }
      pick -= w;
    }
    const added = (h: unknown) => Object.entries(rec(rec(rec(h).response).add));
    const setCookies = [...added(route.headers), ...added(chosen.headers)]
      .filter(([name]) => name.toLowerCase() === 'set-cookie')
      .map(([, value]) => String(value));
    const mirror = route.mirror === undefined ? undefined : String(rec(route.mirror).subset);
    const mirrorShare =
      typeof rec(route.mirrorPercentage).value === 'number' ? Number(rec(route.mirrorPercentage).value) : 100;
    const mirroredTo = mirror !== undefined && random() * 100 < mirrorShare ? mirror : undefined;
    return {
      route: String(route.name),
      subset: String(rec(chosen.destination).subset),
      setCookies,
      ...(mirroredTo !== undefined ? { mirroredTo } : {}),
    };
  }
  throw new Error('no route matched: Envoy answers 404 (NR)');
}

/** A browser's cookie jar, enough for `name=value; Max-Age=N` cookies (RFC 6265 §5.2.2: Max-Age ≤ 0 expires). */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  receive(setCookies: readonly string[]): void {
    for (const line of setCookies) {
      const [pair, ...attrs] = line.split(';').map((p) => p.trim());
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const maxAge = attrs.find((a) => a.toLowerCase().startsWith('max-age='));
      if (maxAge !== undefined && Number(maxAge.slice(8)) <= 0) this.cookies.delete(name);
      else this.cookies.set(name, pair!.slice(eq + 1));
    }
  }

  /** The `cookie` request header, or undefined when the jar is empty. */
  header(): string | undefined {
    if (this.cookies.size === 0) return undefined;
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/** A seeded random source, so every run routes the same way: the project's one (tools/random.ts). */
export { seededRandom as seeded } from '../../../tools/random.js';
