/**
 * What Bulk API 2.0 jobs of either kind need around a request: it runs inside OrgConnection.run
 * (counted, within the connection's budget), a refused session is renewed once and the request
 * sent again (CSV endpoints are plain HTTP, outside jsforce's own refresh), and a failure is an
 * OrgCallError that says what was being done.
 */
import type { Connection } from 'jsforce';
import type { OrgConnection } from '../connection/org-connection.js';
import { OrgCallError } from './errors.js';

export async function bulkCall<T>(org: OrgConnection, what: string, fn: (conn: Connection) => Promise<T>, onCall?: () => void, soql?: string): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await org.run((conn) => {
        onCall?.();
        return fn(conn);
      });
    } catch (err) {
      if (attempt === 1 && codeOf(err) === 'INVALID_SESSION_ID') {
        org.reset();
        continue;
      }
      if (err instanceof OrgCallError) throw err;
      throw new OrgCallError(what, err, soql);
    }
  }
}

function codeOf(err: unknown): string | undefined {
  const e = err as { errorCode?: unknown; code?: unknown; name?: unknown };
  for (const v of [e?.errorCode, e?.code, e?.name]) if (typeof v === 'string' && v) return v;
  return undefined;
}

/** The platform's error body (`[{errorCode, message}]`) as an error jsforce would have thrown. */
export async function httpError(res: Response): Promise<Error> {
  const text = await res.text().catch(() => '');
  let code = `HTTP_${res.status}`;
  let message = text.slice(0, 500) || res.statusText;
  try {
    const body = JSON.parse(text) as Array<{ errorCode?: string; message?: string }> | { errorCode?: string; message?: string };
    const first = Array.isArray(body) ? body[0] : body;
    if (first?.errorCode) code = first.errorCode;
    if (first?.message) message = first.message;
  } catch {
    // Not JSON: the text itself says what went wrong.
  }
  return Object.assign(new Error(message), { errorCode: code, code, name: code, statusCode: res.status });
}
