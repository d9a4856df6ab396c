/**
 * The mapping document: one source object to one target object, versioned, stored as JSON
 * (templates, import/export, the `sf-map-fields` node's configuration). Its JSON Schema is in
 * mapping-schema.ts.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { documentProblems } from './document-checks.js';
import { MappingError } from './mapping-error.js';
import { MAPPING_SCHEMA } from './mapping-schema.js';
import { mappingSchemaProblems } from './schema-messages.js';

import { MAPPING_FORMAT } from './constants.js';

export { MAPPING_FORMAT };

/** A value a mapping document can hold for a field: JSON scalars, as Salesforce field values are. */
export type MappingValue = string | number | boolean | null;

/** Picklist (or any value) translation; unmapped values take `default` when it is given, else pass through. */
export interface ValueMap {
  values: Record<string, MappingValue>;
  default?: MappingValue;
  /** Match source values ignoring case ("gold" finds "Gold"). */
  caseInsensitive?: boolean;
}

/**
 * One target field's value, from exactly one of `source`, `expression` or `constant`. Several
 * mappings may share a target: the first whose `condition` holds (or that has none) supplies it.
 */
export interface FieldMapping {
  target: string;
  /** A source field copied as is (then converted to the target's type). */
  source?: string;
  /** JSONata over the source record's fields; `$record` holds sourceId, object, operation, origin. */
  expression?: string;
  constant?: MappingValue;
  valueMap?: ValueMap;
  /** Used when the source value is null or empty (a target value: no value map applies). */
  default?: MappingValue;
  /** JSONata that must be true for this mapping to apply. */
  condition?: string;
  /** Reject records whose value ends up empty, even where the target field is nillable. */
  required?: boolean;
  /** Cut text longer than the target field takes instead of rejecting the record. */
  truncate?: boolean;
  /** Leave the field out instead of rejecting the record when a required value is missing. */
  allowMissing?: boolean;
  description?: string;
}

/** How `sf-upsert-out` finds the record in the target. */
export type MatchSpec =
  | {
      by: 'externalId';
      /** External Id field on the target object, e.g. `HQ_Id__c`. */
      field: string;
      /** The source record Id (default), or a JSONata expression over the source fields. */
      value?: 'sourceId' | { expression: string };
    }
  | { by: 'ledger' };

/** A source lookup that becomes a target lookup through the parent's external Id or the ledger's Id map. */
export interface RelationshipMapping {
  /** Lookup field on the source object, e.g. `ParentId`. */
  source: string;
  /** Lookup field on the target object. */
  target: string;
  /** The object both lookups point at, e.g. `Account`. */
  object: string;
  via: 'ledger' | { externalId: string };
  /** The lookup may be written empty first and set later (breaks cycles); default: the target field's nillable. */
  nillable?: boolean;
  description?: string;
}

export interface Mapping {
  $schema?: string;
  format: typeof MAPPING_FORMAT;
  name: string;
  /** Semver-like: 1.0, 1.2.3, 2.0.0-beta.1. */
  version: string;
  description?: string;
  source: { object: string };
  target: { object: string };
  match: MatchSpec;
  /** JSONata over the source fields; records for which it is not true leave on the filtered list. */
  filter?: { expression: string; description?: string };
  fields: FieldMapping[];
  relationships?: RelationshipMapping[];
}

/** The name, version and content hash stamped on every record a mapping produces. */
export interface MappingStamp {
  name: string;
  version: string;
  hash: string;
}

// ---------------------------------------------------------------------------------------------
// Import and export.
// ---------------------------------------------------------------------------------------------

let validator: ValidateFunction | undefined;

/** Compiled on first use and kept: compiling the schema costs milliseconds, validating microseconds. */
function validate(): ValidateFunction {
  validator ??= new Ajv({ allErrors: true, verbose: true, discriminator: true, allowUnionTypes: true }).compile(MAPPING_SCHEMA);
  return validator;
}

function subjectOf(doc: unknown): string {
  const name = typeof doc === 'object' && doc !== null ? (doc as { name?: unknown }).name : undefined;
  return typeof name === 'string' && name ? `mapping "${name}"` : 'mapping';
}

/**
 * A mapping document from JSON text (a file, an editor field) or an object, checked against the
 * schema and for cross-entry mistakes. Throws a MappingError listing every problem. The result
 * is a copy with `relationships` always present, so later edits to the input cannot leak in.
 */
export function parseMapping(input: string | Uint8Array | object): Mapping {
  let doc: unknown = input;
  if (typeof input === 'string' || input instanceof Uint8Array) {
    const text = typeof input === 'string' ? input : new TextDecoder().decode(input);
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw new MappingError([`not valid JSON: ${(err as Error).message}`]);
    }
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new MappingError([`the mapping must be a JSON object (got ${Array.isArray(doc) ? 'an array' : doc === null ? 'null' : typeof doc})`]);
  }
  const check = validate();
  if (!check(doc)) throw new MappingError(mappingSchemaProblems(check.errors ?? []), [], subjectOf(doc));
  const mapping = structuredClone(doc) as Mapping;
  mapping.relationships ??= [];
  const problems = documentProblems(mapping);
  if (problems.length) throw new MappingError(problems, [], subjectOf(doc));
  return mapping;
}

/** Keys in the order people read a mapping; anything else follows alphabetically. */
const KEY_ORDER: Record<string, string[]> = {
  mapping: ['$schema', 'format', 'name', 'version', 'description', 'source', 'target', 'match', 'filter', 'fields', 'relationships'],
  field: ['target', 'source', 'expression', 'constant', 'condition', 'valueMap', 'default', 'required', 'truncate', 'allowMissing', 'description'],
  valueMap: ['values', 'default', 'caseInsensitive'],
  relationship: ['source', 'target', 'object', 'via', 'nillable', 'description'],
  match: ['by', 'field', 'value'],
};

function ordered(obj: object, order: string[] = []): Record<string, unknown> {
  const src = obj as Record<string, unknown>;
  const keys = [...order.filter((k) => k in src), ...Object.keys(src).filter((k) => !order.includes(k)).sort()];
  const out: Record<string, unknown> = {};
  for (const k of keys) if (src[k] !== undefined) out[k] = src[k];
  return out;
}

/**
 * The document as pretty JSON (two-space indent, trailing newline), keys in a fixed order so the
 * same mapping always exports to the same text and diffs stay small. Value-map entries keep the
 * author's order (Gold, Silver, Bronze reads better than sorted).
 */
export function exportMapping(m: Mapping): string {
  const doc = ordered(m, KEY_ORDER.mapping);
  doc.match = ordered(m.match, KEY_ORDER.match);
  doc.fields = m.fields.map((f) => {
    const out = ordered(f, KEY_ORDER.field);
    if (f.valueMap) out.valueMap = ordered(f.valueMap, KEY_ORDER.valueMap);
    return out;
  });
  doc.relationships = (m.relationships ?? []).map((r) => ordered(r, KEY_ORDER.relationship));
  return `${JSON.stringify(doc, null, 2)}\n`;
}
