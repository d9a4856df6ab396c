import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors, SfError } from '../errors.js';
import type { Org, OrgUser } from '../org.js';
import type { Session } from '../sessions.js';
import type { WriteContext } from '../store/types.js';

/** Largest JSON request body accepted (real orgs allow about 50 MB for REST). */
const MAX_JSON_BODY = 50 * 1024 * 1024;

/** Everything a route handler needs about one request. */
export class RequestContext {
  params: Record<string, string> = {};
  session?: Session;
  user?: OrgUser;
  /** `62.0` for requests under `/services/data/v62.0/...`. */
  apiVersion = '';
  /** Path below `/services/data/vXX.X`, for data API routes. */
  apiPath = '';
  private bodyPromise?: Promise<Buffer>;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly org: Org | undefined,
    readonly url: URL,
  ) {}

  get method(): string {
    return (this.req.method ?? 'GET').toUpperCase();
  }

  get path(): string {
    return this.url.pathname;
  }

  header(name: string): string | undefined {
    const v = this.req.headers[name.toLowerCase()];
    return Array.isArray(v) ? v[0] : v;
  }

  /** The org a data API route works on; routes on the login host have none. */
  get requireOrg(): Org {
    if (!this.org) throw errors.notFound();
    return this.org;
  }

  readBody(limit = MAX_JSON_BODY): Promise<Buffer> {
    this.bodyPromise ??= new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      this.req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > limit) {
          reject(new SfError('JSON_PARSER_ERROR', `Request body exceeds the maximum size of ${limit} bytes`, 413));
          this.req.destroy();
          return;
        }
        chunks.push(c);
      });
      this.req.on('end', () => resolve(Buffer.concat(chunks)));
      this.req.on('error', reject);
    });
    return this.bodyPromise;
  }

  /** Parses a JSON body, answering malformed JSON the way the real API does. */
  async readJson<T = unknown>(): Promise<T> {
    const text = (await this.readBody()).toString('utf8');
    if (!text.trim()) throw errors.jsonParser('No content to map due to end-of-input at [line:1, column:0]');
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      const m = /position (\d+)/.exec((err as Error).message);
      const pos = m ? Number(m[1]) : 0;
      const ch = text[pos] ?? '';
      throw errors.jsonParser(
        `Unexpected character ('${ch}' (code ${ch.charCodeAt(0) || 0})): was expecting double-quote to start field name at [line:1, column:${pos + 1}]`,
      );
    }
  }

  async readForm(): Promise<URLSearchParams> {
    return new URLSearchParams((await this.readBody(1024 * 1024)).toString('utf8'));
  }

  /** The `client=` value of `Sforce-Call-Options`, which real orgs put into CDC changeOrigin. */
  callOptionsClient(): string | undefined {
    const h = this.header('sforce-call-options');
    if (!h) return undefined;
    for (const part of h.split(',')) {
      const [k, v] = part.split('=');
      if (k?.trim().toLowerCase() === 'client' && v) return v.trim();
    }
    return undefined;
  }

  writeContext(api = 'rest'): WriteContext {
    if (!this.session) throw errors.invalidSession();
    return { userId: this.session.userId, client: this.callOptionsClient(), api, apiVersion: this.apiVersion || '65.0' };
  }

  sendJson(status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    this.res.writeHead(status, {
      'Content-Type': 'application/json;charset=UTF-8',
      'Content-Length': Buffer.byteLength(text),
      ...this.extraHeaders(),
      ...headers,
    });
    this.res.end(text);
  }

  sendEmpty(status: number, headers: Record<string, string> = {}): void {
    this.res.writeHead(status, { ...this.extraHeaders(), ...headers });
    this.res.end();
  }

  sendText(status: number, body: string, contentType: string, headers: Record<string, string> = {}): void {
    this.res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), ...this.extraHeaders(), ...headers });
    this.res.end(body);
  }

  sendError(err: SfError): void {
    this.sendJson(err.status, err.toBody());
  }

  /** Headers that every data API response carries. */
  private extraHeaders(): Record<string, string> {
    if (this.org && this.apiVersion) return { 'Sforce-Limit-Info': this.org.limits.limitInfoHeader() };
    return {};
  }
}
