/**
 * REST or Bulk for a read: a Bulk API job costs a few calls however large the result, but takes
 * seconds to start; a REST query costs a call per 2,000 records and answers at once. Below the
 * threshold REST is cheaper and quicker, above it Bulk. One COUNT() query decides, and its figure
 * is what the node shows (and what a user who knows better can override with the threshold).
 */
import type { OrgApi } from '../salesforce/org-api.js';

/** Records from which a read goes through a Bulk API job by default. */
export const DEFAULT_BULK_THRESHOLD = 10_000;

export interface ReadPath {
  path: 'rest' | 'bulk';
  /** Records the read will return, as counted. */
  count: number;
  threshold: number;
}

/** `where` is a SOQL condition built from escaped values; a threshold of 0 always chooses Bulk. */
export async function chooseReadPath(api: OrgApi, object: string, options: { where?: string; threshold?: number } = {}): Promise<ReadPath> {
  const threshold = options.threshold ?? DEFAULT_BULK_THRESHOLD;
  if (!Number.isInteger(threshold) || threshold < 0) throw new RangeError(`the bulk threshold must be a whole number of records, 0 or more, not ${threshold}`);
  const count = await api.count(`SELECT COUNT() FROM ${object}${options.where ? ` WHERE ${options.where}` : ''}`, `counting ${object} records`);
  return { path: count >= threshold ? 'bulk' : 'rest', count, threshold };
}
