/** Why a record was rejected: one entry per field, so the second output says exactly what to fix. */

export const PROBLEM_CODES = {
  /** Text longer than the target field takes (and the mapping does not say `truncate`). */
  STRING_TOO_LONG: 'STRING_TOO_LONG',
  INVALID_NUMBER: 'INVALID_NUMBER',
  /** A fraction for an integer field. */
  INVALID_INTEGER: 'INVALID_INTEGER',
  /** More digits than the target's precision allows. */
  NUMBER_OUTSIDE_VALID_RANGE: 'NUMBER_OUTSIDE_VALID_RANGE',
  INVALID_BOOLEAN: 'INVALID_BOOLEAN',
  INVALID_DATE: 'INVALID_DATE',
  INVALID_DATETIME: 'INVALID_DATETIME',
  INVALID_TIME: 'INVALID_TIME',
  INVALID_EMAIL_ADDRESS: 'INVALID_EMAIL_ADDRESS',
  MALFORMED_ID: 'MALFORMED_ID',
  /** A value the target's restricted picklist does not have (Salesforce's own code for it). */
  INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
  /** Several values (or an object) where the field takes one. */
  NOT_A_SCALAR: 'NOT_A_SCALAR',
  /** The target needs a value and the mapping produced none. */
  REQUIRED_FIELD_MISSING: 'REQUIRED_FIELD_MISSING',
  /** An expression, condition or filter failed while evaluating. */
  EXPRESSION_ERROR: 'EXPRESSION_ERROR',
  /** No external Id value to match the target record by. */
  MATCH_KEY_MISSING: 'MATCH_KEY_MISSING',
  /** The record is not of the mapping's source object. */
  WRONG_OBJECT: 'WRONG_OBJECT',
  /** A field type values cannot be written to (compound fields). */
  UNSUPPORTED_TYPE: 'UNSUPPORTED_TYPE',
} as const;

export type ProblemCode = (typeof PROBLEM_CODES)[keyof typeof PROBLEM_CODES];

export interface RecordProblem {
  /** Target field (API name), or `(filter)`, `(match)`, `(record)` for record-level problems. */
  field: string;
  code: ProblemCode;
  message: string;
}

/** A failed conversion; a class so the hot path can tell it from a value with one instanceof. */
export class Invalid {
  constructor(
    readonly code: ProblemCode,
    readonly message: string,
  ) {}
}

/** A value quoted in a message, cut short so one huge text cannot flood a log line. */
export function quote(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 60 ? `${text.slice(0, 57)}...${text.endsWith('"') ? '"' : ''}` : text;
}
