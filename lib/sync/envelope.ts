/**
 * Reads the envelope off a message: `msg.payload` as a batch of sync records and `msg.s2s` as its
 * metadata, checked against envelope-schema.ts. Every node that takes a batch reads it here, so a
 * miswired flow gets the same clear words whichever node it reaches.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { schemaProblems } from '../schema/problems.js';
import { BATCH_META_SCHEMA, KEYED_RECORD_SCHEMA, SYNC_RECORD_SCHEMA, WRITE_METRICS_SCHEMA } from './envelope-schema.js';
import type { BatchMeta, SyncRecord, WriteMetrics } from './types.js';

/** A message that is not a batch the node can take; `problems` say what to fix, one each. */
export class EnvelopeError extends Error {
  readonly code = 'INVALID_BATCH';
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'EnvelopeError';
  }
}

/**
 * How much of each record is checked:
 * - `records`: every record a complete sync record (object, sourceId, operation, fields, and the
 *   shape of what else it carries): what a mapper needs before it maps anything;
 * - `keyed`: only what gives a record a place in the ledger (object and sourceId): a writer reports
 *   every other defect of a record as that record's own failed result.
 */
export type RecordCheck = 'records' | 'keyed';

export interface Batch {
  records: SyncRecord[];
  /** `msg.s2s` as given (checked where present), or undefined for a batch built by hand. */
  meta: Partial<BatchMeta> | undefined;
}

/** Problems listed per message; more are summarised, since the first few show what is wrong. */
const MAX_PROBLEMS = 3;

// verbose: errors carry the data they are about, so a message can say what was found.
const ajv = new Ajv({ allErrors: false, verbose: true, allowUnionTypes: true, strict: false });
let validators: { records: ValidateFunction; keyed: ValidateFunction; meta: ValidateFunction; write: ValidateFunction } | undefined;

/** Compiled on first use: compiling costs milliseconds, checking a record microseconds. */
function check() {
  validators ??= {
    records: ajv.compile({ type: 'array', items: SYNC_RECORD_SCHEMA }),
    keyed: ajv.compile({ type: 'array', items: KEYED_RECORD_SCHEMA }),
    meta: ajv.compile(BATCH_META_SCHEMA),
    write: ajv.compile(WRITE_METRICS_SCHEMA),
  };
  return validators;
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  return Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** The batch a message carries; throws an EnvelopeError naming the first problems. */
export function readBatch(msg: { payload?: unknown; s2s?: unknown }, level: RecordCheck): Batch {
  const { payload, s2s } = msg;
  if (!Array.isArray(payload)) {
    throw new EnvelopeError([`msg.payload must be an array of sync records (what sf-collect and sf-map-fields send), not ${kindOf(payload)}`]);
  }
  const v = check();
  const records = level === 'records' ? v.records : v.keyed;
  if (!records(payload)) throw new EnvelopeError(limited(schemaProblems(records.errors ?? [], { root: 'msg.payload' })));
  return { records: payload as SyncRecord[], meta: readMeta(s2s) };
}

/** `msg.s2s`, checked where present; undefined when the message has none. */
export function readMeta(s2s: unknown): Partial<BatchMeta> | undefined {
  if (s2s === undefined || s2s === null) return undefined;
  const v = check().meta;
  if (!v(s2s)) throw new EnvelopeError(limited(schemaProblems(v.errors ?? [], { root: 'msg.s2s' })));
  return s2s as Partial<BatchMeta>;
}

/**
 * The source org of each record: its own `origin.orgId` (core nodes in between may have merged
 * batches of several orgs), else the batch's `msg.s2s.source.orgId`.
 */
export function sourceOrgsOf(batch: Batch): string[] {
  const batchSource = batch.meta?.source?.orgId || undefined;
  return batch.records.map((r, index) => {
    const org = r.origin?.orgId || batchSource;
    if (!org) throw new EnvelopeError([`msg.payload[${index}] (${r.sourceId}) has no source org: set origin.orgId on the record or msg.s2s.source.orgId`]);
    return org;
  });
}

/** The write figures sf-upsert-out put on a message (`msg.s2s.write`), or undefined when it has none. */
export function writeMetricsOf(msg: { s2s?: unknown }): WriteMetrics | undefined {
  const s2s = msg.s2s as { write?: unknown } | undefined;
  if (!s2s || typeof s2s !== 'object' || s2s.write === undefined) return undefined;
  return check().write(s2s.write) ? (s2s.write as WriteMetrics) : undefined;
}

function limited(problems: string[]): string[] {
  if (problems.length <= MAX_PROBLEMS) return problems;
  return [...problems.slice(0, MAX_PROBLEMS), `and ${problems.length - MAX_PROBLEMS} more`];
}
