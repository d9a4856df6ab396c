import type { RecordResult, SyncRecord } from '../sync/types.js';
import { realSleep } from './backoff.js';
import { InFlightLimit } from '../salesforce/in-flight.js';
import { MAX_COLLECTION_RECORDS, OrgApi } from '../salesforce/org-api.js';
import { runDeletes } from './delete-pass.js';
import { LedgerBatch } from './ledger-batch.js';
import { completeCycleReferences, completeWaitingReferences } from './reference-pass.js';
import { addMetrics, DEFAULT_RETRY, emptyMetrics, type RecordWriterOptions, type RetryPolicy, type WriteMetrics, type WriteReport } from './types.js';
import { runUndeletes } from './undelete-pass.js';
import { UpsertPass } from './upsert-pass.js';
import { WriteRun, type WriteContext } from './write-run.js';

export const DEFAULT_MAX_IN_FLIGHT = 2;
export const DEFAULT_CALL_TIMEOUT_MS = 120_000;
/**
 * From 2,000 records a Bulk API job is cheaper than collections calls: about 7 calls (create,
 * upload, close, a poll or two, three result files) against 10, and its start-up wait (seconds on
 * a busy org) is paid once for up to bulkJobSize records. Below it, collections calls answer sooner.
 */
export const DEFAULT_BULK_THRESHOLD = 2000;
/** 10,000 records per job: about 0.7 calls per 1,000 records, and a few MB of CSV in memory. */
export const DEFAULT_BULK_JOB_SIZE = 10_000;

/**
 * Writes mapped SyncRecords to one target org with sObject Collections and keeps the ledger in
 * step.
 *
 * Per write(): records are planned into levels (parents before children, self-references level by
 * level, cycles in two passes); records whose mapped fields and lookups hash as last synced are
 * skipped without a call; the rest go 200 per call, at most `maxInFlight` calls at once, upserted
 * by external Id or updated/created by the ledger's Id map. Transient failures are retried (only
 * the failed records) with exponential backoff and full jitter; permanent ones are dead-lettered
 * with the org's reason. Every input record gets exactly one RecordResult.
 *
 * Crash safety: each call's outcome (Id map, hashes, dead letters, history) is committed in one
 * SQLite transaction after the org answered. If the process dies between the org's write and that
 * commit, nothing acknowledged is lost and nothing is duplicated on the next run: a record matched
 * by external Id is upserted again and the org finds it by that key; one matched by the ledger
 * either has its Id mapped already (an update, which repeats harmlessly) or was a create, filed as
 * pending before the call, which the next run looks for in the target before creating it again.
 */
export class RecordWriter {
  private readonly limit: InFlightLimit;
  private readonly policy: RetryPolicy;
  private readonly batchSize: number;
  private readonly bulkThreshold: number;
  private readonly bulkJobSize: number;
  private readonly totalMetrics = emptyMetrics();

  constructor(private readonly options: RecordWriterOptions) {
    const batchSize = options.batchSize ?? MAX_COLLECTION_RECORDS;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_COLLECTION_RECORDS) {
      throw new RangeError(`batchSize must be a whole number from 1 to ${MAX_COLLECTION_RECORDS}`);
    }
    if (!options.sourceOrgId || !options.targetOrgId) throw new TypeError('a RecordWriter needs the source and target org Ids');
    this.batchSize = batchSize;
    const threshold = options.bulkThreshold ?? DEFAULT_BULK_THRESHOLD;
    if (!(threshold === Infinity || (Number.isInteger(threshold) && threshold >= 0))) throw new RangeError('bulkThreshold must be a whole number (0 for never)');
    this.bulkThreshold = threshold === 0 ? Infinity : threshold;
    const jobSize = options.bulkJobSize ?? DEFAULT_BULK_JOB_SIZE;
    if (!Number.isInteger(jobSize) || jobSize <= MAX_COLLECTION_RECORDS || jobSize > 150_000) {
      throw new RangeError(`bulkJobSize must be a whole number from ${MAX_COLLECTION_RECORDS + 1} to 150,000`);
    }
    this.bulkJobSize = jobSize;
    this.limit = new InFlightLimit(options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT);
    this.policy = { ...DEFAULT_RETRY, ...options.retry };
    if (!(this.policy.maxAttempts >= 1)) throw new RangeError('retry.maxAttempts must be at least 1');
  }

  /** Writes the records; one result per record, in input order. */
  async write(records: readonly SyncRecord[]): Promise<RecordResult[]> {
    return (await this.writeWithReport(records)).results;
  }

  /** write() with the figures of this call: API calls, outcomes, retries, second-pass lookups. */
  async writeWithReport(records: readonly SyncRecord[]): Promise<WriteReport> {
    const startedAt = performance.now();
    const o = this.options;
    // The API counts its calls into the run it serves; the run needs the API first, hence the holder.
    const holder: { run?: WriteRun } = {};
    const sleep = o.sleep ?? realSleep;
    const ctx: WriteContext = {
      ledger: o.ledger,
      target: o.target,
      api: new OrgApi(o.target, {
        writeLimit: this.limit, onCall: () => holder.run!.metrics.apiCalls++, sleep,
        writeTimeoutMs: o.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS, readTimeoutMs: o.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS,
      }),
      sourceOrg: o.sourceOrgId,
      targetOrg: o.targetOrgId,
      policy: this.policy,
      batchSize: this.batchSize,
      bulkThreshold: this.bulkThreshold,
      bulkJobSize: this.bulkJobSize,
      bulkHardDelete: o.bulkHardDelete === true,
      sleep,
      ...(o.retryBoard ? { retryBoard: o.retryBoard } : {}),
      random: o.random ?? Math.random,
      now: o.now ?? Date.now,
    };
    // A copy: an undelete becomes an upsert once restored, and the caller's records stay as given.
    const run = (holder.run = new WriteRun(ctx, [...records]));
    const valid = refuseInvalid(run);
    const indexOf = new Map<string, number>();
    for (const round of roundsOf(run.records, valid)) {
      for (const i of round) indexOf.set(run.records[i]!.sourceId, i);
      await runRound(run, round, indexOf);
    }
    const report = run.report(startedAt);
    addMetrics(this.totalMetrics, report.metrics);
    return report;
  }

  /** Figures summed over every write() so far. */
  get totals(): WriteMetrics {
    return { ...this.totalMetrics };
  }

  /** The most calls that were ever in flight at once. */
  get peakInFlight(): number {
    return this.limit.peak;
  }
}

async function runRound(run: WriteRun, round: readonly number[], indexOf: ReadonlyMap<string, number>): Promise<void> {
  const undeletes = await runUndeletes(run, run.records as SyncRecord[], round.filter((i) => run.records[i]!.operation === 'undelete'));
  const upserts = round.filter((i) => run.records[i]!.operation === 'upsert');
  const deletes = round.filter((i) => run.records[i]!.operation === 'delete');
  const ids: string[] = [];
  for (const i of upserts) {
    const r = run.records[i]!;
    ids.push(r.sourceId, ...r.target!.references.map((ref) => ref.sourceId));
  }
  run.loadKnown(ids);
  const readyBefore = new Set(run.ready);
  const pass = new UpsertPass(run, upserts);
  await pass.execute();
  await completeCycleReferences(run, pass.items);
  await completeWaitingReferences(run, [...run.ready].filter((id) => !readyBefore.has(id)), indexOf);
  await runDeletes(run, deletes);
  for (const [i, u] of undeletes) {
    const r = run.results[i];
    if (!r || r.outcome === 'failed' || r.outcome === 'dead-lettered') continue;
    run.results[i] = u.restored ? { ...r, outcome: 'undeleted' } : { ...r, note: u.note };
  }
}

/**
 * A record that appears several times in one write is written once per appearance, in order:
 * the k-th appearance goes in round k, so the last one is what the target ends up with.
 */
function roundsOf(records: readonly SyncRecord[], indices: readonly number[]): number[][] {
  const seen = new Map<string, number>();
  const rounds: number[][] = [];
  for (const i of indices) {
    const n = seen.get(records[i]!.sourceId) ?? 0;
    seen.set(records[i]!.sourceId, n + 1);
    (rounds[n] ??= []).push(i);
  }
  return rounds;
}

/** Records the writer cannot send as given fail at once (no call, no dead letter: the input itself is wrong). */
function refuseInvalid(run: WriteRun): number[] {
  const valid: number[] = [];
  const batch = new LedgerBatch();
  run.records.forEach((r, i) => {
    const problem = problemOf(r, run.ctx.sourceOrg);
    if (!problem) {
      valid.push(i);
      return;
    }
    const targetObject = r?.target?.object ?? r?.object ?? '';
    run.results[i] = {
      object: r?.object ?? '', sourceId: r?.sourceId ?? '', targetObject, outcome: 'failed', attempts: 0,
      error: { code: problem.code, message: problem.message, category: 'permanent' },
    };
    run.metrics.failed++;
    if (targetObject) batch.countRecord(targetObject, 'failed');
  });
  run.commit(batch);
  return valid;
}

function problemOf(r: SyncRecord | undefined, sourceOrg: string): { code: string; message: string } | undefined {
  if (!r || typeof r !== 'object' || typeof r.sourceId !== 'string' || !r.sourceId || typeof r.object !== 'string') {
    return { code: 'INVALID_RECORD', message: 'a sync record needs an object and a source Id' };
  }
  if (r.origin?.orgId && r.origin.orgId.slice(0, 15) !== sourceOrg.slice(0, 15)) {
    return { code: 'WRONG_SOURCE_ORG', message: `the record comes from org ${r.origin.orgId}, but this writer syncs from ${sourceOrg}` };
  }
  switch (r.operation) {
    case 'delete':
      // Found through the Id map or the target side's external Id; one that is in neither is not in the target.
      return undefined;
    // Restored from the target's recycle bin, then written like an upsert: it needs a target side too.
    case 'undelete':
    case 'upsert':
      break;
    default:
      return { code: 'INVALID_OPERATION', message: `unknown operation ${String(r.operation)}; expected upsert, delete or undelete` };
  }
  const t = r.target;
  if (!t || typeof t.object !== 'string' || !t.match || !t.fields) {
    return { code: 'NOT_MAPPED', message: 'the record has no target side; map it (sf-map-fields) before writing it' };
  }
  if (t.match.by === 'externalId' && (!t.match.field || t.match.value === undefined || t.match.value === null || String(t.match.value) === '')) {
    return { code: 'MISSING_EXTERNAL_ID', message: `the record is matched by ${t.match.field || 'an external Id'} but has no value for it` };
  }
  if (!Array.isArray(t.references)) return { code: 'NOT_MAPPED', message: 'the target side has no references list' };
  return undefined;
}
