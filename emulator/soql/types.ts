import type { ObjectSchema } from '../schema/org-schema.js';
import type { OrgData } from '../store/org-data.js';
import type { PathResolver } from './paths.js';
import type { Region, SourceText } from './source-text.js';

export interface QueryOptions {
  /** The org clock's now (epoch ms): date literals such as TODAY are relative to it, in UTC. */
  now: number;
  /** The running user: `USING SCOPE mine` means records this user owns. */
  userId: string;
  /** queryAll: include records in the recycle bin (IsDeleted = true). */
  includeDeleted: boolean;
  /** For attributes.url, e.g. `62.0` (a leading `v` is accepted). */
  apiVersion: string;
}

export interface QueryResult {
  /** totalSize as the API reports it (for COUNT() the count; else the number of rows after LIMIT/OFFSET). */
  totalSize: number;
  /** Number of result rows; rows are shaped lazily so a million-row result is cheap until paged. */
  rowCount: number;
  /** Shapes row i into the JSON record the REST API returns (attributes, fields in SELECT order with canonical names, nested parents, child subquery results). */
  record(i: number): Record<string, unknown>;
  /** The root object (canonical name), e.g. 'Account', or 'AggregateResult' for aggregate queries. */
  sObject: string;
  /** Columns in SELECT order for flat CSV output later (Bulk API): e.g. ['Id','Name','Account.Name']. */
  columns: string[];
  /** Flat value of row i for a column (for Bulk CSV): relationship paths resolved, null when missing. */
  flatValue(i: number, column: string): unknown;
}

/** Everything one executeQuery call shares across its (sub)queries. */
export interface QueryContext {
  data: OrgData;
  src: SourceText;
  resolver: PathResolver;
  opts: QueryOptions;
  /** `/services/data/v62.0`, the prefix of attributes.url. */
  apiBase: string;
}

/** One SELECT being compiled: the object it reads and where its text sits in the query. */
export interface Scope {
  ctx: QueryContext;
  object: ObjectSchema;
  alias?: string;
  region: Region;
}
