import { isColumnDelimiter, isLineEnding, type ColumnDelimiter, type LineEnding } from './csv.js';
import { bulkErrors } from './errors.js';

/** Every state a Bulk API 2.0 job can be in. jsforce busy-loops on any other, so there are no others. */
export type JobState = 'Open' | 'UploadComplete' | 'InProgress' | 'JobComplete' | 'Failed' | 'Aborted';

export type InfoMode = 'brief' | 'list' | 'full';

export const TERMINAL_STATES: ReadonlySet<JobState> = new Set(['JobComplete', 'Failed', 'Aborted']);

/**
 * JobInfo as JSON. Real orgs write `"apiVersion":62.0`, a number with its decimal, which
 * JSON.stringify cannot produce from a number; the version is kept as text and unquoted here.
 */
export function jobInfoJson(body: unknown): string {
  return JSON.stringify(body).replace(/"apiVersion":"(\d+\.\d+)"/g, '"apiVersion":$1');
}

/** `{done, records, nextRecordsUrl}`: the list form of both job kinds, in one page. */
export function jobListJson(records: unknown[]): string {
  return jobInfoJson({ done: true, records, nextRecordsUrl: null });
}

/** A job-create body; nothing in it is looked at unless it is a JSON object. */
export function jobDefinition<T>(body: unknown): T {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw bulkErrors.invalidJob('Invalid job definition: the request body must be a JSON object');
  return body as T;
}

/** The CSV format a job-create body asks for, checked in the order real orgs report: content type, line ending, delimiter. */
export function csvFormatOf(b: { contentType?: unknown; lineEnding?: unknown; columnDelimiter?: unknown }): { lineEnding: LineEnding; columnDelimiter: ColumnDelimiter } {
  const contentType = b.contentType ?? 'CSV';
  if (contentType !== 'CSV') throw bulkErrors.invalidJob(`Invalid content type: ${String(contentType)}`);
  const lineEnding = b.lineEnding ?? 'LF';
  if (!isLineEnding(lineEnding)) throw bulkErrors.invalidJob(`Invalid line ending: ${String(lineEnding)}`);
  const columnDelimiter = b.columnDelimiter ?? 'COMMA';
  if (!isColumnDelimiter(columnDelimiter)) throw bulkErrors.invalidJob(`Invalid column delimiter: ${String(columnDelimiter)}`);
  return { lineEnding, columnDelimiter };
}
