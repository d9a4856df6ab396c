/**
 * Bulk API 2.0 ingest jobs, answered the way a collections call is: one WireSaveResult per record,
 * in the order given. A job is created, its CSV uploaded in one request, closed, polled until it
 * ends, and its three result files (`successfulResults`, `failedResults`, `unprocessedrecords`)
 * read back. The platform gives those rows in no particular order, each echoing the columns that
 * were uploaded, so a row is matched to its record by what identifies it: the Id for updates and
 * deletes, the external Id for upserts, every column for inserts (records alike in all of them are
 * matched in order, which is all anyone can tell apart).
 *
 * CSV has no "leave this field as it is" apart from leaving it out: a field the record does not
 * carry is sent empty (unchanged on update, default on insert), a null as `#N/A` (the platform's
 * "set to null"). A lookup by the parent's external Id, `{attributes, HQ_Id__c: …}` in a REST body,
 * becomes the column `Parent.HQ_Id__c`.
 */
import { parseCsvRecords } from './csv-records.js';
import type { Connection } from 'jsforce';
import type { OrgConnection } from '../connection/org-connection.js';
import { abortableSleep } from './call-policy.js';
import { bulkCall, httpError } from './bulk-http.js';
import { OrgCallError } from './errors.js';
import type { WireRecord, WireSaveResult } from './org-api.js';

export type IngestOperation = 'insert' | 'update' | 'upsert' | 'delete' | 'hardDelete';

/** The platform refuses uploads above 150 MB; jobs are cut well below it. */
export const MAX_UPLOAD_BYTES = 100 * 1024 * 1024;

/** The platform's "set this field to null" in a CSV cell. */
const NULL_CELL = '#N/A';

/** What a record that a job left unprocessed is told (transient: sending it again can succeed). */
export const UNPROCESSED = 'BULK_RECORD_UNPROCESSED';
/**
 * What a record is told when a result row could not be matched to it: it may have been written,
 * so it is not sent again by itself (an insert would be made twice); the dead letter says why.
 */
export const UNMATCHED = 'BULK_RESULT_UNMATCHED';

interface JobInfo {
  id: string;
  state: 'Open' | 'UploadComplete' | 'InProgress' | 'JobComplete' | 'Failed' | 'Aborted';
  errorMessage?: string;
  numberRecordsProcessed?: number;
  numberRecordsFailed?: number;
}

export interface BulkIngestOptions {
  pollMs?: number;
  maxPollMs?: number;
  /** Gives up waiting for a job after this long (default 30 minutes). */
  timeoutMs?: number;
  signal?: AbortSignal;
  sleep?: (ms: number) => Promise<void>;
  /** Called for every HTTP request, as it is sent. */
  onCall?: () => void;
}

/** The CSV of a job: header and one line per record, with the key each result row is matched by. */
export interface IngestCsv {
  columns: string[];
  body: string;
  /** Per record, the cells that identify it, as the result files echo them (null cells read as empty). */
  keys: string[];
  /** The columns those cells are in. */
  keyColumns: string[];
}

export function ingestCsv(operation: IngestOperation, records: readonly WireRecord[], externalIdField?: string): IngestCsv {
  const columns: string[] = [];
  const seen = new Set<string>();
  const add = (c: string) => {
    if (!seen.has(c)) {
      seen.add(c);
      columns.push(c);
    }
  };
  if (operation !== 'insert' && operation !== 'upsert') add('Id');
  const flat = records.map((r) => {
    const row = new Map<string, string>();
    if (operation !== 'insert' && operation !== 'upsert') row.set('Id', String(r.id ?? r.Id ?? ''));
    if (operation === 'delete' || operation === 'hardDelete') return row;
    for (const [k, v] of Object.entries(r)) {
      if (k === 'attributes' || k === 'id' || (k === 'Id' && row.has('Id'))) continue;
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
        // A lookup by the parent's external Id: one column Relationship.Field.
        for (const [f, x] of Object.entries(v as Record<string, unknown>)) {
          if (f === 'attributes') continue;
          add(`${k}.${f}`);
          row.set(`${k}.${f}`, cell(x));
        }
        continue;
      }
      add(k);
      row.set(k, cell(v));
    }
    return row;
  });
  const keyColumns = operation === 'insert' ? columns : operation === 'upsert' ? columns.filter((c) => c === externalIdField).slice(0, 1) : ['Id'];
  if (!keyColumns.length) keyColumns.push(...columns);
  let body = `${columns.map(quote).join(',')}\n`;
  const keys: string[] = [];
  for (const row of flat) {
    body += `${columns.map((c) => quote(row.get(c) ?? '')).join(',')}\n`;
    keys.push(matchKey(keyColumns.map((c) => row.get(c) ?? '')));
  }
  return { columns, body, keys, keyColumns };
}

function cell(v: unknown): string {
  if (v === null || v === undefined || v === '') return NULL_CELL;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return v.join(';');
  return String(v);
}

function quote(v: string): string {
  return /[",\n\r]/.test(v) || v !== v.trim() ? `"${v.replace(/"/g, '""')}"` : v;
}

function matchKey(cells: readonly string[]): string {
  return cells.map((c) => (c === NULL_CELL ? '' : c)).join('\u0000');
}

/** `CODE:message:Field1,Field2 --` (the fields part may be empty) into a collections error. */
export function parseRecordError(text: string): { statusCode: string; message: string; fields: string[] } {
  const m = /^([A-Z0-9_]+):([\s\S]*?):(?:([^:]*?) ?)?--$/.exec(text.trim());
  if (!m) return { statusCode: 'UNKNOWN_ERROR', message: text, fields: [] };
  const fields = (m[3] ?? '').split(',').map((f) => f.trim()).filter(Boolean);
  return { statusCode: m[1]!, message: m[2]!.trim(), fields };
}

export class BulkIngest {
  constructor(
    private readonly org: OrgConnection,
    private readonly options: BulkIngestOptions = {},
  ) {}

  /**
   * Writes the records in one job and answers one result per record, in their order. A job the
   * platform fails as a whole (a bad upload, a limit) throws, naming its state and reason.
   */
  async write(object: string, operation: IngestOperation, records: readonly WireRecord[], externalIdFieldName?: string): Promise<WireSaveResult[]> {
    if (!records.length) return [];
    const csv = ingestCsv(operation, records, externalIdFieldName);
    if (Buffer.byteLength(csv.body) > MAX_UPLOAD_BYTES) throw new RangeError(`a Bulk API job takes at most ${MAX_UPLOAD_BYTES} bytes of CSV; write these ${records.length} records in smaller jobs`);
    const what = `writing ${object} records through a Bulk API job`;
    const job = await this.json<JobInfo>(what, 'POST', '/jobs/ingest', {
      object, operation, contentType: 'CSV', lineEnding: 'LF', columnDelimiter: 'COMMA', ...(operation === 'upsert' ? { externalIdFieldName } : {}),
    });
    const base = `/jobs/ingest/${encodeURIComponent(job.id)}`;
    await this.raw(what, 'PUT', `${base}/batches`, csv.body);
    await this.json<JobInfo>(what, 'PATCH', base, { state: 'UploadComplete' });
    const done = await this.waitForEnd(job.id, what);
    if (done.state !== 'JobComplete') {
      throw new OrgCallError(what, { code: `BULK_JOB_${done.state.toUpperCase()}`, kind: 'permanent', message: `Bulk API job ${job.id} ended ${done.state}${done.errorMessage ? `: ${done.errorMessage}` : ''}` });
    }
    const results = new Array<WireSaveResult | undefined>(records.length);
    const byKey = new Map<string, number[]>();
    csv.keys.forEach((k, i) => {
      const list = byKey.get(k);
      if (list) list.push(i);
      else byKey.set(k, [i]);
    });
    let unplaced = 0;
    const place = (row: Record<string, string>, result: WireSaveResult) => {
      const i = byKey.get(matchKey(csv.keyColumns.map((c) => row[c] ?? '')))?.shift();
      if (i !== undefined) results[i] = result;
      else unplaced++;
    };
    for (const row of await this.rows(what, `${base}/successfulResults`)) {
      place(row, { id: row.sf__Id || undefined, success: true, created: row.sf__Created === 'true' });
    }
    for (const row of await this.rows(what, `${base}/failedResults`)) {
      const error = parseRecordError(row.sf__Error ?? '');
      place(row, { ...(row.sf__Id ? { id: row.sf__Id } : {}), success: false, errors: [error] });
    }
    for (const row of await this.rows(what, `${base}/unprocessedrecords`)) {
      place(row, { success: false, errors: [{ statusCode: UNPROCESSED, message: `Bulk API job ${job.id} ended before this record was processed`, fields: [] }] });
    }
    // A row that matched no record may be this record's: then it may be written, and is not resent.
    const missing: WireSaveResult = unplaced
      ? { success: false, errors: [{ statusCode: UNMATCHED, message: `Bulk API job ${job.id} answered ${unplaced} result rows that match no record sent; this record may be one of them, so it may have been written: check the target org before replaying it`, fields: [] }] }
      : { success: false, errors: [{ statusCode: UNPROCESSED, message: `Bulk API job ${job.id} gave no result for this record`, fields: [] }] };
    return results.map((r) => r ?? missing);
  }

  private async waitForEnd(jobId: string, what: string): Promise<JobInfo> {
    const started = Date.now();
    let wait = this.options.pollMs ?? 250;
    for (;;) {
      const job = await this.json<JobInfo>(what, 'GET', `/jobs/ingest/${encodeURIComponent(jobId)}`);
      if (job.state === 'JobComplete' || job.state === 'Failed' || job.state === 'Aborted') return job;
      if (Date.now() - started > (this.options.timeoutMs ?? 30 * 60_000)) {
        throw new OrgCallError(what, { code: 'BULK_JOB_TIMEOUT', kind: 'transient', message: `Bulk API job ${jobId} is still ${job.state} after ${Math.round((Date.now() - started) / 1000)} s` });
      }
      await (this.options.sleep ?? ((ms: number) => abortableSleep(ms, this.options.signal)))(wait);
      wait = Math.min(wait * 2, this.options.maxPollMs ?? 5_000);
    }
  }

  private json<T>(what: string, method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown): Promise<T> {
    return this.call(what, (conn) => conn.request<T>({
      method, url: path, ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
    }));
  }

  private async raw(what: string, method: 'PUT' | 'GET', path: string, body?: string): Promise<string> {
    return this.call(what, async (conn) => {
      const url = `${conn.instanceUrl}/services/data/v${conn.version}${path}`;
      const res = await fetch(url, {
        method,
        headers: { Authorization: `Bearer ${conn.accessToken}`, ...(body !== undefined ? { 'content-type': 'text/csv' } : { Accept: 'text/csv' }) },
        ...(body !== undefined ? { body } : {}),
        ...(this.options.signal ? { signal: this.options.signal } : {}),
      });
      if (!res.ok) throw await httpError(res);
      return res.text();
    });
  }

  /** A result file's rows; a job's results are bounded by the records given to it. */
  private async rows(what: string, path: string): Promise<Array<Record<string, string>>> {
    const text = await this.raw(what, 'GET', path);
    if (!text.trim()) return [];
    return parseCsvRecords(text, false);
  }

  private call<T>(what: string, fn: (conn: Connection) => Promise<T>): Promise<T> {
    return bulkCall(this.org, what, fn, this.options.onCall);
  }
}
