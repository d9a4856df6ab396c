/**
 * Compact declarations for FieldDefs. Each builder fills in what a real org reports for that
 * kind of field (lengths, nillability, who may write it), so object definitions only spell out
 * what differs from the platform default.
 */
import type { FieldDef, FieldType, PicklistValue } from './types.js';

export interface FieldOptions extends Partial<Omit<FieldDef, 'name' | 'type'>> {
  /** nillable:false, createable:true, defaultedOnCreate:false: the API rejects a create without it. */
  required?: boolean;
  /** Set only by the server: not nillable, not writable, defaulted on create. */
  system?: boolean;
  /** Visible but never writable through the API (may be null). */
  readOnly?: boolean;
  /** Writable on create, fixed afterwards. */
  createOnly?: boolean;
}

export type PicklistEntry = string | PicklistValue;

const CUSTOM = /__c$/i;

/** "BillingPostalCode" -> "Billing Postal Code", "ParentId" -> "Parent ID", "Region__c" -> "Region". */
export function labelFor(name: string, type?: FieldType): string {
  let base = name.replace(/__c$/i, '').replace(/_/g, ' ');
  let suffix = '';
  if (type === 'reference' && /[a-z]Id$/.test(base)) {
    base = base.slice(0, -2);
    suffix = ' ID';
  }
  return base.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2').trim() + suffix;
}

function build(name: string, type: FieldType, opts: FieldOptions, typeDefaults: Partial<FieldDef> = {}): FieldDef {
  const { required, system, readOnly, createOnly, ...explicit } = opts;
  const f: FieldDef = {
    name,
    type,
    label: labelFor(name, type),
    nillable: true,
    createable: true,
    updateable: true,
    defaultedOnCreate: false,
    ...typeDefaults,
  };
  if (CUSTOM.test(name)) f.custom = true;
  if (required) Object.assign(f, { nillable: false, createable: true, defaultedOnCreate: false });
  if (system) Object.assign(f, { nillable: false, createable: false, updateable: false, defaultedOnCreate: true });
  if (readOnly) Object.assign(f, { createable: false, updateable: false });
  if (createOnly) f.updateable = false;
  Object.assign(f, explicit);
  for (const k of Object.keys(f) as (keyof FieldDef)[]) if (f[k] === undefined) delete f[k];
  return f;
}

/** The record Id. Real labels name the object ("Account ID"). */
export function id(label = 'Record ID'): FieldDef {
  return build('Id', 'id', { system: true, label, idLookup: true }, { length: 18 });
}

export function text(name: string, length: number, opts: FieldOptions = {}): FieldDef {
  return build(name, 'string', opts, { length });
}

/** Plain text area; lengths above 255 are long text areas, which SOQL cannot filter or sort on. */
export function textarea(name: string, length: number, opts: FieldOptions = {}): FieldDef {
  return build(name, 'textarea', opts, { length, extraTypeInfo: 'plaintextarea' });
}

export function longTextArea(name: string, length = 32000, opts: FieldOptions = {}): FieldDef {
  return textarea(name, length, opts);
}

export function richTextArea(name: string, length = 32768, opts: FieldOptions = {}): FieldDef {
  return build(name, 'textarea', opts, { length, extraTypeInfo: 'richtextarea', htmlFormatted: true });
}

export function email(name: string, opts: FieldOptions = {}): FieldDef {
  return build(name, 'email', opts, { length: 80 });
}

export function phone(name: string, opts: FieldOptions = {}): FieldDef {
  return build(name, 'phone', opts, { length: 40 });
}

export function url(name: string, opts: FieldOptions = {}): FieldDef {
  return build(name, 'url', opts, { length: 255 });
}

export function encryptedText(name: string, length = 175, opts: FieldOptions = {}): FieldDef {
  return build(name, 'encryptedstring', opts, { length, filterable: false, sortable: false, groupable: false });
}

function toPicklistValues(values: PicklistEntry[], defaultValue: unknown): PicklistValue[] {
  return values.map((v) => {
    const p: PicklistValue = typeof v === 'string' ? { value: v } : { ...v };
    p.label ??= p.value;
    p.active ??= true;
    p.defaultValue = p.defaultValue ?? (defaultValue !== undefined && p.value === defaultValue);
    return p;
  });
}

/**
 * A picklist. Giving `defaultValue` marks that entry as the default and makes the field
 * defaultedOnCreate, as the org fills it in when a create leaves it out.
 */
export function picklist(name: string, values: PicklistEntry[], opts: FieldOptions = {}): FieldDef {
  const defaulted = opts.defaultValue !== undefined && opts.defaultValue !== null;
  return build(name, 'picklist', opts, {
    length: 255,
    picklistValues: toPicklistValues(values, opts.defaultValue),
    restrictedPicklist: false,
    ...(defaulted ? { defaultedOnCreate: true } : {}),
  });
}

export function multipicklist(name: string, values: PicklistEntry[], opts: FieldOptions = {}): FieldDef {
  return build(name, 'multipicklist', opts, {
    length: 4099,
    picklistValues: toPicklistValues(values, opts.defaultValue),
    restrictedPicklist: false,
  });
}

export function combobox(name: string, values: PicklistEntry[], length = 255, opts: FieldOptions = {}): FieldDef {
  return build(name, 'combobox', opts, { length, picklistValues: toPicklistValues(values, opts.defaultValue) });
}

/** Relationship name the platform gives a lookup: Foo__c -> Foo__r, ParentId -> Parent. */
function relationshipNameFor(name: string): string {
  if (CUSTOM.test(name)) return name.replace(/__c$/i, '__r');
  return name.replace(/Id$/, '');
}

/**
 * A lookup. Several targets make it polymorphic (OwnerId to Group and User, WhoId, WhatId), which
 * real describe reports as polymorphicForeignKey and namePointing.
 */
export function reference(name: string, referenceTo: string[], relationshipName?: string | null, opts: FieldOptions = {}): FieldDef {
  const polymorphic = referenceTo.length > 1;
  return build(name, 'reference', opts, {
    length: 18,
    referenceTo: [...referenceTo],
    relationshipName: relationshipName === null ? undefined : (relationshipName ?? relationshipNameFor(name)),
    ...(polymorphic ? { polymorphicForeignKey: true, namePointing: true } : {}),
  });
}

/**
 * A master-detail relationship: required, cascades deletes, and by default cannot be reparented.
 * `order` 1 marks the second master of a junction object.
 */
export function masterDetail(
  name: string,
  parent: string,
  relationshipName?: string | null,
  opts: FieldOptions & { order?: 0 | 1; reparentable?: boolean } = {},
): FieldDef {
  const { order = 0, reparentable = false, ...rest } = opts;
  return reference(name, [parent], relationshipName, {
    nillable: false,
    updateable: reparentable,
    cascadeDelete: true,
    relationshipOrder: order,
    writeRequiresMasterRead: false,
    ...rest,
  });
}

/** A checkbox. Real checkboxes are never null: nillable:false and defaulted on create. */
export function checkbox(name: string, opts: FieldOptions = {}): FieldDef {
  return build(name, 'boolean', opts, { nillable: false, defaultedOnCreate: true, defaultValue: false });
}

export function int(name: string, digits: number, opts: FieldOptions = {}): FieldDef {
  return build(name, 'int', opts, { digits });
}

export function double(name: string, precision: number, scale: number, opts: FieldOptions = {}): FieldDef {
  return build(name, 'double', opts, { precision, scale });
}

export function currency(name: string, precision = 18, scale = 2, opts: FieldOptions = {}): FieldDef {
  return build(name, 'currency', opts, { precision, scale });
}

export function percent(name: string, precision = 3, scale = 0, opts: FieldOptions = {}): FieldDef {
  return build(name, 'percent', opts, { precision, scale });
}

export function date(name: string, opts: FieldOptions = {}): FieldDef {
  return build(name, 'date', opts);
}

export function datetime(name: string, opts: FieldOptions = {}): FieldDef {
  return build(name, 'datetime', opts);
}

export function time(name: string, opts: FieldOptions = {}): FieldDef {
  return build(name, 'time', opts);
}

export const GEOCODE_ACCURACY: PicklistValue[] = [
  'Address', 'NearAddress', 'Block', 'Street', 'ExtendedZip', 'Zip', 'Neighborhood', 'City', 'County', 'State', 'Unknown',
].map((v) => ({ value: v, label: v.replace(/([a-z])([A-Z])/g, '$1 $2') }));

export interface AddressOptions {
  /** Label prefix when it differs from the API prefix ("Billing"); '' for Lead/User style labels. */
  labelPrefix?: string;
  /** System-maintained addresses (Organization) are not writable. */
  readOnly?: boolean;
}

/**
 * A standard address: Street, City, State, PostalCode, Country, Latitude, Longitude and
 * GeocodeAccuracy components, then the compound `<prefix>Address` field, in real describe order.
 * The compound field is read-only: the API writes the components.
 */
export function address(prefix: string, opts: AddressOptions = {}): FieldDef[] {
  const lp = opts.labelPrefix ?? prefix;
  const label = (s: string) => (lp ? `${lp} ${s}` : s);
  const compound = `${prefix}Address`;
  const common: FieldOptions = { compoundFieldName: compound, ...(opts.readOnly ? { readOnly: true } : {}) };
  const parts: FieldDef[] = [
    textarea(`${prefix}Street`, 255, { ...common, label: label('Street') }),
    text(`${prefix}City`, 40, { ...common, label: label('City') }),
    text(`${prefix}State`, 80, { ...common, label: label('State/Province') }),
    text(`${prefix}PostalCode`, 20, { ...common, label: label('Zip/Postal Code') }),
    text(`${prefix}Country`, 80, { ...common, label: label('Country') }),
    double(`${prefix}Latitude`, 18, 15, { ...common, label: label('Latitude') }),
    double(`${prefix}Longitude`, 18, 15, { ...common, label: label('Longitude') }),
    picklist(`${prefix}GeocodeAccuracy`, GEOCODE_ACCURACY, { ...common, label: label('Geocode Accuracy'), restrictedPicklist: true }),
  ];
  const compoundField = build(compound, 'address', {
    readOnly: true,
    label: label('Address'),
    components: parts.map((p) => p.name),
  });
  return [...parts, compoundField];
}

/** A custom geolocation field: Name__Latitude__s / Name__Longitude__s plus the compound Name__c. */
export function geolocation(name: string, scale = 6, opts: FieldOptions = {}): FieldDef[] {
  const stem = name.replace(/__c$/i, '');
  const label = opts.label ?? labelFor(name);
  const common: FieldOptions = { compoundFieldName: name, custom: true };
  const lat = double(`${stem}__Latitude__s`, 18, scale, { ...common, label: `${label} (Latitude)` });
  const lon = double(`${stem}__Longitude__s`, 18, scale, { ...common, label: `${label} (Longitude)` });
  return [lat, lon, build(name, 'location', { ...opts, readOnly: true, label, custom: true, components: [lat.name, lon.name] })];
}

export const SALUTATIONS = ['Mr.', 'Ms.', 'Mrs.', 'Dr.', 'Prof.', 'Mx.'];

export interface PersonNameOptions {
  salutation?: boolean;
  middleName?: boolean;
  suffix?: boolean;
  /** Label of the compound Name ("Full Name" on Contact and User, "Full Name" on Lead too). */
  label?: string;
}

/**
 * LastName (required), FirstName, Salutation and the compound Name, in real describe order.
 * Name is the object's name field but not writable: the server builds it from the components.
 */
export function personName(opts: PersonNameOptions = {}): FieldDef[] {
  const { salutation = true, middleName = false, suffix = false } = opts;
  const info: FieldOptions = { compoundFieldName: 'Name', extraTypeInfo: 'personname' };
  const fields: FieldDef[] = [
    text('LastName', 80, { ...info, required: true, label: 'Last Name' }),
    text('FirstName', 40, { ...info, label: 'First Name' }),
  ];
  if (salutation) fields.push(picklist('Salutation', SALUTATIONS, { ...info, label: 'Salutation' }));
  if (middleName) fields.push(text('MiddleName', 40, { ...info, label: 'Middle Name' }));
  if (suffix) fields.push(text('Suffix', 40, { ...info, label: 'Name Suffix' }));
  const components = [
    ...(salutation ? ['Salutation'] : []),
    'FirstName',
    ...(middleName ? ['MiddleName'] : []),
    'LastName',
    ...(suffix ? ['Suffix'] : []),
  ];
  fields.push(
    text('Name', 121, {
      readOnly: true,
      nillable: false,
      nameField: true,
      label: opts.label ?? 'Full Name',
      extraTypeInfo: 'personname',
      components,
    }),
  );
  return fields;
}

/** IsDeleted: every recycle-bin-capable object has it. */
export function isDeleted(): FieldDef {
  return checkbox('IsDeleted', { system: true, label: 'Deleted' });
}

/**
 * OwnerId. Objects that can be owned by queues (Lead, Case, custom objects) reference Group too,
 * which makes the field polymorphic.
 */
export function ownerId(opts: { queues?: boolean } = {}): FieldDef {
  const targets = opts.queues ? ['Group', 'User'] : ['User'];
  return reference('OwnerId', targets, 'Owner', {
    nillable: false,
    defaultedOnCreate: true,
    label: 'Owner ID',
    childRelationshipName: null,
  });
}

/** CreatedDate, CreatedById, LastModifiedDate, LastModifiedById, SystemModstamp, in real order. */
export function auditFields(): FieldDef[] {
  const audit: FieldOptions = { system: true, childRelationshipName: null };
  return [
    datetime('CreatedDate', { system: true, label: 'Created Date' }),
    reference('CreatedById', ['User'], 'CreatedBy', { ...audit, label: 'Created By ID' }),
    datetime('LastModifiedDate', { system: true, label: 'Last Modified Date' }),
    reference('LastModifiedById', ['User'], 'LastModifiedBy', { ...audit, label: 'Last Modified By ID' }),
    datetime('SystemModstamp', { system: true, label: 'System Modstamp' }),
  ];
}

/** LastActivityDate: maintained from tasks and events, never written through the API. */
export function lastActivityDate(): FieldDef {
  return date('LastActivityDate', { readOnly: true, label: 'Last Activity' });
}

/** LastViewedDate and LastReferencedDate: present on MRU-enabled objects. */
export function recentlyViewedFields(): FieldDef[] {
  return [
    datetime('LastViewedDate', { readOnly: true, label: 'Last Viewed Date' }),
    datetime('LastReferencedDate', { readOnly: true, label: 'Last Referenced Date' }),
  ];
}

/** MasterRecordId: set on records that lost a merge. */
export function masterRecordId(objectName: string): FieldDef {
  return reference('MasterRecordId', [objectName], 'MasterRecord', {
    readOnly: true,
    label: 'Master Record ID',
    childRelationshipName: null,
  });
}

/** RecordTypeId: the platform lists no child relationship for it on RecordType. */
export function recordTypeId(): FieldDef {
  return reference('RecordTypeId', ['RecordType'], 'RecordType', { label: 'Record Type ID', childRelationshipName: null });
}

export interface CustomObjectFieldOptions {
  /** Label of the Name field; defaults to "<object label> Name". */
  nameLabel?: string;
  /** An auto-number Name field (e.g. "INV-{0000}") instead of a text one. */
  autoNumber?: boolean;
  /** Detail objects of a master-detail have no owner. */
  owner?: boolean;
}

/**
 * The standard fields every custom object has, in real describe order: Id, OwnerId, IsDeleted,
 * Name, audit fields, LastViewedDate, LastReferencedDate. Custom fields go after these.
 */
export function customObjectFields(objectLabel: string, opts: CustomObjectFieldOptions = {}): FieldDef[] {
  const nameLabel = opts.nameLabel ?? `${objectLabel} Name`;
  const name = opts.autoNumber
    ? text('Name', 30, { readOnly: true, nillable: false, defaultedOnCreate: true, autoNumber: true, nameField: true, label: nameLabel, idLookup: true })
    : text('Name', 80, { nameField: true, label: nameLabel });
  return [
    id(`Record ID`),
    ...(opts.owner === false ? [] : [ownerId({ queues: true })]),
    isDeleted(),
    name,
    ...auditFields(),
    ...recentlyViewedFields(),
  ];
}
