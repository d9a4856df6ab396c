export {
  DEFAULT_WINDOW_HOURS, MAX_WINDOW_HOURS, buildStatusReport, countsOf, filterOf, windowOf,
  type FieldStatus, type LastError, type ObjectStatus, type OrgApiUse, type StatusCounts, type StatusFilter, type StatusQuery,
  type StatusReport, type StatusSource, type StatusTotals, type StatusWindow,
} from './status-report.js';
export { LiveMetrics, writeSampleOf, type LiveSnapshot, type ObservedUse, type WriteSample } from './live-metrics.js';
export { STATUS_CSV_COLUMNS, csvFilename, deadLettersCsv, statusCsv } from './csv.js';
export { chartPoints, tableRows, type StatusChartPoint, type StatusTableRow } from './dashboard.js';
