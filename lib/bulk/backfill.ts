/**
 * A historical backfill: the objects (parents first) cut by a date field into ranges, read oldest
 * first, each range a bulk run of its own (see bulk-run.ts). The watermark in the ledger says
 * which range comes next, so a backfill stopped by a crash or a redeploy goes on with that range
 * (and within it, where its batches were written); a finished one keeps its watermark, with the
 * time it began, which is where change capture takes over (see `handOver`).
 *
 * A child whose parent lies in a later range is written with its lookup waiting; the writer sets
 * it once the parent is written. After each range its source Ids are read again and counted
 * against the ledger (in a target, dead-lettered, missing), so a range that did not arrive whole
 * is named, not assumed.
 */
import { createHash } from 'node:crypto';
import type { Ledger } from '../ledger/ledger.js';
import { soqlIdentifier } from '../collect/soql-text.js';
import { BulkRun, type BulkObjectStart, type BulkRunOptions, type BulkRunProgress } from './bulk-run.js';
import { dateRanges, type DateRange, type RangeUnit } from './date-ranges.js';

/** The object name a backfill's watermark is filed under (no sObject has parentheses). */
export const BACKFILL_WATERMARK = '(backfill)';

export interface BackfillOptions extends Omit<BulkRunOptions, 'where' | 'restart' | 'onProgress' | 'checkpointName'> {
  /** A date or datetime field every object has, e.g. CreatedDate. */
  dateField: string;
  unit: RangeUnit;
  /** Where the first range begins; otherwise at the oldest record. */
  from?: string;
  /** Where the last range ends; otherwise it is open (records created during the backfill too). */
  to?: string;
  /** The condition of one object within one range (the range and the node's own filter). */
  where(range: DateRange): NonNullable<BulkRunOptions['where']>;
  /** Tells a changed backfill (other objects, field, unit, filter) from the one the watermark is of. */
  fingerprint: string;
  checkpointName: string;
  restart?: boolean;
  /** Count each range's records in the ledger once it is written. */
  check: boolean;
  onRange?(range: BackfillRangeStart): void;
  onRangeDone?(range: BackfillRangeSummary): void;
  onProgress?(progress: BackfillProgress): void;
}

export interface BackfillRangeStart extends DateRange {
  index: number;
  ranges: number;
}

export interface RangeCheck {
  object: string;
  /** Records of the range in the source, as read again after it was written. */
  source: number;
  /** Of those, records the ledger has in a target. */
  inTarget: number;
  /** Of the rest, records waiting in the dead letters. */
  deadLettered: number;
  /** Neither: left out by the mapping, rejected before the writer, or lost. */
  missing: number;
}

export interface BackfillRangeSummary extends BackfillRangeStart {
  written: number;
  finished: boolean;
  failedBatches: number;
  /** Absent when the check is off or nothing acknowledges the batches. */
  checks?: RangeCheck[];
}

export interface BackfillProgress extends BulkRunProgress {
  range: DateRange;
  rangeIndex: number;
  ranges: number;
}

export interface BackfillSummary {
  ranges: BackfillRangeSummary[];
  /** Ranges in all, and where the next run goes on (null: every range is written). */
  rangeCount: number;
  watermark: string | null;
  /** When the backfill began: change capture from then on carries what it could not see. */
  startedAt: number;
  sent: number;
  written: number;
  total: number;
  resumedAt: number;
  failedBatches: number;
  /** Records counted as missing by the range checks. */
  missing: number;
  finished: boolean;
  stopped: boolean;
  apiCalls: number;
  durationMs: number;
}

/** Where a backfill stands, for the change capture that takes over from it. */
export interface BackfillState {
  /** Every range written. */
  finished: boolean;
  /** When it began (ms): changes from then on are change capture's. */
  startedAt: number;
  /** The next range to read. */
  watermark: string | null;
}

export class Backfill {
  private current?: BulkRun;
  private stopped = false;

  constructor(private readonly o: BackfillOptions) {}

  static fingerprint(parts: unknown): string {
    return createHash('sha1').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
  }

  static state(ledger: Ledger, orgId: string, checkpointName: string): BackfillState | undefined {
    const w = ledger.bulkCheckpoint(orgId, BACKFILL_WATERMARK, checkpointName);
    return w && { finished: w.locator === null, startedAt: w.startedAt, watermark: w.locator };
  }

  /** Whether a backfill is under way (begun, not finished). */
  static pending(ledger: Ledger, orgId: string, checkpointName: string): boolean {
    return Backfill.state(ledger, orgId, checkpointName)?.finished === false;
  }

  async run(): Promise<BackfillSummary> {
    const o = this.o;
    const now = o.now ?? Date.now;
    const began = now();
    const callsBefore = o.api.calls;
    let bulkCalls = 0;
    const bulk = { ...o.bulk, onCall: () => { bulkCalls++; o.bulk?.onCall?.(); } };
    // Logged in first: the watermark is filed under the org's Id.
    await o.api.org.connection();
    const orgId = o.api.orgId;
    let saved = o.ledger.bulkCheckpoint(orgId, BACKFILL_WATERMARK, o.checkpointName);
    if (saved && (o.restart || saved.queryHash !== o.fingerprint)) {
      // Another backfill (or a start over): its ranges mean nothing for this one.
      if (saved.locator !== null) BulkRun.discard(o.ledger, orgId, o.objects, rangeCheckpoint(o.checkpointName, saved.locator));
      o.ledger.clearBulkCheckpoint(orgId, BACKFILL_WATERMARK, o.checkpointName);
      saved = undefined;
    }
    if (saved && saved.locator === null) {
      // Finished: nothing to read; the watermark stays for the hand-over.
      return this.summary({ ranges: [], rangeCount: 0, watermark: null, startedAt: saved.startedAt, written: saved.records, total: saved.records, resumedAt: saved.records, began, calls: 0, finished: true });
    }
    // The span is fixed when the backfill begins (its end is its start time when open), so a
    // resumed one cuts the same ranges.
    const startedAt = saved?.startedAt ?? now();
    const start = o.from || saved?.lastId || (await this.oldest());
    const ranges = start ? dateRanges(start, o.unit, { end: o.to || undefined, now: new Date(startedAt) }) : [];
    let index = saved?.locator ? ranges.findIndex((r) => r.from === saved!.locator) : 0;
    if (index < 0) index = 0;
    let writtenBefore = saved?.records ?? 0;
    // Records written before this process took the backfill up: earlier ranges, and the part of the range it resumes.
    let resumedAt: number | undefined;
    const save = (next: string | null) => o.ledger.saveBulkCheckpoint({
      orgId, object: BACKFILL_WATERMARK, name: o.checkpointName, jobId: 'backfill', locator: next, records: writtenBefore, lastId: start ?? null, startedAt, queryHash: o.fingerprint,
    }, now());
    save(ranges[index]?.from ?? null);
    const total = await this.total();
    const done: BackfillRangeSummary[] = [];
    let sent = 0;
    let failedBatches = 0;
    for (; index < ranges.length && !this.stopped; index++) {
      const range = ranges[index]!;
      const head: BackfillRangeStart = { ...range, index, ranges: ranges.length };
      o.onRange?.(head);
      const run = new BulkRun({
        ...o, bulk, where: o.where(range), checkpointName: rangeCheckpoint(o.checkpointName, range.from), restart: false,
        onProgress: (p) => {
          resumedAt ??= writtenBefore + p.resumedAt;
          o.onProgress?.({ ...p, written: writtenBefore + p.written, total, resumedAt, sent: sent + p.sent, range, rangeIndex: index, ranges: ranges.length });
        },
        onObject: (s: BulkObjectStart) => o.onObject?.(s),
      });
      this.current = run;
      const r = await run.run();
      this.current = undefined;
      sent += r.sent;
      failedBatches += r.failedBatches;
      const summary: BackfillRangeSummary = { ...head, written: r.written, finished: r.finished, failedBatches: r.failedBatches };
      if (r.finished) {
        if (o.check && o.acked) summary.checks = await this.check(range);
        writtenBefore += r.written;
        save(ranges[index + 1]?.from ?? null);
      }
      done.push(summary);
      o.onRangeDone?.(summary);
      if (!r.finished) break;
    }
    const finished = !this.stopped && index >= ranges.length;
    // REST calls are the api's count; Bulk API calls go past it and are counted here.
    const apiCalls = o.api.calls - callsBefore + bulkCalls;
    return this.summary({ ranges: done, rangeCount: ranges.length, watermark: finished ? null : ranges[index]?.from ?? null, startedAt, written: writtenBefore, total, resumedAt: resumedAt ?? writtenBefore, began, calls: apiCalls, finished, sent, failedBatches });
  }

  stop(): void {
    this.stopped = true;
    this.current?.stop();
  }

  private summary(s: {
    ranges: BackfillRangeSummary[]; rangeCount: number; watermark: string | null; startedAt: number; written: number; total: number; resumedAt: number;
    began: number; calls: number; finished: boolean; sent?: number; failedBatches?: number;
  }): BackfillSummary {
    const missing = s.ranges.reduce((n, r) => n + (r.checks ?? []).reduce((m, c) => m + c.missing, 0), 0);
    return {
      ranges: s.ranges, rangeCount: s.rangeCount, watermark: s.watermark, startedAt: s.startedAt, sent: s.sent ?? 0, written: s.written, total: s.total, resumedAt: s.resumedAt,
      failedBatches: s.failedBatches ?? 0, missing, finished: s.finished, stopped: this.stopped, apiCalls: s.calls, durationMs: (this.o.now ?? Date.now)() - s.began,
    };
  }

  /** The oldest value of the date field over the objects (undefined: none has a record). */
  private async oldest(): Promise<string | undefined> {
    const o = this.o;
    let oldest: string | undefined;
    const field = soqlIdentifier(o.dateField);
    for (const object of o.objects) {
      const where = await this.conditionOf(object, { from: '' });
      const soql = `SELECT ${field} FROM ${object} WHERE ${field} != null${where ? ` AND (${where})` : ''} ORDER BY ${field} ASC LIMIT 1`;
      for await (const page of o.api.pages<Record<string, unknown>>(soql, `finding the oldest ${object} record`, { queryAll: o.queryAll })) {
        const v = page.records[0]?.[field] ?? Object.entries(page.records[0] ?? {}).find(([k]) => k.toLowerCase() === field.toLowerCase())?.[1];
        // As the range condition takes it: a date stays a date, a datetime becomes UTC to the second.
        const text = typeof v !== 'string' ? undefined : /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : new Date(v.replace(/([+-]\d{2})(\d{2})$/, '$1:$2')).toISOString().replace(/\.\d{3}Z$/, 'Z');
        if (text && (!oldest || Date.parse(text) < Date.parse(oldest))) oldest = text;
        break;
      }
    }
    return oldest;
  }

  /** Records of every object over the whole span, for progress. */
  private async total(): Promise<number> {
    let n = 0;
    for (const object of this.o.objects) {
      const where = await this.conditionOf(object, { from: this.o.from ?? '', ...(this.o.to ? { to: this.o.to } : {}) });
      n += await this.o.api.count(`SELECT COUNT() FROM ${object}${where ? ` WHERE ${where}` : ''}`, `counting ${object} records`);
    }
    return n;
  }

  /** Reads the range's Ids again, page by page, and counts each page in the ledger. */
  private async check(range: DateRange): Promise<RangeCheck[]> {
    const checks: RangeCheck[] = [];
    for (const object of this.o.objects) {
      const name = (await this.o.api.describe(object)).name;
      const where = await this.conditionOf(object, range);
      const check: RangeCheck = { object: name, source: 0, inTarget: 0, deadLettered: 0, missing: 0 };
      for await (const page of this.o.api.pages<{ Id: string }>(`SELECT Id FROM ${name}${where ? ` WHERE ${where}` : ''}`, `checking ${name} records`, { queryAll: this.o.queryAll })) {
        const ids = page.records.map((r) => r.Id);
        const p = this.o.ledger.presence(this.o.api.orgId, ids);
        check.source += ids.length;
        check.inTarget += p.inTarget;
        check.deadLettered += p.deadLettered;
      }
      check.missing = check.source - check.inTarget - check.deadLettered;
      checks.push(check);
    }
    return checks;
  }

  /** The condition of one object within a range (no range: `from` empty). */
  private async conditionOf(object: string, range: DateRange): Promise<string | undefined> {
    const describe = await this.o.api.describe(object);
    const types = new Map(describe.fields.map((f) => [f.name.toLowerCase(), String(f.type)]));
    const w = this.o.where(range);
    return typeof w === 'function' ? w(describe.name, (f) => types.get(f.toLowerCase())) : w;
  }
}

/** The checkpoints of one range's bulk run. */
export function rangeCheckpoint(name: string, from: string): string {
  return `${name}@${from}`;
}
