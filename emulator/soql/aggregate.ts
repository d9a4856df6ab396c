import type { FunctionExp, GroupByClause, HavingClause, OrderByClause, Query } from '@jetstreamapp/soql-parser-js';
import type { FieldDef } from '../schema/types.js';
import type { FieldValue, StoredRecord } from '../store/types.js';
import { buildBoolTree, compileBoolTree } from './boolean-tree.js';
import { compileCondition, type Operand } from './conditions.js';
import { AGGREGATE_FUNCTIONS, innermostParameter, isDateFunction } from './functions.js';
import { asArray, sortDirection, sortKeyFor, sortRows, type SortKey } from './order.js';
import { soqlErrors } from './query-errors.js';
import type { Scope } from './types.js';
import { comparable, compareComparable, kindOf, type ValueKind } from './values.js';
import { functionOperand, resolveFieldIn } from './where.js';

/** True when the SELECT list or GROUP BY makes this an aggregate query. */
export function isAggregateQuery(q: Query): boolean {
  if (q.groupBy) return true;
  return (q.fields ?? []).some((f) => f.type === 'FieldFunctionExpression' && (AGGREGATE_FUNCTIONS.has(f.functionName.toUpperCase()) || isDateFunction(f.functionName)));
}

/** `SELECT COUNT() FROM …`: only the count is reported, no records. */
export function isCountQuery(q: Query): boolean {
  const fields = q.fields ?? [];
  return fields.length === 1 && fields[0]!.type === 'FieldFunctionExpression' && fields[0]!.functionName.toUpperCase() === 'COUNT' && fields[0]!.parameters.length === 0;
}

/** A GROUP BY expression: a field (path) or a date function of one. */
interface GroupSpec {
  identity: string;
  kind: ValueKind;
  field?: FieldDef;
  get: (r: StoredRecord) => FieldValue | null | undefined;
}

/** One aggregate expression, accumulated per group. */
interface AggregateSpec {
  identity: string;
  fn: string;
  kind: ValueKind;
  field?: FieldDef;
  get?: (r: StoredRecord) => FieldValue | null | undefined;
}

interface Group {
  values: Array<FieldValue | null>;
  acc: Accumulator[];
}

interface Accumulator {
  add(v: FieldValue | null | undefined): void;
  result(): FieldValue | null;
}

export interface AggregateResultSet {
  rows: Array<Record<string, unknown>>;
  columns: string[];
}

/** The identity used to match a function in SELECT, HAVING and ORDER BY: `SUM(amount)`. */
function identityOf(fn: string, path: string | undefined): string {
  return `${fn.toUpperCase()}(${(path ?? '').toLowerCase()})`;
}

export function runAggregate(scope: Scope, q: Query, rows: StoredRecord[]): AggregateResultSet {
  const src = scope.ctx.src;
  const groups: GroupSpec[] = asArray<GroupByClause>(q.groupBy).map((g) => groupSpec(scope, g));
  const aggregates: AggregateSpec[] = [];
  const aggregateIndex = (fn: FunctionExp, clause: string): number => {
    const spec = aggregateSpec(scope, fn, clause);
    const i = aggregates.findIndex((a) => a.identity === spec.identity);
    if (i >= 0) return i;
    aggregates.push(spec);
    return aggregates.length - 1;
  };
  const groupIndexOf = (identity: string) => groups.findIndex((g) => g.identity === identity);

  // SELECT list: each item reads either a group value or an aggregate.
  type Output = { key: string; read: (g: Group) => FieldValue | null };
  const outputs: Output[] = [];
  let exprN = 0;
  for (const item of q.fields ?? []) {
    if (item.type === 'Field' || item.type === 'FieldRelationship') {
      const raw = item.type === 'Field' ? item.field : [...item.relationships, item.field].join('.');
      const { resolved, at } = resolveFieldIn(scope, raw, 'SELECT');
      const gi = groupIndexOf(resolved.path.toLowerCase());
      if (gi < 0) throw soqlErrors.mustBeGrouped(src, at(), raw);
      const alias = 'alias' in item ? item.alias : undefined;
      outputs.push({ key: alias ?? resolved.field.name, read: (g) => g.values[gi] ?? null });
    } else if (item.type === 'FieldFunctionExpression') {
      const fnName = item.functionName.toUpperCase();
      const key = item.alias ?? `expr${exprN++}`;
      if (AGGREGATE_FUNCTIONS.has(fnName)) {
        const ai = aggregateIndex(item, 'SELECT');
        outputs.push({ key, read: (g) => g.acc[ai]!.result() });
      } else {
        const identity = functionIdentity(scope, item, 'SELECT');
        const gi = groupIndexOf(identity);
        if (gi < 0) throw soqlErrors.mustBeGrouped(src, src.find(scope.region, item.functionName, 'SELECT'), item.rawValue ?? item.functionName);
        outputs.push({ key, read: (g) => g.values[gi] ?? null });
      }
    } else {
      throw soqlErrors.malformed(src, src.clauseStart(scope.region, 'SELECT'), 'Aggregate query does not support this field type in the SELECT list');
    }
  }

  const having = compileHaving(scope, q.having, groups, aggregateIndex);
  const order = compileGroupOrder(scope, q.orderBy, groups, aggregateIndex);

  // One pass over the rows, accumulating per group.
  const table = new Map<string, Group>();
  const newGroup = (values: Array<FieldValue | null>): Group => ({ values, acc: aggregates.map(accumulator) });
  if (!groups.length) table.set('', newGroup([]));
  for (const r of rows) {
    const values = groups.map((g) => g.get(r) ?? null);
    const key = groups.length ? groupKey(groups, values) : '';
    let g = table.get(key);
    if (!g) table.set(key, (g = newGroup(values)));
    for (let i = 0; i < aggregates.length; i++) {
      const a = aggregates[i]!;
      g.acc[i]!.add(a.get ? a.get(r) : 1);
    }
  }

  let result = [...table.values()].filter(having);
  result = sortRows(result, order);
  const offset = q.offset ?? 0;
  result = result.slice(offset, q.limit === undefined ? undefined : offset + q.limit);
  return {
    rows: result.map((g) => {
      const out: Record<string, unknown> = { attributes: { type: 'AggregateResult' } };
      for (const o of outputs) out[o.key] = o.read(g);
      return out;
    }),
    columns: outputs.map((o) => o.key),
  };
}

function groupKey(groups: GroupSpec[], values: Array<FieldValue | null>): string {
  // Text groups case-insensitively, as real orgs do.
  if (groups.length === 1) {
    const c = comparable(groups[0]!.kind, values[0]);
    return c === null ? '\u0000' : `${typeof c}:${c}`;
  }
  return JSON.stringify(groups.map((g, i) => comparable(g.kind, values[i])));
}

function groupSpec(scope: Scope, g: GroupByClause): GroupSpec {
  const src = scope.ctx.src;
  if ('fn' in g) {
    const name = (g.fn.functionName ?? '').toUpperCase();
    if (name === 'ROLLUP' || name === 'CUBE') throw soqlErrors.unsupported(`GROUP BY ${name}`);
    const { operand } = functionOperand(scope, g.fn, 'GROUP');
    return { identity: functionIdentity(scope, g.fn, 'GROUP'), kind: operand.kind, get: operand.get };
  }
  const { resolved, at } = resolveFieldIn(scope, g.field, 'GROUP');
  const f = resolved.field;
  if (f.groupable === false) throw soqlErrors.notGroupable(src, at(), f.name);
  return { identity: resolved.path.toLowerCase(), kind: kindOf(f), field: f, get: resolved.get };
}

/** `CALENDAR_YEAR(createddate)` for a scalar function, with the field path resolved to canonical form. */
function functionIdentity(scope: Scope, fn: FunctionExp, clause: string): string {
  const { field, wrappers } = innermostParameter(fn);
  const path = field ? resolveFieldIn(scope, field, clause).resolved.path : '';
  return wrappers.reduceRight((inner, w) => `${w.toUpperCase()}(${inner})`, path.toLowerCase());
}

const NUMERIC_ONLY = new Set(['SUM', 'AVG']);

function aggregateSpec(scope: Scope, fn: FunctionExp, clause: string): AggregateSpec {
  const src = scope.ctx.src;
  const name = (fn.functionName ?? '').toUpperCase();
  const param = fn.parameters?.[0];
  if (param === undefined) {
    if (name !== 'COUNT') throw soqlErrors.malformed(src, src.find(scope.region, name, clause), `unexpected token: ')'`);
    return { identity: 'COUNT()', fn: name, kind: 'number' };
  }
  if (typeof param !== 'string') throw soqlErrors.unsupported(`${name} of a function`);
  const { resolved, at } = resolveFieldIn(scope, param, clause);
  const f = resolved.field;
  const kind = kindOf(f);
  if (NUMERIC_ONLY.has(name) && kind !== 'number') throw soqlErrors.notAggregatable(src, at(), f.name, name);
  if ((name === 'MIN' || name === 'MAX') && (kind === 'boolean' || kind === 'multipicklist' || kind === 'compound')) {
    throw soqlErrors.notAggregatable(src, at(), f.name, name);
  }
  if (f.aggregatable === false && name !== 'COUNT') throw soqlErrors.notAggregatable(src, at(), f.name, name);
  return { identity: identityOf(name, resolved.path), fn: name, kind: name.startsWith('COUNT') ? 'number' : kind === 'number' || name === 'AVG' ? 'number' : kind, field: f, get: resolved.get };
}

function accumulator(spec: AggregateSpec): Accumulator {
  const isNull = (v: FieldValue | null | undefined) => v === null || v === undefined || v === '';
  switch (spec.fn) {
    case 'COUNT': {
      let n = 0;
      return { add: (v) => void (isNull(v) || n++), result: () => n };
    }
    case 'COUNT_DISTINCT': {
      const seen = new Set<string | number>();
      const kind = kindOf(spec.field ?? { type: 'string' });
      return {
        add: (v) => {
          const c = comparable(kind, v);
          if (c !== null) seen.add(c);
        },
        result: () => seen.size,
      };
    }
    case 'SUM':
    case 'AVG': {
      let sum = 0;
      let n = 0;
      const avg = spec.fn === 'AVG';
      return {
        add: (v) => {
          if (isNull(v)) return;
          sum += Number(v);
          n++;
        },
        result: () => (n === 0 ? null : avg ? sum / n : sum),
      };
    }
    default: {
      const kind = kindOf(spec.field ?? { type: 'string' });
      const max = spec.fn === 'MAX';
      let best: FieldValue | null = null;
      let bestKey: string | number | null = null;
      return {
        add: (v) => {
          const c = comparable(kind, v);
          if (c === null) return;
          if (bestKey === null || (max ? compareComparable(c, bestKey) > 0 : compareComparable(c, bestKey) < 0)) {
            bestKey = c;
            best = v ?? null;
          }
        },
        result: () => best,
      };
    }
  }
}

type AggregateIndexer = (fn: FunctionExp, clause: string) => number;

interface HavingLeaf {
  field?: string;
  fn?: FunctionExp;
  operator: string;
  value?: string | string[];
  literalType?: string | string[];
}

/** HAVING: conditions on aggregates (COUNT(Id) > 1) or on grouped fields. */
function compileHaving(scope: Scope, having: HavingClause | undefined, groups: GroupSpec[], aggregateIndex: AggregateIndexer): (g: Group) => boolean {
  const src = scope.ctx.src;
  const { tree, leaves } = buildBoolTree<HavingLeaf>(having, (op) => {
    const i = src.clauseStart(scope.region, 'HAVING');
    let j = i;
    const t = src.tokens;
    while (j < t.length && t[j]!.text.toUpperCase() !== op) j++;
    return soqlErrors.unexpectedToken(src, src.offsetOf(j), op);
  });
  if (!tree) return () => true;
  const compiled = leaves.map((leaf) => {
    const { operand, at } = groupOperand(scope, leaf, groups, aggregateIndex, 'HAVING');
    return compileCondition(operand, leaf, { src, now: scope.ctx.opts.now, valueToken: () => src.valueAfter(at()) }).test;
  });
  return compileBoolTree<HavingLeaf, Group>(tree, (_l, i) => compiled[i]!);
}

function groupOperand(
  scope: Scope,
  leaf: { field?: string; fn?: FunctionExp },
  groups: GroupSpec[],
  aggregateIndex: AggregateIndexer,
  clause: string,
): { operand: Operand<Group>; at: () => number } {
  const src = scope.ctx.src;
  if (leaf.fn) {
    const name = (leaf.fn.functionName ?? '').toUpperCase();
    const at = () => src.find(scope.region, name, clause);
    if (AGGREGATE_FUNCTIONS.has(name)) {
      const ai = aggregateIndex(leaf.fn, clause);
      const spec = aggregateSpec(scope, leaf.fn, clause);
      return { operand: { kind: spec.kind, name: leaf.fn.rawValue ?? name, field: spec.kind === 'number' ? undefined : spec.field, get: (g) => g.acc[ai]!.result() }, at };
    }
    const identity = functionIdentity(scope, leaf.fn, clause);
    const gi = groups.findIndex((g) => g.identity === identity);
    if (gi < 0) throw soqlErrors.mustBeGrouped(src, at(), leaf.fn.rawValue ?? name);
    return { operand: { kind: groups[gi]!.kind, name: leaf.fn.rawValue ?? name, get: (g) => g.values[gi] }, at };
  }
  const raw = leaf.field ?? '';
  const { resolved, at } = resolveFieldIn(scope, raw, clause);
  const gi = groups.findIndex((g) => g.identity === resolved.path.toLowerCase());
  if (gi < 0) throw soqlErrors.mustBeGrouped(src, at(), raw);
  return { operand: { kind: kindOf(resolved.field), name: resolved.field.name, field: resolved.field, get: (g) => g.values[gi] }, at };
}

function compileGroupOrder(
  scope: Scope,
  orderBy: OrderByClause | OrderByClause[] | undefined,
  groups: GroupSpec[],
  aggregateIndex: AggregateIndexer,
): SortKey<Group>[] {
  return asArray(orderBy).map((clause) => {
    const leaf = 'fn' in clause ? { fn: clause.fn } : { field: clause.field };
    const { operand } = groupOperand(scope, leaf, groups, aggregateIndex, 'ORDER');
    const key = sortKeyFor(operand.kind, operand.field);
    return { key: (g: Group) => key(operand.get(g)), ...sortDirection(clause) };
  });
}
