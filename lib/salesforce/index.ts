export { OrgApi, DEFAULT_PAGE_SIZE, MAX_COLLECTION_RECORDS } from './org-api.js';
export type { CallKind, CreateResult, Identity, OrgApiOptions, QueryPage, QueryRow, WireRecord, WireSaveResult } from './org-api.js';
export { OrgCallError } from './errors.js';
export { DescribeCache, describeCacheOf, DESCRIBE_TTL_MS } from './describes.js';
export { PROBE_POLICY, READ_POLICY, WRITE_POLICY, retryableRead, type CallPolicy } from './call-policy.js';
export { InFlightLimit } from './in-flight.js';
export { describeSummary, objectSummaries, type DescribeSummary, type FieldSummary, type ObjectSummary, type ChildSummary } from './summaries.js';
