import type { Emulator } from '../../emulator.js';
import { errors, SfError } from '../../errors.js';
import type { RequestContext } from '../context.js';
import { dispatchInternal, type InternalResponse } from '../internal-dispatch.js';
import { recordUrl } from '../records.js';

export const MAX_SUBREQUESTS = 25;
/** Of the 25, at most this many may be queries or sObject Collections calls. */
export const MAX_QUERY_OR_COLLECTION_SUBREQUESTS = 5;

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
const REFERENCE_ID = /^[A-Za-z0-9][A-Za-z0-9_]*$/;
const REFERENCE = /@\{([^}]*)\}/g;
const REFERENCE_EXPR = /^([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|\[\d+\])*)$/;
/** Response headers a subresult never shows: composite has no per-subrequest transport headers. */
const HIDDEN_HEADERS = new Set(['content-type', 'content-length', 'sforce-limit-info', 'transfer-encoding', 'connection', 'date']);

interface Subrequest {
  method: string;
  url: string;
  referenceId: string;
  body?: unknown;
  httpHeaders?: Record<string, string>;
}

interface SubResult {
  body: unknown;
  httpHeaders: Record<string, string>;
  httpStatusCode: number;
  referenceId: string;
}

const ROLLED_BACK_MESSAGE = 'The transaction was rolled back since another operation in the same transaction failed.';

function isObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

// Unverified wording: the real texts of these request-level refusals were not found.
function invalidInput(message: string): SfError {
  return new SfError('INVALID_INPUT', message, 400);
}

function parseRequest(input: unknown, apiVersion: string): { allOrNone: boolean; subrequests: Subrequest[] } {
  if (!isObject(input) || !Array.isArray(input.compositeRequest)) {
    throw errors.jsonParser('Cannot deserialize instance of CompositeRequest from START_ARRAY value or request may be missing a required field');
  }
  const list = input.compositeRequest;
  if (list.length > MAX_SUBREQUESTS) {
    throw new SfError('LIMIT_EXCEEDED', `Exceeded max limit of subrequests: ${MAX_SUBREQUESTS}`, 400);
  }
  const seen = new Set<string>();
  let heavy = 0;
  const subrequests = list.map((raw): Subrequest => {
    if (!isObject(raw) || typeof raw.method !== 'string' || typeof raw.url !== 'string' || typeof raw.referenceId !== 'string') {
      throw invalidInput('Each subrequest needs a method, a url and a referenceId.');
    }
    if (!METHODS.has(raw.method)) throw invalidInput(`Invalid HTTP method: ${raw.method}`);
    // Since API 52.0 an illegal reference Id fails the whole request (earlier only its users).
    if (!REFERENCE_ID.test(raw.referenceId) && Number(apiVersion) >= 52) {
      throw invalidInput(
        `Provided referenceId ('${raw.referenceId}') must start with a letter or a number, and it can contain only letters, numbers and underscores ('_').`,
      );
    }
    if (seen.has(raw.referenceId)) throw invalidInput(`Duplicate referenceId provided in the request: ${raw.referenceId}`);
    seen.add(raw.referenceId);
    if (/^\/services\/data\/v[\d.]+\/(query|queryAll|composite\/sobjects)(\/|\?|$)/.test(raw.url)) heavy++;
    const headers = isObject(raw.httpHeaders) ? Object.fromEntries(Object.entries(raw.httpHeaders).map(([k, v]) => [k, String(v)])) : undefined;
    return { method: raw.method, url: raw.url, referenceId: raw.referenceId, body: raw.body, httpHeaders: headers };
  });
  if (heavy > MAX_QUERY_OR_COLLECTION_SUBREQUESTS) {
    throw new SfError('LIMIT_EXCEEDED', `Exceeded max limit of query or sObject Collections subrequests: ${MAX_QUERY_OR_COLLECTION_SUBREQUESTS}`, 400);
  }
  return { allOrNone: input.allOrNone === true, subrequests };
}

/** A reference that names no value: an unknown or failed subrequest, or a missing path. */
class UnresolvedReference extends Error {
  constructor(readonly expression: string, readonly referenceId: string) {
    super(`Invalid reference specified. No value for ${expression} found in ${referenceId}`);
  }
}

/**
 * Resolves `@{refId.path[0].Field}` against earlier successful subresponse bodies. Only scalar
 * values can be referenced; a null one counts as missing before API 52.0 and as null since.
 */
class References {
  private readonly bodies = new Map<string, unknown>();

  constructor(private readonly apiVersion: string) {}

  record(referenceId: string, body: unknown): void {
    this.bodies.set(referenceId, body);
  }

  private lookup(expression: string): string | number | boolean | null {
    const m = REFERENCE_EXPR.exec(expression.trim());
    const referenceId = m?.[1] ?? expression.split(/[.[]/)[0] ?? expression;
    if (!m || !this.bodies.has(referenceId)) throw new UnresolvedReference(expression, referenceId);
    let value: unknown = this.bodies.get(referenceId);
    for (const seg of m[2]!.match(/\.[A-Za-z0-9_]+|\[\d+\]/g) ?? []) {
      if (value === null || typeof value !== 'object') throw new UnresolvedReference(expression, referenceId);
      const key = seg.startsWith('.') ? seg.slice(1) : Number(seg.slice(1, -1));
      // Case-sensitive on purpose: `@{ref.Id}` does not find the `id` of a create result.
      value = Object.prototype.hasOwnProperty.call(value, key) ? (value as Record<string | number, unknown>)[key] : undefined;
    }
    if (value === null && Number(this.apiVersion) >= 52) return null;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
    throw new UnresolvedReference(expression, referenceId);
  }

  /** Replaces references inside text (urls, and strings that mix text and references). */
  text(s: string): string {
    return s.replace(REFERENCE, (_, expr: string) => {
      const v = this.lookup(expr);
      return v === null ? '' : String(v);
    });
  }

  /** Replaces references in a JSON body; a string that is exactly one reference takes its value's type. */
  value(v: unknown): unknown {
    if (typeof v === 'string') {
      const whole = /^@\{([^}]*)\}$/.exec(v);
      return whole ? this.lookup(whole[1]!) : this.text(v);
    }
    if (Array.isArray(v)) return v.map((x) => this.value(x));
    if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.value(x)]));
    return v;
  }
}

function halted(referenceId: string, message: string): SubResult {
  return { body: [{ errorCode: 'PROCESSING_HALTED', message }], httpHeaders: {}, httpStatusCode: 400, referenceId };
}

function subResult(emulatorRes: InternalResponse, referenceId: string, ctx: RequestContext, url: string): SubResult {
  const httpHeaders: Record<string, string> = {};
  for (const [k, v] of Object.entries(emulatorRes.headers)) if (!HIDDEN_HEADERS.has(k.toLowerCase())) httpHeaders[k] = v;
  const body = emulatorRes.body;
  if (emulatorRes.status === 201 && !Object.keys(httpHeaders).some((k) => k.toLowerCase() === 'location')) {
    // Creates answer with the new record's location, under the subrequest's own API version.
    const id = isObject(body) && typeof body.id === 'string' ? body.id : undefined;
    const object = id ? ctx.requireOrg.schema.objectForId(id) : undefined;
    const version = /^\/services\/data\/v(\d+\.\d+)/.exec(url)?.[1] ?? ctx.apiVersion;
    if (id && object) httpHeaders.Location = recordUrl(version, object.name, id);
  }
  return { body, httpHeaders, httpStatusCode: emulatorRes.status, referenceId };
}

/**
 * Composite resources cannot nest: only sObject, query, queryAll and sObject Collections
 * resources run as subrequests.
 */
function isNestedComposite(url: string): boolean {
  return /^\/services\/data\/v[\d.]+\/composite(\/(tree|batch|graph)(\/|\?|$)|\/?(\?|$))/.test(url);
}

async function runSubrequest(emulator: Emulator, ctx: RequestContext, sub: Subrequest, refs: References): Promise<SubResult> {
  let url: string;
  let body: unknown;
  try {
    url = refs.text(sub.url);
    body = sub.body === undefined ? undefined : refs.value(sub.body);
  } catch (err) {
    if (err instanceof UnresolvedReference) return halted(sub.referenceId, err.message);
    throw err;
  }
  if (!url.startsWith('/services/data/v') || isNestedComposite(url)) {
    return { body: errors.notFound().toBody(), httpHeaders: {}, httpStatusCode: 404, referenceId: sub.referenceId };
  }
  const res = await dispatchInternal(emulator, ctx, { method: sub.method, url, body, headers: sub.httpHeaders });
  if (res.status < 400) refs.record(sub.referenceId, res.body);
  return subResult(res, sub.referenceId, ctx, url);
}

/**
 * POST /composite: up to 25 subrequests through the real data API routing, counted as one call.
 * Without allOrNone each subrequest commits on its own and a subrequest that refers to a failed
 * one fails with PROCESSING_HALTED. With allOrNone all of them share one transaction; the first
 * failure stops execution, rolls everything back, and every other subrequest reports the rollback.
 */
export async function runComposite(emulator: Emulator, ctx: RequestContext): Promise<void> {
  const { allOrNone, subrequests } = parseRequest(await ctx.readJson<unknown>(), ctx.apiVersion);
  const refs = new References(ctx.apiVersion);
  const results: SubResult[] = [];
  if (!allOrNone) {
    for (const sub of subrequests) results.push(await runSubrequest(emulator, ctx, sub, refs));
    ctx.sendJson(200, { compositeResponse: results });
    return;
  }
  const org = ctx.requireOrg;
  const tx = org.beginTransaction(ctx.writeContext());
  let failed: SubResult | undefined;
  try {
    await org.joinTransaction(tx, async () => {
      for (const sub of subrequests) {
        const r = await runSubrequest(emulator, ctx, sub, refs);
        results.push(r);
        if (r.httpStatusCode >= 400) {
          failed = r;
          return;
        }
      }
    });
  } catch (err) {
    tx.rollback();
    throw err;
  }
  if (!failed) {
    tx.commit();
    ctx.sendJson(200, { compositeResponse: results });
    return;
  }
  tx.rollback();
  const culprit = failed;
  ctx.sendJson(200, {
    compositeResponse: subrequests.map((sub) => (sub.referenceId === culprit.referenceId ? culprit : halted(sub.referenceId, ROLLED_BACK_MESSAGE))),
  });
}
