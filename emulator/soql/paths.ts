import type { ObjectSchema } from '../schema/org-schema.js';
import type { FieldDef } from '../schema/types.js';
import type { OrgData } from '../store/org-data.js';
import type { Table } from '../store/table.js';
import type { FieldValue, StoredRecord } from '../store/types.js';
import { soqlErrors } from './query-errors.js';
import type { SourceText } from './source-text.js';

/** One parent hop of a field path: the reference field followed and the objects it may lead to. */
export interface Hop {
  refField: FieldDef;
  /** Canonical relationship name, the key of the nested parent object in results. */
  relationshipName: string;
  targets: ObjectSchema[];
}

export interface ResolvedField {
  /** Canonical dotted path, e.g. `Account.Owner.Name`. */
  path: string;
  hops: Hop[];
  /** The field at the end of the path (as defined on the first target that has it). */
  field: FieldDef;
  /** True for `Owner.Type` and the like on a polymorphic relationship: the parent's object name. */
  polymorphicType: boolean;
  get: (r: StoredRecord) => FieldValue | null;
}

/** Id and IsDeleted exist on every record even when a test schema does not declare them. */
const IMPLICIT: Record<string, FieldDef> = {
  id: { name: 'Id', type: 'id', label: 'Record ID', nillable: false, createable: false, updateable: false },
  isdeleted: { name: 'IsDeleted', type: 'boolean', label: 'Deleted', nillable: false, createable: false, updateable: false },
};

export function fieldOf(o: ObjectSchema, name: string): FieldDef | undefined {
  return o.field(name) ?? IMPLICIT[name.toLowerCase()];
}

/** The parent record a hop leads to, with the object it belongs to. */
export interface ParentRef {
  record: StoredRecord;
  object: ObjectSchema;
}

/** Resolves names against the schema and follows references through the store. */
export class PathResolver {
  private readonly tables = new Map<string, Table | undefined>();

  constructor(
    readonly data: OrgData,
    readonly src: SourceText,
  ) {}

  table(o: ObjectSchema): Table | undefined {
    let t = this.tables.get(o.name);
    if (t === undefined && !this.tables.has(o.name)) {
      t = this.data.table(o.name);
      this.tables.set(o.name, t);
    }
    return t;
  }

  /** The parent a record's reference points at, or undefined when unset or dangling. */
  follow(hop: Hop, r: StoredRecord): ParentRef | undefined {
    const id = r[hop.refField.name];
    if (typeof id !== 'string' || !id) return undefined;
    let object: ObjectSchema | undefined;
    if (hop.targets.length === 1) {
      object = hop.targets[0]!;
    } else {
      // Polymorphic lookups (OwnerId -> User or Group) are resolved by the Id's key prefix.
      const byPrefix = this.data.schema.objectForId(id);
      object = byPrefix && hop.targets.includes(byPrefix) ? byPrefix : undefined;
    }
    const record = object && this.table(object)?.get(id);
    return record && object ? { record, object } : undefined;
  }

  /** The record at the end of a chain of hops (the record itself for none). */
  parentOf(hops: Hop[], r: StoredRecord, root: ObjectSchema): ParentRef | undefined {
    let cur: ParentRef | undefined = { record: r, object: root };
    for (const hop of hops) {
      cur = this.follow(hop, cur.record);
      if (!cur) return undefined;
    }
    return cur;
  }

  /**
   * Resolves `segments` (already split on dots) from `root`. `at` gives the token index used to
   * frame an error; it is only computed when an error is raised.
   */
  resolve(root: ObjectSchema, segments: string[], at: () => number, alias?: string): ResolvedField {
    const names = stripPrefix(root, segments, alias);
    const hops: Hop[] = [];
    let current: ObjectSchema[] = [root];
    for (const rel of names.slice(0, -1)) {
      const ref = current.map((o) => o.parentRelationship(rel)).find((f): f is FieldDef => !!f);
      if (!ref) throw soqlErrors.unknownParentRelationship(this.src, at(), rel);
      const targets = (ref.referenceTo ?? []).map((n) => this.data.schema.object(n)).filter((o): o is ObjectSchema => !!o);
      if (!targets.length) throw soqlErrors.unknownParentRelationship(this.src, at(), rel);
      hops.push({ refField: ref, relationshipName: ref.relationshipName ?? rel, targets });
      current = targets;
    }
    const last = names[names.length - 1] ?? '';
    let field = current.map((o) => fieldOf(o, last)).find((f): f is FieldDef => !!f);
    // On a polymorphic relationship `Type` is the parent's kind: its own Type field (a Group's
    // 'Queue') where it has one, else its object name ('User').
    const polymorphicType = current.length > 1 && last.toLowerCase() === 'type';
    if (polymorphicType) field = { name: 'Type', type: 'string', label: 'Type', nillable: true, createable: false, updateable: false };
    if (!field) throw soqlErrors.noSuchColumn(this.src, at(), last, current[0]!.name);
    const path = [...hops.map((h) => h.relationshipName), field.name].join('.');
    return { path, hops, field, polymorphicType, get: this.getter(hops, field, polymorphicType) };
  }

  private getter(hops: Hop[], field: FieldDef, polymorphicType: boolean): (r: StoredRecord) => FieldValue | null {
    const name = field.name;
    if (!hops.length) return (r) => r[name] ?? null;
    const lastHop = hops[hops.length - 1]!;
    const polymorphic = lastHop.targets.length > 1;
    // Field names are canonical per object; on a polymorphic parent look the name up on the actual object.
    const nameOn = new Map<string, string | undefined>();
    return (r) => {
      let cur: StoredRecord = r;
      let object: ObjectSchema | undefined;
      for (const hop of hops) {
        const p = this.follow(hop, cur);
        if (!p) return null;
        cur = p.record;
        object = p.object;
      }
      if (polymorphicType) {
        const own = fieldOf(object!, 'Type');
        return own ? (cur[own.name] ?? null) : object!.name;
      }
      if (!polymorphic) return cur[name] ?? null;
      let actual = nameOn.get(object!.name);
      if (!nameOn.has(object!.name)) {
        actual = fieldOf(object!, name)?.name;
        nameOn.set(object!.name, actual);
      }
      return actual === undefined ? null : (cur[actual] ?? null);
    };
  }
}

/**
 * `SELECT a.Name FROM Account a` and `SELECT Account.Name FROM Account` name the root object
 * first; drop that prefix unless it is also a relationship of the root.
 */
function stripPrefix(root: ObjectSchema, segments: string[], alias?: string): string[] {
  if (segments.length < 2) return segments;
  const first = segments[0]!.toLowerCase();
  if (alias && first === alias.toLowerCase()) return segments.slice(1);
  if (first === root.name.toLowerCase() && !root.parentRelationship(first)) return segments.slice(1);
  return segments;
}
