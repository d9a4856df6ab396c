/**
 * JSON Schema (draft-07) of the mapping document. Kept as a TS object rather than a .json file so
 * the bundles carry it without a loader and the editor can import the very same object.
 * The `$schema` a document names is free text: editors use it for completion, we never fetch it.
 */
export const MAPPING_SCHEMA_ID = 'urn:orgbridge:mapping:1';

/** Salesforce API names: letters, digits and underscores, starting with a letter (`ns__Field__c` fits). */
export const API_NAME_PATTERN = '^[A-Za-z][A-Za-z0-9_]*$';
/** 1.0, 1.2.3, 1.2.3-beta.1, 1.2.3+build.5 */
export const VERSION_PATTERN = '^\\d+\\.\\d+(\\.\\d+)?(-[0-9A-Za-z.-]+)?(\\+[0-9A-Za-z.-]+)?$';

const apiName = { type: 'string', pattern: API_NAME_PATTERN };
const expression = { type: 'string', minLength: 1 };
const scalar = { type: ['string', 'number', 'boolean', 'null'] };
const text = { type: 'string' };

const valueMap = {
  type: 'object',
  required: ['values'],
  additionalProperties: false,
  properties: {
    values: { type: 'object', additionalProperties: scalar },
    default: scalar,
    caseInsensitive: { type: 'boolean' },
  },
};

const fieldMapping = {
  type: 'object',
  required: ['target'],
  additionalProperties: false,
  properties: {
    target: apiName,
    source: apiName,
    expression,
    constant: scalar,
    valueMap,
    default: scalar,
    condition: expression,
    required: { type: 'boolean' },
    truncate: { type: 'boolean' },
    allowMissing: { type: 'boolean' },
    description: text,
  },
  oneOf: [{ required: ['source'] }, { required: ['expression'] }, { required: ['constant'] }],
};

const relationship = {
  type: 'object',
  required: ['source', 'target', 'object', 'via'],
  additionalProperties: false,
  properties: {
    source: apiName,
    target: apiName,
    object: apiName,
    via: {
      oneOf: [
        { const: 'ledger' },
        { type: 'object', required: ['externalId'], additionalProperties: false, properties: { externalId: apiName } },
      ],
    },
    nillable: { type: 'boolean' },
    description: text,
  },
};

const match = {
  type: 'object',
  discriminator: { propertyName: 'by' },
  required: ['by'],
  oneOf: [
    {
      properties: {
        by: { const: 'externalId' },
        field: apiName,
        value: {
          oneOf: [
            { const: 'sourceId' },
            { type: 'object', required: ['expression'], additionalProperties: false, properties: { expression } },
          ],
        },
      },
      required: ['by', 'field'],
      additionalProperties: false,
    },
    { properties: { by: { const: 'ledger' } }, required: ['by'], additionalProperties: false },
  ],
};

const objectRef = { type: 'object', required: ['object'], additionalProperties: false, properties: { object: apiName } };

export const MAPPING_SCHEMA = {
  $id: MAPPING_SCHEMA_ID,
  title: 'OrgBridge mapping',
  description: 'Maps one Salesforce source object to one target object: fields, value maps, relationships and how records match.',
  type: 'object',
  required: ['format', 'name', 'version', 'source', 'target', 'match', 'fields'],
  additionalProperties: false,
  properties: {
    $schema: text,
    format: { const: 'orgbridge-mapping/1' },
    name: { type: 'string', minLength: 1, maxLength: 120 },
    version: { type: 'string', pattern: VERSION_PATTERN },
    description: text,
    source: objectRef,
    target: objectRef,
    match,
    filter: { type: 'object', required: ['expression'], additionalProperties: false, properties: { expression, description: text } },
    fields: { type: 'array', items: fieldMapping },
    relationships: { type: 'array', items: relationship },
  },
} as const;
