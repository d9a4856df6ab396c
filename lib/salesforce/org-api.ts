/**
 * The one way the suite reaches an org. Every read, describe, write, limits check and event goes
 * through an OrgApi over the org's shared OrgConnection, so every call gets the same treatment:
 * the connection's login, session renewal, API budget and state changes (OrgConnection.run); a
 * retry policy per kind of call (call-policy.ts); and a count of every HTTP request it makes, so
 * whoever asked can report what the work cost in API calls.
 *
 * An OrgApi is a cheap view: make one per run (a collection, a write, an editor request) to count
 * that run's calls, abort it with its signal, or bound its writes in flight. Describes are cached
 * per connection whichever view asks (describes.ts).
 */
import type { Connection, DescribeSObjectResult } from 'jsforce';
import { apiUsageOf, type ApiUsage } from '../connection/api-usage.js';
import type { OrgConnection } from '../connection/org-connection.js';
import { abortableSleep, PROBE_POLICY, READ_POLICY, retryableRead, retryDelay, WRITE_POLICY, type CallPolicy } from './call-policy.js';
import { describeCacheOf, type GlobalObject } from './describes.js';
import { BulkIngest, type IngestOperation } from './bulk-ingest.js';
import { abortReason, OrgCallError } from './errors.js';
import { InFlightLimit } from './in-flight.js';

/** Salesforce serves query pages of 200 to 2,000 rows; 2,000 costs the fewest calls. */
export const DEFAULT_PAGE_SIZE = 2000;

/** The most records one sObject Collections call takes. */
export const MAX_COLLECTION_RECORDS = 200;

export type CallKind = 'read' | 'write' | 'probe';

export type QueryRow = Record<string, unknown>;

export interface QueryPage<T = QueryRow> {
  records: T[];
  /** Rows the whole query matches (the same on every page). */
  totalSize: number;
  done: boolean;
}

/** One entry of a collections answer, in request order. */
export interface WireSaveResult {
  id?: string;
  success: boolean;
  created?: boolean;
  errors?: Array<{ statusCode?: string; errorCode?: string; message?: string; fields?: string[] }>;
}

/** A record as a collections body carries it: `attributes.type` plus fields (and `id` for updates). */
export type WireRecord = Record<string, unknown> & { attributes: { type: string } };

/** The org's answer to a platform-event publish (or any single-record create). */
export interface CreateResult {
  id: string;
  success: boolean;
  errors: unknown[];
}

/** The fields of the OAuth identity answer the suite reads. */
export interface Identity {
  organization_id: string;
  user_id: string;
  username: string;
  display_name?: string;
}

export interface OrgApiOptions {
  /** Stops the view's calls: no new call starts, and a retry's wait ends, once it aborts. */
  signal?: AbortSignal;
  /** Rows per query page, 200..2000 (sent as `Sforce-Query-Options: batchSize=N`). */
  pageSize?: number;
  /** Calls every HTTP request this view makes, as it is sent (retries included). */
  onCall?: (kind: CallKind) => void;
  /** At most this many writes of this view at once (shared by views given the same limit). */
  writeLimit?: InFlightLimit;
  /** How long a write may go without an answer (the write policy's 120 s otherwise). */
  writeTimeoutMs?: number;
  /** How long a read may go without an answer (the read policy's otherwise). */
  readTimeoutMs?: number;
  /** Waits between read retries; tests pass one that resolves at once, nodes one that ends on close. */
  sleep?: (ms: number) => Promise<void>;
}

interface RawQueryPage<T> {
  records: T[];
  totalSize: number;
  done: boolean;
  nextRecordsUrl?: string;
}

interface LimitsBody {
  DailyApiRequests?: { Max: number; Remaining: number };
  [limit: string]: { Max: number; Remaining: number } | undefined;
}

type HttpRequest = { method: 'GET' | 'POST' | 'PATCH' | 'DELETE'; url: string; body?: string; headers?: Record<string, string> };

export class OrgApi {
  /** HTTP requests made through this view (every retry counts). */
  calls = 0;
  private readonly queryHeaders: Record<string, string>;

  constructor(
    readonly org: OrgConnection,
    private readonly options: OrgApiOptions = {},
  ) {
    const size = options.pageSize ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(size) || size < 200 || size > 2000) throw new RangeError(`pageSize must be an integer from 200 to 2000, got ${size}`);
    this.queryHeaders = { 'Sforce-Query-Options': `batchSize=${size}` };
  }

  /** The org Id, known once the connection has logged in (any call logs it in). */
  get orgId(): string {
    return this.org.identity?.orgId ?? '';
  }

  // ------------------------------------------------------------------------------------------
  // Reads
  // ------------------------------------------------------------------------------------------

  /**
   * The pages of one query, fetched one at a time as the caller asks for them. A caller that stops
   * early leaves the cursor to expire on the server, which is cheaper than any call to close it.
   * `queryAll` includes deleted and archived rows.
   */
  async *pages<T = QueryRow>(soql: string, what: string, options: { queryAll?: boolean } = {}): AsyncGenerator<QueryPage<T>> {
    const resource = options.queryAll ? 'queryAll' : 'query';
    let url: string | undefined = `/${resource}?q=${encodeURIComponent(soql)}`;
    while (url) {
      const page: RawQueryPage<T> = await this.read(what, { method: 'GET', url, headers: this.queryHeaders }, soql);
      const done = page.done || !page.nextRecordsUrl;
      yield { records: page.records, totalSize: page.totalSize, done };
      url = done ? undefined : page.nextRecordsUrl;
    }
  }

  /** Every row of a query (all its pages in memory): for lookups whose size the caller bounds. */
  async rows<T = QueryRow>(soql: string, what: string): Promise<T[]> {
    const rows: T[] = [];
    for await (const page of this.pages<T>(soql, what)) rows.push(...page.records);
    return rows;
  }

  /** `SELECT COUNT() …`: the number of rows, in one call. */
  async count(soql: string, what: string): Promise<number> {
    const page = await this.read<RawQueryPage<unknown>>(what, { method: 'GET', url: `/query?q=${encodeURIComponent(soql)}` }, soql);
    return page.totalSize;
  }

  /** An object's describe; throws (code NOT_FOUND) when the org has no such object. */
  async describe(object: string): Promise<DescribeSObjectResult> {
    const d = await this.describeIfExists(object);
    if (!d) {
      throw new OrgCallError(`describing ${object}`, { code: 'NOT_FOUND', kind: 'unknown', message: `the org has no object ${object} (or this user cannot see it)` });
    }
    return d;
  }

  /** An object's describe, or null when the org has no such object. */
  describeIfExists(object: string): Promise<DescribeSObjectResult | null> {
    this.throwIfAborted();
    const what = `describing ${object}`;
    return describeCacheOf(this.org).object(object, () =>
      this.shared().read<DescribeSObjectResult>(what, { method: 'GET', url: `/sobjects/${encodeURIComponent(object)}/describe` }).catch((err: OrgCallError) => {
        if (err.code === 'NOT_FOUND') return null;
        throw err;
      }),
    );
  }

  /** The org's objects (describeGlobal). */
  objects(): Promise<GlobalObject[]> {
    this.throwIfAborted();
    return describeCacheOf(this.org).list(() =>
      this.shared().read<{ sobjects: GlobalObject[] }>('listing the objects', { method: 'GET', url: '/sobjects' }).then((r) => r.sobjects),
    );
  }

  /**
   * The view a cached describe is fetched with: counted to this view, but without its signal, since
   * other views wait for the same answer and one caller's abort (a node closing) must not end theirs.
   */
  private shared(): OrgApi {
    return new OrgApi(this.org, {
      ...this.options,
      signal: undefined,
      onCall: (kind) => {
        this.calls++;
        this.options.onCall?.(kind);
      },
    });
  }

  /** Forgets cached describes of this org (one object, or all), so the next ask reads them anew. */
  invalidateDescribes(object?: string): void {
    describeCacheOf(this.org).invalidate(object);
  }

  /** The logged-in user's identity (the OAuth identity URL). */
  identity(): Promise<Identity> {
    return this.send('read', READ_POLICY, 'reading the user identity', undefined, (conn) => {
      // The identity URL comes with the login; without it jsforce looks it up first (one more call).
      const url = conn.userInfo?.url;
      if (!url) return conn.identity() as Promise<Identity>;
      return conn.request<Identity>({ method: 'GET', url: `${url}?format=json` }, { retry: { maxRetries: 0 }, timeout: READ_POLICY.timeoutMs });
    });
  }

  // ------------------------------------------------------------------------------------------
  // Limits
  // ------------------------------------------------------------------------------------------

  /**
   * GET /limits, one try: the API usage against this integration's budget, which the connection
   * then believes too (it refuses calls while the budget is spent). One API call.
   */
  async limits(): Promise<ApiUsage> {
    const body = await this.send('probe', PROBE_POLICY, 'reading /limits', undefined, (conn) =>
      conn.request<LimitsBody>({ method: 'GET', url: '/limits' }, { retry: { maxRetries: 0 }, timeout: PROBE_POLICY.timeoutMs }),
    );
    const daily = body.DailyApiRequests;
    if (!daily) throw new OrgCallError('reading /limits', { code: 'UNEXPECTED_RESPONSE', message: 'the org did not report DailyApiRequests in /limits' });
    const usage = apiUsageOf(daily.Max - daily.Remaining, daily.Max, this.org.settings.apiBudgetPercent, this.org.now());
    this.org.noteUsage(usage);
    return usage;
  }

  // ------------------------------------------------------------------------------------------
  // Writes
  // ------------------------------------------------------------------------------------------

  /** `PATCH /composite/sobjects/{object}/{extField}`: each record carries its external Id value. */
  upsert(object: string, extField: string, records: WireRecord[]): Promise<WireSaveResult[]> {
    return this.save('PATCH', `/composite/sobjects/${encodeURIComponent(object)}/${encodeURIComponent(extField)}`, records);
  }

  /** `POST /composite/sobjects` */
  create(records: WireRecord[]): Promise<WireSaveResult[]> {
    return this.save('POST', '/composite/sobjects', records);
  }

  /** `PATCH /composite/sobjects`: records carry `id`. */
  update(records: WireRecord[]): Promise<WireSaveResult[]> {
    return this.save('PATCH', '/composite/sobjects', records);
  }

  /**
   * One Bulk API 2.0 ingest job for these records (any number up to the job's upload limit),
   * answered like a collections call: one result per record, in order. It holds one of the view's
   * write slots for the whole job, so jobs in flight are bounded like collections calls.
   */
  bulkWrite(object: string, operation: IngestOperation, records: WireRecord[], externalIdField?: string): Promise<WireSaveResult[]> {
    const ingest = new BulkIngest(this.org, {
      ...(this.options.signal ? { signal: this.options.signal } : {}),
      ...(this.options.sleep ? { sleep: this.options.sleep } : {}),
      onCall: () => {
        this.calls++;
        this.options.onCall?.('write');
      },
    });
    const go = () => ingest.write(object, operation, records, externalIdField);
    return this.options.writeLimit ? this.options.writeLimit.run(go) : go();
  }

  /** `DELETE /composite/sobjects?ids=…` */
  async delete(ids: string[]): Promise<WireSaveResult[]> {
    checkCollectionSize(ids.length);
    const results = await this.write<WireSaveResult[]>({ method: 'DELETE', url: `/composite/sobjects?ids=${ids.map(encodeURIComponent).join(',')}&allOrNone=false` });
    return checkCollectionAnswer(results, ids.length);
  }

  /**
   * Restores records from the recycle bin (with their cascade-deleted children). The REST API has
   * no undelete: this is the SOAP partner API's `undelete()`, one result per Id as collections give.
   */
  async undelete(ids: string[]): Promise<WireSaveResult[]> {
    checkCollectionSize(ids.length);
    const go = () => this.send('write', WRITE_POLICY, undefined, undefined, (conn) => conn.soap.undelete(ids));
    const results = await (this.options.writeLimit ? this.options.writeLimit.run(go) : go());
    return checkCollectionAnswer(
      results.map((r) => ({ ...(r.id ? { id: r.id } : {}), success: r.success, errors: (r.errors ?? []).map((e) => ({ statusCode: e.statusCode, message: e.message, fields: e.fields ?? [] })) })),
      ids.length,
    );
  }

  /** Publishes a platform event (`POST /sobjects/{event}`); one try, like every write. */
  async publishEvent(event: string, fields: Record<string, unknown>): Promise<CreateResult> {
    return this.write<CreateResult>(
      { method: 'POST', url: `/sobjects/${encodeURIComponent(event)}`, body: JSON.stringify(fields), headers: { 'content-type': 'application/json' } },
      `publishing ${event}`,
    );
  }

  // ------------------------------------------------------------------------------------------

  private async save(method: 'POST' | 'PATCH', url: string, records: WireRecord[]): Promise<WireSaveResult[]> {
    checkCollectionSize(records.length);
    const results = await this.write<WireSaveResult[]>({ method, url, body: JSON.stringify({ allOrNone: false, records }), headers: { 'content-type': 'application/json' } });
    return checkCollectionAnswer(results, records.length);
  }

  private read<T>(what: string, req: HttpRequest, soql?: string): Promise<T> {
    const timeout = this.options.readTimeoutMs ?? READ_POLICY.timeoutMs;
    return this.send('read', READ_POLICY, what, soql, (conn) => conn.request<T>(req, { retry: { maxRetries: 0 }, timeout }));
  }

  /** Writes are not wrapped with a `what`: the writer words its dead letters from the org's own reason. */
  private write<T>(req: HttpRequest, what?: string): Promise<T> {
    const timeout = this.options.writeTimeoutMs ?? WRITE_POLICY.timeoutMs;
    const go = () => this.send('write', WRITE_POLICY, what, undefined, (conn) => conn.request<T>(req, { retry: { maxRetries: 0 }, timeout }));
    return this.options.writeLimit ? this.options.writeLimit.run(go) : go();
  }

  /**
   * One call under `policy`: inside a single OrgConnection.run, so the connection sees one call and
   * changes state once, however many attempts the policy makes; each attempt is counted.
   */
  private async send<T>(kind: CallKind, policy: CallPolicy, what: string | undefined, soql: string | undefined, attempt: (conn: Connection) => PromiseLike<T>): Promise<T> {
    this.throwIfAborted();
    const sleep = this.options.sleep ?? ((ms: number) => abortableSleep(ms, this.options.signal));
    try {
      return await this.org.run(async (conn) => {
        for (let n = 1; ; n++) {
          this.calls++;
          this.options.onCall?.(kind);
          try {
            return await attempt(conn);
          } catch (err) {
            if (n >= policy.attempts || !retryableRead(err)) throw err;
            await sleep(retryDelay(policy, n));
            this.throwIfAborted();
          }
        }
      });
    } catch (err) {
      // An abort (a node closing) ends the call with its own reason, not as the org's failure.
      if (this.options.signal?.aborted) throw abortReason(this.options.signal);
      if (err instanceof OrgCallError || !what) throw err;
      throw new OrgCallError(what, err, soql);
    }
  }

  /** Throws the abort reason once the view's signal has aborted. */
  throwIfAborted(): void {
    const s = this.options.signal;
    if (s?.aborted) throw abortReason(s);
  }
}

function checkCollectionSize(n: number): void {
  if (n < 1 || n > MAX_COLLECTION_RECORDS) throw new RangeError(`a collections call takes 1 to ${MAX_COLLECTION_RECORDS} records, not ${n}`);
}

function checkCollectionAnswer(results: unknown, expected: number): WireSaveResult[] {
  if (!Array.isArray(results) || results.length !== expected) {
    const err = new Error(`the target org answered a collections call for ${expected} records with ${Array.isArray(results) ? results.length : 'no'} results`);
    err.name = 'UNEXPECTED_RESPONSE';
    throw err;
  }
  return results as WireSaveResult[];
}
