import { describeFailure } from '../connection/errors.js';

/**
 * How a kind of call is sent: how often it is tried and how long each try may take. Every call to
 * an org goes through one of these, so the same failure is retried the same way whoever asked.
 *
 * jsforce's own transport retries are always off (they are invisible to counting, and would stack
 * on ours): the layer makes every attempt itself and counts each as the API call it is.
 */
export interface CallPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  /** Wait before the first retry; each later one doubles, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A try without an answer after this long fails (and counts as transient). */
  timeoutMs: number;
}

/**
 * Reads (queries, describes, identity): a read changes nothing, so a dropped connection, a 5xx, a
 * 429 or a try without an answer is tried again, five times over 15.5 s, which rides out a failover
 * or a brief outage. Salesforce ends a query page that runs 120 s itself (QUERY_TIMEOUT), so a try
 * silent for longer than that is a lost connection, not a slow query.
 */
export const READ_POLICY: CallPolicy = { attempts: 6, baseDelayMs: 500, maxDelayMs: 8000, timeoutMs: 130_000 };

/**
 * Writes (collections, platform events): one try. A write that got no answer may have happened, so
 * only the writer, which knows each record's state and the ledger, decides what to send again.
 */
export const WRITE_POLICY: CallPolicy = { attempts: 1, baseDelayMs: 0, maxDelayMs: 0, timeoutMs: 120_000 };

/**
 * Probes (the health check's GET /limits): one try with a short timeout. A probe is there to
 * observe: retrying would make a down org look merely slow.
 */
export const PROBE_POLICY: CallPolicy = { attempts: 1, baseDelayMs: 0, maxDelayMs: 0, timeoutMs: 30_000 };

/**
 * HTTP answers that say "not now" rather than "no": Salesforce's rate limit (420, 429) and 5xx, as
 * jsforce names them when the body carries no error code of Salesforce's own. With one, the code
 * decides (RETRYABLE_READ_CODES); REQUEST_LIMIT_EXCEEDED, say, is not retried, since a second try
 * within seconds would meet the same answer.
 */
const RETRYABLE_HTTP = /^ERROR_HTTP_(420|429|500|502|503|504)$/;

/**
 * Salesforce's own codes of a 5xx worth a second read: the server busy or restarting, and its
 * "unexpected error" (500 UNKNOWN_EXCEPTION), which is often a passing fault when the same read
 * succeeded a moment ago; a read changes nothing, so trying it again is safe.
 */
const RETRYABLE_READ_CODES = new Set(['SERVER_UNAVAILABLE', 'UNKNOWN_EXCEPTION']);

/** Whether a read that failed with `err` (as jsforce threw it) may succeed if sent again at once. */
export function retryableRead(err: unknown): boolean {
  const e = (err ?? {}) as { errorCode?: string; name?: string };
  // jsforce ends a try that outlives the policy's timeoutMs with an AbortError: no answer in time,
  // so transient. (The caller's own signal never reaches jsforce: OrgApi checks it between tries.)
  if (e.name === 'AbortError') return true;
  const code = e.errorCode ?? '';
  if (RETRYABLE_HTTP.test(code) || RETRYABLE_READ_CODES.has(code)) return true;
  const f = describeFailure(err, { host: '' });
  return (f.kind === 'network' || f.kind === 'server') && f.transient;
}

/** The wait before retry `n` (1 for the first) under `policy`. */
export function retryDelay(policy: CallPolicy, n: number): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, n - 1));
}

/** A sleep that ends early, rejecting, when the signal aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (!signal) return new Promise((resolve) => setTimeout(resolve, ms));
  if (signal.aborted) return Promise.reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
