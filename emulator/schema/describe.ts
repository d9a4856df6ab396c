/**
 * Describe results in the shape real orgs return them: `GET /sobjects` (describeGlobal) and
 * `GET /sobjects/{X}/describe`. Everything is derived from the ObjectDefs on each call, so custom
 * fields and picklist changes applied to a schema show up at once; describing ~100 fields is cheap
 * next to an HTTP round trip, and a cache would have to notice in-place picklist edits.
 * Keys are emitted in alphabetical order, as real orgs emit them.
 */
import { errors } from '../errors.js';
import { makeId } from '../util/ids.js';
import type { ObjectSchema, OrgSchema } from './org-schema.js';
import type { FieldDef, FieldType, ObjectDef, RecordTypeDef } from './types.js';

/** The Id every org gives the implicit Master record type. */
export const MASTER_RECORD_TYPE_ID = '012000000000000AAA';

export interface DescribeOptions {
  /** Origin used by the ui* URL templates ("https://acme.my.salesforce.com"); they are relative without it. */
  instanceUrl?: string;
}

const SOAP_TYPES: Record<FieldType, string> = {
  id: 'tns:ID',
  reference: 'tns:ID',
  string: 'xsd:string',
  textarea: 'xsd:string',
  picklist: 'xsd:string',
  multipicklist: 'xsd:string',
  combobox: 'xsd:string',
  email: 'xsd:string',
  phone: 'xsd:string',
  url: 'xsd:string',
  encryptedstring: 'xsd:string',
  boolean: 'xsd:boolean',
  int: 'xsd:int',
  double: 'xsd:double',
  currency: 'xsd:double',
  percent: 'xsd:double',
  date: 'xsd:date',
  datetime: 'xsd:dateTime',
  time: 'xsd:time',
  address: 'urn:address',
  location: 'urn:location',
  base64: 'xsd:base64Binary',
};

/** Lengths the platform reports when a definition leaves them out. */
const DEFAULT_LENGTH: Partial<Record<FieldType, number>> = {
  id: 18,
  reference: 18,
  string: 255,
  textarea: 255,
  picklist: 255,
  multipicklist: 4099,
  combobox: 255,
  email: 80,
  phone: 40,
  url: 255,
  encryptedstring: 175,
};

const TEXT_TYPES = new Set<FieldType>(['string', 'textarea', 'picklist', 'multipicklist', 'combobox', 'email', 'phone', 'url', 'encryptedstring']);
const NUMBER_TYPES = new Set<FieldType>(['double', 'currency', 'percent']);
const PICKLIST_TYPES = new Set<FieldType>(['picklist', 'multipicklist', 'combobox']);
const GROUPABLE_TYPES = new Set<FieldType>(['id', 'reference', 'string', 'picklist', 'combobox', 'email', 'phone', 'url', 'boolean', 'date', 'int']);
const SYSTEM_FIELDS = new Set(['Id', 'IsDeleted', 'CreatedDate', 'CreatedById', 'LastModifiedDate', 'LastModifiedById', 'SystemModstamp']);

function normalizeVersion(apiVersion: string): string {
  return apiVersion.replace(/^v/i, '');
}

function sobjectBase(def: ObjectDef, apiVersion: string): string {
  return `/services/data/v${normalizeVersion(apiVersion)}/sobjects/${def.name}`;
}

/** The object-level capability flags, with the platform's defaults for custom objects and events. */
export function objectFlags(def: ObjectDef) {
  const event = !!def.isPlatformEvent;
  const setting = !!def.customSetting;
  const record = !event;
  return {
    activateable: def.activateable ?? false,
    createable: def.createable ?? true,
    customSetting: setting,
    deletable: def.deletable ?? record,
    feedEnabled: def.feedEnabled ?? false,
    layoutable: def.layoutable ?? (record && !setting),
    mergeable: def.mergeable ?? false,
    mruEnabled: def.mruEnabled ?? (record && !setting && def.fields.some((f) => f.name === 'LastViewedDate')),
    queryable: def.queryable ?? record,
    replicateable: def.replicateable ?? (record && !setting),
    retrieveable: def.retrieveable ?? record,
    searchable: def.searchable ?? (record && !setting),
    triggerable: def.triggerable ?? !setting,
    undeletable: def.undeletable ?? (record && !setting),
    updateable: def.updateable ?? record,
  };
}

function fieldLength(f: FieldDef): number {
  return TEXT_TYPES.has(f.type) || f.type === 'id' || f.type === 'reference' ? (f.length ?? DEFAULT_LENGTH[f.type] ?? 0) : 0;
}

/**
 * Field-level security applies to optional fields only: required, system, name and compound
 * fields are always visible, so real describe marks them not permissionable.
 */
function isPermissionable(f: FieldDef): boolean {
  if (f.permissionable !== undefined) return f.permissionable;
  if (SYSTEM_FIELDS.has(f.name) || f.type === 'id' || f.type === 'address' || f.type === 'location') return false;
  if (f.nameField || f.components) return false;
  return f.nillable || f.type === 'boolean';
}

/** Custom-field defaults travel as formula text in describe ("'Open'", "42"). */
function defaultValueFormula(f: FieldDef): string | null {
  if (f.defaultValueFormula !== undefined) return f.defaultValueFormula;
  if (!f.custom || f.type === 'boolean' || PICKLIST_TYPES.has(f.type)) return null;
  if (f.defaultValue === undefined || f.defaultValue === null) return null;
  return typeof f.defaultValue === 'string' ? `'${f.defaultValue.replace(/'/g, "\\'")}'` : String(f.defaultValue);
}

export function describeField(f: FieldDef): Record<string, unknown> {
  const length = fieldLength(f);
  const longText = f.type === 'textarea' && length > 255;
  const compound = f.type === 'address' || f.type === 'location';
  const opaque = f.type === 'base64' || f.type === 'encryptedstring';
  const isRef = f.type === 'reference';
  const referenceTo = isRef ? [...(f.referenceTo ?? [])] : [];
  const polymorphic = f.polymorphicForeignKey ?? referenceTo.length > 1;
  const numeric = NUMBER_TYPES.has(f.type);
  const picklistValues = PICKLIST_TYPES.has(f.type)
    ? (f.picklistValues ?? []).map((p) => ({
        active: p.active ?? true,
        defaultValue: p.defaultValue ?? false,
        label: p.label ?? p.value,
        validFor: p.validFor ?? null,
        value: p.value,
      }))
    : [];
  return {
    aggregatable: f.aggregatable ?? !(f.type === 'boolean' || longText || f.type === 'multipicklist' || compound || opaque),
    aiPredictionField: false,
    autoNumber: f.autoNumber ?? false,
    byteLength: f.type === 'id' || isRef ? length : TEXT_TYPES.has(f.type) ? length * 3 : 0,
    calculated: !!(f.calculated || f.formula),
    calculatedFormula: f.formula ?? null,
    cascadeDelete: f.cascadeDelete ?? false,
    caseSensitive: f.caseSensitive ?? false,
    compoundFieldName: f.compoundFieldName ?? null,
    controllerName: f.controllerName ?? null,
    createable: f.createable,
    custom: f.custom ?? false,
    defaultValue: f.type === 'boolean' ? (typeof f.defaultValue === 'boolean' ? f.defaultValue : false) : null,
    defaultValueFormula: defaultValueFormula(f),
    defaultedOnCreate: f.defaultedOnCreate ?? false,
    dependentPicklist: !!f.controllerName,
    deprecatedAndHidden: false,
    digits: f.type === 'int' ? (f.digits ?? 9) : 0,
    displayLocationInDecimal: false,
    encrypted: f.type === 'encryptedstring',
    externalId: f.externalId ?? false,
    extraTypeInfo: f.extraTypeInfo ?? (f.type === 'textarea' ? 'plaintextarea' : null),
    filterable: f.filterable ?? !(longText || opaque),
    filteredLookupInfo: null,
    formulaTreatNullNumberAsZero: false,
    groupable: f.groupable ?? (GROUPABLE_TYPES.has(f.type) || (f.type === 'textarea' && !longText)),
    highScaleNumber: false,
    htmlFormatted: f.htmlFormatted ?? f.extraTypeInfo === 'richtextarea',
    idLookup: f.idLookup ?? (f.type === 'id' || !!f.externalId),
    inlineHelpText: f.inlineHelpText ?? null,
    label: f.label,
    length,
    mask: f.type === 'encryptedstring' ? 'asterisk' : null,
    maskType: f.type === 'encryptedstring' ? 'all' : null,
    name: f.name,
    nameField: f.nameField ?? false,
    namePointing: f.namePointing ?? polymorphic,
    nillable: f.nillable,
    permissionable: isPermissionable(f),
    picklistValues,
    polymorphicForeignKey: isRef && polymorphic,
    precision: numeric ? (f.precision ?? 18) : 0,
    queryByDistance: compound,
    referenceTargetField: null,
    referenceTo,
    relationshipName: isRef ? (f.relationshipName ?? null) : null,
    relationshipOrder: isRef ? (f.relationshipOrder ?? null) : null,
    restrictedDelete: f.restrictedDelete ?? false,
    restrictedPicklist: f.restrictedPicklist ?? false,
    scale: numeric ? (f.scale ?? 0) : 0,
    searchPrefilterable: isRef && !polymorphic,
    soapType: f.soapType ?? SOAP_TYPES[f.type],
    sortable: f.sortable ?? !(longText || f.type === 'multipicklist' || compound || opaque),
    type: f.type,
    unique: f.unique ?? false,
    updateable: f.updateable,
    writeRequiresMasterRead: f.writeRequiresMasterRead ?? false,
  };
}

/** FNV-1a, so a record type declared without an Id gets the same one in every run. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The Id of a declared record type: its own when given, else a stable one derived from its names. */
export function recordTypeIdFor(objectName: string, rt: RecordTypeDef): string {
  if (rt.master) return MASTER_RECORD_TYPE_ID;
  return rt.recordTypeId ?? makeId('012', '5R', 1 + (hash32(`${objectName}.${rt.developerName}`) % 0x7fffffff));
}

/**
 * Objects that support record types report the Master record type even when none are defined;
 * objects that do not (User, Profile, Organization) report none.
 */
function supportsRecordTypes(def: ObjectDef): boolean {
  if (def.recordTypes?.length) return true;
  if (def.fields.some((f) => f.name === 'RecordTypeId')) return true;
  return def.custom && !def.isPlatformEvent && !def.customSetting;
}

function recordTypeInfos(def: ObjectDef, base: string): object[] {
  if (!supportsRecordTypes(def)) return [];
  const declared = (def.recordTypes ?? []).filter((rt) => !rt.master);
  const hasDefault = declared.some((rt) => rt.defaultRecordTypeMapping);
  const all: RecordTypeDef[] = [
    ...declared,
    { name: 'Master', developerName: 'Master', master: true, defaultRecordTypeMapping: !hasDefault },
  ];
  return all
    .map((rt) => {
      const recordTypeId = recordTypeIdFor(def.name, rt);
      return {
        active: true,
        // Once real record types exist, users create records with those, not with Master.
        available: rt.master ? declared.length === 0 : true,
        defaultRecordTypeMapping: !!rt.defaultRecordTypeMapping,
        developerName: rt.developerName,
        master: !!rt.master,
        name: rt.name,
        recordTypeId,
        urls: { layout: `${base}/describe/layouts/${recordTypeId}` },
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

function supportedScopes(def: ObjectDef): { label: string; name: string }[] {
  if (def.supportedScopes) return def.supportedScopes.map((s) => ({ ...s }));
  const plural = def.labelPlural.toLowerCase();
  const scopes = [{ label: `All ${plural}`, name: 'everything' }];
  if (def.fields.some((f) => f.name === 'OwnerId')) scopes.push({ label: `My ${plural}`, name: 'mine' });
  if (def.name === 'Account' || def.name === 'Opportunity') scopes.push({ label: `My team's ${plural}`, name: 'team' });
  return scopes;
}

function objectUrls(def: ObjectDef, base: string, layoutable: boolean, opts: DescribeOptions): Record<string, string> {
  if (!layoutable) return { rowTemplate: `${base}/{ID}`, describe: `${base}/describe`, sobject: base };
  const ui = (opts.instanceUrl ?? '').replace(/\/+$/, '');
  return {
    compactLayouts: `${base}/describe/compactLayouts`,
    rowTemplate: `${base}/{ID}`,
    approvalLayouts: `${base}/describe/approvalLayouts`,
    uiDetailTemplate: `${ui}/{ID}`,
    uiEditTemplate: `${ui}/{ID}/e`,
    defaultValues: `${base}/defaultValues?recordTypeId&fields`,
    listviews: `${base}/listviews`,
    describe: `${base}/describe`,
    uiNewRecord: `${ui}/${def.keyPrefix}/e`,
    quickActions: `${base}/quickActions`,
    layouts: `${base}/describe/layouts`,
    sobject: base,
  };
}

function childRelationships(o: ObjectSchema): object[] {
  return [...o.childRelationships]
    .sort((a, b) => a.childSObject.localeCompare(b.childSObject) || a.field.localeCompare(b.field))
    .map((r) => ({
      cascadeDelete: r.cascadeDelete,
      childSObject: r.childSObject,
      deprecatedAndHidden: false,
      field: r.field,
      junctionIdListNames: [],
      junctionReferenceTo: [],
      relationshipName: r.relationshipName,
      restrictedDelete: r.restrictedDelete,
    }));
}

function requireObject(schema: OrgSchema, objectName: string): ObjectSchema {
  const o = schema.object(objectName);
  if (!o) throw errors.notFound();
  return o;
}

function globalEntry(def: ObjectDef, apiVersion: string): Record<string, unknown> {
  const flags = objectFlags(def);
  const base = sobjectBase(def, apiVersion);
  return {
    activateable: flags.activateable,
    associateEntityType: null,
    associateParentEntity: null,
    createable: flags.createable,
    custom: def.custom,
    customSetting: flags.customSetting,
    deepCloneable: false,
    deletable: flags.deletable,
    deprecatedAndHidden: false,
    feedEnabled: flags.feedEnabled,
    hasSubtypes: false,
    isInterface: false,
    isSubtype: false,
    keyPrefix: def.keyPrefix || null,
    label: def.label,
    labelPlural: def.labelPlural,
    layoutable: flags.layoutable,
    mergeable: flags.mergeable,
    mruEnabled: flags.mruEnabled,
    name: def.name,
    queryable: flags.queryable,
    replicateable: flags.replicateable,
    retrieveable: flags.retrieveable,
    searchable: flags.searchable,
    triggerable: flags.triggerable,
    undeletable: flags.undeletable,
    updateable: flags.updateable,
    urls: { rowTemplate: `${base}/{ID}`, describe: `${base}/describe`, sobject: base },
  };
}

/**
 * `GET /services/data/vXX.X/sobjects/{objectName}/describe`. Throws the REST NOT_FOUND error for
 * an unknown object, as real orgs answer 404 there.
 */
export function describeSObject(schema: OrgSchema, objectName: string, apiVersion: string, opts: DescribeOptions = {}): Record<string, unknown> {
  const o = requireObject(schema, objectName);
  const def = o.def;
  const flags = objectFlags(def);
  const base = sobjectBase(def, apiVersion);
  const { urls: _globalUrls, ...global } = globalEntry(def, apiVersion);
  void _globalUrls;
  const described: Record<string, unknown> = {
    ...global,
    actionOverrides: [],
    childRelationships: childRelationships(o),
    compactLayoutable: flags.layoutable,
    defaultImplementation: null,
    extendedBy: null,
    extendsInterfaces: null,
    fields: def.fields.map(describeField),
    implementedBy: null,
    implementsInterfaces: null,
    listviewable: null,
    lookupLayoutable: null,
    namedLayoutInfos: (def.namedLayouts ?? []).map((name) => ({
      name,
      urls: { namedLayoutDetail: `${base}/describe/namedLayouts/${name}` },
    })),
    networkScopeFieldName: null,
    recordTypeInfos: recordTypeInfos(def, base),
    searchLayoutable: flags.searchable && flags.layoutable,
    sobjectDescribeOption: 'FULL',
    supportedScopes: flags.queryable ? supportedScopes(def) : null,
    urls: objectUrls(def, base, flags.layoutable, opts),
  };
  return Object.fromEntries(Object.entries(described).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** `GET /services/data/vXX.X/sobjects`: every object, sorted by name as real orgs list them. */
export function describeGlobal(schema: OrgSchema, apiVersion: string): { encoding: string; maxBatchSize: number; sobjects: Record<string, unknown>[] } {
  const sobjects = schema
    .objects()
    .map((o) => o.def)
    .sort((a, b) => a.name.localeCompare(b.name, 'en', { sensitivity: 'base' }))
    .map((def) => globalEntry(def, apiVersion));
  return { encoding: 'UTF-8', maxBatchSize: 200, sobjects };
}
