import { performance } from 'node:perf_hooks';
import { CsvError } from 'csv-parse';
import { SfError } from '../errors.js';
import type { Org } from '../org.js';
import type { ObjectSchema } from '../schema/org-schema.js';
import type { Transaction, UpsertResult } from '../store/dml.js';
import type { OrgData } from '../store/org-data.js';
import type { WriteContext } from '../store/types.js';
import { sfDateTime } from '../util/clock.js';
import { normalizeId } from '../util/ids.js';
import { cellValue, planColumns, rowInput, type ColumnPlan, type IngestOperation } from './columns.js';
import {
  csvErrorMessage,
  dialectOf,
  echoRow,
  parseChunks,
  quoted,
  quoteIfNeeded,
  readHeader,
  type ColumnDelimiter,
  type CsvDialect,
  type LineEnding,
} from './csv.js';
import { bulkErrors, recordErrorText } from './errors.js';
import { csvFormatOf, jobDefinition, TERMINAL_STATES, type InfoMode, type JobState } from './job-info.js';
import { yieldToLoop, type BulkService } from './service.js';

const OPERATIONS: readonly IngestOperation[] = ['insert', 'update', 'upsert', 'delete', 'hardDelete'];
/** Uploads are kept as the bytes received, merged into blocks of this size so small network chunks don't each carry overhead. */
const BLOCK_BYTES = 1024 * 1024;
/** [cap] What real orgs fail a job with when its upload holds no rows. */
const NO_DATA = 'InvalidBatch : Unable to find any data to create batch';

interface CreateIngestBody {
  object?: unknown;
  operation?: unknown;
  externalIdFieldName?: unknown;
  contentType?: unknown;
  lineEnding?: unknown;
  columnDelimiter?: unknown;
}

/** One Bulk API 2.0 ingest job: its upload, background processing and result files. */
export class IngestJob {
  state: JobState = 'Open';
  readonly createdDate: string;
  systemModstamp: string;
  readonly dialect: CsvDialect;
  errorMessage?: string;
  numberRecordsProcessed = 0;
  numberRecordsFailed = 0;
  totalProcessingTime = 0;
  apiActiveProcessingTime = 0;
  /** Upload blocks; released once every row has been processed (only the header is needed then). */
  private blocks: Buffer[] = [];
  private uploadBytes = 0;
  private uploads = 0;
  private header?: string[];
  private readonly successBlocks: Buffer[] = [];
  private readonly failureBlocks: Buffer[] = [];
  private cancelled = false;

  private constructor(
    readonly org: Org,
    readonly data: OrgData,
    readonly id: string,
    readonly object: ObjectSchema,
    readonly operation: IngestOperation,
    readonly externalIdFieldName: string | undefined,
    readonly columnDelimiter: ColumnDelimiter,
    readonly lineEnding: LineEnding,
    readonly apiVersion: string,
    readonly context: WriteContext,
  ) {
    this.createdDate = this.systemModstamp = sfDateTime(org.clock.now());
    this.dialect = dialectOf(columnDelimiter, lineEnding);
  }

  /** Validates a create request the way real orgs do and opens the job. */
  static create(org: Org, body: unknown, context: WriteContext, apiVersion: string): IngestJob {
    const b = jobDefinition<CreateIngestBody>(body);
    const operation = b.operation;
    if (typeof operation !== 'string' || !(OPERATIONS as readonly string[]).includes(operation)) {
      throw bulkErrors.invalidJob(`Invalid operation: ${String(operation ?? null)}`);
    }
    if (typeof b.object !== 'string' || !b.object) throw bulkErrors.invalidJob('Object is required');
    const object = org.schema.object(b.object);
    if (!object) throw bulkErrors.unknownObject(b.object);
    const { lineEnding, columnDelimiter } = csvFormatOf(b);
    let ext: string | undefined;
    if (operation === 'upsert') {
      if (typeof b.externalIdFieldName !== 'string' || !b.externalIdFieldName) throw bulkErrors.externalIdMissing(object.name);
      const f = object.field(b.externalIdFieldName);
      if (!f || !(f.externalId || f.name === 'Id')) throw bulkErrors.externalIdInvalid(object.name, b.externalIdFieldName);
      ext = f.name;
    }
    return new IngestJob(
      org,
      org.data,
      org.ids.next('750'),
      object,
      operation as IngestOperation,
      ext,
      columnDelimiter,
      lineEnding,
      apiVersion,
      context,
    );
  }

  /** JobInfo as create and PATCH (`brief`), job lists (`list`) and GET (`full`, with the processing figures) carry it. */
  info(mode: InfoMode): Record<string, unknown> {
    const full = mode === 'full';
    const info: Record<string, unknown> = {
      id: this.id,
      operation: this.operation,
      object: this.object.name,
      createdById: this.context.userId,
      createdDate: this.createdDate,
      systemModstamp: this.systemModstamp,
      state: this.state,
    };
    if (this.externalIdFieldName) info.externalIdFieldName = this.externalIdFieldName;
    Object.assign(info, { concurrencyMode: 'Parallel', contentType: 'CSV', apiVersion: this.apiVersion });
    if (mode !== 'brief') info.jobType = 'V2Ingest';
    info.contentUrl = `services/data/v${this.apiVersion}/jobs/ingest/${this.id}/batches`;
    info.lineEnding = this.lineEnding;
    info.columnDelimiter = this.columnDelimiter;
    if (full) {
      Object.assign(info, {
        numberRecordsProcessed: this.numberRecordsProcessed,
        numberRecordsFailed: this.numberRecordsFailed,
        retries: 0,
        totalProcessingTime: this.totalProcessingTime,
        apiActiveProcessingTime: this.apiActiveProcessingTime,
        apexProcessingTime: 0,
      });
      if (this.state === 'Failed' && this.errorMessage) info.errorMessage = this.errorMessage;
    }
    return info;
  }

  private touch(): void {
    this.systemModstamp = sfDateTime(this.org.clock.now());
  }

  /** Takes in one CSV upload as it streams, merging network chunks into blocks so its bytes are held once. */
  async receive(body: AsyncIterable<Buffer>, maxBytes: number): Promise<void> {
    if (this.state !== 'Open') throw bulkErrors.uploadNotOpen(this.state);
    const room = maxBytes - this.uploadBytes;
    const blocks: Buffer[] = [];
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let size = 0;
    for await (const chunk of body) {
      size += chunk.length;
      // Past the limit the rest is drained, not stored, so that the client gets to read the error.
      if (size > room) continue;
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes >= BLOCK_BYTES) {
        blocks.push(Buffer.concat(pending, pendingBytes));
        pending = [];
        pendingBytes = 0;
      }
    }
    if (size > room) throw bulkErrors.uploadTooLarge(maxBytes);
    if (this.state !== 'Open') throw bulkErrors.uploadNotOpen(this.state);
    if (pendingBytes) blocks.push(pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes));
    this.blocks.push(...blocks);
    this.uploadBytes += size;
    this.uploads++;
    this.touch();
  }

  /** `PATCH {state}`: closes the upload (processing starts in the background) or aborts. */
  changeState(target: unknown, service: BulkService): void {
    if (target === 'UploadComplete') {
      if (this.state !== 'Open') throw bulkErrors.invalidState(`Job state ${this.state} can't be changed to UploadComplete`);
      if (this.uploads > 1) throw bulkErrors.multipleUploads(this.id);
      this.state = 'UploadComplete';
      this.touch();
      service.schedule(() => this.run(service));
      return;
    }
    if (target === 'Aborted') {
      if (TERMINAL_STATES.has(this.state)) throw bulkErrors.invalidState(`Job state ${this.state} can't be changed to Aborted`);
      this.state = 'Aborted';
      this.touch();
      return;
    }
    throw bulkErrors.invalidState(`Invalid state: ${String(target)}`);
  }

  /** Stops background processing at the next batch boundary (job deleted, org reset). */
  cancel(): void {
    this.cancelled = true;
  }

  private stopRequested(service: BulkService): boolean {
    return this.cancelled || this.state === 'Aborted' || service.isStopped || this.org.data !== this.data;
  }

  private fail(message: string): void {
    this.state = 'Failed';
    this.errorMessage = message;
    this.touch();
  }

  /** Processes the upload in internal batches, one transaction each, yielding to the event loop between them. */
  private async run(service: BulkService): Promise<void> {
    await service.whilePaused();
    if (this.stopRequested(service) || this.state !== 'UploadComplete') return;
    const started = performance.now();
    this.state = 'InProgress';
    this.touch();
    try {
      await this.processUpload(service);
    } catch (err) {
      if (this.state === 'InProgress') this.fail(`InternalServerError : ${(err as Error).message ?? String(err)}`);
    } finally {
      this.totalProcessingTime += Math.round(performance.now() - started);
    }
  }

  private async processUpload(service: BulkService): Promise<void> {
    if (!this.uploadBytes) {
      this.fail(NO_DATA);
      return;
    }
    const parser = parseChunks(this.blocks, this.dialect);
    const batchSize = service.settings.ingestBatchSize;
    let plan: ColumnPlan | undefined;
    let batch: string[][] = [];
    try {
      for await (const row of parser as AsyncIterable<string[]>) {
        if (!plan) {
          this.header = row;
          const planned = planColumns(this.org.schema, this.object, this.operation, this.externalIdFieldName, row);
          if ('error' in planned) {
            this.fail(planned.error);
            return;
          }
          plan = planned;
          continue;
        }
        batch.push(row);
        if (batch.length < batchSize) continue;
        if (!this.processBatch(plan, batch)) return;
        batch = [];
        await yieldToLoop();
        await service.whilePaused();
        if (this.stopRequested(service)) return;
      }
    } catch (err) {
      if (!(err instanceof CsvError)) throw err;
      this.fail(csvErrorMessage(err));
      return;
    } finally {
      parser.destroy();
    }
    if (this.stopRequested(service)) return;
    if (batch.length && plan && !this.processBatch(plan, batch)) return;
    if (!plan || this.numberRecordsProcessed === 0) {
      this.fail(NO_DATA);
      return;
    }
    this.state = 'JobComplete';
    this.touch();
    // Every row is accounted for in the result files now; the upload is needed only for its header.
    this.blocks = [];
  }

  /** One internal batch: one transaction, a savepoint per record so that a bad record fails alone. */
  private processBatch(plan: ColumnPlan, rows: readonly string[][]): boolean {
    const limits = this.org.limits;
    if (limits.usedOf('DailyBulkApiBatches') >= limits.maxOf('DailyBulkApiBatches')) {
      this.fail(`ExceededQuota : The daily limit of ${limits.maxOf('DailyBulkApiBatches')} Bulk API batches has been reached`);
      return false;
    }
    limits.use('DailyBulkApiBatches');
    const started = performance.now();
    const { delimiter, eol } = this.dialect;
    const width = plan.width;
    let ok = '';
    let bad = '';
    let failed = 0;
    this.org.transaction(this.context, (tx) => {
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i]!;
        const sp = tx.savepoint();
        try {
          const r = this.applyRow(tx, plan, row);
          ok += `"${r.id}"${delimiter}"${r.created}"${delimiter}${echoRow(row, width, delimiter)}${eol}`;
        } catch (err) {
          // Validation failures write nothing; rolling back then would only replay stale bookkeeping.
          if (tx.savepoint() !== sp) tx.rollbackTo(sp);
          failed++;
          bad += `${quoted(this.failedId(plan, row))}${delimiter}${quoted(recordErrorText(bulkError(err, this.operation)))}${delimiter}${echoRow(row, width, delimiter)}${eol}`;
        }
      }
    });
    if (ok) this.successBlocks.push(Buffer.from(ok));
    if (bad) this.failureBlocks.push(Buffer.from(bad));
    this.numberRecordsProcessed += rows.length;
    this.numberRecordsFailed += failed;
    this.apiActiveProcessingTime += Math.round(performance.now() - started);
    this.touch();
    return true;
  }

  private applyRow(tx: Transaction, plan: ColumnPlan, row: readonly string[]): UpsertResult {
    const object = this.object.name;
    const id = cellValue(row, plan.idIndex);
    switch (this.operation) {
      case 'insert': {
        const input = rowInput(plan, row);
        if (id !== null) input.Id = id;
        return { id: tx.insert(object, input), created: true };
      }
      case 'update': {
        if (id === null) throw missingId('update');
        tx.update(object, id, rowInput(plan, row));
        return { id: normalizeId(id) ?? id, created: false };
      }
      case 'upsert': {
        const input = rowInput(plan, row);
        if (id !== null && plan.extIndex !== plan.idIndex) input.Id = id;
        return tx.upsert(object, this.externalIdFieldName!, cellValue(row, plan.extIndex), input);
      }
      case 'delete':
        if (id === null) throw missingId('delete');
        return { id: tx.delete(id, object), created: false };
      case 'hardDelete': {
        if (id === null) throw missingId('delete');
        const normalized = normalizeId(id);
        // hardDelete resolves any Id; a hard delete job must only remove its own object's records.
        if (normalized && this.org.schema.objectForId(normalized)?.name !== object) throw notFound();
        tx.hardDelete(id);
        return { id: normalized ?? id, created: false };
      }
    }
  }

  private failedId(plan: ColumnPlan, row: readonly string[]): string {
    if (this.operation === 'insert') return '';
    if (this.operation === 'upsert' && plan.extIndex !== plan.idIndex) return '';
    return cellValue(row, plan.idIndex) ?? '';
  }

  /** Header known from processing, or read from the upload for jobs that never ran. */
  private async columns(): Promise<string[] | undefined> {
    this.header ??= await readHeader(this.blocks, this.dialect);
    return this.header;
  }

  private async resultHead(first: string, second: string): Promise<string> {
    const { delimiter, eol } = this.dialect;
    const cols = (await this.columns()) ?? [];
    return [quoted(first), quoted(second), ...cols.map((c) => quoteIfNeeded(c, delimiter))].join(delimiter) + eol;
  }

  /** `successfulResults`: `"sf__Id","sf__Created",<uploaded columns>`. */
  async successfulResults(): Promise<Array<Buffer | string>> {
    return [await this.resultHead('sf__Id', 'sf__Created'), ...this.successBlocks];
  }

  /** `failedResults`: `"sf__Id","sf__Error",<uploaded columns>`. */
  async failedResults(): Promise<Array<Buffer | string>> {
    return [await this.resultHead('sf__Id', 'sf__Error'), ...this.failureBlocks];
  }

  /** `unprocessedrecords`: the uploaded rows no batch has handled, under the original header. */
  async *unprocessedRecords(): AsyncGenerator<Buffer | string> {
    const { delimiter, eol } = this.dialect;
    const cols = await this.columns();
    if (!cols) return;
    if (this.numberRecordsProcessed === 0 && this.blocks.length) {
      // Nothing was processed: the upload itself is the answer, byte for byte.
      yield* this.blocks;
      return;
    }
    yield cols.map((c) => quoteIfNeeded(c, delimiter)).join(delimiter) + eol;
    if (!this.blocks.length) return;
    const parser = parseChunks(this.blocks, this.dialect, { from: this.numberRecordsProcessed + 2 });
    let text = '';
    let n = 0;
    try {
      for await (const row of parser as AsyncIterable<string[]>) {
        text += echoRow(row, cols.length, delimiter) + eol;
        if (++n % 5000 === 0) {
          yield text;
          text = '';
        }
      }
    } catch {
      // Rows after a malformed one cannot be read back; real orgs stop there too.
    } finally {
      parser.destroy();
    }
    if (text) yield text;
  }

  get inProgress(): boolean {
    return this.state === 'Open' || this.state === 'InProgress';
  }
}

function missingId(call: 'update' | 'delete'): SfError {
  return new SfError('MISSING_ARGUMENT', `Id not specified in an ${call} call`, 400);
}

function notFound(): SfError {
  return new SfError('INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', 400);
}

/** The REST layer's 404 for an Id that matches nothing reads as a cross-reference error in result files. */
function bulkError(err: unknown, operation: IngestOperation): unknown {
  if (err instanceof SfError && err.errorCode === 'NOT_FOUND' && operation !== 'insert' && operation !== 'upsert') return notFound();
  return err;
}
