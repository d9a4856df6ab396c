export { RecordWriter, DEFAULT_MAX_IN_FLIGHT, DEFAULT_CALL_TIMEOUT_MS } from './record-writer.js';
export { DEFAULT_RETRY, addMetrics, emptyMetrics, type RecordWriterOptions, type RetryPolicy, type WriteMetrics, type WriteReport } from './types.js';
export { classifyCallError, classifyRecordError, type ClassifiedError, type FailureClass } from './classify.js';
export { backoffDelay } from './backoff.js';
export { planWrites, type PlanNode, type WritePlan } from './plan.js';
export { MAX_COLLECTION_RECORDS } from '../salesforce/org-api.js';
