/** Field and object definitions from which describe results, validation and SOQL are all derived. */

export type FieldType =
  | 'id' | 'string' | 'textarea' | 'picklist' | 'multipicklist' | 'combobox' | 'reference'
  | 'boolean' | 'int' | 'double' | 'currency' | 'percent' | 'date' | 'datetime' | 'time'
  | 'email' | 'phone' | 'url' | 'address' | 'location' | 'base64' | 'encryptedstring';

export interface PicklistValue {
  value: string;
  label?: string;
  active?: boolean;
  defaultValue?: boolean;
  /** Opportunity stages: whether the stage closes the opportunity, and whether it wins it. */
  closed?: boolean;
  won?: boolean;
  /** Dependent picklists: base64 bitmap of the controlling values this value is valid for. */
  validFor?: string | null;
}

export interface FieldDef {
  name: string;
  type: FieldType;
  label: string;
  /** Text length for string-like types; 18 for ids and references. */
  length?: number;
  /** Total digits and digits after the decimal point, for double/currency/percent. */
  precision?: number;
  scale?: number;
  /** Digits for int. */
  digits?: number;
  /** May be null on create/update. A required field is nillable:false, createable:true, defaultedOnCreate:false. */
  nillable: boolean;
  createable: boolean;
  updateable: boolean;
  /** Set by the server (system fields, Id, formula results). */
  calculated?: boolean;
  /** Formula fields are computed on read; the emulator computes a few well-known ones in code. */
  formula?: string;
  defaultedOnCreate?: boolean;
  /** Value the server puts in on create when none is given (picklist default, boolean false...). */
  defaultValue?: string | number | boolean | null;
  unique?: boolean;
  caseSensitive?: boolean;
  externalId?: boolean;
  idLookup?: boolean;
  nameField?: boolean;
  autoNumber?: boolean;
  custom?: boolean;
  filterable?: boolean;
  sortable?: boolean;
  groupable?: boolean;
  aggregatable?: boolean;
  picklistValues?: PicklistValue[];
  restrictedPicklist?: boolean;
  /** For references: target object names (several for polymorphic lookups such as OwnerId, WhoId). */
  referenceTo?: string[];
  relationshipName?: string;
  /** 0 for master-detail (1 for the second master of a junction); undefined for lookups. */
  relationshipOrder?: number;
  /** Deleting the parent deletes this child (master-detail, or lookups flagged so). */
  cascadeDelete?: boolean;
  /** Lookup relationships that restrict deleting the parent while children point at it. */
  restrictedDelete?: boolean;
  /** Compound field this component belongs to (BillingStreet -> BillingAddress). */
  compoundFieldName?: string;
  /** Compound parent fields (address, location, Contact Name) list their components. */
  components?: string[];
  /** Present in describe but not writable through the API on this object (e.g. Contact.Name). */
  inlineHelpText?: string;
  soapType?: string;
  /** dependent picklist controller field name */
  controllerName?: string;
  htmlFormatted?: boolean;
  writeRequiresMasterRead?: boolean;
  /** Describe details that describe.ts otherwise derives from the type (plaintextarea, personname, imageurl...). */
  extraTypeInfo?: string | null;
  namePointing?: boolean;
  polymorphicForeignKey?: boolean;
  permissionable?: boolean;
  defaultValueFormula?: string;
  /** Name of the child relationship this lookup gives its parent; null for none. Read by OrgSchema. */
  childRelationshipName?: string | null;
}

export interface RecordTypeDef {
  name: string;
  developerName: string;
  recordTypeId?: string;
  defaultRecordTypeMapping?: boolean;
  master?: boolean;
}

export interface ObjectDef {
  name: string;
  label: string;
  labelPlural: string;
  keyPrefix: string;
  custom: boolean;
  fields: FieldDef[];
  createable?: boolean;
  updateable?: boolean;
  deletable?: boolean;
  queryable?: boolean;
  undeletable?: boolean;
  triggerable?: boolean;
  searchable?: boolean;
  replicateable?: boolean;
  retrieveable?: boolean;
  mergeable?: boolean;
  feedEnabled?: boolean;
  /** Publishes change events over CDC when enabled for the org. */
  cdcEnabled?: boolean;
  recordTypes?: RecordTypeDef[];
  /** Platform events (X__e) are publish-only objects. */
  isPlatformEvent?: boolean;
  /** Describe flags that describe.ts otherwise derives from the object's kind and fields. */
  activateable?: boolean;
  layoutable?: boolean;
  mruEnabled?: boolean;
  customSetting?: boolean;
  namedLayouts?: string[];
  supportedScopes?: { label: string; name: string }[];
}

/** A per-org schema file: custom objects, plus custom fields and picklist changes on standard objects. */
export interface SchemaFile {
  objects?: ObjectDef[];
  /** Extra fields per existing object name. */
  fields?: Record<string, FieldDef[]>;
  /** Replaces the picklist values of existing fields: { "Account.Industry": [...] }. */
  picklists?: Record<string, PicklistValue[]>;
}

export interface ChildRelationship {
  childSObject: string;
  field: string;
  relationshipName: string | null;
  cascadeDelete: boolean;
  restrictedDelete: boolean;
}
