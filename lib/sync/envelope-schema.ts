/**
 * The message envelope as JSON Schema (draft-07): `msg.payload`, a batch of sync records, and
 * `msg.s2s`, its metadata. The same shapes as types.ts, with descriptions for the help pages;
 * envelope.ts checks incoming messages against these. Kept as TS objects so the bundles carry them
 * without a loader.
 */

const nonEmpty = { type: 'string', minLength: 1 };
const count = { type: 'integer', minimum: 0 };
const fieldValue = { type: ['string', 'number', 'boolean', 'null'] };

export const ORG_REF_SCHEMA = {
  type: 'object',
  properties: {
    orgId: { type: 'string', description: 'Org Id (00D…)' },
    name: { type: 'string', description: "The connection's name" },
  },
};

const origin = {
  type: 'object',
  description: 'Where the record came from: enough to trace it and to recognise our own echoes',
  properties: {
    orgId: { type: 'string', description: 'Source org Id (00D…)' },
    changedAt: { type: 'string', description: 'When the source changed it (ISO 8601), if known' },
    replayId: { type: 'number', description: 'Change event replay id, for checkpointing' },
    changeOrigin: { type: 'string', description: 'The change event\'s changeOrigin, e.g. com/salesforce/api/rest/62.0;client=OrgBridge' },
    commitUser: { type: 'string', description: 'User who committed the change' },
    transactionKey: { type: 'string', description: 'The change event\'s transaction key: changes committed together share it' },
    sequenceNumber: { type: 'number', description: 'The change\'s place within its transaction, from 1' },
    via: { enum: ['collect', 'cdc', 'bulk', 'manual'], description: 'How the record entered the flow' },
  },
};

const sourceReference = {
  type: 'object',
  required: ['field', 'id'],
  properties: {
    field: { ...nonEmpty, description: 'Reference field on the source record, e.g. ParentId' },
    id: { ...nonEmpty, description: 'Source Id it points at' },
    object: { ...nonEmpty, description: 'Object of the referenced record' },
    deferred: { const: true, description: 'One link of a reference cycle: written in a second pass' },
  },
};

const targetReference = {
  type: 'object',
  required: ['field', 'relationshipName', 'object', 'sourceId', 'nillable'],
  properties: {
    field: { ...nonEmpty, description: 'Lookup field on the target object, e.g. ParentId' },
    relationshipName: { type: 'string', description: 'Relationship name for the external Id form, e.g. Parent' },
    object: { ...nonEmpty, description: 'Target object of the lookup' },
    sourceId: { ...nonEmpty, description: 'The parent in the source org' },
    externalId: {
      type: 'object', required: ['field', 'value'], description: 'The parent\'s external Id in the target, to reference it by',
      properties: { field: nonEmpty, value: { type: 'string' } },
    },
    nillable: { type: 'boolean', description: 'May be left empty on a first pass and set later' },
  },
};

const targetSide = {
  type: 'object',
  description: 'Filled by sf-map-fields: how the record is written to the target',
  required: ['object', 'match', 'fields', 'references'],
  properties: {
    object: { ...nonEmpty, description: 'Target sObject type' },
    match: {
      type: 'object',
      description: 'How the record is found in the target',
      required: ['by'],
      properties: {
        by: { enum: ['externalId', 'ledger'], description: 'Matched by an external Id field, or by the target Id the ledger holds' },
        field: { type: 'string', description: 'The external Id field' },
        value: { type: 'string', description: 'Its value for this record' },
      },
    },
    fields: { type: 'object', additionalProperties: fieldValue, description: 'Mapped values, target API names' },
    references: { type: 'array', items: targetReference, description: 'Lookups resolved when the record is written' },
    untouched: { type: 'array', items: { type: 'string' }, description: 'Change events: target fields copied from source fields the change did not touch' },
    mapping: {
      type: 'object',
      description: 'The mapping that produced it, so a result can be traced to it',
      properties: { name: { type: 'string' }, version: { type: 'string' }, hash: { type: 'string' } },
    },
  },
};

/** One sync record, as sources send it and sf-map-fields reads it. */
export const SYNC_RECORD_SCHEMA = {
  type: 'object',
  required: ['object', 'sourceId', 'operation', 'fields'],
  properties: {
    object: { ...nonEmpty, description: 'Source sObject type, e.g. Account' },
    sourceId: { ...nonEmpty, description: 'Source record Id (18 characters)' },
    operation: { enum: ['upsert', 'delete', 'undelete'] },
    // Any JSON value: change events carry compound fields (an address) as objects.
    fields: { type: 'object', description: 'Source field values (source API names)' },
    changedFields: { type: 'array', items: { type: 'string' }, description: 'Fields known to have changed (change events)' },
    references: { type: 'array', items: sourceReference, description: 'Source lookups, resolved in the target after mapping' },
    origin,
    target: targetSide,
  },
};

/**
 * What a writer needs of every record before it can give it a result of its own: an object and a
 * source Id (the ledger's key). Anything else wrong with a record is that record's failure.
 */
export const KEYED_RECORD_SCHEMA = {
  type: 'object',
  required: ['object', 'sourceId'],
  properties: {
    object: nonEmpty,
    sourceId: nonEmpty,
    origin: { type: 'object', properties: { orgId: { type: ['string', 'null'] } } },
  },
};

export const WRITE_METRICS_SCHEMA = {
  type: 'object',
  description: 'Set by sf-upsert-out: what writing the batch did and cost',
  required: ['records', 'apiCalls'],
  properties: Object.fromEntries(
    ['records', 'apiCalls', 'resends', 'created', 'updated', 'unchanged', 'deleted', 'failed', 'deadLettered', 'deferredReferences', 'completedReferences', 'recoveredCreates', 'bulkJobs']
      .map((k) => [k, count])
      .concat([['durationMs', { type: 'number', minimum: 0 }], ['lagMs', { type: 'number', minimum: 0 }]]),
  ),
};

/** `msg.s2s`. Every property is optional when a batch is built by hand; types hold when present. */
export const BATCH_META_SCHEMA = {
  type: 'object',
  properties: {
    source: { ...ORG_REF_SCHEMA, description: 'The org the records were read from' },
    target: { ...ORG_REF_SCHEMA, description: 'The org they are mapped for (set by sf-map-fields)' },
    object: { type: 'string', description: 'The object the source read' },
    batchId: { type: 'string', description: 'Unique per batch' },
    runId: { type: 'string', description: 'The sync run the batch belongs to' },
    level: { ...count, description: 'Dependency level: parents are at lower levels and are written first' },
    last: { type: 'boolean', description: 'True on the last batch of a run' },
    filtered: { ...count, description: 'Records the mappings\' record filters dropped' },
    ack: { type: 'array', items: { type: 'string' }, description: 'Handles acknowledged once the batch is written' },
    write: WRITE_METRICS_SCHEMA,
  },
};

/** A whole message of the sync path: the batch and its metadata. */
export const SYNC_MESSAGE_SCHEMA = {
  $id: 'urn:orgbridge:envelope:1',
  type: 'object',
  required: ['payload'],
  properties: {
    payload: { type: 'array', items: SYNC_RECORD_SCHEMA },
    s2s: BATCH_META_SCHEMA,
  },
};
