import { parseQuery, type Query } from '@jetstreamapp/soql-parser-js';
import { soqlErrors } from './query-errors.js';
import type { SourceText } from './source-text.js';

interface ParserToken {
  image?: string;
  startOffset?: number;
}

interface CapturedError {
  message?: string;
  token?: ParserToken;
  previousToken?: ParserToken;
  /** Lexing errors carry these instead of a token. */
  offset?: number;
  line?: number;
  column?: number;
}

const KEYWORDS = new Set(
  'SELECT FROM WHERE AND OR NOT IN LIKE INCLUDES EXCLUDES GROUP BY HAVING ORDER ASC DESC NULLS FIRST LAST LIMIT OFFSET WITH FOR USING SCOPE TYPEOF WHEN THEN ELSE END NULL TRUE FALSE'.split(
    ' ',
  ),
);

/**
 * Parses with soql-parser-js and turns its failures into the real MALFORMED_QUERY errors.
 *
 * The parser's thrown errors carry only a message; the token and offset are available only through
 * its `logErrors` console output, so that output is captured for the duration of the (synchronous) call.
 */
export function parseSoql(src: SourceText): Query {
  const captured: unknown[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => {
    captured.push(...args);
  };
  let failure: unknown;
  let query: Query | undefined;
  try {
    // ignoreParseErrors must be given as false: the parser rebuilds itself (slowly) whenever the
    // value differs from its cached instance's, and undefined differs from false.
    query = parseQuery(src.text, { logErrors: true, ignoreParseErrors: false });
  } catch (e) {
    failure = e;
  } finally {
    console.log = log;
  }
  if (query) return query;
  const detail = captured.find((c): c is CapturedError[] => Array.isArray(c) && c.length > 0)?.[0];
  throw syntaxError(src, detail, failure);
}

function syntaxError(src: SourceText, detail: CapturedError | undefined, failure: unknown) {
  const text = src.text;
  if (detail && detail.offset !== undefined && !detail.token) {
    // The real lexer's wording for a character it cannot start a token with.
    const ch = text[detail.offset] ?? '';
    return soqlErrors.malformedAt(src, detail.offset, `line ${detail.line ?? 1}:${(detail.column ?? 1) - 1} no viable alternative at character '${ch}'`);
  }
  const token = detail?.token;
  if (!token || token.startOffset === undefined || token.startOffset === null || Number.isNaN(token.startOffset)) {
    return soqlErrors.unexpectedToken(src, text.length, '<EOF>');
  }
  if (token.image === ':') return soqlErrors.bindVariable(src, token.startOffset);
  const at = src.tokens.findIndex((t) => t.start >= token.startOffset!);
  const prev = at > 0 ? src.tokens[at - 1] : undefined;
  const prevPrev = at > 1 ? src.tokens[at - 2] : undefined;
  // `SELECT Id FORM Account`: the parser reads FORM as an alias, then wants FROM and trips over
  // Account; the word a person mistyped (and the one to report) is the stray identifier before it.
  const wantedFrom = /--> FROM <--/.test(detail?.message ?? '');
  if (wantedFrom && prev && prevPrev && prev.kind === 'word' && !KEYWORDS.has(prev.text.toUpperCase()) && prevPrev.kind === 'word') {
    return soqlErrors.unexpectedToken(src, prev.start, prev.text);
  }
  const image = token.image ?? (failure instanceof Error ? failure.message : '');
  return soqlErrors.unexpectedToken(src, token.startOffset, image);
}
