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
