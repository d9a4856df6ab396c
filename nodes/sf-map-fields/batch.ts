import type { MappingResult } from '../../lib/mapping/index.js';
import type { BatchMeta, SyncRecord } from '../../lib/sync/types.js';

const OPERATIONS = new Set(['upsert', 'delete', 'undelete']);

/** `msg.s2s` as this node leaves it: the batch metadata plus how many records the filter held back. */
export interface MappedBatchMeta extends BatchMeta {
  filtered: number;
}

/** Why a payload is not a batch of sync records: an i18n key and its arguments. */
export class PayloadError extends Error {
  constructor(
    readonly key: string,
    readonly args: Record<string, string | number> = {},
  ) {
    super(key);
    this.name = 'PayloadError';
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** What is wrong with one record, or undefined when nothing is. */
function recordDefect(r: unknown): string | undefined {
  if (!isPlainObject(r)) return 'not an object';
  if (typeof r.object !== 'string' || !r.object) return 'no "object" (the sObject type)';
  if (typeof r.sourceId !== 'string' || !r.sourceId) return 'no "sourceId"';
  if (typeof r.operation !== 'string' || !OPERATIONS.has(r.operation)) return '"operation" is not upsert, delete or undelete';
  if (!isPlainObject(r.fields)) return '"fields" is not an object';
  if (r.references !== undefined && !Array.isArray(r.references)) return '"references" is not an array';
  return undefined;
}

/**
 * The payload as sync records, checked before any mapping so a miswired flow fails as a whole
 * rather than record by record.
 */
export function syncRecordsOf(payload: unknown): SyncRecord[] {
  if (!Array.isArray(payload)) throw new PayloadError('sf-map-fields.errors.not-records');
  payload.forEach((r: unknown, index) => {
    const defect = recordDefect(r);
    if (defect) throw new PayloadError('sf-map-fields.errors.bad-record', { index, defect });
  });
  return payload as SyncRecord[];
}

/** Hand-built records may leave `references` out; the engine reads it. */
export function withReferences(r: SyncRecord): SyncRecord {
  return r.references === undefined ? { ...r, references: [] } : r;
}

/**
 * Output 1's payload: the batch in its input order, each record of the mapping's object replaced by
 * its mapped copy, rejected and filtered ones left out, records of other objects untouched.
 * `mine` are the records mapped (in order, as given to applyMapping); `result` lists every one of
 * them in exactly one list, in order, so one pass pairs them up.
 */
export function mergeBatch(records: readonly SyncRecord[], isMine: (r: SyncRecord) => boolean, mine: readonly SyncRecord[], result: MappingResult): SyncRecord[] {
  const dropped = new Set<SyncRecord>([...result.rejected.map((r) => r.record), ...result.filtered]);
  const out: SyncRecord[] = [];
  let k = 0;
  let next = 0;
  for (const r of records) {
    if (!isMine(r)) out.push(r);
    else if (!dropped.has(mine[k++]!)) out.push(result.mapped[next++]!);
  }
  return out;
}
