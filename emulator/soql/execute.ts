import type { Query, Subquery } from '@jetstreamapp/soql-parser-js';
import type { OrgData } from '../store/org-data.js';
import type { StoredRecord } from '../store/types.js';
import { isAggregateQuery, isCountQuery, runAggregate } from './aggregate.js';
import { compileOrderBy, sortRows } from './order.js';
import { parseSoql } from './parse.js';
import { PathResolver } from './paths.js';
import { selectRows } from './plan.js';
import { soqlErrors } from './query-errors.js';
import { compileSelect, type ChildCompiler } from './select.js';
import { shapeRecord } from './shape.js';
import { SourceText, type Region } from './source-text.js';
import type { QueryContext, QueryOptions, QueryResult, Scope } from './types.js';
import { compileWhere, resolveFieldIn, type CompiledWhere, type SemiJoinRunner } from './where.js';
import { kindOf } from './values.js';

const MAX_OFFSET = 2000;

/** Parses and runs one SOQL query against an org's data. Errors are SfErrors worded as a real org words them. */
export function executeQuery(data: OrgData, soql: string, opts: QueryOptions): QueryResult {
  const src = new SourceText(soql);
  const query = parseSoql(src);
  const ctx: QueryContext = {
    data,
    src,
    resolver: new PathResolver(data, src),
    opts,
    apiBase: `/services/data/v${opts.apiVersion.replace(/^v/i, '')}`,
  };
  const scope = rootScope(ctx, query, src.root);
  checkClauses(query);

  if (isCountQuery(query)) {
    const rows = selectRows(scope, compileRootWhere(scope, query), opts.includeDeleted);
    const count = query.groupBy ? runAggregate(scope, { ...query, limit: undefined, offset: undefined }, rows).rows.length : rows.length;
    const offset = query.offset ?? 0;
    const totalSize = Math.min(Math.max(count - offset, 0), query.limit ?? Infinity);
    return emptyResult(scope.object.name, totalSize);
  }

  if (isAggregateQuery(query)) {
    const where = compileRootWhere(scope, query);
    const rows = selectRows(scope, where, opts.includeDeleted);
    const agg = runAggregate(scope, query, rows);
    return {
      totalSize: agg.rows.length,
      rowCount: agg.rows.length,
      sObject: 'AggregateResult',
      columns: agg.columns,
      record: (i) => agg.rows[i]!,
      flatValue: (i, column) => agg.rows[i]?.[column] ?? null,
    };
  }

  // SELECT is checked before WHERE and ORDER BY, as a real org reports the first bad field it meets.
  const select = compileSelect(scope, query.fields ?? [], query.limit, childCompiler(ctx));
  const where = compileRootWhere(scope, query);
  const order = compileOrderBy(scope, query.orderBy);
  let rows = sortRows(selectRows(scope, where, opts.includeDeleted), order);
  rows = page(rows, query);
  const flatByLower = new Map([...select.flat].map(([k, v]) => [k.toLowerCase(), v]));
  return {
    totalSize: rows.length,
    rowCount: rows.length,
    sObject: scope.object.name,
    columns: select.columns,
    record: (i) => shapeRecord(ctx, select.node, row(rows, i), scope.object),
    flatValue: (i, column) => {
      const get = select.flat.get(column) ?? flatByLower.get(column.toLowerCase());
      return get ? (get(row(rows, i)) ?? null) : null;
    },
  };
}

function row(rows: StoredRecord[], i: number): StoredRecord {
  const r = rows[i];
  if (!r) throw new RangeError(`row ${i} out of range (0..${rows.length - 1})`);
  return r;
}

function emptyResult(sObject: string, totalSize: number): QueryResult {
  return {
    totalSize,
    rowCount: 0,
    sObject,
    columns: [],
    record: (i) => {
      throw new RangeError(`row ${i} out of range: COUNT() returns no rows`);
    },
    flatValue: () => null,
  };
}

function rootScope(ctx: QueryContext, q: Query, region: Region): Scope {
  const object = ctx.data.schema.object(q.sObject ?? '');
  if (!object) throw soqlErrors.unknownObject(ctx.src, ctx.src.fromTarget(region), q.sObject ?? '');
  return { ctx, object, alias: q.sObjectAlias, region };
}

function checkClauses(q: Query | Subquery): void {
  if ((q.offset ?? 0) > MAX_OFFSET) throw soqlErrors.offsetTooLarge();
  if (q.withDataCategory) throw soqlErrors.unsupported('WITH DATA CATEGORY');
}

function page<T>(rows: T[], q: Query | Subquery): T[] {
  const offset = q.offset ?? 0;
  if (!offset && q.limit === undefined) return rows;
  return rows.slice(offset, q.limit === undefined ? undefined : offset + q.limit);
}

/** WHERE plus `USING SCOPE mine` (records the running user owns). */
function compileRootWhere(scope: Scope, q: Query): CompiledWhere {
  const where = compileWhere(scope, q.where, semiJoinRunner(scope.ctx));
  if (q.usingScope?.toLowerCase() !== 'mine') return where;
  const userId = scope.ctx.opts.userId;
  return { test: (r) => r.OwnerId === userId && where.test(r), index: where.index };
}

/** `Id IN (SELECT AccountId FROM Contact WHERE …)`: the inner query's Ids, computed once. */
function semiJoinRunner(ctx: QueryContext): SemiJoinRunner {
  const run: SemiJoinRunner = (q, region) => {
    const scope = rootScope(ctx, q, region);
    const fields = q.fields ?? [];
    const only = fields[0];
    const src = ctx.src;
    if (fields.length !== 1 || !only || (only.type !== 'Field' && only.type !== 'FieldRelationship')) {
      throw soqlErrors.malformed(src, src.clauseStart(region, 'SELECT'), 'semi join sub-selects can only select one field');
    }
    const raw = only.type === 'Field' ? only.field : [...only.relationships, only.field].join('.');
    const { resolved, at } = resolveFieldIn(scope, raw, 'SELECT');
    if (kindOf(resolved.field) !== 'id') throw soqlErrors.malformed(src, at(), 'semi join sub-selects can only select an id field');
    const where = compileWhere(scope, q.where, run);
    const ids = new Set<string>();
    for (const r of selectRows(scope, where, false)) {
      const v = resolved.get(r);
      if (typeof v === 'string' && v) ids.add(v);
    }
    return ids;
  };
  return run;
}

/** Child subqueries: `(SELECT … FROM Contacts …)` evaluated per parent through the reverse reference index. */
function childCompiler(ctx: QueryContext): ChildCompiler {
  const compile: ChildCompiler = (parent, sub) => {
    const src = ctx.src;
    const region = src.subqueryRegion(parent.region, sub.relationshipName) ?? parent.region;
    const rel = parent.object.childRelationship(sub.relationshipName);
    const child = rel && ctx.data.schema.object(rel.childSObject);
    if (!rel || !child || !rel.relationshipName) throw soqlErrors.unknownChildRelationship(src, src.fromTarget(region), sub.relationshipName);
    const scope: Scope = { ctx, object: child, region };
    checkClauses(sub);
    if (isAggregateQuery(sub)) throw soqlErrors.malformed(src, region.first, 'only root queries support aggregate expressions');
    const select = compileSelect(scope, sub.fields ?? [], sub.limit, compile);
    const where = compileWhere(scope, sub.where, semiJoinRunner(ctx));
    const order = compileOrderBy(scope, sub.orderBy);
    const table = ctx.resolver.table(child);
    const field = rel.field;
    const includeDeleted = ctx.opts.includeDeleted;
    return {
      key: rel.relationshipName,
      run: (p: StoredRecord) => {
        if (!table) return null;
        let rows: StoredRecord[] = [];
        for (const id of table.childIds(field, p.Id)) {
          const r = table.get(id);
          if (r && (includeDeleted || !r.IsDeleted) && where.test(r)) rows.push(r);
        }
        rows = page(sortRows(rows, order), sub);
        if (!rows.length) return null;
        return { totalSize: rows.length, done: true, records: rows.map((r) => shapeRecord(ctx, select.node, r, child)) };
      },
    };
  };
  return compile;
}
