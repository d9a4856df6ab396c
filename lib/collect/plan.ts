/**
 * What a collection reads, worked out from describes before any record is read: the objects
 * reachable from the root within `depth` relationship hops, the columns to select from each, which
 * lookups are followed up to parents and which child relationships down to children, and which
 * lookups count for dependency order.
 *
 * Two kinds of lookup matter:
 * - followed: the collector fetches the records they point at (parents) or that point back
 *   (children), hop by hop up to `depth`;
 * - tracked: every writable lookup whose target object is part of the plan (followed ones
 *   included). Tracked lookups become `references` on the records and decide dependency order: a
 *   record comes after the records it points at through them, if those are collected too.
 *
 * Lookups to users, groups, profiles, roles and record types are neither followed nor tracked by
 * default: those are reference data that each org keeps itself, mapped by
 * sf-map-fields, not records to copy. Their values stay in `fields` as plain source Ids. Listing
 * such a field in `parents` explicitly follows it anyway.
 */
import type { DescribeSObjectResult } from 'jsforce';
import { isFollowableLookup, isWritable } from '../mapping/describe.js';
import { keyPrefixOf } from './record-ids.js';
import { andClauses, filterClause, normalizeIds, soqlIdentifier, type Filter } from './soql-text.js';

type Field = DescribeSObjectResult['fields'][number];

export type DescribeFn = (objectName: string) => DescribeSObjectResult | Promise<DescribeSObjectResult>;

/** Deepest relationship chain a collection follows (each parent or child hop counts one). */
export const MAX_DEPTH = 5;

/** Objects whose lookups are not synced data: reference data each org has of its own. */
export const DEFAULT_SKIPPED_OBJECTS: readonly string[] = [
  'User', 'Group', 'Profile', 'UserRole', 'RecordType', 'Organization', 'BusinessHours', 'UserLicense',
  'PermissionSet', 'CallCenter', 'Division', 'Period', 'FiscalYearSettings',
];

/** Field types that cannot be written back as such (compound fields are written by their parts). */
const UNSYNCABLE_TYPES = new Set(['address', 'location', 'base64']);

export interface CollectionRequest {
  /** API name of the object the selection is made on, e.g. `Account`. */
  rootObject: string;
  /** Root records by Id (15 or 18 characters). */
  ids?: string[];
  /** Root records by structured conditions (safe with values from `msg`). */
  filter?: Filter;
  /**
   * A raw SOQL condition for the roots. FOR FLOW AUTHORS ONLY: set it from the node's
   * configuration, never from a message property, since it is pasted into the query as written.
   */
  where?: string;
  /** Every record of the root object. */
  all?: boolean;
  /** Relationship hops to follow from the roots, 0..5 (default 1). */
  depth?: number;
  /**
   * Lookups to follow up to parent records: `true` for every writable single-object lookup (the
   * default), `false` for none, or field names, plain (`ParentId`) or qualified (`Contact.AccountId`).
   */
  parents?: boolean | string[];
  /**
   * Child relationships to follow down. A plain name (`Opportunities`) applies to every planned
   * object that has a relationship of that name (Account's and Contact's); a qualified one
   * (`Account.Opportunities`) to that object only.
   */
  children?: string[];
  /**
   * Columns per object: `'all'` (the default) is every createable or updateable field from
   * describe; a list names them. Tracked lookups are always read.
   */
  fields?: 'all' | Record<string, string[] | 'all'>;
  /** Objects whose lookups are not followed or tracked; default DEFAULT_SKIPPED_OBJECTS. */
  skipObjects?: string[];
}

/** A lookup of a planned object that the collector records as a reference. */
export interface PlannedLookup {
  field: string;
  relationshipName: string | null;
  /** Planned objects it can point at (more than one when polymorphic). */
  targets: string[];
  /** Fetch the records it points at (within depth). */
  follow: boolean;
  /** May be left empty at first and set in a second pass: what breaks a cycle. */
  nillable: boolean;
  polymorphic: boolean;
}

/** A child relationship followed down from a planned object. */
export interface PlannedChild {
  relationshipName: string;
  object: string;
  /** The lookup on the child that points at this object. */
  field: string;
}

export interface PlannedObject {
  name: string;
  keyPrefix: string | null;
  /** Fewest hops from the root object. */
  hop: number;
  /** Field values a record carries (`SyncRecord.fields`). */
  dataFields: string[];
  /** Every column of a full read: Id, data fields, tracked lookups, the change timestamp. */
  selectFields: string[];
  /** Columns of a discovery read: Id and tracked lookups only. */
  slimFields: string[];
  /** Read into `origin.changedAt`. */
  changedAtField: string | null;
  /** What a changes-only read compares with its watermark: SystemModstamp (changes by automation too), else LastModifiedDate. */
  modstampField: string | null;
  lookups: PlannedLookup[];
  children: PlannedChild[];
}

export type RootSelection =
  | { by: 'ids'; ids: string[]; where?: string }
  | { by: 'where'; where: string }
  | { by: 'all' };

export interface CollectionPlan {
  rootObject: string;
  roots: RootSelection;
  depth: number;
  /** The root object first, then the others by distance from it. */
  objects: PlannedObject[];
  /** Things the request asked for that this plan will not do, worded for the user. */
  warnings: string[];
}

/** A request that cannot be planned; the message says what to change. */
export class CollectionPlanError extends Error {
  readonly code = 'INVALID_COLLECTION';
  constructor(message: string) {
    super(message);
    this.name = 'CollectionPlanError';
  }
}

interface Draft {
  name: string;
  hop: number;
  describe: DescribeSObjectResult;
  followed: Map<string, string[]>;
  children: PlannedChild[];
}

/** Works out what a collection reads; one describe per object involved. */
export async function planCollection(request: CollectionRequest, describe: DescribeFn): Promise<CollectionPlan> {
  const req = checkRequest(request);
  const skip = new Set((req.skipObjects ?? DEFAULT_SKIPPED_OBJECTS).map((o) => o.toLowerCase()));
  const described = new Map<string, Promise<DescribeSObjectResult>>();
  const describeOnce = (name: string) => {
    const key = name.toLowerCase();
    let d = described.get(key);
    if (!d) described.set(key, (d = Promise.resolve(describe(name))));
    return d;
  };

  const rootDescribe = await describeOnce(req.rootObject);
  if (!rootDescribe.queryable) throw new CollectionPlanError(`${rootDescribe.name} cannot be queried`);
  const drafts = new Map<string, Draft>();
  const addDraft = (d: DescribeSObjectResult, hop: number) => {
    const draft: Draft = { name: d.name, hop, describe: d, followed: new Map(), children: [] };
    drafts.set(d.name.toLowerCase(), draft);
    return draft;
  };
  addDraft(rootDescribe, 0);

  const parentNames = Array.isArray(req.parents) ? new NameList('parents', req.parents) : undefined;
  const childNames = new NameList('children', req.children ?? []);
  const warnings: string[] = [];

  for (let hop = 0; hop < req.depth; hop++) {
    const current = [...drafts.values()].filter((d) => d.hop === hop);
    for (const draft of current) {
      for (const f of draft.describe.fields) {
        if (!isFollowableLookup(f)) continue;
        const explicit = parentNames?.take(draft.name, f.name) ?? false;
        const wanted = explicit || (req.parents === true && !isPolymorphic(f));
        if (!wanted) continue;
        const referenceTo = f.referenceTo ?? [];
        const targets = explicit ? referenceTo : referenceTo.filter((t) => !skip.has(t.toLowerCase()));
        if (!targets.length) continue;
        const reached: string[] = [];
        for (const t of targets) {
          const d = await describeTarget(describeOnce, t, `${draft.name}.${f.name}`, warnings);
          if (!d) continue;
          if (!drafts.has(d.name.toLowerCase())) addDraft(d, hop + 1);
          reached.push(d.name);
        }
        if (reached.length) draft.followed.set(f.name, reached);
      }
      for (const r of draft.describe.childRelationships) {
        if (!r.relationshipName || !childNames.take(draft.name, r.relationshipName)) continue;
        const d = await describeTarget(describeOnce, r.childSObject, `${draft.name}.${r.relationshipName}`, warnings);
        if (!d) continue;
        if (!drafts.has(d.name.toLowerCase())) addDraft(d, hop + 1);
        draft.children.push({ relationshipName: r.relationshipName, object: d.name, field: r.field });
      }
    }
  }
  const all = [...drafts.values()];
  parentNames?.check(all, req.depth, warnings, (d, name) => d.describe.fields.some((f) => f.type === 'reference' && same(f.name, name)));
  childNames.check(all, req.depth, warnings, (d, name) => d.describe.childRelationships.some((r) => same(r.relationshipName, name)));

  const planned = all.map((d) => plannedObject(d, drafts, skip, req.fields));
  const roots = await rootSelection(req, rootDescribe, describeOnce);
  return { rootObject: rootDescribe.name, roots, depth: req.depth, objects: planned, warnings };
}

function checkRequest(r: CollectionRequest): CollectionRequest & { depth: number } {
  if (!r || typeof r !== 'object') throw new CollectionPlanError('the collection request must be an object');
  soqlIdentifier(r.rootObject);
  const depth = r.depth ?? 1;
  if (!Number.isInteger(depth) || depth < 0 || depth > MAX_DEPTH) throw new CollectionPlanError(`depth must be a whole number from 0 to ${MAX_DEPTH}, got ${String(depth)}`);
  const chosen = [r.ids !== undefined, r.filter !== undefined || r.where !== undefined, r.all === true].filter(Boolean).length;
  if (r.all && chosen > 1) throw new CollectionPlanError('all: true takes every record; leave out ids, filter and where');
  if (!chosen) throw new CollectionPlanError('say which records to collect: ids, filter, where or all: true');
  if (r.ids !== undefined && !Array.isArray(r.ids)) throw new CollectionPlanError('ids must be a list of record Ids');
  if (r.where !== undefined && (typeof r.where !== 'string' || !r.where.trim())) throw new CollectionPlanError('where must be a non-empty SOQL condition');
  if (r.parents !== undefined && typeof r.parents !== 'boolean' && !Array.isArray(r.parents)) throw new CollectionPlanError('parents must be true, false or a list of lookup fields');
  if (r.children !== undefined && !Array.isArray(r.children)) throw new CollectionPlanError('children must be a list of child relationship names');
  for (const n of [...(Array.isArray(r.parents) ? r.parents : []), ...(r.children ?? [])]) soqlIdentifier(n, { path: true });
  return { ...r, depth, parents: r.parents ?? true };
}

/** Names from `parents` or `children`, plain or qualified by object, and which of them were used. */
class NameList {
  private readonly entries: Array<{ object?: string; name: string; raw: string; used: boolean }>;

  constructor(
    private readonly option: string,
    names: string[],
  ) {
    this.entries = names.map((raw) => {
      const parts = raw.split('.');
      if (parts.length > 2) throw new CollectionPlanError(`${option}: '${raw}' should be a name or Object.name`);
      return parts.length === 2 ? { object: parts[0]!, name: parts[1]!, raw, used: false } : { name: raw, raw, used: false };
    });
  }

  take(object: string, name: string): boolean {
    let hit = false;
    for (const e of this.entries) {
      if (same(e.name, name) && (!e.object || same(e.object, object))) {
        e.used = true;
        hit = true;
      }
    }
    return hit;
  }

  /** Unknown names are errors (likely typos); names only found on objects at the depth limit are warnings. */
  check(drafts: Draft[], depth: number, warnings: string[], has: (d: Draft, name: string) => boolean): void {
    for (const e of this.entries) {
      if (e.used) continue;
      const owners = drafts.filter((d) => (!e.object || same(e.object, d.name)) && has(d, e.name));
      if (!owners.length) {
        const where = e.object ?? drafts.map((d) => d.name).join(', ');
        throw new CollectionPlanError(`${this.option}: '${e.raw}' is not a ${this.option === 'parents' ? 'lookup' : 'child relationship'} of ${where}`);
      }
      warnings.push(`${this.option}: '${e.raw}' is not followed: ${owners.map((d) => d.name).join(', ')} ${owners.length > 1 ? 'are' : 'is'} at the depth limit (${depth})`);
    }
  }
}

async function describeTarget(
  describeOnce: (name: string) => Promise<DescribeSObjectResult>,
  name: string,
  via: string,
  warnings: string[],
): Promise<DescribeSObjectResult | undefined> {
  const d = await describeOnce(name);
  if (d.queryable) return d;
  warnings.push(`${via}: ${d.name} cannot be queried, so it is not followed`);
  return undefined;
}

function plannedObject(d: Draft, drafts: Map<string, Draft>, skip: Set<string>, fieldsOption: CollectionRequest['fields']): PlannedObject {
  const fields = d.describe.fields;
  const lookups: PlannedLookup[] = [];
  for (const f of fields) {
    if (f.type !== 'reference' || !isWritable(f)) continue;
    const followed = d.followed.get(f.name);
    const targets = followed ?? (f.referenceTo ?? []).filter((t) => !skip.has(t.toLowerCase()) && drafts.has(t.toLowerCase())).map((t) => drafts.get(t.toLowerCase())!.name);
    if (!targets.length) continue;
    lookups.push({
      field: f.name,
      relationshipName: f.relationshipName ?? null,
      targets,
      follow: !!followed,
      nillable: f.nillable,
      polymorphic: isPolymorphic(f),
    });
  }
  const dataFields = chooseFields(d, fieldsOption);
  const changedAtField = ['LastModifiedDate', 'SystemModstamp'].find((n) => fields.some((f) => f.name === n)) ?? null;
  const lookupFields = lookups.map((l) => l.field);
  const selectFields = unique(['Id', ...dataFields, ...lookupFields, ...(changedAtField ? [changedAtField] : [])]);
  return {
    name: d.name,
    keyPrefix: d.describe.keyPrefix ?? null,
    hop: d.hop,
    dataFields,
    selectFields,
    slimFields: unique(['Id', ...lookupFields]),
    changedAtField,
    modstampField: ['SystemModstamp', 'LastModifiedDate'].find((n) => fields.some((f) => f.name === n)) ?? null,
    lookups,
    children: d.children,
  };
}

function chooseFields(d: Draft, option: CollectionRequest['fields']): string[] {
  const byName = new Map(d.describe.fields.map((f) => [f.name.toLowerCase(), f]));
  const listed = option && option !== 'all' ? Object.entries(option).find(([o]) => same(o, d.name))?.[1] : undefined;
  if (!listed || listed === 'all') {
    return d.describe.fields.filter((f) => f.name !== 'Id' && isWritable(f) && !UNSYNCABLE_TYPES.has(f.type)).map((f) => f.name);
  }
  if (!Array.isArray(listed)) throw new CollectionPlanError(`fields.${d.name} must be a list of field names or 'all'`);
  return unique(
    listed
      .map((name) => {
        soqlIdentifier(name);
        const f = byName.get(name.toLowerCase());
        if (!f) throw new CollectionPlanError(`fields.${d.name}: ${d.name} has no field '${name}'`);
        if (UNSYNCABLE_TYPES.has(f.type)) throw new CollectionPlanError(`fields.${d.name}: ${f.name} is a ${f.type} field; list its parts instead`);
        return f.name;
      })
      .filter((n) => n !== 'Id'),
  );
}

async function rootSelection(
  req: CollectionRequest,
  root: DescribeSObjectResult,
  describeOnce: (name: string) => Promise<DescribeSObjectResult>,
): Promise<RootSelection> {
  if (req.all) return { by: 'all' };
  const filter = req.filter !== undefined ? filterClause(req.filter, { fieldType: await fieldTypes(req.filter, root, describeOnce) }) : undefined;
  const where = andClauses(req.where?.trim(), filter);
  if (req.ids === undefined) return { by: 'where', where: where! };
  const ids = normalizeIds(req.ids);
  for (const id of ids) {
    if (root.keyPrefix && keyPrefixOf(id) !== root.keyPrefix) {
      throw new CollectionPlanError(`record Id ${id} is not a ${root.name} Id (${root.name} Ids start with ${root.keyPrefix})`);
    }
  }
  return where ? { by: 'ids', ids, where } : { by: 'ids', ids };
}

/**
 * The describe type of every filter path, walking relationship paths through the describes of the
 * objects they pass, so values are written as their field's type and unknown fields fail here with
 * a clear message instead of as a query error.
 */
async function fieldTypes(
  filter: Filter,
  root: DescribeSObjectResult,
  describeOnce: (name: string) => Promise<DescribeSObjectResult>,
): Promise<(path: string) => string | undefined> {
  const types = new Map<string, string>();
  if (!filter || typeof filter !== 'object') return () => undefined;
  for (const path of Object.keys(filter)) {
    soqlIdentifier(path, { path: true });
    const segments = path.split('.');
    let d = root;
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i]!;
      if (i === segments.length - 1) {
        const f = d.fields.find((x) => same(x.name, seg));
        if (!f) throw new CollectionPlanError(`filter: ${d.name} has no field '${seg}'`);
        types.set(path, f.type);
        break;
      }
      const rel = d.fields.find((x) => x.type === 'reference' && same(x.relationshipName, seg));
      if (!rel) throw new CollectionPlanError(`filter: ${d.name} has no relationship '${seg}'`);
      // Polymorphic paths can only reach the few fields every target shares; leave those to the org.
      if ((rel.referenceTo?.length ?? 0) !== 1) break;
      d = await describeOnce(rel.referenceTo![0]!);
    }
  }
  return (path) => types.get(path);
}

/** Several targets, or one that stands for several (`Name`): describe's flag is missing from jsforce's type. */
function isPolymorphic(f: Field): boolean {
  return (f.referenceTo?.length ?? 0) > 1 || (f as Field & { polymorphicForeignKey?: boolean }).polymorphicForeignKey === true;
}

function same(a: string | null | undefined, b: string | null | undefined): boolean {
  return !!a && !!b && a.toLowerCase() === b.toLowerCase();
}

function unique(names: string[]): string[] {
  return [...new Set(names)];
}
