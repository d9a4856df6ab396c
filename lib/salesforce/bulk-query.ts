/**
 * Bulk API 2.0 query jobs: create one, wait for it, and read its CSV results page by page
 * (`Sforce-Locator`), parsed as they stream in, so no result is ever whole in memory: a page is
 * read in slices of at most `sliceSize` rows, and the next page is fetched only when the caller
 * asks for it. jsforce's own bulk2 reader joins every page into one stream (and fails on the
 * second page), so the results are fetched here, with the connection's session.
 *
 * Every HTTP request goes through OrgConnection.run, so it is counted and a refused session is
 * renewed once (the results endpoint is plain HTTP, outside jsforce's own refresh).
 */
import type { Connection } from 'jsforce';
import type { OrgConnection } from '../connection/org-connection.js';
import { abortableSleep } from './call-policy.js';
import { bulkCall, httpError } from './bulk-http.js';
import { csvRecordStream } from './csv-records.js';
import { OrgCallError } from './errors.js';

/** Job states of the platform; a query job starts at UploadComplete. */
export type BulkJobState = 'UploadComplete' | 'InProgress' | 'JobComplete' | 'Failed' | 'Aborted';

export interface BulkQueryJobInfo {
  id: string;
  object: string;
  operation: 'query' | 'queryAll';
  state: BulkJobState;
  numberRecordsProcessed?: number;
  errorMessage?: string;
}

/** Rows of one page, in slices, and where the pages stand. */
export interface BulkResultSlice {
  rows: Array<Record<string, string>>;
  /** The locator this page was fetched with ('' for the first page). */
  locator: string;
  /** The locator of the next page, or null after the last. */
  next: string | null;
  /** The last slice of its page: once it is done with, `next` is where to go on from. */
  endOfPage: boolean;
}

export interface BulkQueryOptions {
  /** Rows per results page (maxRecords); the platform's own default when not given. */
  pageSize?: number;
  /** Rows per slice handed to the caller within a page (default 2,000). */
  sliceSize?: number;
  /** First wait between job polls; it doubles up to `maxPollMs`. */
  pollMs?: number;
  maxPollMs?: number;
  /** Gives up waiting for the job after this long (default 30 minutes). */
  timeoutMs?: number;
  signal?: AbortSignal;
  sleep?: (ms: number) => Promise<void>;
  /** Called for every HTTP request, as it is sent. */
  onCall?: () => void;
}

const TERMINAL: ReadonlySet<BulkJobState> = new Set(['JobComplete', 'Failed', 'Aborted']);

export class BulkQuery {
  constructor(
    private readonly org: OrgConnection,
    private readonly options: BulkQueryOptions = {},
  ) {}

  /** Creates a query job (queryAll includes deleted and archived rows). */
  async create(soql: string, what: string, options: { queryAll?: boolean } = {}): Promise<BulkQueryJobInfo> {
    return this.call(what, (conn) => conn.request<BulkQueryJobInfo>({
      method: 'POST', url: '/jobs/query', body: JSON.stringify({ operation: options.queryAll ? 'queryAll' : 'query', query: soql }),
      headers: { 'content-type': 'application/json' },
    }), soql);
  }

  async info(jobId: string, what: string): Promise<BulkQueryJobInfo> {
    return this.call(what, (conn) => conn.request<BulkQueryJobInfo>({ method: 'GET', url: `/jobs/query/${encodeURIComponent(jobId)}` }));
  }

  /** Polls until the job completes; a failed or aborted job is an error naming its state and reason. */
  async waitForResults(jobId: string, what: string): Promise<BulkQueryJobInfo> {
    const started = Date.now();
    let wait = this.options.pollMs ?? 500;
    for (;;) {
      const job = await this.info(jobId, what);
      if (job.state === 'JobComplete') return job;
      if (TERMINAL.has(job.state)) {
        throw new OrgCallError(what, { code: `BULK_JOB_${job.state.toUpperCase()}`, kind: 'permanent', message: `Bulk API query job ${jobId} ended ${job.state}${job.errorMessage ? `: ${job.errorMessage}` : ''}` });
      }
      if (Date.now() - started > (this.options.timeoutMs ?? 30 * 60_000)) {
        throw new OrgCallError(what, { code: 'BULK_JOB_TIMEOUT', kind: 'transient', message: `Bulk API query job ${jobId} is still ${job.state} after ${Math.round((Date.now() - started) / 1000)} s` });
      }
      await (this.options.sleep ?? ((ms: number) => abortableSleep(ms, this.options.signal)))(wait);
      wait = Math.min(wait * 2, this.options.maxPollMs ?? 10_000);
    }
  }

  /**
   * The job's results from `locator` on (the first page when empty), one slice at a time. Stopping
   * early is fine: the job keeps its results for the platform's retention time, and a caller that
   * kept the locator of the last page it finished can go on from there.
   */
  async *results(jobId: string, what: string, locator = ''): AsyncGenerator<BulkResultSlice> {
    const slice = this.options.sliceSize ?? 2000;
    let current: string | null = locator;
    while (current !== null) {
      const page = await this.page(jobId, what, current);
      // One full slice is held back, so the page's last slice carries endOfPage (no empty slice
      // after it); only an empty page yields an empty slice, which still moves the locator on.
      let held: Array<Record<string, string>> | undefined;
      let rows: Array<Record<string, string>> = [];
      for await (const group of page.rows) {
        for (const row of group) {
          rows.push(row);
          if (rows.length >= slice) {
            if (held) yield { rows: held, locator: current, next: page.next, endOfPage: false };
            held = rows;
            rows = [];
          }
        }
      }
      if (rows.length) {
        if (held) yield { rows: held, locator: current, next: page.next, endOfPage: false };
        held = rows;
      }
      yield { rows: held ?? [], locator: current, next: page.next, endOfPage: true };
      current = page.next;
    }
  }

  /** One results page: its next locator (from the header) and its rows as they are parsed. */
  private async page(jobId: string, what: string, locator: string): Promise<{ next: string | null; rows: AsyncIterable<Array<Record<string, string>>> }> {
    const query = new URLSearchParams();
    if (locator) query.set('locator', locator);
    if (this.options.pageSize) query.set('maxRecords', String(this.options.pageSize));
    const res = await this.call(what, async (conn) => {
      const url = `${conn.instanceUrl}/services/data/v${conn.version}/jobs/query/${encodeURIComponent(jobId)}/results${query.size ? `?${query}` : ''}`;
      const answer = await fetch(url, { headers: { Authorization: `Bearer ${conn.accessToken}`, Accept: 'text/csv' }, ...(this.options.signal ? { signal: this.options.signal } : {}) });
      if (!answer.ok) throw await httpError(answer);
      return answer;
    });
    const header = res.headers.get('sforce-locator');
    const next = header && header !== 'null' ? header : null;
    if (!res.body) return { next, rows: (async function* () {})() };
    return { next, rows: csvRecordStream(res.body as unknown as AsyncIterable<Uint8Array>) };
  }

  private call<T>(what: string, fn: (conn: Connection) => Promise<T>, soql?: string): Promise<T> {
    return bulkCall(this.org, what, fn, this.options.onCall, soql);
  }
}
