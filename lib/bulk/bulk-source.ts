/**
 * A bulk read of one object, as a source of batches: a Bulk API 2.0 query job read page by page,
 * its rows built into sync records (`origin.via` 'bulk'), sent in batches within an
 * acknowledgement window, so memory stays bounded however large the object. Where the read stands
 * is kept in the ledger (job, locator of the first page not fully written): a read stopped by a
 * crash or a redeploy goes on with the same job's results, re-reading at most the pages not fully
 * written (the ledger's field hashes make their written records no-ops); once every page is
 * written the checkpoint is cleared. A failed batch holds the checkpoint before its page.
 */
import { createHash } from 'node:crypto';
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
  /** Set on every batch (`msg.s2s.runId`). */
  runId?: string;
  /** Tells apart reads of one org and object that feed different flows. */
  checkpointName: string;
  batchSize: number;
  inFlight: number;
  ackTimeoutMs: number;
  /** Wait for acknowledgements (a writer is downstream); otherwise a batch is done once sent. */
  acked: boolean;
  /** Query job options: results page size, polling. */
  bulk?: BulkQueryOptions;
  /** A Bulk API query job (the default) or REST query pages (for small reads). */
  path?: 'bulk' | 'rest';
  /** Deleted and archived records too. */
  queryAll?: boolean;
  /** Only these fields / every field but these (tracked lookups are always read). */
  include?: string[];
  exclude?: string[];
  /**
   * A finished read keeps its checkpoint (with no locator) instead of clearing it: a run over
   * several objects clears them together once the last is done, and skips the finished ones on resume.
   */
  keepFinished?: boolean;
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

/** A slice of one results page, as sync records. */
interface ReadSlice {
  records: SyncRecord[];
  locator: string;
  next: string | null;
  endOfPage: boolean;
}

/** The job a checkpoint names for a read through REST query pages. */
export const REST_READ = 'rest';

/** What a checkpoint keeps of its query: a read whose query changed since starts anew. */
function queryFingerprint(soql: string, queryAll = false): string {
  return createHash('sha1').update(`${queryAll ? 'queryAll' : 'query'}\n${soql}`).digest('hex').slice(0, 16);
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
  private queryHash = '';
  private batchSeq = 0;
  private stopped = false;

  constructor(private readonly o: BulkSourceOptions) {
    this.now = o.now ?? Date.now;
    this.window = new AckWindow(o.acks, o.owner, { size: o.inFlight, timeoutMs: o.ackTimeoutMs, onSettled: (h, s) => this.settled(h, s) });
  }

  /** Reads the object (or goes on with the read a checkpoint holds) until every batch is settled. */
  async run(): Promise<BulkRunResult> {
    const { api, ledger, object, checkpointName } = this.o;
    const reader = await bulkObjectReader(api, object, { where: this.o.where, include: this.o.include, exclude: this.o.exclude });
    this.orgId = api.orgId;
    this.objectName = reader.object;
    const bq = new BulkQuery(api.org, { ...this.o.bulk, signal: this.abort.signal });
    const what = `reading ${reader.object}${this.o.path === 'rest' ? '' : ' in bulk'}`;
    const saved = ledger.bulkCheckpoint(this.orgId, reader.object, checkpointName);
    this.queryHash = queryFingerprint(reader.soql, this.o.queryAll);
    let jobId: string | undefined;
    if (this.o.keepFinished && saved && saved.locator === null && saved.queryHash === this.queryHash) {
      // Finished earlier in the same run (of several objects): nothing to read again.
      this.progress = { ...this.progress, jobId: saved.jobId, written: saved.records, total: saved.records, resumedAt: saved.records };
      return { ...this.progress, finished: true };
    }
    // A checkpoint of another query (the filter or the fields changed since) is not gone on with.
    if (saved && saved.locator !== null && saved.queryHash === this.queryHash) {
      if (saved.jobId === REST_READ) {
        // A REST read goes on after the last Id of the written pages, with a query of its own.
        jobId = REST_READ;
      } else {
        // The same job's results, while the org keeps them; otherwise a new read from the start.
        const job = await bq.info(saved.jobId, what).catch(() => undefined);
        if (job?.state === 'JobComplete') {
          jobId = job.id;
          this.progress.total = job.numberRecordsProcessed ?? 0;
        }
      }
      if (jobId) {
        this.tracker = new LocatorTracker({ locator: saved.locator, records: saved.records });
        this.startedAt = saved.startedAt;
      }
    }
    if (!jobId) {
      this.startedAt = this.now();
      this.tracker = new LocatorTracker();
      if (this.o.path === 'rest') {
        jobId = REST_READ;
        this.save(jobId);
      } else {
        const job = await bq.create(reader.soql, what, { queryAll: this.o.queryAll });
        jobId = job.id;
        this.save(jobId);
        this.progress.total = (await bq.waitForResults(jobId, what)).numberRecordsProcessed ?? 0;
      }
    }
    this.progress.jobId = jobId;
    this.progress.resumedAt = this.tracker.resumePoint.records;
    this.progress.written = this.progress.resumedAt;
    const from = this.tracker.resumePoint.locator;
    if (from !== null) {
      const slices = jobId === REST_READ ? this.restSlices(reader, what, from) : this.bulkSlices(bq, reader, jobId, what, from);
      try {
        await this.readFrom(reader.object, slices);
      } catch (err) {
        // Stopping aborts the page being read: the checkpoint already says where to go on.
        if (!this.stopped) throw err;
      }
    }
    if (!this.stopped) await this.window.drain(this.abort.signal).catch(() => undefined);
    const finished = !this.stopped && this.tracker.resumePoint.locator === null && this.progress.failedBatches === 0;
    if (finished && !this.o.keepFinished) ledger.clearBulkCheckpoint(this.orgId, reader.object, checkpointName);
    return { ...this.progress, finished };
  }

  private async *bulkSlices(bq: BulkQuery, reader: BulkObjectReader, jobId: string, what: string, from: string): AsyncGenerator<ReadSlice> {
    for await (const slice of bq.results(jobId, what, from)) {
      yield { records: reader.toRecords(slice.rows), locator: slice.locator, next: slice.next, endOfPage: slice.endOfPage };
    }
  }

  /**
   * REST query pages in Id order, cut into batches whose locator is the last Id before them: a
   * resumed read asks for the Ids after the written batches, so it needs no server-side cursor
   * (those expire).
   */
  private async *restSlices(reader: BulkObjectReader, what: string, from: string): AsyncGenerator<ReadSlice> {
    let after = from;
    let first = true;
    for await (const page of this.o.api.pages(reader.restSoql(after || undefined), what, { queryAll: this.o.queryAll })) {
      if (first) {
        this.progress.total = this.tracker.resumePoint.records + page.totalSize;
        first = false;
      }
      const rows = page.records as Array<Record<string, unknown>>;
      if (!rows.length) yield { records: [], locator: after, next: page.done ? null : after, endOfPage: true };
      // Each batch is a resume point of its own (the Id after which to go on), so a stop or a
      // crash re-reads at most the batches in flight, not the rest of a 2,000-record page.
      for (let i = 0; i < rows.length; i += this.o.batchSize) {
        const chunk = rows.slice(i, i + this.o.batchSize);
        const lastId = String(chunk[chunk.length - 1]!.Id);
        const end = page.done && i + this.o.batchSize >= rows.length;
        yield { records: reader.fromRest(chunk), locator: after, next: end ? null : lastId, endOfPage: true };
        after = lastId;
        if (this.stopped) return;
      }
      if (this.stopped) return;
    }
  }

  private async readFrom(object: string, slices: AsyncIterable<ReadSlice>): Promise<void> {
    for await (const slice of slices) {
      if (this.stopped) break;
      const { records } = slice;
      if (!records.length) {
        // An empty page still moves the read on.
        if (slice.endOfPage) this.done(this.tracker.handedOut(slice.locator, slice.next, 0, true));
        continue;
      }
      for (let i = 0; i < records.length && !this.stopped; i += this.o.batchSize) {
        const chunk = records.slice(i, i + this.o.batchSize);
        const last = i + this.o.batchSize >= records.length;
        await this.sendBatch(object, chunk, slice.locator, slice.next, slice.endOfPage && last);
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
      batchId: `bulk:${this.o.runId ?? this.o.owner}:${object}:${++this.batchSeq}`,
      ...(this.o.runId ? { runId: this.o.runId } : {}),
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
      orgId: this.orgId, object: this.objectName, name: this.o.checkpointName, jobId, locator: point.locator, records: point.records, lastId: null, startedAt: this.startedAt, queryHash: this.queryHash,
    }, this.now());
  }
}
