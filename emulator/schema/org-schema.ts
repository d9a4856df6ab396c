import type { ChildRelationship, FieldDef, ObjectDef, SchemaFile } from './types.js';

/** One resolved object: its definition plus case-insensitive lookups built once. */
export class ObjectSchema {
  readonly fieldsByLower = new Map<string, FieldDef>();
  /** relationshipName (lower case) -> the reference field that carries it. */
  readonly parentRelationships = new Map<string, FieldDef>();
  /** child relationship name (lower case) -> relationship. Filled by OrgSchema. */
  readonly childRelationshipsByLower = new Map<string, ChildRelationship>();
  childRelationships: ChildRelationship[] = [];
  /** Fields marked externalId or unique: the ones the store keeps an index for. */
  readonly indexedFields: FieldDef[] = [];

  constructor(readonly def: ObjectDef) {
    for (const f of def.fields) this.addField(f);
  }

  get name(): string {
    return this.def.name;
  }

  get keyPrefix(): string {
    return this.def.keyPrefix;
  }

  addField(f: FieldDef): void {
    const lower = f.name.toLowerCase();
    if (this.fieldsByLower.has(lower)) {
      const i = this.def.fields.findIndex((x) => x.name.toLowerCase() === lower);
      if (i >= 0) this.def.fields[i] = f;
    } else if (!this.def.fields.includes(f)) {
      this.def.fields.push(f);
    }
    this.fieldsByLower.set(lower, f);
    if (f.type === 'reference' && f.relationshipName) this.parentRelationships.set(f.relationshipName.toLowerCase(), f);
    if ((f.externalId || f.unique) && !this.indexedFields.includes(f)) this.indexedFields.push(f);
  }

  field(name: string): FieldDef | undefined {
    return this.fieldsByLower.get(name.toLowerCase());
  }

  parentRelationship(name: string): FieldDef | undefined {
    return this.parentRelationships.get(name.toLowerCase());
  }

  childRelationship(name: string): ChildRelationship | undefined {
    return this.childRelationshipsByLower.get(name.toLowerCase());
  }

  get fields(): FieldDef[] {
    return this.def.fields;
  }
}

/** All objects of one org, looked up case-insensitively by name and by key prefix. */
export class OrgSchema {
  private readonly byLower = new Map<string, ObjectSchema>();
  private readonly byPrefix = new Map<string, ObjectSchema>();

  constructor(objects: ObjectDef[]) {
    for (const o of objects) this.addObject(o);
    this.linkRelationships();
  }

  static fromDefs(standard: ObjectDef[], extra?: SchemaFile): OrgSchema {
    // Definitions are deep-copied so that one org's custom fields never leak into another's.
    const copy = (o: ObjectDef): ObjectDef => structuredClone(o);
    const schema = new OrgSchema(standard.map(copy));
    if (extra) schema.apply(extra);
    return schema;
  }

  apply(extra: SchemaFile): void {
    for (const o of extra.objects ?? []) this.addObject(structuredClone(o));
    for (const [objectName, fields] of Object.entries(extra.fields ?? {})) {
      const obj = this.object(objectName);
      if (!obj) throw new Error(`schema file adds fields to unknown object ${objectName}`);
      for (const f of fields) obj.addField(structuredClone(f));
    }
    for (const [path, values] of Object.entries(extra.picklists ?? {})) {
      const [objectName, fieldName] = path.split('.');
      const f = this.object(objectName ?? '')?.field(fieldName ?? '');
      if (!f) throw new Error(`schema file changes picklist of unknown field ${path}`);
      f.picklistValues = structuredClone(values);
    }
    this.linkRelationships();
  }

  addObject(def: ObjectDef): ObjectSchema {
    const o = new ObjectSchema(def);
    this.byLower.set(def.name.toLowerCase(), o);
    if (def.keyPrefix) this.byPrefix.set(def.keyPrefix, o);
    return o;
  }

  object(name: string): ObjectSchema | undefined {
    return this.byLower.get(name.toLowerCase());
  }

  objectForId(id: string): ObjectSchema | undefined {
    return this.byPrefix.get(id.slice(0, 3));
  }

  objects(): ObjectSchema[] {
    return [...this.byLower.values()];
  }

  /** Rebuilds every object's child relationships from the reference fields that point at it. */
  linkRelationships(): void {
    for (const o of this.byLower.values()) {
      o.childRelationships = [];
      o.childRelationshipsByLower.clear();
    }
    for (const child of this.byLower.values()) {
      for (const f of child.fields) {
        if (f.type !== 'reference' || !f.referenceTo) continue;
        for (const parentName of f.referenceTo) {
          const parent = this.object(parentName);
          if (!parent) continue;
          const rel: ChildRelationship = {
            childSObject: child.name,
            field: f.name,
            relationshipName: childRelationshipName(child, f, parent),
            cascadeDelete: !!f.cascadeDelete,
            restrictedDelete: !!f.restrictedDelete,
          };
          parent.childRelationships.push(rel);
          if (rel.relationshipName) parent.childRelationshipsByLower.set(rel.relationshipName.toLowerCase(), rel);
        }
      }
    }
  }
}

/**
 * Child relationship names follow the real ones for standard objects (Contacts, Opportunities,
 * ChildAccounts) and `<Plural>__r` for custom lookups. A field may carry its own via
 * `childRelationshipName` in the schema file.
 */
function childRelationshipName(child: ObjectSchema, f: FieldDef, parent: ObjectSchema): string | null {
  const explicit = (f as FieldDef & { childRelationshipName?: string | null }).childRelationshipName;
  if (explicit !== undefined) return explicit;
  const known = KNOWN_CHILD_RELATIONSHIPS[`${child.name}.${f.name}`];
  if (known !== undefined) return known;
  if (f.custom) return `${child.def.labelPlural.replace(/[^A-Za-z0-9]/g, '_')}__r`;
  if (f.name === 'OwnerId' || f.name === 'CreatedById' || f.name === 'LastModifiedById') return null;
  void parent;
  return child.def.labelPlural.replace(/[^A-Za-z0-9]/g, '');
}

const KNOWN_CHILD_RELATIONSHIPS: Record<string, string | null> = {
  'Account.ParentId': 'ChildAccounts',
  'Contact.AccountId': 'Contacts',
  'Contact.ReportsToId': null,
  'Opportunity.AccountId': 'Opportunities',
  'Case.AccountId': 'Cases',
  'Case.ContactId': 'Cases',
  'Case.ParentId': 'Cases',
  'Lead.ConvertedAccountId': null,
  'Lead.ConvertedContactId': null,
  'Lead.ConvertedOpportunityId': null,
  'Opportunity.ContactId': 'Opportunities',
  'User.ManagerId': 'ManagedUsers',
  'User.ContactId': null,
  'User.AccountId': null,
  'Contact.MasterRecordId': null,
  'Account.MasterRecordId': null,
  'Lead.MasterRecordId': null,
  'Case.MasterRecordId': null,
};
