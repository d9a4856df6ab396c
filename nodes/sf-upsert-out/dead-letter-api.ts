import type { NodeAPI, NodeMessage } from 'node-red';
import { DEAD_LETTER_STATUSES, type DeadLetterFilter, type DeadLetterStatus, type Ledger } from '../../lib/ledger/index.js';
import { MAX_REPLAY } from '../../lib/upsert/batch-input.js';
import { adminRoute, HttpError, param } from '../shared/admin.js';
import { ledgerLease } from '../shared/ledger.js';

const DEFAULT_PAGE = 100;

class BadQuery extends HttpError {
  constructor(message: string) {
    super(400, message);
  }
}

function count(v: string | undefined, name: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new BadQuery(`${name} must be a whole number from ${min} to ${max}`);
  return n;
}

/** A time as ms since epoch or an ISO 8601 date. */
function time(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(n)) throw new BadQuery(`${name} must be ms since epoch or an ISO 8601 date`);
  return n;
}

/** `?status=open,retried&object=Account&errorCode=…&from=…&limit=100&offset=0` as a ledger filter. */
function filterOf(query: Record<string, unknown>, page: number | undefined): DeadLetterFilter {
  const q = (k: string) => param(query, k);
  const filter: DeadLetterFilter = {};
  const status = q('status');
  if (status) {
    const list = status.split(',').map((s) => s.trim());
    const wrong = list.filter((s) => !DEAD_LETTER_STATUSES.includes(s as DeadLetterStatus));
    if (wrong.length) throw new BadQuery(`unknown status ${wrong.join(', ')}; use ${DEAD_LETTER_STATUSES.join(', ')}`);
    filter.status = list as DeadLetterStatus[];
  }
  const category = q('category');
  if (category && category !== 'transient' && category !== 'permanent') throw new BadQuery('category is transient or permanent');
  if (category) filter.category = category as DeadLetterFilter['category'];
  for (const k of ['sourceOrg', 'targetOrg', 'object', 'targetObject', 'sourceId', 'errorCode'] as const) {
    const v = q(k);
    if (v) filter[k] = v;
  }
  const from = time(q('from'), 'from');
  const to = time(q('to'), 'to');
  if (from !== undefined) filter.from = from;
  if (to !== undefined) filter.to = to;
  const limit = count(q('limit'), 'limit', 1, page === undefined ? Number.MAX_SAFE_INTEGER : MAX_REPLAY) ?? page;
  const offset = count(q('offset'), 'offset', 0, Number.MAX_SAFE_INTEGER);
  if (limit !== undefined) filter.limit = limit;
  if (offset !== undefined) filter.offset = offset;
  return filter;
}

/**
 * Dead-letter review for editor users and dashboards: list (JSON), export (CSV), and mark for
 * retry. Replays themselves go through an sf-upsert-out node, which owns the target connection.
 */
export function registerDeadLetterApi(RED: NodeAPI): void {
  const read = 'sf-upsert-out.read';
  const write = 'sf-upsert-out.write';

  /** A lease per request: the endpoints work whether or not a node holds the ledger open. */
  const withLedger = <T>(fn: (ledger: Ledger) => T): T => {
    const lease = ledgerLease(RED);
    try {
      return fn(lease.ledger);
    } finally {
      lease.release();
    }
  };

  adminRoute(RED, 'get', '/sf-upsert-out/dead-letters', read, (req) =>
    withLedger((ledger) => {
      const filter = filterOf(req.query, DEFAULT_PAGE);
      return { total: ledger.countDeadLetters(filter), offset: filter.offset ?? 0, limit: filter.limit, letters: ledger.deadLetters(filter) };
    }),
  );

  adminRoute(RED, 'get', '/sf-upsert-out/dead-letters.csv', read, (req, res) => {
    const csv = withLedger((ledger) => ledger.exportDeadLetters(filterOf(req.query, undefined), 'csv'));
    res.set('Content-Type', 'text/csv; charset=utf-8');
    res.set('Content-Disposition', 'attachment; filename="dead-letters.csv"');
    res.send(csv);
    return undefined;
  });

  // Body {ids, node?}: makes the letters replayable (open) and, given an sf-upsert-out node id, has it replay them now.
  adminRoute(RED, 'post', '/sf-upsert-out/dead-letters/retry', write, (req) => {
    const body = (req.body ?? {}) as { ids?: unknown; node?: unknown };
    const ids = body.ids;
    if (!Array.isArray(ids) || !ids.length || ids.length > MAX_REPLAY || !ids.every((id) => Number.isInteger(id) && id > 0)) {
      throw new HttpError(400, `ids must be a list of 1 to ${MAX_REPLAY} dead letter ids`);
    }
    const node = typeof body.node === 'string' && body.node ? RED.nodes.getNode(body.node) : undefined;
    if (body.node !== undefined && (!node || node.type !== 'sf-upsert-out')) throw new HttpError(404, `no deployed sf-upsert-out node ${String(body.node)}`);
    return withLedger((ledger) => {
      const ready: number[] = [];
      const skipped: Array<{ id: number; status?: DeadLetterStatus; reason: string }> = [];
      for (const id of ids as number[]) {
        const letter = ledger.deadLetter(id);
        if (!letter) skipped.push({ id, reason: 'not found' });
        else if (letter.status === 'resolved' || letter.status === 'discarded') skipped.push({ id, status: letter.status, reason: `already ${letter.status}` });
        else ready.push(id);
      }
      // A letter left `retried` by a replay that never finished (a crash) is taken by no later replay until reopened.
      const stuck = ready.filter((id) => ledger.deadLetter(id)?.status === 'retried');
      if (stuck.length) ledger.setDeadLetterStatus(stuck, 'open');
      if (node && ready.length) node.receive({ topic: 'retry-dead-letters', payload: { ids: ready } } as NodeMessage);
      return { ready, skipped, replaying: !!node && ready.length > 0 };
    });
  });
}
