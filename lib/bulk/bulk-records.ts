/**
 * Bulk reads as sync records: the object planned as sf-collect plans it (every synced field, every
 * lookup tracked, nothing followed), read by a Bulk API query job, each CSV row given the values
 * REST gives and built into the same sync record sf-collect would build, `origin.via` 'bulk'. A
 * mapping, the ledger's hashes and the writer cannot tell a bulk-read record from a REST-read one.
 */
import { lookupRefs, sampleRecord } from '../collect/preview.js';
import { planCollection, type CollectionPlan } from '../collect/plan.js';
import type { OrgApi } from '../salesforce/org-api.js';
import { bulkRowConverter } from '../salesforce/bulk-values.js';
import type { SyncRecord } from '../sync/types.js';

export interface BulkObjectReader {
  object: string;
  /** The query for the job: the plan's fields, and the condition given. */
  soql: string;
  plan: CollectionPlan;
  /** Sync records of a slice of result rows. */
  toRecords(rows: ReadonlyArray<Record<string, string>>): SyncRecord[];
}

/** `where` is a SOQL condition the caller has built from escaped values (see lib/collect/soql-text.ts). */
export async function bulkObjectReader(api: OrgApi, object: string, options: { where?: string } = {}): Promise<BulkObjectReader> {
  const plan = await planCollection({ rootObject: object, all: true, depth: 1, parents: true, children: [] }, (name) => api.describe(name));
  const planned = plan.objects[0]!;
  const describe = await api.describe(planned.name);
  const convert = bulkRowConverter(describe.fields.map((f) => ({ name: f.name, type: String(f.type) })));
  const lookups = lookupRefs(plan);
  const soql = `SELECT ${planned.selectFields.join(', ')} FROM ${planned.name}${options.where ? ` WHERE ${options.where}` : ''}`;
  return {
    object: planned.name,
    soql,
    plan,
    toRecords: (rows) => rows.map((row) => {
      const record = sampleRecord(convert(row), plan, 0, lookups, api.orgId);
      record.origin = { ...record.origin, via: 'bulk' };
      return record;
    }),
  };
}
