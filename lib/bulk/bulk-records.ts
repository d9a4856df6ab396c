/**
 * Bulk reads as sync records: the object planned as sf-collect plans it (every synced field, every
 * lookup tracked, nothing followed), read by a Bulk API query job, each CSV row given the values
 * REST gives and built into the same sync record sf-collect would build, `origin.via` 'bulk'. A
 * mapping, the ledger's hashes and the writer cannot tell a bulk-read record from a REST-read one.
 */
import { andClauses, soqlString } from '../collect/soql-text.js';
import { lookupRefs, sampleRecord } from '../collect/preview.js';
import { CollectionPlanError, planCollection, type CollectionPlan } from '../collect/plan.js';
import type { OrgApi } from '../salesforce/org-api.js';
import { bulkRowConverter } from '../salesforce/bulk-values.js';
import type { SyncRecord } from '../sync/types.js';

export interface BulkObjectReader {
  object: string;
  /** The query for the job: the plan's fields, and the condition given. */
  soql: string;
  plan: CollectionPlan;
  /** The same read as a REST query in Id order, from after `afterId` when given. */
  restSoql(afterId?: string): string;
  /** Sync records of a slice of CSV result rows (every value text). */
  toRecords(rows: ReadonlyArray<Record<string, string>>): SyncRecord[];
  /** Sync records of REST query rows (values already typed). */
  fromRest(rows: ReadonlyArray<Record<string, unknown>>): SyncRecord[];
}

export interface BulkReadOptions {
  /** A SOQL condition the caller has built from escaped values (see lib/collect/soql-text.ts). */
  where?: string;
  /** Only these fields (tracked lookups are always read). */
  include?: string[];
  /** Every field but these. */
  exclude?: string[];
}

export async function bulkObjectReader(api: OrgApi, object: string, options: BulkReadOptions = {}): Promise<BulkObjectReader> {
  const describeFn = (name: string) => api.describe(name);
  let plan = await planCollection({ rootObject: object, all: true, depth: 1, parents: true, children: [] }, describeFn);
  const include = options.include?.length ? options.include : undefined;
  const exclude = options.exclude?.length ? new Set(options.exclude.map((f) => f.toLowerCase())) : undefined;
  if (include || exclude) {
    const name = plan.objects[0]!.name;
    if (exclude) {
      const known = new Set((await api.describe(name)).fields.map((f) => f.name.toLowerCase()));
      const unknown = options.exclude!.filter((f) => !known.has(f.toLowerCase()));
      if (unknown.length) throw new CollectionPlanError(`fields to leave out: ${name} has no field ${unknown.map((f) => `'${f}'`).join(', ')}`);
    }
    const fields = include ?? plan.objects[0]!.dataFields.filter((f) => !exclude!.has(f.toLowerCase()));
    plan = await planCollection({ rootObject: object, all: true, depth: 1, parents: true, children: [], fields: { [name]: fields } }, describeFn);
  }
  const planned = plan.objects[0]!;
  const describe = await api.describe(planned.name);
  const convert = bulkRowConverter(describe.fields.map((f) => ({ name: f.name, type: String(f.type) })));
  const lookups = lookupRefs(plan);
  const select = `SELECT ${planned.selectFields.join(', ')} FROM ${planned.name}`;
  const soql = `${select}${options.where ? ` WHERE ${options.where}` : ''}`;
  return {
    object: planned.name,
    soql,
    plan,
    restSoql: (afterId) => {
      const where = andClauses(options.where, afterId ? `Id > ${soqlString(afterId)}` : undefined);
      return `${select}${where ? ` WHERE ${where}` : ''} ORDER BY Id`;
    },
    toRecords: (rows) => rows.map((row) => build(convert(row))),
    fromRest: (rows) => rows.map((row) => build({ ...row })),
  };

  function build(row: Record<string, unknown>): SyncRecord {
    const record = sampleRecord(row, plan, 0, lookups, api.orgId);
    record.origin = { ...record.origin, via: 'bulk' };
    return record;
  }
}
