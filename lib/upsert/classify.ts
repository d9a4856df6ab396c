import { API_BUDGET_EXCEEDED, CONFIGURATION } from '../connection/errors.js';
import { UNPROCESSED } from '../salesforce/bulk-ingest.js';

/**
 * What a failure means for the records it hit:
 * - `transient`: the record is fine and the same send can succeed later (a lock, a busy or
 *   unreachable server, a lost session); retried with backoff, dead-lettered as transient when
 *   the attempts run out.
 * - `permanent`: the target refuses this record as it is (validation, lengths, picklists,
 *   duplicates, bad references); dead-lettered at once with the org's reason.
 * - `halt`: nothing more should be sent to this org now (the daily API limit or this
 *   integration's budget is spent, the login itself is refused). Retrying within seconds cannot
 *   help, so the write stops making calls and the records it did not write are dead-lettered as
 *   transient, to be replayed once the limit resets or the connection is fixed.
 */
export type FailureClass = 'transient' | 'permanent' | 'halt';

export interface ClassifiedError {
  code: string;
  message: string;
  fields: string[];
  class: FailureClass;
  /** The request may have been applied although no answer came (timeouts, dropped connections, 5xx other than 503). */
  ambiguous?: boolean;
}

/** Per-record status codes that clear up by themselves. */
const TRANSIENT_RECORD_CODES = new Set([
  'UNABLE_TO_LOCK_ROW',
  'SERVER_UNAVAILABLE',
  'REQUEST_RUNNING_TOO_LONG',
  'QUERY_TIMEOUT',
  'TXN_SECURITY_METERING_ERROR',
  'ALL_OR_NONE_OPERATION_ROLLED_BACK',
  // A Bulk API job ended before it reached the record; sending it again is safe.
  UNPROCESSED,
]);

const TRANSIENT_CALL_CODES = new Set([
  ...TRANSIENT_RECORD_CODES,
  'INVALID_SESSION_ID',
  'REFRESH_FAILED',
  'ERROR_HTTP_420',
  'ERROR_HTTP_429',
  'ERROR_HTTP_500',
  'ERROR_HTTP_502',
  'ERROR_HTTP_503',
  'ERROR_HTTP_504',
  'TIMEOUT',
]);

const HALT_CODES = new Set(['REQUEST_LIMIT_EXCEEDED', API_BUDGET_EXCEEDED, 'API_DISABLED_FOR_ORG', CONFIGURATION]);

interface WireError {
  statusCode?: string;
  errorCode?: string;
  message?: string;
  fields?: string[];
}

/** A per-record error from a collections answer (`statusCode`; `errorCode` accepted too). */
export function classifyRecordError(errors: readonly WireError[] | undefined): ClassifiedError {
  const e = errors?.[0] ?? {};
  const code = e.statusCode ?? e.errorCode ?? 'UNKNOWN_ERROR';
  const message = (errors ?? []).map((x) => x.message).filter(Boolean).join('; ') || 'the target org refused the record without a reason';
  const fields = [...new Set((errors ?? []).flatMap((x) => x.fields ?? []))];
  return { code, message, fields, class: TRANSIENT_RECORD_CODES.has(code) ? 'transient' : 'permanent' };
}

interface ThrownError {
  name?: string;
  code?: string;
  kind?: string;
  message?: string;
  errorCode?: string;
}

/** A whole call that failed (thrown by OrgConnection.run or jsforce). */
export function classifyCallError(err: unknown): ClassifiedError {
  const e = (err ?? {}) as ThrownError;
  const message = e.message ?? String(err);
  if (e.code === API_BUDGET_EXCEEDED || e.code === CONFIGURATION) return { code: e.code, message, fields: [], class: 'halt' };
  if (e.name === 'AbortError' || /\btimed? ?out\b|timeout/i.test(message)) {
    return { code: 'TIMEOUT', message: `no answer from the target org in time: ${message}`, fields: [], class: 'transient', ambiguous: true };
  }
  const code = e.code ?? e.errorCode ?? e.name ?? 'UNKNOWN_ERROR';
  if (e.kind === 'limit' || HALT_CODES.has(code)) return { code, message, fields: [], class: 'halt' };
  if (e.kind === 'network') return { code, message, fields: [], class: 'transient', ambiguous: true };
  if (TRANSIENT_CALL_CODES.has(code) || e.kind === 'server') {
    // A 503 is refused at the door; other server errors may have happened after the write.
    const ambiguous = code !== 'SERVER_UNAVAILABLE' && code !== 'ERROR_HTTP_503' && code !== 'UNABLE_TO_LOCK_ROW' && code !== 'INVALID_SESSION_ID' && code !== 'REFRESH_FAILED';
    return { code, message, fields: [], class: 'transient', ...(ambiguous ? { ambiguous } : {}) };
  }
  // A refused login (wrong password, revoked app) will not fix itself within a retry's wait.
  if (e.kind === 'auth' || e.kind === 'config') return { code, message, fields: [], class: 'halt' };
  return { code, message, fields: [], class: 'permanent' };
}

/**
 * The parent a nested external Id reference names is not in the target (the org answers
 * `INVALID_FIELD` "Foreign key external ID: … not found …" and blames the lookup field).
 */
export function isMissingForeignKey(error: ClassifiedError): boolean {
  return error.code === 'INVALID_FIELD' && /Foreign key external ID: .* not found/i.test(error.message);
}

/** The record itself is gone from the target (deleted, purged, or an Id that never existed). */
export function isGoneFromTarget(error: ClassifiedError): boolean {
  return ['ENTITY_IS_DELETED', 'NOT_FOUND', 'INVALID_CROSS_REFERENCE_KEY'].includes(error.code) && !error.fields.length;
}
