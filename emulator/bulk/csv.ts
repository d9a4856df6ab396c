import { Readable } from 'node:stream';
import { parse, type Options as ParseOptions, type Parser } from 'csv-parse';

/** Bulk API 2.0 `columnDelimiter` values and the characters they stand for. */
export const COLUMN_DELIMITERS = {
  COMMA: ',',
  TAB: '\t',
  SEMICOLON: ';',
  PIPE: '|',
  CARET: '^',
  BACKQUOTE: '`',
} as const;
export type ColumnDelimiter = keyof typeof COLUMN_DELIMITERS;

export const LINE_ENDINGS = { LF: '\n', CRLF: '\r\n' } as const;
export type LineEnding = keyof typeof LINE_ENDINGS;

export function isColumnDelimiter(v: unknown): v is ColumnDelimiter {
  return typeof v === 'string' && Object.hasOwn(COLUMN_DELIMITERS, v);
}

export function isLineEnding(v: unknown): v is LineEnding {
  return v === 'LF' || v === 'CRLF';
}

/** The job's CSV dialect, as given at creation and used for uploads and results alike. */
export interface CsvDialect {
  delimiter: string;
  eol: string;
}

export function dialectOf(columnDelimiter: ColumnDelimiter, lineEnding: LineEnding): CsvDialect {
  return { delimiter: COLUMN_DELIMITERS[columnDelimiter], eol: LINE_ENDINGS[lineEnding] };
}

/** Always quoted: how real orgs write the `sf__` columns and every query-result value. */
export function quoted(v: string): string {
  return v.includes('"') ? `"${v.replace(/"/g, '""')}"` : `"${v}"`;
}

/**
 * Quoted only when the value would otherwise break the row: result files echo the uploaded
 * values this way (`"001…","true",E1,A`).
 */
export function quoteIfNeeded(v: string, delimiter: string): string {
  if (v === '') return v;
  if (v.includes(delimiter) || v.includes('"') || v.includes('\n') || v.includes('\r')) return `"${v.replace(/"/g, '""')}"`;
  return v;
}

/** The values of one uploaded row, re-serialized for result and unprocessed-record files. */
export function echoRow(values: readonly string[], width: number, delimiter: string): string {
  let out = '';
  for (let i = 0; i < width; i++) {
    if (i) out += delimiter;
    out += quoteIfNeeded(values[i] ?? '', delimiter);
  }
  return out;
}

/**
 * A streaming parser over stored upload chunks. Rows come as string arrays; short rows are
 * accepted (missing values read as empty) because real orgs only reject malformed quoting.
 */
export function parseChunks(chunks: readonly Buffer[], dialect: CsvDialect, extra: ParseOptions = {}): Parser {
  const parser = parse({
    delimiter: dialect.delimiter,
    relax_column_count: true,
    skip_empty_lines: true,
    ...extra,
  });
  Readable.from(chunks).pipe(parser);
  return parser;
}

/** Reads just the header row of an upload (for result files of jobs that never ran). */
export async function readHeader(chunks: readonly Buffer[], dialect: CsvDialect): Promise<string[] | undefined> {
  if (!chunks.length) return undefined;
  const parser = parseChunks(chunks, dialect, { to: 1 });
  try {
    for await (const row of parser as AsyncIterable<string[]>) return row;
  } catch {
    return undefined;
  } finally {
    parser.destroy();
  }
  return undefined;
}

/** Real wording for the CSV errors csv-parse reports. */
export function csvErrorMessage(err: unknown): string {
  const code = (err as { code?: string }).code ?? '';
  if (code === 'INVALID_OPENING_QUOTE' || code === 'CSV_INVALID_CLOSING_QUOTE') {
    return 'InvalidBatch : Failed to parse CSV. Found unescaped quote. A value with quote should be within a quote';
  }
  if (code === 'CSV_QUOTE_NOT_CLOSED') return 'InvalidBatch : Failed to parse CSV. EOF reached before closing an opened quote';
  return `InvalidBatch : Failed to parse CSV. ${(err as Error).message ?? String(err)}`;
}
