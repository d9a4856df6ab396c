/**
 * A bulk read of one object, as a source of batches: a Bulk API 2.0 query job read page by page,
 * its rows built into sync records (`origin.via` 'bulk'), sent in batches within an
 * acknowledgement window, so memory stays bounded however large the object. Where the read stands
 * is kept in the ledger (job, locator of the first page not fully written): a read stopped by a
 * crash or a redeploy goes on with the same job's results, re-reading at most the pages not fully
 * written (the ledger's field hashes make their written records no-ops); once every page is
 * written the checkpoint is cleared. A failed batch holds the checkpoint before its page.
 */
import type { Ledger } from '../ledger/ledger.js';
import { AckWindow, type AckRegistry, type AckSettlement } from '../runtime/acks.js';
import { BulkQuery, type BulkQueryOptions } from '../salesforce/bulk-query.js';
import type { OrgApi } from '../salesforce/org-api.js';
import type { BatchMeta, SyncRecord } from '../sync/types.js';
import { bulkObjectReader, type BulkObjectReader } from './bulk-records.js';
import { LocatorTracker, type LocatorPage } from './locator-tracker.js';

export interface BulkSourceOptions {
  api: OrgApi;
  ledger: Ledger;
  acks: AckRegistry;
  /** Who owns the acknowledgement handles (the node's id). */
  owner: string;
  object: string;
  /** A SOQL condition built from escaped values. */
  where?: string;
  /** Tells apart reads of one org and object that feed different flows. */
  checkpointName: string;
  batchSize: number;
  inFlight: number;
  ackTimeoutMs: number;
  /** Wait for acknowledgements (a writer is downstream); otherwise a batch is done once sent. */
  acked: boolean;
  /** Query job options: results page size, polling. */
  bulk?: BulkQueryOptions;
  send(batch: { records: SyncRecord[]; meta: BatchMeta; ack?: string[] }): void;
  /** After each batch sent and each checkpoint moved. */
  onProgress?(progress: BulkProgress): void;
  now?: () => number;
}

export interface BulkProgress {
  jobId: string;
  /** Records sent by this run. */
  sent: number;
  /** Records in the pages fully written, this run and the runs before it. */
  written: number;
  /** Records the job has (numberRecordsProcessed). */
  total: number;
  /** Where this run began: records fully written by earlier runs of the same job. */
  resumedAt: number;
  failedBatches: number;
}

export interface BulkRunResult extends BulkProgress {
  /** Every page written: the checkpoint is cleared and the next run reads anew. */
  finished: boolean;
}

export class BulkSource {
  readonly window: AckWindow;
  private readonly now: () => number;
  private readonly abort = new AbortController();
  private readonly pages = new Map<string, LocatorPage>();
  private tracker = new LocatorTracker();
  private progress: BulkProgress = { jobId: '', sent: 0, written: 0, total: 0, resumedAt: 0, failedBatches: 0 };
  private startedAt = 0;
  private orgId = '';
  private objectName = '';
  private batchSeq = 0;
  private stopped = false;

  constructor(private readonly o: BulkSourceOptions) {
    this.now = o.now ?? Date.now;
    this.window = new AckWindow(o.acks, o.owner, { size: o.inFlight, timeoutMs: o.ackTimeoutMs, onSettled: (h, s) => this.settled(h, s) });
  }

  /** Reads the object (or goes on with the read a checkpoint holds) until every batch is settled. */
  async run(): Promise<BulkRunResult> {
    const { api, ledger, object, checkpointName } = this.o;
    const reader = await bulkObjectReader(api, object, { where: this.o.where });
    this.orgId = api.orgId;
    this.objectName = reader.object;
    const bq = new BulkQuery(api.org, { ...this.o.bulk, signal: this.abort.signal });
    const what = `reading ${reader.object} in bulk`;
    const saved = ledger.bulkCheckpoint(this.orgId, reader.object, checkpointName);
    let jobId: string | undefined;
    if (saved && saved.locator !== null) {
      // The same job's results, while the org keeps them; otherwise a new job from the start.
      const job = await bq.info(saved.jobId, what).catch(() => undefined);
      if (job?.state === 'JobComplete') {
        jobId = job.id;
        this.progress.total = job.numberRecordsProcessed ?? 0;
        this.tracker = new LocatorTracker({ locator: saved.locator, records: saved.records });
        this.startedAt = saved.startedAt;
      }
    }
    if (!jobId) {
      const job = await bq.create(reader.soql, what);
      jobId = job.id;
      this.startedAt = this.now();
      this.tracker = new LocatorTracker();
      this.save(jobId);
      this.progress.total = (await bq.waitForResults(jobId, what)).numberRecordsProcessed ?? 0;
    }
    this.progress.jobId = jobId;
    this.progress.resumedAt = this.tracker.resumePoint.records;
    this.progress.written = this.progress.resumedAt;
    const from = this.tracker.resumePoint.locator;
    if (from !== null) {
      try {
        await this.readFrom(bq, reader, jobId, what, from);
      } catch (err) {
        // Stopping aborts the page being read: the checkpoint already says where to go on.
        if (!this.stopped) throw err;
      }
    }
    if (!this.stopped) await this.window.drain(this.abort.signal).catch(() => undefined);
    const finished = !this.stopped && this.tracker.resumePoint.locator === null && this.progress.failedBatches === 0;
    if (finished) ledger.clearBulkCheckpoint(this.orgId, reader.object, checkpointName);
    return { ...this.progress, finished };
  }

  private async readFrom(bq: BulkQuery, reader: BulkObjectReader, jobId: string, what: string, from: string): Promise<void> {
    for await (const slice of bq.results(jobId, what, from)) {
      if (this.stopped) break;
      const records = reader.toRecords(slice.rows);
      if (!records.length) {
        // An empty page still moves the read on.
        if (slice.endOfPage) this.done(this.tracker.handedOut(slice.locator, slice.next, 0, true));
        continue;
      }
      for (let i = 0; i < records.length && !this.stopped; i += this.o.batchSize) {
        const chunk = records.slice(i, i + this.o.batchSize);
        const last = i + this.o.batchSize >= records.length;
        await this.sendBatch(reader.object, chunk, slice.locator, slice.next, slice.endOfPage && last);
      }
    }
  }

  /** Stops reading; batches in flight are released, and the checkpoint stays where the written pages end. */
  stop(): void {
    this.stopped = true;
    this.abort.abort(new Error('the bulk read stopped'));
    this.window.close('the bulk read stopped');
  }

  private async sendBatch(object: string, records: SyncRecord[], locator: string, next: string | null, endOfPage: boolean): Promise<void> {
    let ack: string[] | undefined;
    if (this.o.acked) {
      try {
        ack = [await this.window.acquire(this.abort.signal)];
      } catch {
        return;
      }
    }
    const page = this.tracker.handedOut(locator, next, records.length, endOfPage);
    const meta: BatchMeta = {
      source: { orgId: this.orgId, name: this.o.api.org.settings.name },
      object,
      batchId: `bulk:${this.o.owner}:${++this.batchSeq}`,
      level: 0,
      last: false,
      ...(ack ? { ack } : {}),
    };
    if (ack) this.pages.set(ack[0]!, page);
    this.progress.sent += records.length;
    this.o.send({ records, meta, ...(ack ? { ack } : {}) });
    if (!ack) this.done(page);
    this.o.onProgress?.({ ...this.progress });
  }

  private settled(handle: string, s: AckSettlement): void {
    const page = this.pages.get(handle);
    if (!page) return;
    this.pages.delete(handle);
    // A failed batch was not written: its page stays open, and the checkpoint before it.
    if (s.outcome === 'failed' || (s.outcome === 'released' && this.stopped)) {
      if (s.outcome === 'failed') this.progress.failedBatches++;
      return;
    }
    this.done(page);
  }

  private done(page: LocatorPage): void {
    const moved = this.tracker.done(page);
    if (!moved) return;
    this.progress.written = moved.records;
    this.save(this.progress.jobId);
    this.o.onProgress?.({ ...this.progress });
  }

  private save(jobId: string): void {
    const point = this.tracker.resumePoint;
    this.o.ledger.saveBulkCheckpoint({
      orgId: this.orgId, object: this.objectName, name: this.o.checkpointName, jobId, locator: point.locator, records: point.records, lastId: null, startedAt: this.startedAt,
    }, this.now());
  }
}
