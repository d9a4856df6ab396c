import type { Connection } from 'jsforce';
import type { OrgConnection } from '../connection/org-connection.js';
import type { InFlightLimit } from './in-flight.js';

/** The most records one sObject Collections call takes. */
export const MAX_COLLECTION_RECORDS = 200;

/** One entry of a collections answer, in request order. */
export interface WireSaveResult {
  id?: string;
  success: boolean;
  created?: boolean;
  errors?: Array<{ statusCode?: string; errorCode?: string; message?: string; fields?: string[] }>;
}

/** A record as a collections body carries it: `attributes.type` plus fields (and `id` for updates). */
export type WireRecord = Record<string, unknown> & { attributes: { type: string } };

/**
 * The sObject Collections calls the writer makes, built by hand rather than through jsforce's
 * sobject().upsert(): jsforce falls back to one PATCH per record below API 46 and retries
 * DELETE/GET on its own for about 15 s. Here every call is one collections request whatever
 * the version, jsforce's transport retries are off (the writer retries, with backoff and only the
 * failed records), every request is counted, and at most `limit.max` are in flight.
 */
export class CollectionsApi {
  constructor(
    private readonly target: OrgConnection,
    private readonly limit: InFlightLimit,
    private readonly countCall: () => void,
    private readonly timeoutMs: number,
  ) {}

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

  /** `DELETE /composite/sobjects?ids=…` */
  async delete(ids: string[]): Promise<WireSaveResult[]> {
    checkSize(ids.length);
    const results = await this.request<WireSaveResult[]>({ method: 'DELETE', url: `/composite/sobjects?ids=${ids.map(encodeURIComponent).join(',')}&allOrNone=false` });
    return checkAnswer(results, ids.length);
  }

  /** Every row of a SOQL query, page by page (each page is a call). */
  async query<T>(soql: string): Promise<T[]> {
    const rows: T[] = [];
    let url: string | undefined = `/query?q=${encodeURIComponent(soql)}`;
    while (url) {
      const page: { records: T[]; done: boolean; nextRecordsUrl?: string } = await this.request({ method: 'GET', url });
      rows.push(...page.records);
      url = page.done ? undefined : page.nextRecordsUrl;
    }
    return rows;
  }

  private async save(method: 'POST' | 'PATCH', url: string, records: WireRecord[]): Promise<WireSaveResult[]> {
    checkSize(records.length);
    const results = await this.request<WireSaveResult[]>({
      method,
      url,
      body: JSON.stringify({ allOrNone: false, records }),
      headers: { 'content-type': 'application/json' },
    });
    return checkAnswer(results, records.length);
  }

  private request<T>(req: { method: 'GET' | 'POST' | 'PATCH' | 'DELETE'; url: string; body?: string; headers?: Record<string, string> }): Promise<T> {
    return this.limit.run(() =>
      this.target.run((conn: Connection) => {
        this.countCall();
        return conn.request<T>(req, { retry: { maxRetries: 0 }, timeout: this.timeoutMs });
      }),
    );
  }
}

function checkSize(n: number): void {
  if (n < 1 || n > MAX_COLLECTION_RECORDS) throw new RangeError(`a collections call takes 1 to ${MAX_COLLECTION_RECORDS} records, not ${n}`);
}

function checkAnswer(results: unknown, expected: number): WireSaveResult[] {
  if (!Array.isArray(results) || results.length !== expected) {
    const err = new Error(`the target org answered a collections call for ${expected} records with ${Array.isArray(results) ? results.length : 'no'} results`);
    err.name = 'UNEXPECTED_RESPONSE';
    throw err;
  }
  return results as WireSaveResult[];
}
