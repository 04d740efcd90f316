/**
 * The HTTP front of the emulator: faults, authentication, rate limits, routing, ETags,
 * OpenAPI validation and the request log, in the order GitHub's edge would apply them.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Faults } from './faults.js';
import { ApiError, compileRoute, matchRoute, notFound, type CompiledRoute, type Reply, type Route } from './http.js';
import { CONTROL_PREFIX } from './control.js';
import type { Identities, Identity } from './identity.js';
import { validateResponse } from './openapi.js';
import type { RequestLogEntry, FaultSpec } from './types.js';

const SECONDARY_MESSAGE =
  'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID';

/**
 * What GitHub sends with 2xx answers (raw @octokit/fixtures, e.g. git-refs/raw-fixture.json):
 * `Authorization` in Vary is why a cached answer belongs to one token.
 */
const CACHE_HEADERS = {
  'cache-control': 'private, max-age=60, s-maxage=60',
  vary: 'Accept, Authorization, Cookie, X-GitHub-OTP',
} as const;

export interface ServerConfig {
  readonly owner: string;
  readonly repo: string;
  readonly now: () => Date;
  readonly identities: Identities;
  readonly validateResponses: boolean;
  readonly rateLimit: number;
  readonly faults: Faults;
  readonly requests: RequestLogEntry[];
  /** Test hooks under /_emulator/ (control.ts): no token, no budget, not logged. */
  readonly control?: (method: string, path: string, body: unknown) => Reply;
  /** Runs after every write that succeeded (GitHub's own follow-ups: auto-merge). */
  readonly afterWrite?: (now: Date) => void;
  /** Sees each log entry as it is recorded. */
  readonly onRequest?: (entry: RequestLogEntry) => void;
  /** Routes get the base URL once the port is known. */
  readonly routes: (baseUrl: string) => Route[];
}

interface Bucket {
  resetAt: number;
  used: number;
}

export class ApiServer {
  private readonly server: Server;
  private readonly buckets = new Map<string, Bucket>();
  private compiled: CompiledRoute[] = [];
  private baseUrl = '';
  private requestCounter = 0;

  constructor(private readonly config: ServerConfig) {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        // A bug in the emulator itself: answer 500 rather than hang the client.
        if (!res.headersSent && !res.destroyed) {
          res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
          res.end(JSON.stringify({ message: `emulator failure: ${(err as Error).message}` }));
        }
      });
    });
    this.server.keepAliveTimeout = 1000;
  }

  async listen(port: number): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    const address = this.server.address();
    if (!address || typeof address === 'string') throw new Error('emulator server has no TCP address');
    this.baseUrl = `http://127.0.0.1:${address.port}`;
    this.compiled = [...this.ownRoutes(), ...this.config.routes(this.baseUrl)].map(compileRoute);
    return this.baseUrl;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** /user and /rate_limit need the identity and buckets that live here. */
  private ownRoutes(): Route[] {
    return [
      {
        method: 'GET',
        template: '/rate_limit',
        handler: (ctx) => {
          const b = this.bucket(ctx.identity, ctx.now);
          const core = {
            limit: this.config.rateLimit,
            used: b.used,
            remaining: this.config.rateLimit - b.used,
            reset: Math.floor(b.resetAt / 1000),
          };
          const other = { limit: 30, used: 0, remaining: 30, reset: core.reset };
          return {
            status: 200,
            body: {
              resources: { core, search: other, graphql: { ...core, used: 0, remaining: this.config.rateLimit } },
              rate: core,
            },
          };
        },
      },
    ];
  }

  /**
   * The primary rate-limit bucket: per installation for App tokens (every token minted for it
   * shares one budget), per user for people (docs "Rate limits for the REST API" / "Rate limits
   * for GitHub Apps"; research sheet §6).
   */
  private bucket(who: Identity, now: Date): Bucket {
    let b = this.buckets.get(who.bucket);
    if (!b || now.getTime() >= b.resetAt) {
      b = { resetAt: now.getTime() + 3600_000, used: 0 };
      this.buckets.set(who.bucket, b);
    }
    return b;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const now = this.config.now();
    const entry = { method, path: url.pathname, query: url.search.replace(/^\?/, ''), at: now } as const;
    let latency: { fault?: 'latency' } = {};
    const started = performance.now();
    let routeName: { route?: string } = {};
    const log = (status: number, extra: Partial<RequestLogEntry> = {}): void => {
      const ms = Math.round((performance.now() - started) * 10) / 10;
      const logged = { ...entry, status, rateLimited: false, ...latency, ...routeName, ms, ...extra };
      this.config.requests.push(logged);
      this.config.onRequest?.(logged);
    };
    if (this.config.control && url.pathname.startsWith(CONTROL_PREFIX)) {
      let reply: Reply;
      try {
        reply = this.config.control(method, url.pathname, raw.trim() === '' ? undefined : JSON.parse(raw));
      } catch (err) {
        reply =
          err instanceof ApiError
            ? { status: err.status, body: err.body() }
            : { status: 400, body: { message: (err as Error).message } };
      }
      this.write(res, reply.status, reply.body, { 'content-type': 'application/json; charset=utf-8' });
      return;
    }
    let decodedPath = url.pathname;
    try {
      decodedPath = decodeURIComponent(url.pathname);
    } catch {
      /* keep raw */
    }

    const auth = /^(?:token|bearer)\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    const token = auth?.[1];
    const identity = token ? this.config.identities.forToken(token) : undefined;
    const login = identity?.login;

    const fault = this.config.faults.take(method, decodedPath, login);
    if (fault?.kind === 'drop') {
      log(0, { fault: 'drop' });
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'latency') {
      latency = { fault: 'latency' };
      await sleep(fault.ms);
    }
    if (fault?.kind === 'status' || fault?.kind === 'secondaryRateLimit') {
      this.sendFault(res, fault, now);
      log(fault.kind === 'status' ? fault.status : 403, {
        fault: fault.kind,
        rateLimited: fault.kind === 'secondaryRateLimit',
      });
      return;
    }

    const requestId = `${(++this.requestCounter).toString(16).toUpperCase()}:STAGEGATE`;
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      'x-github-media-type': 'github.v3; format=json',
      'x-github-request-id': requestId,
      'x-github-api-version-selected': '2022-11-28',
    };
    if (!token || !identity || !login) {
      const error = new ApiError(401, token ? 'Bad credentials' : 'Requires authentication');
      this.write(res, 401, error.body(), headers);
      log(401);
      return;
    }
    const bucket = this.bucket(identity, now);
    const rateHeaders = (): Record<string, string> => ({
      'x-ratelimit-limit': String(this.config.rateLimit),
      'x-ratelimit-remaining': String(this.config.rateLimit - bucket.used),
      'x-ratelimit-used': String(bucket.used),
      'x-ratelimit-reset': String(Math.floor(bucket.resetAt / 1000)),
      'x-ratelimit-resource': 'core',
    });
    if (bucket.used >= this.config.rateLimit) {
      const error = new ApiError(
        403,
        identity.app
          ? `API rate limit exceeded for installation ID ${identity.app.id}.`
          : `API rate limit exceeded for user ID ${identity.userId}.`,
        'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
      );
      this.write(res, 403, error.body(), { ...headers, ...rateHeaders() });
      log(403, { rateLimited: true, login });
      return;
    }

    const found = matchRoute(this.compiled, method, url.pathname);
    let reply: Reply;
    let route: CompiledRoute | undefined;
    try {
      if (!found || found === 'method') throw notFound();
      route = found.route;
      routeName = { route: `${route.method} ${route.template}` };
      const { params } = found;
      if (
        params.owner !== undefined &&
        (params.owner.toLowerCase() !== this.config.owner.toLowerCase() ||
          params.repo.toLowerCase() !== this.config.repo.toLowerCase())
      ) {
        throw notFound();
      }
      let body: unknown;
      if (raw.trim() !== '') {
        try {
          body = JSON.parse(raw);
        } catch {
          throw new ApiError(400, 'Problems parsing JSON');
        }
      }
      reply = route.handler({
        method,
        params,
        query: url.searchParams,
        body,
        login,
        identity,
        token,
        now,
        baseUrl: this.baseUrl,
        ...(fault?.kind === 'racePush' ? { fault } : {}),
      });
    } catch (err) {
      if (!(err instanceof ApiError)) {
        reply = {
          status: 500,
          body: {
            message: `emulator error: ${(err as Error).message}`,
            documentation_url: 'https://docs.github.com/rest',
          },
        };
      } else {
        reply = { status: err.status, body: err.body(), headers: err.headers };
      }
    }

    if (method !== 'GET' && reply.status < 300) this.config.afterWrite?.(now);
    if (fault?.kind === 'dropAfter') {
      // The write above is applied; the client never learns it (crash-after-commit).
      log(0, { fault: 'dropAfter', login });
      req.socket.destroy();
      return;
    }

    let payload = reply.body === undefined ? '' : JSON.stringify(reply.body);
    let status = reply.status;
    if (this.config.validateResponses && route && reply.body !== undefined) {
      const problems = validateResponse({ method: route.method, template: route.template }, status, reply.body);
      if (problems.length > 0) {
        status = 500;
        payload = JSON.stringify({
          message: `emulator response for ${route.method} ${route.template} (${reply.status}) does not match GitHub's OpenAPI description: ${problems.join('; ')}`,
          documentation_url: 'https://docs.github.com/rest',
        });
      }
    }

    const isRateLimitCall = route?.template === '/rate_limit';
    if (method === 'GET' && status === 200) {
      // ETags are tied to the token: "It's currently expected for ETags to be auth token
      // specific" (GitHub support, quoted in eclipse-csi/otterdog#201), so a new installation
      // token gets 200s. Format: quoted 64 hex, as the raw fixtures record (git-refs GET).
      const etag = `"${createHash('sha256').update(token).update('\0').update(payload).digest('hex')}"`;
      headers.etag = etag;
      const ifNoneMatch = req.headers['if-none-match'];
      if (
        ifNoneMatch
          ?.split(',')
          .map((t) => t.trim())
          .includes(etag)
      ) {
        // Conditional hits are free on GitHub: no decrement.
        this.write(res, 304, undefined, { ...headers, ...CACHE_HEADERS, ...rateHeaders(), ...reply.headers });
        log(304, { login });
        return;
      }
    }
    if (!isRateLimitCall) bucket.used += 1;
    if (status < 300) Object.assign(headers, CACHE_HEADERS);
    this.write(res, status, payload, { ...headers, ...rateHeaders(), ...reply.headers });
    log(status, { login });
  }

  private sendFault(
    res: ServerResponse,
    fault: Extract<FaultSpec, { kind: 'status' | 'secondaryRateLimit' }>,
    now: Date,
  ): void {
    if (fault.kind === 'secondaryRateLimit') {
      const retryAfter = String(fault.retryAfter ?? 60);
      const body = {
        message: SECONDARY_MESSAGE,
        documentation_url:
          'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
      };
      this.write(res, 403, JSON.stringify(body), {
        'content-type': 'application/json; charset=utf-8',
        'retry-after': retryAfter,
        date: now.toUTCString(),
      });
      return;
    }
    const message = fault.message ?? (fault.status >= 500 ? 'Server Error' : 'Injected fault');
    this.write(res, fault.status, JSON.stringify({ message, documentation_url: 'https://docs.github.com/rest' }), {
      'content-type': 'application/json; charset=utf-8',
    });
  }

  private write(res: ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
    const payload =
      body === undefined || status === 204 || status === 304
        ? ''
        : typeof body === 'string'
          ? body
          : JSON.stringify(body);
    if (payload === '') delete headers['content-type'];
    res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(payload)) });
    res.end(payload);
  }
}
