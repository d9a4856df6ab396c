import { EventEmitter } from 'node:events';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { LATEST_API_VERSION, MIN_API_VERSION, type Emulator } from '../emulator.js';
import { errors, SfError } from '../errors.js';
import { RequestContext } from './context.js';

/** One data API request made from inside the emulator (a composite subrequest). */
export interface InternalRequest {
  method: string;
  /** Full path with query string, e.g. `/services/data/v62.0/sobjects/Account`. */
  url: string;
  /** JSON body; `undefined` sends none. */
  body?: unknown;
  /** Extra request headers; authorization and content negotiation come from the outer request. */
  headers?: Record<string, string>;
}

export interface InternalResponse {
  status: number;
  /** Headers the handler set, with their original case. */
  headers: Record<string, string>;
  /** Parsed JSON body, text for other content types, `null` when empty. */
  body: unknown;
}

/**
 * Stands in for the socket-backed ServerResponse: route handlers write through RequestContext
 * (writeHead/end), or occasionally straight to `res`, and both end up here instead of on the wire.
 */
class CapturedResponse extends EventEmitter {
  statusCode = 200;
  headersSent = false;
  writableEnded = false;
  private readonly headerMap = new Map<string, { name: string; value: string }>();
  private readonly chunks: Buffer[] = [];

  setHeader(name: string, value: number | string | readonly string[]): this {
    this.headerMap.set(name.toLowerCase(), { name, value: Array.isArray(value) ? value.join(', ') : String(value) });
    return this;
  }

  getHeader(name: string): string | undefined {
    return this.headerMap.get(name.toLowerCase())?.value;
  }

  removeHeader(name: string): void {
    this.headerMap.delete(name.toLowerCase());
  }

  writeHead(status: number, reasonOrHeaders?: string | OutgoingHttpHeaders, maybeHeaders?: OutgoingHttpHeaders): this {
    this.statusCode = status;
    const headers = typeof reasonOrHeaders === 'object' ? reasonOrHeaders : maybeHeaders;
    for (const [k, v] of Object.entries(headers ?? {})) if (v !== undefined) this.setHeader(k, v as string | number | string[]);
    this.headersSent = true;
    return this;
  }

  write(chunk: string | Uint8Array): boolean {
    this.headersSent = true;
    this.chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
    return true;
  }

  end(chunk?: string | Uint8Array | (() => void)): this {
    if (chunk !== undefined && typeof chunk !== 'function') this.write(chunk);
    this.headersSent = true;
    this.writableEnded = true;
    this.emit('finish');
    return this;
  }

  result(): InternalResponse {
    const headers: Record<string, string> = {};
    for (const { name, value } of this.headerMap.values()) headers[name] = value;
    const text = Buffer.concat(this.chunks).toString('utf8');
    const type = this.getHeader('content-type') ?? '';
    let body: unknown = null;
    if (text) body = /json/i.test(type) ? JSON.parse(text) : text;
    return { status: this.statusCode, headers, body };
  }
}

const DATA_PATH = /^\/services\/data\/v(\d+\.\d+)(\/.*)?$/;

/**
 * Runs a data API request through the emulator's real routing with the caller's session, and
 * captures the answer instead of writing it to a socket. Unlike `dispatchApi` it neither counts
 * an API call nor applies faults: the outer request (composite) already did both, once.
 */
export async function dispatchInternal(emulator: Emulator, outer: RequestContext, req: InternalRequest): Promise<InternalResponse> {
  const org = outer.requireOrg;
  const url = new URL(req.url, outer.url.origin);
  const res = new CapturedResponse();
  const body = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(outer.req.headers)) {
    if (typeof v === 'string' && k !== 'content-length' && k !== 'transfer-encoding') headers[k] = v;
  }
  for (const [k, v] of Object.entries(req.headers ?? {})) {
    const lower = k.toLowerCase();
    // Subrequests inherit these three from the top-level request.
    if (lower !== 'authorization' && lower !== 'accept' && lower !== 'content-type') headers[lower] = v;
  }
  if (body) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(body.length);
  }
  const fakeReq = Object.assign(Readable.from(body ? [body] : []), {
    method: req.method.toUpperCase(),
    url: url.pathname + url.search,
    headers,
    socket: outer.req.socket,
  });
  const ctx = new RequestContext(fakeReq as unknown as IncomingMessage, res as unknown as ServerResponse, org, url);
  ctx.session = outer.session;
  ctx.user = outer.user;
  try {
    const m = DATA_PATH.exec(url.pathname);
    const v = m ? Number(m[1]) : NaN;
    if (!m || !(v >= MIN_API_VERSION && v <= Number(LATEST_API_VERSION))) throw errors.notFound();
    ctx.apiVersion = m[1]!;
    ctx.apiPath = m[2] ?? '/';
    const route = emulator.apiRouter.match(ctx.method, ctx.apiPath);
    if (!route) throw errors.notFound();
    if ('allowed' in route) throw errors.methodNotAllowed(ctx.method, route.allowed);
    ctx.params = route.params;
    await route.handler(ctx);
  } catch (err) {
    if (res.headersSent) throw err;
    if (err instanceof SfError) ctx.sendError(err);
    else {
      const errorId = randomUUID().slice(0, 13);
      ctx.sendJson(500, [
        { errorCode: 'UNKNOWN_EXCEPTION', message: `An unexpected error occurred. Please include this ErrorId if you contact support: ${errorId}` },
      ]);
    }
  }
  return res.result();
}
