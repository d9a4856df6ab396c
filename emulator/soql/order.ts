import type { OrderByClause } from '@jetstreamapp/soql-parser-js';
import type { FieldDef } from '../schema/types.js';
import type { FieldValue, StoredRecord } from '../store/types.js';
import { soqlErrors } from './query-errors.js';
import type { Scope } from './types.js';
import { comparable, kindOf, type ValueKind } from './values.js';
import { functionOperand, resolveFieldIn } from './where.js';

export type SortValue = string | number | null;

export interface SortKey<T> {
  key: (x: T) => SortValue;
  desc: boolean;
  nullsFirst: boolean;
}

/** Null placement defaults as in SOQL: first for ASC, last for DESC. */
export function sortDirection(clause: { order?: string; nulls?: string }): { desc: boolean; nullsFirst: boolean } {
  const desc = clause.order?.toUpperCase() === 'DESC';
  const nulls = clause.nulls?.toUpperCase();
  return { desc, nullsFirst: nulls ? nulls === 'FIRST' : !desc };
}

/**
 * A sort key for a field's values. Text sorts case-insensitively; picklists sort in the order
 * their values are defined, as real orgs do, with values outside the list after them.
 */
export function sortKeyFor(kind: ValueKind, field: FieldDef | undefined): (v: FieldValue | null | undefined) => SortValue {
  if (field?.type === 'picklist' && field.picklistValues?.length) {
    const pos = new Map(field.picklistValues.map((p, i) => [p.value.toLowerCase(), String(i).padStart(6, '0')]));
    return (v) => {
      const c = comparable('string', v);
      return c === null ? null : (pos.get(String(c)) ?? `~${c}`);
    };
  }
  return (v) => comparable(kind, v);
}

/** Stable multi-key sort; keys are computed once per row so large tables sort quickly. */
export function sortRows<T>(rows: T[], keys: SortKey<T>[]): T[] {
  if (!keys.length || rows.length < 2) return rows;
  const n = rows.length;
  const cols = keys.map((k) => {
    const col = new Array<SortValue>(n);
    for (let i = 0; i < n; i++) col[i] = k.key(rows[i]!);
    return col;
  });
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  idx.sort((a, b) => {
    for (let j = 0; j < keys.length; j++) {
      const col = cols[j]!;
      const x = col[a]!;
      const y = col[b]!;
      if (x === y) continue;
      const k = keys[j]!;
      if (x === null) return k.nullsFirst ? -1 : 1;
      if (y === null) return k.nullsFirst ? 1 : -1;
      const c = x < y ? -1 : x > y ? 1 : 0;
      if (c) return k.desc ? -c : c;
    }
    return a - b;
  });
  const out = new Array<T>(n);
  for (let i = 0; i < n; i++) out[i] = rows[idx[i]!]!;
  return out;
}

export function asArray<T>(x: T | T[] | undefined): T[] {
  return x === undefined ? [] : Array.isArray(x) ? x : [x];
}

/** ORDER BY over records of a non-aggregate (sub)query. */
export function compileOrderBy(scope: Scope, orderBy: OrderByClause | OrderByClause[] | undefined): SortKey<StoredRecord>[] {
  return asArray(orderBy).map((clause) => {
    const dir = sortDirection(clause);
    if ('fn' in clause) {
      const { operand } = functionOperand(scope, clause.fn, 'ORDER');
      const key = sortKeyFor(operand.kind, undefined);
      return { key: (r: StoredRecord) => key(operand.get(r)), ...dir };
    }
    const { resolved, at } = resolveFieldIn(scope, clause.field, 'ORDER');
    const f = resolved.field;
    if (f.sortable === false) throw soqlErrors.notSortable(scope.ctx.src, at(), f.name);
    const key = sortKeyFor(kindOf(f), f);
    const get = resolved.get;
    return { key: (r: StoredRecord) => key(get(r)), ...dir };
  });
}
