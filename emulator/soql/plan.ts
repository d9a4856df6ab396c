import type { StoredRecord } from '../store/types.js';
import type { Scope } from './types.js';
import type { CompiledWhere } from './where.js';

/**
 * The records of a (sub)query's object that pass its WHERE. When a top-level AND conjunct is an
 * equality or IN on Id, an indexed field or a reference, only the rows the index yields are
 * tested; otherwise the table is scanned once. Rows stay references to the stored records.
 */
export function selectRows(scope: Scope, where: CompiledWhere, includeDeleted: boolean): StoredRecord[] {
  const table = scope.ctx.resolver.table(scope.object);
  if (!table) return [];
  const source: Iterable<StoredRecord> = where.index ? where.index.rows() : table.scan();
  const test = where.test;
  const out: StoredRecord[] = [];
  for (const r of source) {
    if (r.IsDeleted && !includeDeleted) continue;
    if (test(r)) out.push(r);
  }
  return out;
}
