/**
 * The parts of a Salesforce describe result the mapping engine reads. Structural, so jsforce's
 * `DescribeSObjectResult` (and the emulator's) fit without an import of jsforce here.
 */

export interface DescribePicklistValue {
  value: string;
  label?: string | null;
  active?: boolean;
  defaultValue?: boolean;
}

export interface DescribeField {
  name: string;
  label: string;
  type: string;
  length?: number;
  precision?: number;
  scale?: number;
  /** Integer fields report their size here rather than in `precision`. */
  digits?: number;
  picklistValues?: DescribePicklistValue[] | null;
  restrictedPicklist?: boolean;
  nillable: boolean;
  createable: boolean;
  updateable: boolean;
  defaultedOnCreate?: boolean;
  externalId?: boolean;
  idLookup?: boolean;
  referenceTo?: string[] | null;
  relationshipName?: string | null;
  calculated?: boolean;
  autoNumber?: boolean;
}

export interface ObjectDescribe {
  name: string;
  label?: string;
  fields: DescribeField[];
}

/** How the engine groups Salesforce field types: one converter and one compatibility row per kind. */
export type FieldKind =
  | 'text'
  | 'picklist'
  | 'multipicklist'
  | 'int'
  | 'number'
  | 'boolean'
  | 'date'
  | 'datetime'
  | 'time'
  | 'id'
  | 'compound'
  | 'binary'
  | 'other';

const KINDS: Record<string, FieldKind> = {
  string: 'text',
  textarea: 'text',
  email: 'text',
  phone: 'text',
  url: 'text',
  encryptedstring: 'text',
  combobox: 'text',
  picklist: 'picklist',
  multipicklist: 'multipicklist',
  int: 'int',
  long: 'int',
  double: 'number',
  currency: 'number',
  percent: 'number',
  boolean: 'boolean',
  date: 'date',
  datetime: 'datetime',
  time: 'time',
  id: 'id',
  reference: 'id',
  address: 'compound',
  location: 'compound',
  base64: 'binary',
};

export function fieldKind(field: DescribeField): FieldKind {
  return KINDS[field.type] ?? 'other';
}

/** What a create must supply: not nillable, writable on create, and no platform default. */
export function requiredOnCreate(field: DescribeField): boolean {
  return !field.nillable && field.createable && !field.defaultedOnCreate && field.type !== 'boolean';
}

export function isWritable(field: DescribeField): boolean {
  return field.createable || field.updateable;
}

/** Active picklist values; inactive ones are refused by the platform on write like unknown ones. */
export function activePicklistValues(field: DescribeField): string[] {
  return (field.picklistValues ?? []).filter((p) => p.active !== false).map((p) => p.value);
}

/** Field lookup by API name, case-insensitive as Salesforce is; built once per describe. */
export class FieldIndex {
  private readonly byName = new Map<string, DescribeField>();

  constructor(readonly describe: ObjectDescribe) {
    for (const f of describe.fields) this.byName.set(f.name.toLowerCase(), f);
  }

  get(name: string): DescribeField | undefined {
    return this.byName.get(name.toLowerCase());
  }

  names(): string[] {
    return this.describe.fields.map((f) => f.name);
  }
}

/**
 * A lookup a sync can follow to its parent: a writable reference field that names its target
 * objects (read-only system lookups such as CreatedById are not the record's own relationships).
 */
export function isFollowableLookup(field: Pick<DescribeField, 'type' | 'createable' | 'updateable' | 'referenceTo'>): boolean {
  return field.type === 'reference' && (field.createable || field.updateable) && !!field.referenceTo?.length;
}
