/**
 * A bulk read of several objects, one after another in the order given (parents first: accounts,
 * then contacts, then opportunities), each through a Bulk API job or REST query pages as its
 * record count decides (see read-path.ts). Each object's read waits until every batch of the one
 * before is written, so a child's parent is in the target before the child is. Where the run
 * stands is the objects' checkpoints in the ledger: an object read to the end keeps its checkpoint
 * until the whole run is done, so a run resumed after a crash skips it, goes on with the object it
 * was reading, and starts the ones after it; the last object done clears them all.
 */
import type { Ledger } from '../ledger/ledger.js';
import type { AckRegistry } from '../runtime/acks.js';
import type { BulkQueryOptions } from '../salesforce/bulk-query.js';
import type { OrgApi } from '../salesforce/org-api.js';
import type { BatchMeta, SyncRecord } from '../sync/types.js';
import { BulkSource, type BulkProgress } from './bulk-source.js';
import { chooseReadPath, DEFAULT_BULK_THRESHOLD } from './read-path.js';

export interface BulkRunOptions {
  api: OrgApi;
  ledger: Ledger;
  acks: AckRegistry;
  owner: string;
  /** API names, read in this order. */
  objects: string[];
  /**
   * A SOQL condition built from escaped values, applied to every object; or a function giving
   * each object's, from the describe type of its fields (see read-filter.ts).
   */
  where?: string | ((object: string, fieldType: (field: string) => string | undefined) => string | undefined);
  /** Set on every batch (`msg.s2s.runId`). */
  runId?: string;
  /** Forget where an earlier run stood: every object is read anew. */
  restart?: boolean;
  checkpointName: string;
  /** Records from which an object is read through a Bulk API job; 0: always. */
  threshold?: number;
  /** Force one path for every object (otherwise the threshold decides). */
  path?: 'bulk' | 'rest';
  queryAll?: boolean;
  /** `Field` for every object that has it, `Object.Field` for one. */
  include?: string[];
  exclude?: string[];
  batchSize: number;
  inFlight: number;
  ackTimeoutMs: number;
  acked: boolean;
  bulk?: BulkQueryOptions;
  send(batch: { records: SyncRecord[]; meta: BatchMeta; ack?: string[] }): void;
  onProgress?(progress: BulkRunProgress): void;
  /** Once an object's read path is chosen, before its first batch. */
  onObject?(object: BulkObjectStart): void;
  now?: () => number;
}

export interface BulkObjectStart {
  object: string;
  index: number;
  path: 'bulk' | 'rest';
  /** Records its read returns, as counted before it. */
  count: number;
  threshold: number;
}

export interface BulkRunProgress {
  /** The object being read. */
  object: string;
  objects: number;
  index: number;
  /** Records sent by this process's run. */
  sent: number;
  /** Records in fully written pages, earlier runs included. */
  written: number;
  /** Records of every object, as counted. */
  total: number;
  /** Records already written when this process took the run up. */
  resumedAt: number;
  failedBatches: number;
}

export interface BulkObjectSummary {
  object: string;
  path: 'bulk' | 'rest';
  count: number;
  jobId: string;
  sent: number;
  written: number;
  resumedAt: number;
  failedBatches: number;
  finished: boolean;
}

export interface BulkRunSummary {
  objects: BulkObjectSummary[];
  sent: number;
  written: number;
  total: number;
  resumedAt: number;
  failedBatches: number;
  /** Every object read to the end and written: the checkpoints are cleared. */
  finished: boolean;
  /** Stopped before the end (close, redeploy): the checkpoints say where to go on. */
  stopped: boolean;
  apiCalls: number;
  durationMs: number;
}

/** Which of the listed field names are one object's: qualified ones for it, plain ones it has. */
export function fieldsFor(object: string, names: readonly string[] | undefined, has: (field: string) => boolean): string[] | undefined {
  if (!names?.length) return undefined;
  const own: string[] = [];
  for (const n of names) {
    const dot = n.indexOf('.');
    if (dot > 0) {
      if (n.slice(0, dot).toLowerCase() === object.toLowerCase()) own.push(n.slice(dot + 1));
    } else if (has(n)) own.push(n);
  }
  return own.length ? own : undefined;
}

export class BulkRun {
  private current?: BulkSource;
  private stopped = false;
  private bulkCalls = 0;

  constructor(private readonly o: BulkRunOptions) {}

  /** Whether a run of these objects is under way in the ledger (begun and not finished). */
  static pending(ledger: Ledger, orgId: string, objects: readonly string[], checkpointName: string): boolean {
    return objects.some((object) => ledger.bulkCheckpoint(orgId, object, checkpointName) !== undefined);
  }

  /** Forgets where an earlier run stood: the next run starts every object anew. */
  static discard(ledger: Ledger, orgId: string, objects: readonly string[], checkpointName: string): void {
    for (const object of objects) ledger.clearBulkCheckpoint(orgId, object, checkpointName);
  }

  async run(): Promise<BulkRunSummary> {
    const o = this.o;
    const now = o.now ?? Date.now;
    const started = now();
    const callsBefore = o.api.calls;
    const done: BulkObjectSummary[] = [];
    const counted: Array<{ object: string; count: number; path: 'bulk' | 'rest'; where: string | undefined }> = [];
    const threshold = o.threshold ?? DEFAULT_BULK_THRESHOLD;
    // One COUNT() per object up front: the run's total for progress, and each object's read path.
    for (const object of o.objects) {
      const describe = await o.api.describe(object);
      const types = new Map(describe.fields.map((f) => [f.name.toLowerCase(), String(f.type)]));
      const where = typeof o.where === 'function' ? o.where(describe.name, (f) => types.get(f.toLowerCase())) : o.where;
      const choice = await chooseReadPath(o.api, describe.name, { where, threshold });
      counted.push({ object: describe.name, count: choice.count, path: o.path ?? choice.path, where });
    }
    if (o.restart) BulkRun.discard(o.ledger, o.api.orgId, counted.map((c) => c.object), o.checkpointName);
    const total = counted.reduce((n, c) => n + c.count, 0);
    let resumedAt: number | undefined;
    for (const [index, c] of counted.entries()) {
      if (this.stopped) break;
      const describe = await o.api.describe(c.object);
      const has = (f: string) => describe.fields.some((x) => x.name.toLowerCase() === f.toLowerCase());
      const before = done.reduce((n, d) => n + d.written, 0);
      const sentBefore = done.reduce((n, d) => n + d.sent, 0);
      const failedBefore = done.reduce((n, d) => n + d.failedBatches, 0);
      o.onObject?.({ object: c.object, index, path: c.path, count: c.count, threshold });
      const progress = (p: BulkProgress): BulkRunProgress => ({
        object: c.object, objects: counted.length, index, sent: sentBefore + p.sent, written: before + p.written, total,
        resumedAt: resumedAt ?? before + p.resumedAt, failedBatches: failedBefore + p.failedBatches,
      });
      const source = new BulkSource({
        api: o.api, ledger: o.ledger, acks: o.acks, owner: o.owner, object: c.object, where: c.where, runId: o.runId, checkpointName: o.checkpointName,
        batchSize: o.batchSize, inFlight: o.inFlight, ackTimeoutMs: o.ackTimeoutMs, acked: o.acked, path: c.path, queryAll: o.queryAll,
        include: fieldsFor(c.object, o.include, has), exclude: fieldsFor(c.object, o.exclude, has), keepFinished: true,
        bulk: { ...o.bulk, onCall: () => { this.bulkCalls++; o.bulk?.onCall?.(); } },
        send: o.send, onProgress: (p) => o.onProgress?.(progress(p)), now: o.now,
      });
      this.current = source;
      const result = await source.run();
      this.current = undefined;
      // Where this process took the run up: what the objects skipped and the first one read had written.
      if (resumedAt === undefined && (result.sent > 0 || index === counted.length - 1 || !result.finished)) resumedAt = before + result.resumedAt;
      done.push({ object: c.object, path: c.path, count: c.count, jobId: result.jobId, sent: result.sent, written: result.written, resumedAt: result.resumedAt, failedBatches: result.failedBatches, finished: result.finished });
      o.onProgress?.(progress(result));
    }
    const finished = !this.stopped && done.length === counted.length && done.every((d) => d.finished);
    if (finished) BulkRun.discard(o.ledger, o.api.orgId, counted.map((c) => c.object), o.checkpointName);
    return {
      objects: done,
      sent: done.reduce((n, d) => n + d.sent, 0),
      written: done.reduce((n, d) => n + d.written, 0),
      total,
      resumedAt: resumedAt ?? 0,
      failedBatches: done.reduce((n, d) => n + d.failedBatches, 0),
      finished,
      stopped: this.stopped,
      apiCalls: o.api.calls - callsBefore + this.bulkCalls,
      durationMs: now() - started,
    };
  }

  /** Stops the object being read (its checkpoint stays) and does not start the next. */
  stop(): void {
    this.stopped = true;
    this.current?.stop();
  }
}
