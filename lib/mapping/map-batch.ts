import type { BatchMeta, OrgRef, SyncRecord } from '../sync/types.js';
import { applyMapping, type ApplyContext, type MappingResult, type RejectedRecord } from './apply.js';
import type { CompiledMapping } from './compile.js';

export interface MappedBatch {
  /** The batch in its input order: records of the mapping's object mapped, rejected and filtered ones left out, others untouched. */
  records: SyncRecord[];
  rejected: RejectedRecord[];
  /** How many of the mapping's records its record filter dropped. */
  filtered: number;
  /** How many were mapped. */
  mapped: number;
}

/**
 * Maps the records of one batch that are of the mapping's source object; records of other objects
 * pass through untouched and in their place, so one mapper per object can be chained in series.
 */
export async function mapBatch(compiled: CompiledMapping, records: readonly SyncRecord[], ctx: ApplyContext = {}): Promise<MappedBatch> {
  const object = compiled.sourceObject.toLowerCase();
  const isMine = (r: SyncRecord) => r.object.toLowerCase() === object;
  // Hand-built records may leave `references` out; the engine reads it.
  const mine = records.filter(isMine).map((r) => (r.references === undefined ? { ...r, references: [] } : r));
  const result = await applyMapping(compiled, mine, ctx);
  return { records: merge(records, isMine, mine, result), rejected: result.rejected, filtered: result.filtered.length, mapped: result.mapped.length };
}

function merge(records: readonly SyncRecord[], isMine: (r: SyncRecord) => boolean, mine: readonly SyncRecord[], result: MappingResult): SyncRecord[] {
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

/**
 * `msg.s2s` as a mapper leaves it: the target filled in and the records its filter dropped added to
 * those of mappers before it. A batch built by hand (no `msg.s2s`) gets the rest from the mapping.
 */
export function mappedMeta(given: Partial<BatchMeta> | undefined, p: { source: OrgRef; target: OrgRef; object: string; batchId: string; filtered: number }): BatchMeta {
  const base: BatchMeta = given && given.source && given.batchId
    ? (given as BatchMeta)
    // A batch built by hand belongs to no sync run: nothing will say when such a run is complete.
    : { source: p.source, object: p.object, batchId: p.batchId, level: 0, last: true, ...given };
  return { ...base, target: p.target, filtered: (given?.filtered ?? 0) + p.filtered };
}
