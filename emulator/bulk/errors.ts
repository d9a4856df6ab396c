import { SfError } from '../errors.js';

/**
 * Request errors of the Bulk API 2.0 endpoints. Wordings marked [cap] were seen in captures of
 * real orgs; the others are modelled on them and unverified.
 */
export const bulkErrors = {
  /** [cap] Real orgs answer an unknown job Id like any missing REST resource. */
  jobNotFound: () => new SfError('NOT_FOUND', 'The requested resource does not exist', 404),
  unknownObject: (name: string) => new SfError('INVALIDENTITY', `sObject type '${name}' is not supported.`, 400),
  /** [cap, Bulk 1.0 text] */
  externalIdMissing: (object: string) =>
    new SfError('INVALIDJOB', `External ID was blank for ${object}. An External ID must be specified for upsert.`, 400),
  externalIdInvalid: (object: string, field: string) =>
    new SfError('INVALIDJOB', `Field ${field} on ${object} is not an External ID or indexed field`, 400),
  invalidJob: (message: string) => new SfError('INVALIDJOB', message, 400),
  invalidState: (message: string) => new SfError('INVALIDJOBSTATE', message, 400),
  /** [cap] The misspelling is the real one. Real orgs quote the 15-character job Id. */
  multipleUploads: (jobId: string) =>
    new SfError(
      'INVALIDJOB',
      `Found multipe contents for job: <${jobId.slice(0, 15)}>, please 'Close' / 'Abort' / 'Delete' the current Job then create a new Job and make sure you only do 'PUT' once on a given Job.`,
      400,
    ),
  uploadNotOpen: (state: string) =>
    new SfError('INVALIDJOBSTATE', `Job is in state ${state}; data can only be uploaded to a job in state Open`, 409),
  uploadTooLarge: (limit: number) => new SfError('API_ERROR', `The request body exceeds the maximum size of ${limit} bytes`, 413),
  unsupportedMediaType: (type: string) =>
    new SfError('UNSUPPORTED_MEDIA_TYPE', `Content type '${type}' is not supported for this resource; use text/csv`, 415),
  deleteInProgress: (jobId: string, state: string) =>
    new SfError('API_ERROR', `Job ${jobId} is in state ${state} and can't be deleted until it has finished`, 400),
  /** [doc] 412 when results are asked for too early. */
  jobNotComplete: (jobId: string, state: string) =>
    new SfError('JOB_NOT_COMPLETE', `Job ${jobId} isn't complete (state ${state}); results are available once the job is JobComplete`, 412),
  /** [doc] Results must be read with the API version that created the job. */
  versionMismatch: (created: string) =>
    new SfError('API_ERROR', `Results must be retrieved with the API version that created the job (v${created})`, 409),
  invalidLocator: (locator: string) => new SfError('INVALIDLOCATOR', `Invalid locator: ${locator}`, 400),
  invalidMaxRecords: (value: string) => new SfError('INVALIDMAXRECORDS', `maxRecords must be a positive integer: ${value}`, 400),
  /** [cap] Bulk V2 query refusals are API_ERROR; the two exact texts below were captured. */
  queryUnsupported: (message: string) => new SfError('API_ERROR', message, 400),
  childSubquery: () => new SfError('API_ERROR', 'Aggregate Relationships not supported in Bulk V2 Query with CSV content type', 400),
  compoundField: () => new SfError('API_ERROR', 'Selecting compound data not supported in Bulk Query', 400),
  /** [cap] */
  queryJobLimit: (max: number) => new SfError('API_ERROR', `Max bulk v2 query jobs (${max}) per 24 hrs has been reached`, 400),
};

/**
 * The `sf__Error` text of a failed record: `CODE:message:fields --`, or `CODE:message:--` when the
 * error names no field (both shapes appear in real result files).
 */
export function recordErrorText(err: unknown): string {
  if (err instanceof SfError) {
    const fields = err.fields.length ? `${err.fields.join(',')} ` : '';
    return `${err.errorCode}:${err.message}:${fields}--`;
  }
  return `UNKNOWN_EXCEPTION:${(err as Error)?.message ?? String(err)}:--`;
}
