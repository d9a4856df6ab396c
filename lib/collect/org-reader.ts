/**
 * The collector's only way into the org: queries read page by page (each page one API call, one
 * page in memory at a time), counts, and describes, all through `OrgConnection.run` so session
 * renewal and the API budget apply, and every call counted so a run can report what it cost.
 */
import type { Connection, DescribeSObjectResult, QueryOptions } from 'jsforce';
import type { OrgConnection } from '../connection/org-connection.js';

/** Salesforce serves query pages of 200 to 2,000 rows; 2,000 costs the fewest calls. */
export const DEFAULT_PAGE_SIZE = 2000;

export type QueryRow = Record<string, unknown>;

export interface QueryPage {
  records: QueryRow[];
  /** Rows the whole query matches (the same on every page). */
  totalSize: number;
  done: boolean;
}

/** A failed read, saying what was being read; `code` and `transient` are the connection's verdict. */
export class CollectReadError extends Error {
  readonly code: string;
  readonly transient: boolean;
  constructor(what: string, cause: unknown, readonly soql?: string) {
    const c = cause as { message?: string; code?: string; transient?: boolean };
    super(`${what}: ${c?.message ?? String(cause)}`, { cause });
    this.name = 'CollectReadError';
    this.code = c?.code ?? 'UNKNOWN';
    this.transient = c?.transient ?? false;
  }
}

export interface OrgReaderOptions {
  /** Rows per query page, 200..2000 (sent as `Sforce-Query-Options: batchSize=N`). */
  pageSize?: number;
  signal?: AbortSignal;
}

export class OrgReader {
  /** API calls made through this reader. */
  calls = 0;
  private readonly headers: Record<string, string>;

  constructor(
    readonly conn: OrgConnection,
    private readonly options: OrgReaderOptions = {},
  ) {
    const size = options.pageSize ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(size) || size < 200 || size > 2000) throw new RangeError(`pageSize must be an integer from 200 to 2000, got ${size}`);
    this.headers = { 'Sforce-Query-Options': `batchSize=${size}` };
  }

  /**
   * The pages of one query, fetched one at a time as the caller asks for them: `query` with
   * autoFetch off, then `queryMore` on the locator. A caller that stops early leaves the cursor to
   * expire on the server, which is cheaper than any call to close it.
   */
  async *pages(soql: string, what: string): AsyncGenerator<QueryPage> {
    const opts = { autoFetch: false, headers: this.headers } as Partial<QueryOptions>;
    let page = await this.call(what, soql, (c) => c.query<QueryRow>(soql, opts));
    for (;;) {
      const done = page.done || !page.nextRecordsUrl;
      yield { records: page.records, totalSize: page.totalSize, done };
      if (done) return;
      const locator = page.nextRecordsUrl!;
      page = await this.call(what, soql, (c) => c.queryMore<QueryRow>(locator, opts as QueryOptions));
    }
  }

  /** `SELECT COUNT() …`: the number of rows, in one call. */
  async count(soql: string, what: string): Promise<number> {
    const r = await this.call(what, soql, (c) => c.query(soql, { autoFetch: false }));
    return r.totalSize;
  }

  async describe(objectName: string): Promise<DescribeSObjectResult> {
    return this.call(`describing ${objectName}`, undefined, (c) => c.describe(objectName));
  }

  /** The org Id, known once the connection has logged in (any call logs it in). */
  get orgId(): string {
    return this.conn.identity?.orgId ?? '';
  }

  // No retry loop here: jsforce already retries reads that fail with 5xx, 429 or a dropped
  // connection, with backoff; a second layer would multiply the wait when an org is really down.
  private async call<T>(what: string, soql: string | undefined, fn: (c: Connection) => PromiseLike<T>): Promise<T> {
    this.throwIfAborted();
    this.calls++;
    try {
      return await this.conn.run(fn);
    } catch (err) {
      throw new CollectReadError(what, err, soql);
    }
  }

  throwIfAborted(): void {
    const s = this.options.signal;
    if (s?.aborted) throw s.reason instanceof Error ? s.reason : new Error('collection aborted');
  }
}

/**
 * A describe function for `planCollection` that asks the org once per object (through `reader`, so
 * the calls are counted) and remembers the answers for the life of the returned function.
 */
export function describeVia(reader: OrgReader): (objectName: string) => Promise<DescribeSObjectResult> {
  const cache = new Map<string, Promise<DescribeSObjectResult>>();
  return (objectName) => {
    const key = objectName.toLowerCase();
    let d = cache.get(key);
    if (!d) {
      d = reader.describe(objectName);
      cache.set(key, d);
      d.catch(() => cache.delete(key));
    }
    return d;
  };
}
