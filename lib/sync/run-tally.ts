/**
 * Tells when a sync run is complete and what it did: the run summary of its source (how many
 * batches to wait for, what was collected), the mappers' rejections, sf-upsert-out's results per
 * batch, and the batches that failed as a whole (from a Catch node). Once every batch of the run is
 * written or failed, the tally answers one report: counts per object, API calls on each side,
 * samples of the dead-lettered and rejected records, the errors, and an HTTP status for a flow that
 * answers a request with it. sf-sync-status runs it behind its third output.
 */
import { writeMetricsOf } from './envelope.js';
import type { RecordResult } from './types.js';

/** The counts of one object in a run report. */
export interface ObjectTally {
  collected: number;
  written: number;
  created: number;
  updated: number;
  unchanged: number;
  deadLettered: number;
  rejected: number;
  failed: number;
  /** Collected records that met no other outcome: a mapping's record filter dropped them. */
  filtered?: number;
}

export type RunStatus = 'done' | 'done with errors' | 'failed' | 'not found' | 'still running' | 'preview' | 'invalid request';

export interface RunReport {
  status: RunStatus;
  reason?: string;
  runId?: string;
  /** Batches the source sent (null while unknown). */
  batches?: number | null;
  objects?: Record<string, ObjectTally>;
  totals?: Required<ObjectTally>;
  apiCalls?: { source: number; target: number };
  /** Root Ids asked for that the source org does not have. */
  notFound?: string[];
  deadLetters?: Array<{ object: string; sourceId: string; code?: string; message?: string; category?: string }>;
  rejected?: Array<{ object: string; sourceId: string; problems: unknown }>;
  errors?: Array<{ node: string; message: string; records?: number }>;
  durationMs?: number;
  /** A preview's counts and samples, as the source sent them. */
  preview?: unknown;
  /** What is wrong with a request the source refused. */
  problems?: string[];
}

/** A finished run: its report, the HTTP status that fits it, and the first message of the run. */
export interface FinishedRun<M> {
  statusCode: number;
  report: RunReport;
  /** The first message seen of the run: it carries what answers the caller (an HTTP response). */
  first: M;
}

/** What the tally reads of a message: the envelope, and Catch's `error` for failed batches. */
export interface TallyMessage {
  payload?: unknown;
  s2s?: unknown;
  error?: { message?: string; code?: string; source?: { type?: string; name?: string } };
}

export interface RunTallyOptions {
  /** A run not complete after this long is reported as still running (504); it goes on. */
  timeoutMs?: number;
  /** Late messages of a reported run are dropped for this long, then forgotten. */
  keepMs?: number;
  /** Dead-lettered and rejected records listed by name per report. */
  samples?: number;
  now?: () => number;
}

/** The sync nodes whose errors are about a run; other nodes' errors are not the tally's business. */
const SYNC_NODES = new Set(['sf-collect', 'sf-cdc-in', 'sf-bulk-query', 'sf-map-fields', 'sf-conflict-resolve', 'sf-upsert-out']);
/** The nodes that start runs: their errors end the run. */
const SOURCE_NODES = new Set(['sf-collect', 'sf-cdc-in', 'sf-bulk-query']);
/** A source refusing the request itself: the caller's mistake (400), not the run's. */
const INVALID_REQUEST_CODES = new Set(['INVALID_INPUT', 'INVALID_COLLECTION', 'INVALID_SOQL_INPUT']);

interface Run<M> {
  first: M;
  startedAt: number;
  runId?: string;
  expected: number | null;
  finished: number;
  objects: Record<string, ObjectTally>;
  apiCalls: { source: number; target: number };
  notFound: string[];
  deadLetters: NonNullable<RunReport['deadLetters']>;
  rejected: NonNullable<RunReport['rejected']>;
  errors: NonNullable<RunReport['errors']>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function runIdOf(msg: TallyMessage): string | undefined {
  const id = isObject(msg.s2s) ? msg.s2s.runId : undefined;
  return typeof id === 'string' && id ? id : undefined;
}

/** sf-collect's run summary (output 2): `{runId, batches, objects, apiCalls, missingRootIds…}`. */
function summaryOf(p: unknown): { runId: string; batches: number; objects: Record<string, number>; apiCalls: number; missingRootIds: string[] } | undefined {
  if (!isObject(p) || typeof p.runId !== 'string' || typeof p.batches !== 'number' || !isObject(p.objects)) return undefined;
  return {
    runId: p.runId, batches: p.batches, objects: p.objects as Record<string, number>, apiCalls: typeof p.apiCalls === 'number' ? p.apiCalls : 0,
    missingRootIds: Array.isArray(p.missingRootIds) ? (p.missingRootIds as string[]) : [],
  };
}

function isPreview(p: unknown): boolean {
  return isObject(p) && Array.isArray(p.objects) && typeof p.totalRecords === 'number';
}

function isRejections(p: unknown): p is Array<{ record?: { object?: string; sourceId?: string }; problems?: unknown }> {
  return Array.isArray(p) && p.length > 0 && p.every((x) => isObject(x) && isObject(x.record) && 'problems' in x);
}

/** Texts meant for msg.payload read better without it over HTTP, where they describe the body. */
function plain(text: unknown): string {
  return String(text ?? '').replace(/msg\.payload\./g, '').replace(/^Error: /, '');
}

export class RunTally<M extends TallyMessage> {
  private readonly runs = new Map<string, Run<M>>();
  /** Runs already reported, and when: their late messages are dropped. */
  private readonly reported = new Map<string, number>();
  private readonly timeoutMs: number;
  private readonly keepMs: number;
  private readonly samples: number;
  private readonly now: () => number;

  constructor(options: RunTallyOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 600_000;
    this.keepMs = options.keepMs ?? 600_000;
    this.samples = options.samples ?? 20;
    this.now = options.now ?? Date.now;
  }

  /** Runs open now. */
  get open(): number {
    return this.runs.size;
  }

  /** Whether a message is part of a run (a summary, a preview, rejections, results or a sync node's error). */
  static concerns(msg: TallyMessage): boolean {
    if (msg.error) return SYNC_NODES.has(msg.error.source?.type ?? '');
    return !!summaryOf(msg.payload) || isPreview(msg.payload) || !!writeMetricsOf(msg) || (!!runIdOf(msg) && isRejections(msg.payload));
  }

  /**
   * Takes one message of a run. Returns the run's report once this message completes it (or
   * ends it: a preview, a refused request, a failed collection), else undefined.
   */
  observe(msg: M): FinishedRun<M> | undefined {
    const p = msg.payload;
    const runId = runIdOf(msg);
    if (msg.error) {
      const source = msg.error.source ?? {};
      const node = source.name || source.type || 'unknown';
      if (SOURCE_NODES.has(source.type ?? '')) {
        // The source itself failed (before or while sending), so nothing more will come. A bad
        // request is the caller's (400), and answered once, with nothing of a run to report.
        if (!runId && INVALID_REQUEST_CODES.has(msg.error.code ?? '')) return { statusCode: 400, report: { status: 'invalid request', problems: [plain(msg.error.message)] }, first: msg };
        // Half-way through, batches may have been written already: they are part of this report.
        const run = runId ? this.run(runId, msg) : this.fresh(msg);
        if (!run) return undefined;
        run.errors.push({ node, message: plain(msg.error.message) });
        const busy = /busy/i.test(msg.error.message ?? '');
        return this.finish(runId, run, busy ? 503 : 502, 'failed', 'the collection failed');
      }
      // An error of another sync node is about a run only when it names one.
      if (!runId) return undefined;
      const run = this.run(runId, msg);
      if (!run) return undefined;
      // A whole batch failed in a mapper or in sf-upsert-out: none of its records was written.
      run.finished++;
      const records = Array.isArray(p) ? (p as Array<{ object?: string }>) : [];
      for (const r of records) this.object(run, r.object).failed++;
      run.errors.push({ node, message: plain(msg.error.message), records: records.length });
      return this.complete(runId, run);
    }
    if (isPreview(p)) return { statusCode: 200, report: { status: 'preview', preview: p }, first: msg };
    const summary = summaryOf(p);
    if (summary) {
      const run = this.run(summary.runId, msg);
      if (!run) return undefined;
      run.runId = summary.runId;
      run.expected = summary.batches;
      run.apiCalls.source = summary.apiCalls;
      for (const [name, n] of Object.entries(summary.objects)) this.object(run, name).collected = n;
      run.notFound = summary.missingRootIds;
      return this.complete(summary.runId, run);
    }
    if (!runId) return undefined;
    const write = writeMetricsOf(msg);
    if (write) {
      const run = this.run(runId, msg);
      if (!run) return undefined;
      run.finished++;
      run.apiCalls.target += write.apiCalls;
      for (const r of (Array.isArray(p) ? p : []) as RecordResult[]) this.count(run, r);
      return this.complete(runId, run);
    }
    if (isRejections(p)) {
      const run = this.run(runId, msg);
      if (!run) return undefined;
      for (const x of p) {
        const object = x.record?.object ?? '';
        this.object(run, object).rejected++;
        if (run.rejected.length < this.samples) run.rejected.push({ object, sourceId: x.record?.sourceId ?? '', problems: x.problems });
      }
    }
    return undefined;
  }

  /** Reports runs that have gone on longer than the timeout (as still running) and forgets old marks. */
  sweep(): Array<FinishedRun<M>> {
    const now = this.now();
    for (const [id, at] of this.reported) if (now - at > this.keepMs) this.reported.delete(id);
    const out: Array<FinishedRun<M>> = [];
    for (const [id, run] of this.runs) {
      if (now - run.startedAt <= this.timeoutMs) continue;
      out.push(this.finish(id, run, 504, 'still running', `the run has not finished within ${Math.round(this.timeoutMs / 1000)} s; it goes on: see the sync status for its progress`));
    }
    return out;
  }

  private fresh(first: M): Run<M> {
    return {
      first, startedAt: this.now(), expected: null, finished: 0, objects: {}, apiCalls: { source: 0, target: 0 }, notFound: [], deadLetters: [], rejected: [], errors: [],
    };
  }

  /** The open run `id`, opened by this message if new; undefined when it was reported already. */
  private run(id: string, msg: M): Run<M> | undefined {
    if (this.reported.has(id)) return undefined;
    let run = this.runs.get(id);
    if (!run) this.runs.set(id, (run = { ...this.fresh(msg), runId: id }));
    return run;
  }

  private object(run: Run<M>, name: string | undefined): ObjectTally {
    const key = name ?? '';
    return (run.objects[key] ??= { collected: 0, written: 0, created: 0, updated: 0, unchanged: 0, deadLettered: 0, rejected: 0, failed: 0 });
  }

  private count(run: Run<M>, r: RecordResult): void {
    const o = this.object(run, r.object);
    if (r.outcome === 'unchanged') {
      o.unchanged++;
    } else if (r.outcome === 'failed' || r.outcome === 'dead-lettered') {
      o.deadLettered++;
      if (run.deadLetters.length < this.samples) {
        const e = r.error;
        run.deadLetters.push({ object: r.object, sourceId: r.sourceId, ...(e ? { code: e.code, message: e.message, category: e.category } : {}) });
      }
    } else {
      o.written++;
      if (r.outcome === 'created') o.created++;
      if (r.outcome === 'updated') o.updated++;
    }
  }

  private complete(id: string, run: Run<M>): FinishedRun<M> | undefined {
    if (run.expected === null || run.finished < run.expected) return undefined;
    if (run.errors.length) return this.finish(id, run, 502, 'done with errors', 'some batches failed as a whole: their records were not written');
    if (run.notFound.length && !run.expected) return this.finish(id, run, 404, 'not found', 'no record with these Ids in the source org');
    return this.finish(id, run, 200, 'done');
  }

  private finish(id: string | undefined, run: Run<M>, statusCode: number, status: RunStatus, reason?: string): FinishedRun<M> {
    if (id !== undefined) {
      this.runs.delete(id);
      this.reported.set(id, this.now());
    }
    const complete = run.expected !== null && run.finished >= run.expected;
    const totals: Required<ObjectTally> = { collected: 0, written: 0, created: 0, updated: 0, unchanged: 0, deadLettered: 0, rejected: 0, failed: 0, filtered: 0 };
    for (const o of Object.values(run.objects)) {
      if (complete) o.filtered = Math.max(0, o.collected - o.written - o.unchanged - o.deadLettered - o.rejected - o.failed);
      for (const k of Object.keys(totals) as Array<keyof ObjectTally>) totals[k] += o[k] ?? 0;
    }
    return {
      statusCode,
      first: run.first,
      report: {
        status, ...(reason ? { reason } : {}), runId: run.runId, batches: run.expected, objects: run.objects, totals, apiCalls: run.apiCalls, notFound: run.notFound,
        deadLetters: run.deadLetters, rejected: run.rejected, errors: run.errors, durationMs: this.now() - run.startedAt,
      },
    };
  }
}
