/** A Salesforce API error: what the REST layer turns into `[{"message","errorCode","fields"}]`. */
export class SfError extends Error {
  constructor(
    readonly errorCode: string,
    message: string,
    readonly status = 400,
    readonly fields: string[] = [],
  ) {
    super(message);
    this.name = 'SfError';
  }

  /** The REST error body: always an array of error objects. */
  toBody(): Array<{ message: string; errorCode: string; fields?: string[] }> {
    const e: { message: string; errorCode: string; fields?: string[] } = { message: this.message, errorCode: this.errorCode };
    if (this.fields.length) e.fields = this.fields;
    return [e];
  }

  /** The per-record error of sObject Collections, composite tree and Bulk results (`statusCode`, not `errorCode`). */
  toRecordError(): { statusCode: string; message: string; fields: string[] } {
    return { statusCode: this.errorCode, message: this.message, fields: this.fields };
  }
}

export const errors = {
  invalidSession: () => new SfError('INVALID_SESSION_ID', 'Session expired or invalid', 401),
  notFound: () => new SfError('NOT_FOUND', 'The requested resource does not exist', 404),
  invalidType: (name: string) => new SfError('NOT_FOUND', `The requested resource does not exist`, 404, [name]),
  sobjectNotSupported: (name: string) => new SfError('INVALID_TYPE', `sObject type '${name}' is not supported.`, 400),
  malformedId: (label: string, id: string) => new SfError('MALFORMED_ID', `${label}: id value of incorrect type: ${id}`, 400),
  invalidField: (message: string) => new SfError('INVALID_FIELD', message, 400),
  noSuchColumn: (object: string, field: string) =>
    new SfError('INVALID_FIELD', `No such column '${field}' on sobject of type ${object}`, 400),
  malformedQuery: (message: string) => new SfError('MALFORMED_QUERY', message, 400),
  jsonParser: (message: string) => new SfError('JSON_PARSER_ERROR', message, 400),
  methodNotAllowed: (method: string, allowed: string[]) =>
    new SfError('METHOD_NOT_ALLOWED', `HTTP Method '${method}' not allowed. Allowed are ${allowed.join(',')}`, 405),
  requestLimit: () => new SfError('REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.', 403),
  entityIsDeleted: () => new SfError('ENTITY_IS_DELETED', 'entity is deleted', 404),
  /** Fields the caller may not set (read-only, system or compound); real orgs word it as a permission problem. */
  fieldsNotWritable: (fields: string[]) =>
    new SfError(
      'INVALID_FIELD_FOR_INSERT_UPDATE',
      `Unable to create/update fields: ${fields.join(', ')}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
      400,
      fields,
    ),
  /** A request to the emulator's own control API (`/__emulator__/`) that it cannot act on. */
  invalidControlRequest: (message: string) => new SfError('INVALID_CONTROL_REQUEST', message, 400),
};
