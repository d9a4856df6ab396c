import type { ObjectSchema, OrgSchema } from '../schema/org-schema.js';
import type { FieldDef } from '../schema/types.js';

export type IngestOperation = 'insert' | 'update' | 'upsert' | 'delete' | 'hardDelete';

/** How one upload column feeds the write. */
export type Column =
  | { kind: 'field'; index: number; name: string; boolean: boolean }
  /** `Account.Ext__c` or `Type:Relationship.Ext__c`: a lookup set through the parent's external Id. */
  | { kind: 'ref'; index: number; field: string; relationship: string; extField: string; type?: string };

export interface ColumnPlan {
  /** Columns that carry field values, in header order (the Id column is not among them). */
  columns: Column[];
  /** Position of the Id column, or -1. */
  idIndex: number;
  /** Position of the upsert external Id column, or -1. */
  extIndex: number;
  width: number;
}

const NULL_TOKEN = '#N/A';

/**
 * Works out, once per job, what each header column means, or the InvalidBatch message the real
 * org fails the whole job with. Only the first bad column is named, as real orgs do.
 */
export function planColumns(
  schema: OrgSchema,
  object: ObjectSchema,
  operation: IngestOperation,
  externalIdField: string | undefined,
  header: readonly string[],
): ColumnPlan | { error: string } {
  const seen = new Set<string>();
  const columns: Column[] = [];
  let idIndex = -1;
  let extIndex = -1;
  const deleting = operation === 'delete' || operation === 'hardDelete';
  for (let index = 0; index < header.length; index++) {
    const name = header[index]!;
    const lower = name.toLowerCase();
    if (seen.has(lower)) return { error: `InvalidBatch : Duplicate field name: ${name}` };
    seen.add(lower);
    if (name === '') return { error: 'InvalidBatch : Field name not found : ' };
    if (lower === 'id') {
      idIndex = index;
      if (externalIdField?.toLowerCase() === 'id') extIndex = index;
      continue;
    }
    // Delete jobs read only the Id column; real orgs ignore the others.
    if (deleting) continue;
    const dot = name.indexOf('.');
    if (dot < 0) {
      const f = object.field(name);
      if (!f) return { error: `InvalidBatch : Field name not found : ${name}` };
      if (externalIdField && f.name.toLowerCase() === externalIdField.toLowerCase()) extIndex = index;
      columns.push({ kind: 'field', index, name: f.name, boolean: f.type === 'boolean' });
      continue;
    }
    const ref = relationshipColumn(schema, object, name, dot, index);
    if ('error' in ref) return ref;
    columns.push(ref);
  }
  return { columns, idIndex, extIndex, width: header.length };
}

function relationshipColumn(
  schema: OrgSchema,
  object: ObjectSchema,
  name: string,
  dot: number,
  index: number,
): Column | { error: string } {
  const notFound = { error: `InvalidBatch : Field name not found : ${name}` };
  const left = name.slice(0, dot);
  const extName = name.slice(dot + 1);
  if (!extName || extName.includes('.')) return notFound;
  let rel: FieldDef | undefined;
  let type: string | undefined;
  const colon = left.indexOf(':');
  if (colon < 0) {
    rel = object.parentRelationship(left);
  } else {
    // The documented order is `Type:Relationship`; `Relationship:Type` is accepted too.
    const a = left.slice(0, colon);
    const b = left.slice(colon + 1);
    const relB = object.parentRelationship(b);
    const relA = object.parentRelationship(a);
    if (relB && schema.object(a)) [rel, type] = [relB, schema.object(a)!.name];
    else if (relA && schema.object(b)) [rel, type] = [relA, schema.object(b)!.name];
  }
  if (!rel?.relationshipName) return notFound;
  const targets = rel.referenceTo ?? [];
  if (type !== undefined) {
    if (targets.length <= 1) {
      return { error: `InvalidBatch : type is not needed for non polymorphic foreign key references: ${rel.relationshipName}` };
    }
    if (!targets.some((t) => t.toLowerCase() === type!.toLowerCase())) return notFound;
  }
  const parent = schema.object(type ?? targets[0] ?? '');
  const ext = parent?.field(extName);
  if (!ext) return notFound;
  return { kind: 'ref', index, field: rel.name, relationship: rel.relationshipName, extField: ext.name, type };
}

/** Bulk CSV booleans: `true`/`false` in any case, and 1/0. */
function booleanText(v: string): string {
  const lower = v.toLowerCase();
  if (lower === 'true' || lower === '1') return 'true';
  if (lower === 'false' || lower === '0') return 'false';
  return v;
}

/**
 * The field values of one row, as the DML layer takes them. An empty value is left out (no change
 * on update, default on insert); `#N/A` sets null.
 */
export function rowInput(plan: ColumnPlan, row: readonly string[]): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  const cols = plan.columns;
  for (let i = 0; i < cols.length; i++) {
    const c = cols[i]!;
    const v = row[c.index];
    if (v === undefined || v === '') continue;
    if (c.kind === 'field') {
      input[c.name] = v === NULL_TOKEN ? null : c.boolean ? booleanText(v) : v;
    } else if (v === NULL_TOKEN) {
      input[c.field] = null;
    } else {
      input[c.relationship] = c.type ? { attributes: { type: c.type }, [c.extField]: v } : { [c.extField]: v };
    }
  }
  return input;
}

/** A cell's value, with `#N/A` and empty both meaning "none". */
export function cellValue(row: readonly string[], index: number): string | null {
  if (index < 0) return null;
  const v = row[index];
  return v === undefined || v === '' || v === NULL_TOKEN ? null : v;
}
