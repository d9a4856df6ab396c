import type { SyncRecord } from '../sync/types.js';

/** Most dead letters one replay message takes; the ledger's page size, so one replay stays one bounded batch. */
export const MAX_REPLAY = 1000;

/**
 * A problem with the whole message, not with one record: reported through done(err) so Catch
 * nodes see it. `key` names a message in the node's catalog (`sf-upsert-out.errors.<key>`).
 */
export class InputProblem extends Error {
  constructor(
    readonly key: string,
    readonly args: Record<string, string | number> = {},
  ) {
    super(`${key} ${JSON.stringify(args)}`);
    this.name = 'InputProblem';
  }
}

export interface BatchInput {
  records: SyncRecord[];
  /** Source org of each record, in input order. */
  sourceOrgs: string[];
  /** The org sf-map-fields mapped the batch for (`msg.s2s.target.orgId`), if it said. */
  expectedTarget?: string;
}

export interface ReplayRequest {
  /** Dead letter ids; absent: every open letter of the target org (up to `limit`). */
  ids?: number[];
  /** Source object of the letters to replay. */
  object?: string;
  targetObject?: string;
  limit: number;
}

type Loose = Record<string, unknown>;

const isObject = (v: unknown): v is Loose => !!v && typeof v === 'object' && !Array.isArray(v);
const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  return Array.isArray(v) ? 'array' : typeof v;
}

/**
 * The records of an input message (sf-map-fields output). Only what keeps the writer from
 * keying a record in the ledger fails the whole message: every other problem of a record (no
 * target side, an undelete, an unknown operation) becomes that record's failed result.
 */
export function batchInput(payload: unknown, s2s: unknown): BatchInput {
  if (!Array.isArray(payload)) throw new InputProblem('not-array', { type: kindOf(payload) });
  const meta = isObject(s2s) ? s2s : {};
  const batchSource = isObject(meta.source) && nonEmpty(meta.source.orgId) ? meta.source.orgId : undefined;
  const sourceOrgs = payload.map((r: unknown, index) => {
    if (!isObject(r) || !nonEmpty(r.object) || !nonEmpty(r.sourceId)) throw new InputProblem('not-record', { index });
    // The record's own origin wins: core nodes in between may have merged batches from several orgs.
    const origin = isObject(r.origin) && nonEmpty(r.origin.orgId) ? r.origin.orgId : batchSource;
    if (!origin) throw new InputProblem('no-source-org', { index, sourceId: r.sourceId });
    return origin;
  });
  const target = isObject(meta.target) && nonEmpty(meta.target.orgId) ? meta.target.orgId : undefined;
  return { records: payload as SyncRecord[], sourceOrgs, ...(target ? { expectedTarget: target } : {}) };
}

/** What a `retry-dead-letters` message asks for; anything but an object (an inject's timestamp) means "all". */
export function replayRequest(payload: unknown): ReplayRequest {
  if (!isObject(payload)) return { limit: MAX_REPLAY };
  const { ids, object, targetObject, limit } = payload;
  const request: ReplayRequest = { limit: MAX_REPLAY };
  if (ids !== undefined) {
    if (!Array.isArray(ids) || !ids.every((id) => Number.isInteger(id) && (id as number) > 0)) throw new InputProblem('replay-ids');
    request.ids = ids as number[];
  }
  if (object !== undefined) {
    if (!nonEmpty(object)) throw new InputProblem('replay-object');
    request.object = object;
  }
  if (targetObject !== undefined) {
    if (!nonEmpty(targetObject)) throw new InputProblem('replay-object');
    request.targetObject = targetObject;
  }
  if (limit !== undefined) {
    if (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > MAX_REPLAY) throw new InputProblem('replay-limit', { max: MAX_REPLAY });
    request.limit = limit as number;
  }
  return request;
}

/** Salesforce gives org Ids in 15 and 18 characters; the first 15 identify the org. */
export function sameOrg(a: string, b: string): boolean {
  return a.slice(0, 15) === b.slice(0, 15);
}

/** A whole number from a config field, clamped; the fallback when empty or not a number. */
export function wholeNumber(v: unknown, fallback: number, min: number, max: number): number {
  const n = Number(v);
  if (String(v ?? '').trim() === '' || !Number.isFinite(n)) return fallback;
  return Math.min(max, Math.max(min, Math.round(n)));
}
