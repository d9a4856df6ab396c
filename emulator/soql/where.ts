import type { FunctionExp, Query, WhereClause } from '@jetstreamapp/soql-parser-js';
import type { StoredRecord } from '../store/types.js';
import { buildBoolTree, compileBoolTree, type BoolNode } from './boolean-tree.js';
import { compileCondition, type Operand } from './conditions.js';
import { innermostParameter, scalarFunction } from './functions.js';
import type { ResolvedField } from './paths.js';
import { soqlErrors } from './query-errors.js';
import type { Region } from './source-text.js';
import type { Scope } from './types.js';
import { kindOf } from './values.js';

/** The shape of a WHERE leaf as the parser produces it (value, subquery and function forms). */
export interface WhereLeaf {
  field?: string;
  fn?: FunctionExp;
  operator: string;
  value?: string | string[];
  literalType?: string | string[];
  valueQuery?: Query;
}

/** How rows can be found without a full scan; lower `rank` is preferred. */
export interface IndexAccess {
  rank: number;
  rows: () => StoredRecord[];
}

export interface CompiledWhere {
  test: (r: StoredRecord) => boolean;
  /** Set when a top-level AND conjunct can be answered from an index instead of a scan. */
  index?: IndexAccess;
}

/** Runs a semi-join subquery and returns the Ids it selects. */
export type SemiJoinRunner = (query: Query, region: Region) => Set<string>;

export function resolveFieldIn(scope: Scope, raw: string, clause: string): { resolved: ResolvedField; at: () => number } {
  const at = () => scope.ctx.src.find(scope.region, raw, clause);
  return { resolved: scope.ctx.resolver.resolve(scope.object, raw.split('.'), at, scope.alias), at };
}

/** An operand for a scalar function of a field, e.g. CALENDAR_YEAR(CreatedDate) or toLabel(Status). */
export function functionOperand(scope: Scope, fn: FunctionExp, clause: string): { operand: Operand<StoredRecord>; at: () => number } {
  const { field: raw, wrappers } = innermostParameter(fn);
  const name = fn.functionName ?? '';
  const at = () => scope.ctx.src.find(scope.region, name, clause);
  if (!raw) throw soqlErrors.malformed(scope.ctx.src, at(), `unexpected token: '${fn.rawValue ?? name}'`);
  const { resolved } = resolveFieldIn(scope, raw, clause);
  let get = resolved.get as (r: StoredRecord) => ReturnType<ResolvedField['get']>;
  let kind = kindOf(resolved.field);
  // Innermost first: HOUR_IN_DAY(convertTimezone(CreatedDate)).
  for (const w of [...wrappers].reverse()) {
    const f = scalarFunction(w, resolved.field);
    if (!f) throw soqlErrors.malformed(scope.ctx.src, at(), `unexpected token: '${w}'`);
    const inner = get;
    get = (r) => f.apply(inner(r));
    kind = f.kind;
  }
  return { operand: { kind, name: resolved.field.name, get }, at };
}

export function compileWhere(scope: Scope, where: WhereClause | undefined, runSemiJoin: SemiJoinRunner): CompiledWhere {
  const { tree, leaves } = buildBoolTree<WhereLeaf>(where, (op, afterLeaf) => mixedOperatorError(scope, op, afterLeaf));
  if (!tree) return { test: () => true };
  const compiled = leaves.map((leaf) => compileLeaf(scope, leaf, runSemiJoin));
  const test = compileBoolTree<WhereLeaf, StoredRecord>(tree, (_l, i) => compiled[i]!.test);
  const conjuncts: BoolNode<WhereLeaf>[] = tree.type === 'and' ? tree.children : [tree];
  let index: IndexAccess | undefined;
  for (const c of conjuncts) {
    if (c.type !== 'leaf') continue;
    const access = compiled[c.index]!.index;
    if (access && (!index || access.rank < index.rank)) index = access;
  }
  return { test, index };
}

function mixedOperatorError(scope: Scope, op: 'AND' | 'OR', leaf: WhereLeaf | undefined): Error {
  const src = scope.ctx.src;
  const anchor = leaf?.field ? src.find(scope.region, leaf.field, 'WHERE') : src.clauseStart(scope.region, 'WHERE');
  let i = anchor;
  while (i < src.tokens.length && src.tokens[i]!.text.toUpperCase() !== op) i++;
  return soqlErrors.unexpectedToken(src, src.offsetOf(i), op);
}

interface CompiledLeaf {
  test: (r: StoredRecord) => boolean;
  index?: IndexAccess;
}

function compileLeaf(scope: Scope, leaf: WhereLeaf, runSemiJoin: SemiJoinRunner): CompiledLeaf {
  const { ctx } = scope;
  const src = ctx.src;
  if (leaf.fn) {
    const { operand, at } = functionOperand(scope, leaf.fn, 'WHERE');
    return { test: compileCondition(operand, leaf, { src, now: ctx.opts.now, valueToken: () => src.valueAfter(at()) }).test };
  }
  const raw = leaf.field ?? '';
  const { resolved, at } = resolveFieldIn(scope, raw, 'WHERE');
  const f = resolved.field;
  if (f.filterable === false) throw soqlErrors.notFilterable(src, at(), f.name);
  const topLevel = resolved.hops.length === 0;
  const table = ctx.resolver.table(scope.object);

  if (leaf.valueQuery) {
    const ids = runSemiJoin(leaf.valueQuery, src.subqueryRegion(scope.region, leaf.valueQuery.sObject ?? '') ?? scope.region);
    const get = resolved.get;
    const member = (r: StoredRecord) => {
      const v = get(r);
      return typeof v === 'string' && ids.has(v);
    };
    const negated = leaf.operator.toUpperCase() === 'NOT IN';
    let index: IndexAccess | undefined;
    if (!negated && topLevel && table) {
      if (f.name === 'Id') index = { rank: 2, rows: () => byIds(ids, (id) => table.get(id)) };
      else if (table.hasChildIndex(f.name)) index = { rank: 3, rows: () => byChildIds(ids, (id) => table.childIds(f.name, id), (id) => table.get(id)) };
    }
    return { test: negated ? (r) => !member(r) : member, index };
  }

  const operand: Operand<StoredRecord> = { kind: kindOf(f), name: f.name, field: f, get: resolved.get };
  const cond = compileCondition(operand, leaf, { src, now: ctx.opts.now, valueToken: () => src.valueAfter(at()) });
  let index: IndexAccess | undefined;
  if (cond.equals && topLevel && table) {
    const values = cond.equals;
    if (f.name === 'Id') {
      index = { rank: 0, rows: () => byIds(values.map(String), (id) => table.get(id)) };
    } else if (table.isIndexed(f.name) && !f.caseSensitive) {
      index = { rank: 1, rows: () => dedupe(values.flatMap((v) => table.lookup(f.name, v))) };
    } else if (table.hasChildIndex(f.name)) {
      index = { rank: 3, rows: () => byChildIds(values.map(String), (id) => table.childIds(f.name, id), (id) => table.get(id)) };
    }
  }
  return { test: cond.test, index };
}

function byIds(ids: Iterable<string>, get: (id: string) => StoredRecord | undefined): StoredRecord[] {
  const out: StoredRecord[] = [];
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) continue;
    seen.add(id);
    const r = get(id);
    if (r) out.push(r);
  }
  return out;
}

function byChildIds(
  parents: Iterable<string>,
  children: (parentId: string) => ReadonlySet<string>,
  get: (id: string) => StoredRecord | undefined,
): StoredRecord[] {
  const out: StoredRecord[] = [];
  const seen = new Set<string>();
  for (const p of parents) {
    for (const id of children(p)) {
      if (seen.has(id)) continue;
      seen.add(id);
      const r = get(id);
      if (r) out.push(r);
    }
  }
  return out;
}

function dedupe(rows: StoredRecord[]): StoredRecord[] {
  const seen = new Set<string>();
  return rows.filter((r) => (seen.has(r.Id) ? false : (seen.add(r.Id), true)));
}
