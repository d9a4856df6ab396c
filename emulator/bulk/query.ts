import { performance } from 'node:perf_hooks';
import { parseQuery, type FieldType, type Query } from '@jetstreamapp/soql-parser-js';
import { SfError } from '../errors.js';
import type { Org } from '../org.js';
import type { ObjectSchema, OrgSchema } from '../schema/org-schema.js';
import type { FieldDef } from '../schema/types.js';
import { executeQuery, type QueryResult } from '../soql/index.js';
import { OrgData } from '../store/org-data.js';
import { sfDateTime } from '../util/clock.js';
import { dialectOf, quoted, type ColumnDelimiter, type CsvDialect, type LineEnding } from './csv.js';
import { bulkErrors } from './errors.js';
import { csvFormatOf, jobDefinition, TERMINAL_STATES, type InfoMode, type JobState } from './job-info.js';
import { yieldToLoop, type BulkService } from './service.js';

type QueryOperation = 'query' | 'queryAll';

/** Rows per string handed to the response, so a page of a million rows streams in small pieces. */
const ROWS_PER_CHUNK = 2000;

interface CreateQueryBody {
  query?: unknown;
  operation?: unknown;
  contentType?: unknown;
  columnDelimiter?: unknown;
  lineEnding?: unknown;
}

/** One page of results: the rows it covers and the locator of the next (`null` on the last). */
export interface ResultPage {
  count: number;
  locator: string;
  body: AsyncGenerator<string> | Generator<string>;
}

/**
 * Data with the org's schema and no records: running a query against it checks everything a real
 * org checks at job creation (syntax, objects, fields, relationships) without doing the work.
 * Built per job (a handful of empty tables), so fields added to the schema later are indexed too.
 */
function validationData(schema: OrgSchema): OrgData {
  return new OrgData(schema);
}

/** One Bulk API 2.0 query job. Results keep the matched rows only; CSV is written per page. */
export class QueryJob {
  state: JobState = 'UploadComplete';
  readonly createdDate: string;
  systemModstamp: string;
  readonly dialect: CsvDialect;
  numberRecordsProcessed = 0;
  totalProcessingTime = 0;
  private result?: QueryResult;
  private datetimeColumns?: boolean[];

  private constructor(
    readonly org: Org,
    readonly data: OrgData,
    readonly id: string,
    readonly object: string,
    readonly query: string,
    readonly operation: QueryOperation,
    readonly columnDelimiter: ColumnDelimiter,
    readonly lineEnding: LineEnding,
    readonly apiVersion: string,
    readonly userId: string,
  ) {
    this.createdDate = this.systemModstamp = sfDateTime(org.clock.now());
    this.dialect = dialectOf(columnDelimiter, lineEnding);
  }

  /** Validates like a real org at creation: body, unsupported SOQL features, then the SOQL itself. */
  static create(org: Org, body: unknown, userId: string, apiVersion: string): QueryJob {
    const b = jobDefinition<CreateQueryBody>(body);
    const operation = b.operation ?? 'query';
    if (operation !== 'query' && operation !== 'queryAll') throw bulkErrors.invalidJob(`Invalid operation: ${String(operation)}`);
    if (typeof b.query !== 'string' || !b.query.trim()) throw new SfError('MALFORMED_QUERY', 'A query string has to be specified', 400);
    const { lineEnding, columnDelimiter } = csvFormatOf(b);
    const soql = b.query;
    const parsed = tryParse(soql);
    if (parsed) checkSupported(org.schema, parsed);
    const probe = executeQuery(validationData(org.schema), soql, {
      now: org.clock.now(),
      userId,
      includeDeleted: operation === 'queryAll',
      apiVersion,
    });
    const limits = org.limits;
    const max = limits.maxOf('DailyBulkV2QueryJobs');
    if (limits.usedOf('DailyBulkV2QueryJobs') >= max) throw bulkErrors.queryJobLimit(max);
    limits.use('DailyBulkV2QueryJobs');
    return new QueryJob(org, org.data, org.ids.next('750'), probe.sObject, soql, operation, columnDelimiter, lineEnding, apiVersion, userId);
  }

  /** JobInfo as create and PATCH (`brief`), job lists (`list`) and GET (`full`, with the processing figures) carry it. */
  info(mode: InfoMode): Record<string, unknown> {
    const full = mode === 'full';
    const info: Record<string, unknown> = {
      id: this.id,
      operation: this.operation,
      object: this.object,
      createdById: this.userId,
      createdDate: this.createdDate,
      systemModstamp: this.systemModstamp,
      state: this.state,
      concurrencyMode: 'Parallel',
      contentType: 'CSV',
      apiVersion: this.apiVersion,
    };
    if (mode !== 'brief') info.jobType = 'V2Query';
    info.lineEnding = this.lineEnding;
    info.columnDelimiter = this.columnDelimiter;
    if (full) {
      Object.assign(info, {
        numberRecordsProcessed: this.numberRecordsProcessed,
        retries: 0,
        totalProcessingTime: this.totalProcessingTime,
        isPkChunkingSupported: true,
      });
    }
    return info;
  }

  private touch(): void {
    this.systemModstamp = sfDateTime(this.org.clock.now());
  }

  start(service: BulkService): void {
    service.schedule(() => this.run(service));
  }

  private stale(service: BulkService): boolean {
    return this.state === 'Aborted' || service.isStopped || this.org.data !== this.data;
  }

  private async run(service: BulkService): Promise<void> {
    await service.whilePaused();
    if (this.stale(service) || this.state !== 'UploadComplete') return;
    this.state = 'InProgress';
    this.touch();
    await yieldToLoop();
    await service.whilePaused();
    if (this.stale(service)) return;
    const started = performance.now();
    try {
      const result = executeQuery(this.org.data, this.query, {
        now: this.org.clock.now(),
        userId: this.userId,
        includeDeleted: this.operation === 'queryAll',
        apiVersion: this.apiVersion,
      });
      this.result = result;
      this.datetimeColumns = result.columns.map((c) => columnType(this.org.schema, this.object, c)?.type === 'datetime');
      this.numberRecordsProcessed = result.rowCount;
      this.state = 'JobComplete';
    } catch {
      // Query jobs carry no errorMessage when Failed (jsforce notes this too).
      this.state = 'Failed';
    }
    this.totalProcessingTime = Math.round(performance.now() - started);
    this.touch();
  }

  abort(): void {
    if (TERMINAL_STATES.has(this.state)) throw bulkErrors.invalidState(`Job state ${this.state} can't be changed to Aborted`);
    this.state = 'Aborted';
    this.result = undefined;
    this.touch();
  }

  /** Frees the rows: the job is gone. */
  discard(): void {
    this.result = undefined;
  }

  get inProgress(): boolean {
    return this.state === 'UploadComplete' || this.state === 'InProgress';
  }

  /**
   * One page of results from the locator's offset: everything that is left unless `maxRecords`
   * is given. jsforce's own paging crashes on a second page, so one page is the safe default.
   */
  page(locator: string | null, maxRecords: string | null, apiVersion: string): ResultPage {
    const result = this.result;
    if (this.state !== 'JobComplete' || !result) throw bulkErrors.jobNotComplete(this.id, this.state);
    if (apiVersion !== this.apiVersion) throw bulkErrors.versionMismatch(this.apiVersion);
    const offset = locator === null || locator === '' ? 0 : decodeLocator(locator);
    if (offset === undefined || offset > result.rowCount) throw bulkErrors.invalidLocator(locator ?? '');
    let max = result.rowCount - offset;
    if (maxRecords !== null && maxRecords !== '') {
      if (!/^\d+$/.test(maxRecords) || Number(maxRecords) < 1) throw bulkErrors.invalidMaxRecords(maxRecords);
      max = Math.min(max, Number(maxRecords));
    }
    const end = offset + max;
    return {
      count: max,
      locator: end < result.rowCount ? encodeLocator(end) : 'null',
      body: this.csv(result, offset, end),
    };
  }

  private *csv(result: QueryResult, from: number, to: number): Generator<string> {
    const { delimiter, eol } = this.dialect;
    const columns = result.columns;
    const datetime = this.datetimeColumns ?? [];
    yield columns.map(quoted).join(delimiter) + eol;
    let text = '';
    for (let i = from; i < to; i++) {
      for (let c = 0; c < columns.length; c++) {
        if (c) text += delimiter;
        text += csvValue(result.flatValue(i, columns[c]!), datetime[c] === true);
      }
      text += eol;
      if ((i - from) % ROWS_PER_CHUNK === ROWS_PER_CHUNK - 1) {
        yield text;
        text = '';
      }
    }
    if (text) yield text;
  }
}

/** Locators are opaque to clients; real ones look like base64 of a row offset (`MTAwMDA`). */
function encodeLocator(offset: number): string {
  return Buffer.from(String(offset)).toString('base64').replace(/=+$/, '');
}

function decodeLocator(locator: string): number | undefined {
  const text = Buffer.from(locator, 'base64').toString('utf8');
  if (!/^\d+$/.test(text) || encodeLocator(Number(text)) !== locator) return undefined;
  return Number(text);
}

/** Null is an empty field; everything else is quoted. Datetimes read `…000Z` in Bulk CSV, not `+0000`. */
function csvValue(v: unknown, datetime: boolean): string {
  if (v === null || v === undefined) return '';
  let s = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (datetime && s.endsWith('+0000')) s = `${s.slice(0, -5)}Z`;
  return quoted(s);
}

function tryParse(soql: string): Query | undefined {
  try {
    // ignoreParseErrors is given explicitly: the parser rebuilds its grammar whenever it differs from the cached one.
    return parseQuery(soql, { ignoreParseErrors: false, logErrors: false });
  } catch {
    // The evaluator reports syntax errors with the real wording.
    return undefined;
  }
}

/** SOQL that Bulk API 2.0 query jobs refuse at creation. */
function checkSupported(schema: OrgSchema, q: Query): void {
  const fields = q.fields ?? [];
  if (fields.some((f) => f.type === 'FieldSubquery')) throw bulkErrors.childSubquery();
  if (fields.some((f) => f.type === 'FieldFunctionExpression' && (f.isAggregateFn || /^count$/i.test(f.functionName)))) {
    throw bulkErrors.queryUnsupported('Aggregate functions are not supported in Bulk V2 Query');
  }
  if (q.groupBy) throw bulkErrors.queryUnsupported('GROUP BY is not supported in Bulk V2 Query');
  if (q.offset !== undefined) throw bulkErrors.queryUnsupported('OFFSET is not supported in Bulk V2 Query');
  if (fields.some((f) => f.type === 'FieldTypeof')) throw bulkErrors.queryUnsupported('TYPEOF is not supported in Bulk V2 Query');
  const root = schema.object(q.sObject ?? '');
  if (root && fields.some((f) => isCompound(schema, root, f, q.sObjectAlias))) throw bulkErrors.compoundField();
}

function isCompound(schema: OrgSchema, root: ObjectSchema, f: FieldType, alias: string | undefined): boolean {
  let path: string[];
  if (f.type === 'Field') path = [f.field];
  else if (f.type === 'FieldRelationship') path = [...f.relationships, f.field];
  else return false;
  if (alias && path.length > 1 && path[0]!.toLowerCase() === alias.toLowerCase()) path = path.slice(1);
  const type = columnType(schema, root.name, path.join('.'))?.type;
  return type === 'address' || type === 'location';
}

/** The field a result column (`Name`, `Account.Owner.Name`) ends at, following parent relationships. */
function columnType(schema: OrgSchema, objectName: string, column: string): FieldDef | undefined {
  const parts = column.split('.');
  let object = schema.object(objectName);
  for (let i = 0; object && i < parts.length - 1; i++) {
    const rel = object.parentRelationship(parts[i]!);
    object = rel?.referenceTo?.[0] ? schema.object(rel.referenceTo[0]) : undefined;
  }
  return object?.field(parts[parts.length - 1]!);
}
