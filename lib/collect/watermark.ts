/**
 * Changes-only resyncs: a collection by condition (or of a whole object) that was read and written
 * completely once reads, the next time, only the records changed since that run began
 * (`SystemModstamp`), with the ones deleted since (queryAll). A resync of unchanged data then costs
 * a few queries instead of re-reading the whole source.
 *
 * The watermark is when the last complete run began, kept in the ledger's read checkpoints
 * (object `(changes)`, named by the collecting node) with a fingerprint of what the run read. It
 * moves only once every batch of a run was acknowledged by a writer: a run cut short, a batch that
 * failed or went unacknowledged leaves it where it was, so the next run reads those changes again.
 * Reading goes back OVERLAP_MS before the watermark: a transaction that began before the run and
 * committed after its query carries an earlier stamp, and the org's clock and this machine's may
 * differ a little. Records read twice that way are unchanged by their field hashes and cost no write.
 *
 * What a changes-only read cannot see is drift that leaves the source untouched: a target edited by
 * hand, a mapping changed since the last run, a delete older than the recycle bin keeps. A full read
 * (the node's setting, or `msg.payload.full`) compares everything again.
 */
import { createHash } from 'node:crypto';
import type { Ledger } from '../ledger/ledger.js';
import type { CollectionPlan } from './plan.js';

/** The read-checkpoint object the watermarks of changes-only collections are kept under. */
export const CHANGES_WATERMARK = '(changes)';
/** How far before the last complete run's start a changes-only read goes back. */
export const OVERLAP_MS = 60_000;

/** Why a run reads what it reads, for the run's summary. */
export type ReadReason = 'changes' | 'first run' | 'selection changed' | 'full read asked' | 'full read configured' | 'records by Id' | 'no change stamp';

export interface ReadChoice {
  /** Read only records changed after this (ISO 8601, UTC); absent for a full read. */
  since?: string;
  reason: ReadReason;
  /** The fingerprint to keep with the next watermark. */
  fingerprint: string;
}

/** What a collection reads, as a short hash: a watermark holds only for the same selection. */
export function collectionFingerprint(plan: CollectionPlan): string {
  const shape = {
    root: plan.rootObject,
    roots: plan.roots,
    depth: plan.depth,
    objects: plan.objects.map((o) => ({
      name: o.name,
      fields: o.selectFields,
      follow: o.lookups.filter((l) => l.follow).map((l) => l.field),
      children: o.children.map((c) => `${c.object}.${c.field}`),
    })),
  };
  return createHash('sha256').update(JSON.stringify(shape)).digest('hex').slice(0, 32);
}

/** Whether this run of `plan` can read changes only, and from when. */
export function chooseRead(ledger: Ledger, orgId: string, name: string, plan: CollectionPlan, asked: { changes: boolean; full?: boolean }): ReadChoice {
  const fingerprint = collectionFingerprint(plan);
  if (plan.roots.by === 'ids') return { reason: 'records by Id', fingerprint };
  if (!asked.changes) return { reason: 'full read configured', fingerprint };
  if (asked.full) return { reason: 'full read asked', fingerprint };
  if (plan.objects.some((o) => !o.modstampField)) return { reason: 'no change stamp', fingerprint };
  const saved = ledger.bulkCheckpoint(orgId, CHANGES_WATERMARK, name);
  if (!saved) return { reason: 'first run', fingerprint };
  if (saved.queryHash !== fingerprint) return { reason: 'selection changed', fingerprint };
  return { since: soqlDateTime(saved.startedAt - OVERLAP_MS), reason: 'changes', fingerprint };
}

/** Moves the watermark to `startedAt`: every record changed before it is written. */
export function saveWatermark(ledger: Ledger, orgId: string, name: string, fingerprint: string, startedAt: number, at: number = Date.now()): void {
  ledger.saveBulkCheckpoint({ orgId, object: CHANGES_WATERMARK, name, jobId: '', locator: null, records: 0, lastId: null, queryHash: fingerprint, startedAt }, at);
}

/** Forgets the watermark, so that the next run reads everything. */
export function clearWatermark(ledger: Ledger, orgId: string, name: string): void {
  ledger.clearBulkCheckpoint(orgId, CHANGES_WATERMARK, name);
}

/** A SOQL datetime literal (whole seconds, UTC), rounded down so no change is skipped. */
function soqlDateTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
