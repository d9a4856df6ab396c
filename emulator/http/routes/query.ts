import { SfError } from '../../errors.js';
import type { RouteModule } from '../../emulator.js';
import type { Org } from '../../org.js';
import { executeQuery, type QueryResult } from '../../soql/index.js';
import type { RequestContext } from '../context.js';

const DEFAULT_BATCH = 2000;
/** Real orgs drop a query cursor after 15 minutes without a fetch. */
const CURSOR_IDLE_MS = 15 * 60 * 1000;
const MAX_OPEN_CURSORS = 10000;

interface Cursor {
  result: QueryResult;
  batchSize: number;
  lastUsed: number;
  scanAll: boolean;
}

/** Open query cursors of every org, by locator id (`01g…`). */
const cursors = new WeakMap<Org, Map<string, Cursor>>();

function cursorsOf(org: Org): Map<string, Cursor> {
  let m = cursors.get(org);
  if (!m) cursors.set(org, (m = new Map()));
  return m;
}

/** `Sforce-Query-Options: batchSize=N`, clamped to 200..2000 as real orgs do. */
function batchSizeOf(ctx: RequestContext): number {
  const h = ctx.header('sforce-query-options');
  const m = h ? /batchSize\s*=\s*(\d+)/i.exec(h) : null;
  if (!m) return DEFAULT_BATCH;
  return Math.min(2000, Math.max(200, Number(m[1])));
}

function page(ctx: RequestContext, cursorId: string | undefined, cursor: Cursor, offset: number): void {
  const { result, batchSize } = cursor;
  const end = Math.min(result.rowCount, offset + batchSize);
  const records: unknown[] = [];
  for (let i = offset; i < end; i++) records.push(result.record(i));
  const done = end >= result.rowCount;
  const body: Record<string, unknown> = { totalSize: result.totalSize, done };
  const org = ctx.requireOrg;
  if (!done) {
    const id = cursorId ?? org.ids.next('01g');
    cursor.lastUsed = org.clock.now();
    cursorsOf(org).set(id, cursor);
    body.nextRecordsUrl = `/services/data/v${ctx.apiVersion}/${cursor.scanAll ? 'queryAll' : 'query'}/${id}-${end}`;
  } else if (cursorId) {
    cursorsOf(org).delete(cursorId);
  }
  body.records = records;
  ctx.sendJson(200, body);
}

function sweep(org: Org): void {
  const now = org.clock.now();
  const open = cursorsOf(org);
  for (const [id, c] of open) if (now - c.lastUsed > CURSOR_IDLE_MS) open.delete(id);
  while (open.size > MAX_OPEN_CURSORS) open.delete(open.keys().next().value!);
}

function runQuery(ctx: RequestContext, scanAll: boolean): void {
  const soql = ctx.url.searchParams.get('q');
  if (soql === null || !soql.trim()) throw new SfError('MALFORMED_QUERY', 'A query string has to be specified', 400);
  const org = ctx.requireOrg;
  sweep(org);
  const result = executeQuery(org.data, soql, {
    now: org.clock.now(),
    userId: ctx.session!.userId,
    includeDeleted: scanAll,
    apiVersion: ctx.apiVersion,
  });
  page(ctx, undefined, { result, batchSize: batchSizeOf(ctx), lastUsed: org.clock.now(), scanAll }, 0);
}

/** `/query/{locator}` is served under any API version, for query and queryAll cursors alike. */
function more(ctx: RequestContext): void {
  const org = ctx.requireOrg;
  sweep(org);
  const m = /^(01g[A-Za-z0-9]{15})-(\d+)$/.exec(ctx.params.locator ?? '');
  const cursor = m ? cursorsOf(org).get(m[1]!) : undefined;
  if (!m || !cursor) throw new SfError('INVALID_QUERY_LOCATOR', 'invalid query locator', 400);
  const offset = Number(m[2]);
  if (offset > cursor.result.rowCount) throw new SfError('INVALID_QUERY_LOCATOR', 'invalid query locator', 400);
  page(ctx, m[1], cursor, offset);
}

export const queryRoutes: RouteModule = {
  api(router) {
    router.get('/query', (ctx) => runQuery(ctx, false));
    router.get('/queryAll', (ctx) => runQuery(ctx, true));
    router.get('/query/:locator', more);
    router.get('/queryAll/:locator', more);
  },
};
