import { SfError } from '../errors.js';
import type { SourceText } from './source-text.js';

/**
 * SOQL errors worded as a real org words them. Most carry the caret framing of the real API
 * (the nearby query text, a caret, "ERROR at Row:r:Column:c", then the message).
 */

const WSDL = 'Please reference your WSDL or the describe call for the appropriate names.';

function framed(code: string, src: SourceText, tokenIndex: number, message: string): SfError {
  return new SfError(code, src.frame(src.offsetOf(tokenIndex), message));
}

export const soqlErrors = {
  unexpectedToken: (src: SourceText, offset: number, token: string) =>
    new SfError('MALFORMED_QUERY', src.frame(offset, `unexpected token: '${token}'`)),

  malformedAt: (src: SourceText, offset: number, message: string) => new SfError('MALFORMED_QUERY', src.frame(offset, message)),

  malformed: (src: SourceText, tokenIndex: number, message: string) => framed('MALFORMED_QUERY', src, tokenIndex, message),

  noSuchColumn: (src: SourceText, tokenIndex: number, field: string, entity: string) =>
    framed(
      'INVALID_FIELD',
      src,
      tokenIndex,
      `No such column '${field}' on entity '${entity}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. ${WSDL}`,
    ),

  unknownObject: (src: SourceText, tokenIndex: number, name: string) =>
    framed(
      'INVALID_TYPE',
      src,
      tokenIndex,
      `sObject type '${name}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. ${WSDL}`,
    ),

  unknownChildRelationship: (src: SourceText, tokenIndex: number, name: string) =>
    framed(
      'INVALID_TYPE',
      src,
      tokenIndex,
      `Didn't understand relationship '${name}' in FROM part of query call. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. ${WSDL}`,
    ),

  unknownParentRelationship: (src: SourceText, tokenIndex: number, name: string) =>
    framed(
      'INVALID_FIELD',
      src,
      tokenIndex,
      `Didn't understand relationship '${name}' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. ${WSDL}`,
    ),

  /** `typeName` is the SOAP-ish name the real message uses: string, id, integer, double, boolean, date, dateTime. */
  filterValueType: (src: SourceText, tokenIndex: number, field: string, typeName: string) =>
    framed(
      'INVALID_FIELD',
      src,
      tokenIndex,
      `value of filter criterion for field '${field}' must be of type ${typeName} and should ${typeName === 'string' || typeName === 'id' ? '' : 'not '}be enclosed in quotes`,
    ),

  invalidId: (src: SourceText, tokenIndex: number, value: string) =>
    framed('INVALID_QUERY_FILTER_OPERATOR', src, tokenIndex, `invalid ID field: ${value}`),

  notFilterable: (src: SourceText, tokenIndex: number, field: string) =>
    framed('INVALID_FIELD', src, tokenIndex, `field '${field}' can not be filtered in a query call`),

  notSortable: (src: SourceText, tokenIndex: number, field: string) =>
    framed('INVALID_FIELD', src, tokenIndex, `field '${field}' can not be sorted in a query call`),

  notGroupable: (src: SourceText, tokenIndex: number, field: string) =>
    framed('INVALID_FIELD', src, tokenIndex, `field '${field}' can not be grouped in a query call`),

  notAggregatable: (src: SourceText, tokenIndex: number, field: string, fn: string) =>
    framed('INVALID_FIELD', src, tokenIndex, `field ${field} does not support aggregate operator ${fn}`),

  mustBeGrouped: (src: SourceText, tokenIndex: number, field: string) =>
    framed('MALFORMED_QUERY', src, tokenIndex, `Field must be grouped or aggregated: ${field}`),

  aliasOutsideAggregate: (src: SourceText, tokenIndex: number) =>
    framed('MALFORMED_QUERY', src, tokenIndex, 'only aggregate expressions use field aliasing'),

  bindVariable: (src: SourceText, offset: number) =>
    new SfError('MALFORMED_QUERY', src.frame(offset, 'Bind variables only allowed in Apex code')),

  duplicateField: (name: string) => new SfError('INVALID_FIELD', `duplicate field selected: ${name}`),

  fieldsNeedLimit: () => new SfError('MALFORMED_QUERY', 'The SOQL FIELDS function must have a LIMIT of at most 200'),

  offsetTooLarge: () => new SfError('NUMBER_OUTSIDE_VALID_RANGE', 'Maximum SOQL offset allowed is 2000'),

  /** Valid SOQL the emulator does not implement: say so plainly rather than answer wrongly. */
  unsupported: (what: string) => new SfError('MALFORMED_QUERY', `${what} is not supported by the org emulator`),
};
