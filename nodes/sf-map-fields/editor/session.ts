import type { FieldMapping, Mapping, ValueMap } from '../../../lib/mapping/format.js';
import type { DescribeField } from '../../../lib/mapping/describe.js';
import type { FieldSuggestion } from '../../../lib/mapping/suggest.js';

// The state of the one open mapping dialog, and the shapes its parts share.

export interface MapFieldsEditorNode {
  id: string;
  name: string;
  source: string;
  target: string;
  mapping: string;
  template: string;
  _(key: string, args?: Record<string, unknown>): string;
}

export type Side = 'source' | 'target';

export type Kind = 'source' | 'expression' | 'constant';

export type Level = 'error' | 'warning';

export interface Note {
  level: Level;
  text: string;
}

export interface Catalog {
  object: string;
  label: string;
  fields: DescribeField[];
  byName: Map<string, DescribeField>;
}

export interface CheckResult {
  ok: boolean;
  problems: string[];
  warnings: string[];
  stamp?: { name: string; version: string; hash: string };
}

export interface FieldRowControls {
  target: JQuery;
  kind: JQuery;
  source: JQuery;
  expression: JQuery;
  constant: JQuery;
  condition: JQuery;
  dflt: JQuery;
  required: JQuery;
  truncate: JQuery;
  allowMissing: JQuery;
  description: JQuery;
  valueMap: ValueMapEditor;
  warn: JQuery;
  tags: JQuery;
  /** The entry as loaded, for what the form shows only as a default (explicit `false` flags). */
  loaded: Partial<FieldMapping>;
  /** Set by Auto-map: why the pair was suggested and what to watch. */
  suggestion?: FieldSuggestion;
}

export interface RelationshipRowControls {
  source: JQuery;
  target: JQuery;
  object: JQuery;
  via: JQuery;
  externalId: JQuery;
  nillable: JQuery;
  warn: JQuery;
  description?: string;
}

export interface ValueMapEditor {
  read(): ValueMap | undefined;
  /** Refill the pickers from the row's current source and target fields. */
  refresh(): void;
}

export interface Session {
  node: MapFieldsEditorNode;
  t(key: string, args?: Record<string, unknown>): string;
  catalogs: Partial<Record<Side, Catalog>>;
  /** Target-org describes of objects relationships point at, by lower-case name. */
  parents: Map<string, Promise<Catalog | undefined>>;
  /** The document as opened (or last loaded), for `$schema` and to keep an unchanged text as is. */
  loaded: Partial<Mapping>;
  template: string;
  templates?: Promise<Record<string, Mapping>>;
  /** `fields[3]` → notes from the last Check, shown on that row until the list changes. */
  checkNotes: Map<string, Note[]>;
  lastHeight?: number;
  rows: number;
  tabs?: { activateTab(id: string): void };
}

export const P = 'sf-map-fields';

export const KINDS: Kind[] = ['source', 'expression', 'constant'];

export const DL = {
  sourceObjects: `${P}-dl-source-objects`,
  targetObjects: `${P}-dl-target-objects`,
  sourceFields: `${P}-dl-source-fields`,
  targetFields: `${P}-dl-target-fields`,
  targetExternalIds: `${P}-dl-target-extids`,
  sourceLookups: `${P}-dl-source-lookups`,
  targetLookups: `${P}-dl-target-lookups`,
};

/** typedInput types for "no value" (absent) and JSON null, beside str/num/bool. */
export const NONE = 'sf-none';
export const NULL = 'sf-null';

let session: Session | undefined;

/** Opens a dialog's session (replacing any other): later answers for an older one are dropped. */
export function openSession(opened: Session): Session {
  session = opened;
  return opened;
}

export function closeSession(): void {
  session = undefined;
}

export function s(): Session {
  if (!session) throw new Error('sf-map-fields editor is not open');
  return session;
}

/** False once the dialog an answer was asked for has closed (or another one opened). */
export function live(asked: Session): boolean {
  return asked === session;
}
