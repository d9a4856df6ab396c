import { stringify } from 'csv-stringify/sync';
import { filterOf, windowOf, type LastError, type StatusQuery, type StatusReport, type StatusSource } from './status-report.js';

/** The status CSV's columns, in order (the node's help lists them). */
export const STATUS_CSV_COLUMNS = [
  'level', 'sourceOrg', 'sourceName', 'targetOrg', 'targetName', 'object', 'field',
  'synced', 'skipped', 'failed', 'deadLettered', 'processed', 'successPercent', 'recordsPerSecond', 'apiCalls',
  'lastErrorCode', 'lastErrorMessage', 'lastErrorCategory', 'lastErrorStatus', 'lastErrorAt', 'lastErrorLetters',
  'windowFrom', 'windowTo',
] as const;

const iso = (ms: number) => new Date(ms).toISOString();

function errorColumns(e: LastError | null): unknown[] {
  return e ? [e.code, e.message, e.category, e.status, iso(e.at), e.letters] : ['', '', '', '', '', ''];
}

/**
 * The report as CSV (RFC 4180 quoting): one `object` row per org pair and target object, each
 * followed by its `field` rows, so a spreadsheet filter on `level` gives either table.
 */
export function statusCsv(report: StatusReport): string {
  const windowCols = [iso(report.window.from), iso(report.window.to)];
  const fieldsOf = new Map<string, typeof report.fields>();
  for (const f of report.fields) {
    const key = [f.sourceOrg, f.targetOrg, f.object].join('\u0000');
    fieldsOf.set(key, [...(fieldsOf.get(key) ?? []), f]);
  }
  const rows: unknown[][] = [];
  for (const o of report.objects) {
    rows.push([
      'object', o.sourceOrg, o.sourceName, o.targetOrg, o.targetName, o.object, '',
      o.synced, o.skipped, o.failed, o.deadLettered, o.processed, o.successPercent ?? '', o.recordsPerSecond, o.apiCalls ?? '',
      ...errorColumns(o.lastError), ...windowCols,
    ]);
    for (const f of fieldsOf.get([o.sourceOrg, o.targetOrg, o.object].join('\u0000')) ?? []) {
      rows.push([
        'field', f.sourceOrg, f.sourceName, f.targetOrg, f.targetName, f.object, f.field,
        f.synced, f.skipped, f.failed, f.deadLettered, f.processed, f.successPercent ?? '', '', '',
        ...errorColumns(f.lastError), ...windowCols,
      ]);
    }
  }
  return stringify(rows, { header: true, columns: [...STATUS_CSV_COLUMNS] });
}

/**
 * Dead letters of the window (last failure in it, whatever their status now) as the ledger
 * exports them: one row per letter, the record as JSON in the last column.
 */
export function deadLettersCsv(source: Pick<StatusSource, 'exportDeadLetters'>, q: StatusQuery = {}): string {
  const window = windowOf(q);
  const f = filterOf(q);
  return source.exportDeadLetters({ sourceOrg: f.sourceOrg, targetOrg: f.targetOrg, targetObject: f.object, from: window.from, to: window.to }, 'csv');
}

/** `sync-status-20250106-1200Z.csv`: sortable, and no characters a file system refuses. */
export function csvFilename(kind: 'sync-status' | 'dead-letters', at: number): string {
  const d = new Date(at).toISOString();
  return `${kind}-${d.slice(0, 10).replace(/-/g, '')}-${d.slice(11, 16).replace(':', '')}Z.csv`;
}
