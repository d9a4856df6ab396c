// The editors' view of an org, through the shared admin routes of sf-connection (one shape for
// every editor): the object list and an object's describe, read through the deployed connection.
import type { DescribeSummary, ObjectSummary } from '../../../lib/salesforce/summaries.js';

export type { DescribeSummary, FieldSummary, ObjectSummary } from '../../../lib/salesforce/summaries.js';

/** The error text of a failed admin request: the route's JSON `{error}`, else the HTTP status. */
export function requestError(xhr: JQuery.jqXHR): Error {
  const message = (xhr.responseJSON as { error?: string } | undefined)?.error;
  return new Error(message ?? (xhr.statusText || (xhr.status ? `HTTP ${xhr.status}` : 'no answer')));
}

/** A JSON admin request that rejects with the route's own message. */
export function adminRequest<T>(method: 'GET' | 'POST', url: string, data: Record<string, unknown>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    $.ajax({
      url,
      method,
      dataType: 'json',
      ...(method === 'POST' ? { contentType: 'application/json', data: JSON.stringify(data) } : { data: data as JQuery.PlainObject }),
    }).then(
      (r: T) => resolve(r),
      (xhr: JQuery.jqXHR) => reject(requestError(xhr)),
    );
  });
}

/** The org's objects, sorted by label; `refresh` reads them anew instead of from the cache. */
export async function orgObjects(connection: string, refresh = false): Promise<ObjectSummary[]> {
  const r = await adminRequest<{ objects: ObjectSummary[] }>('GET', 'sf-connection/objects', { connection, ...(refresh ? { refresh: 'true' } : {}) });
  return r.objects;
}

/** One object's fields and child relationships. */
export function orgDescribe(connection: string, object: string, refresh = false): Promise<DescribeSummary> {
  return adminRequest<DescribeSummary>('GET', 'sf-connection/describe', { connection, object, ...(refresh ? { refresh: 'true' } : {}) });
}

/** The connection chosen in a config-node select, or '' while none (or "add new") is. */
export function chosenConnection(selector: string): string {
  const v = String($(selector).val() ?? '');
  return v && v !== '_ADD_' ? v : '';
}
