import { readBatch, sourceOrgsOf } from '../sync/envelope.js';
import type { SyncRecord } from '../sync/types.js';

/** Most dead letters one replay message takes; the ledger's page size, so one replay stays one bounded batch. */
export const MAX_REPLAY = 1000;

/**
 * A problem with a whole message, not with one of its records: reported through done(err) so
 * Catch nodes see it, worded for whoever built the flow, with a code to route on.
 */
export class WriteInputError extends Error {
  constructor(
    readonly code: 'INVALID_REPLAY' | 'WRONG_TARGET' | 'TARGET_UNREACHABLE',
    message: string,
  ) {
    super(message);
    this.name = 'WriteInputError';
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

/**
 * The records of an input message (sf-map-fields output). Only what keeps the writer from keying a
 * record in the ledger fails the whole message (an EnvelopeError): every other problem of a record
 * (no target side, an undelete, an unknown operation) becomes that record's failed result.
 */
export function batchInput(msg: { payload?: unknown; s2s?: unknown }): BatchInput {
  const batch = readBatch(msg, 'keyed');
  const target = batch.meta?.target?.orgId;
  return { records: batch.records, sourceOrgs: sourceOrgsOf(batch), ...(nonEmpty(target) ? { expectedTarget: target } : {}) };
}

/** What a `retry-dead-letters` message asks for; anything but an object (an inject's timestamp) means "all". */
export function replayRequest(payload: unknown): ReplayRequest {
  if (!isObject(payload)) return { limit: MAX_REPLAY };
  const { ids, object, targetObject, limit } = payload;
  const request: ReplayRequest = { limit: MAX_REPLAY };
  const refuse = (message: string) => new WriteInputError('INVALID_REPLAY', `retry-dead-letters: ${message}`);
  if (ids !== undefined) {
    if (!Array.isArray(ids) || !ids.every((id) => Number.isInteger(id) && (id as number) > 0)) throw refuse('msg.payload.ids must be a list of dead letter ids (whole numbers)');
    request.ids = ids as number[];
  }
  for (const [key, value] of [['object', object], ['targetObject', targetObject]] as const) {
    if (value === undefined) continue;
    if (!nonEmpty(value)) throw refuse('msg.payload.object and targetObject must be object API names');
    request[key] = value;
  }
  if (limit !== undefined) {
    if (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > MAX_REPLAY) throw refuse(`msg.payload.limit must be a whole number from 1 to ${MAX_REPLAY}`);
    request.limit = limit as number;
  }
  return request;
}

/** Salesforce gives org Ids in 15 and 18 characters; the first 15 identify the org. */
export function sameOrg(a: string, b: string): boolean {
  return a.slice(0, 15) === b.slice(0, 15);
}
