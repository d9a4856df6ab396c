/** How the emulator keeps records: canonical field names, values in their wire form. */

/**
 * datetime: `2024-05-01T12:34:56.000+0000` (always UTC and millisecond precision, so that
 * string order is time order); date: `2024-05-01`; time: `12:34:56.000Z`; multipicklist: `A;B`;
 * numbers and booleans native; references and Ids as 18-character Ids.
 */
export type FieldValue = string | number | boolean | null;

export interface StoredRecord {
  Id: string;
  IsDeleted: boolean;
  [field: string]: FieldValue;
}

/** Who is writing and through which API: drives system fields and CDC change origin. */
export interface WriteContext {
  userId: string;
  /** The `client=` value of the `Sforce-Call-Options` header, if any. */
  client?: string;
  /** `rest`, `soap`, `bulkapi`... as it appears in CDC changeOrigin. */
  api: string;
  apiVersion: string;
}

/** One committed change; the CDC publisher turns these into change events. */
export interface RecordChange {
  changeType: 'CREATE' | 'UPDATE' | 'DELETE' | 'UNDELETE';
  object: string;
  id: string;
  /** Field values after the change (for CREATE/UNDELETE every field; for UPDATE the changed ones). */
  fields: Record<string, FieldValue>;
  changedFields: string[];
  nulledFields: string[];
}

export interface CommittedTransaction {
  transactionKey: string;
  context: WriteContext;
  commitTimestamp: number;
  changes: RecordChange[];
}
