import { AsyncLocalStorage } from 'node:async_hooks';
import type { Emulator } from '../emulator.js';
import type { Org } from '../org.js';
import type { OrgData } from '../store/org-data.js';
import type { IngestJob } from './ingest.js';
import type { QueryJob } from './query.js';

/**
 * Background work must not run inside the async context of the request that started it: a
 * request served within a composite `joinTransaction` would otherwise make every later bulk
 * batch join (and be rolled back with) that request's transaction. This captures the context
 * of module load, where no transaction is active.
 */
const detached: <R>(fn: () => R) => R = typeof AsyncLocalStorage.snapshot === 'function' ? AsyncLocalStorage.snapshot() : (fn) => fn();

/** The jobs of one org, for one life of its data (a reset replaces `data` and drops them). */
export interface OrgJobs {
  data: OrgData;
  ingest: Map<string, IngestJob>;
  query: Map<string, QueryJob>;
}

export interface BulkSettings {
  /** Records per internal batch: one transaction and one DailyBulkApiBatches unit each. */
  ingestBatchSize: number;
  /** Largest accepted upload in bytes (the documented 150 MB of base64 is about 112 MB raw). */
  maxUploadBytes: number;
}

/** Jobs and their background processing for one emulator. */
export class BulkService {
  readonly settings: BulkSettings = { ingestBatchSize: 10_000, maxUploadBytes: 150 * 1024 * 1024 * 0.75 };
  private readonly byOrg = new WeakMap<Org, OrgJobs>();
  private readonly running = new Set<Promise<void>>();
  private readonly watched = new WeakSet<Org>();
  private readonly unwatch: Array<() => void> = [];
  private stopped = false;
  private paused = false;
  private waiters: Array<() => void> = [];

  /** The org's current jobs. A reset cancels and forgets them: they described data that is gone. */
  jobsOf(org: Org): OrgJobs {
    if (!this.watched.has(org)) {
      this.watched.add(org);
      this.unwatch.push(org.onReset(() => this.drop(org)));
    }
    let jobs = this.byOrg.get(org);
    if (!jobs || jobs.data !== org.data) {
      if (jobs) this.drop(org);
      jobs = { data: org.data, ingest: new Map(), query: new Map() };
      this.byOrg.set(org, jobs);
    }
    return jobs;
  }

  private drop(org: Org): void {
    const jobs = this.byOrg.get(org);
    if (!jobs) return;
    for (const j of jobs.ingest.values()) j.cancel();
    for (const q of jobs.query.values()) q.discard();
    this.byOrg.delete(org);
  }

  /** Runs `task` on a later turn of the event loop, outside any request's context; tracked for `stop`. */
  schedule(task: () => Promise<void>): void {
    if (this.stopped) return;
    const p = new Promise<void>((resolve) => {
      detached(() =>
        setImmediate(() => {
          task()
            .catch(() => undefined)
            .finally(resolve);
        }),
      );
    });
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /**
   * Holds every job at its next step (before it starts, between batches), as a busy org queues
   * work. Tests use it to observe UploadComplete and InProgress jobs deterministically.
   */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    const w = this.waiters;
    this.waiters = [];
    for (const fn of w) fn();
  }

  /** Resolves at once unless paused; then when resumed or stopped. */
  whilePaused(): Promise<void> {
    if (!this.paused || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Ends all background work: running jobs stop at their next batch boundary. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const off of this.unwatch.splice(0)) off();
    this.resume();
    await Promise.allSettled([...this.running]);
  }
}

/** Lets the event loop serve requests between batches, so a big job never stalls the server. */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

const services = new WeakMap<Emulator, BulkService>();

/** The Bulk API 2.0 service of an emulator (created with its routes). */
export function bulkService(emulator: Emulator): BulkService {
  let s = services.get(emulator);
  if (!s) {
    s = new BulkService();
    services.set(emulator, s);
    const service = s;
    emulator.onStop(() => service.stop());
  }
  return s;
}
