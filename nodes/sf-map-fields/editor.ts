import type { DescribeField } from '../../lib/mapping/describe.js';
import type { FieldMapping, Mapping, MappingValue, MatchSpec, RelationshipMapping, ValueMap } from '../../lib/mapping/format.js';
import type { FieldSuggestion } from '../../lib/mapping/suggest.js';
import { fieldCompatibility } from '../../lib/mapping/type-compat.js';
import { orgDescribe, orgObjects } from '../shared/editor/org-api.js';

// The mapping editor. The form is the document: opening the dialog loads `node.mapping` (JSON) into
// it, Done writes it back, and templates, import, export and Check all go through the same two
// functions (loadDocument / readDocument), so what is exported is exactly what the node runs.

interface MapFieldsEditorNode {
  id: string;
  name: string;
  source: string;
  target: string;
  mapping: string;
  template: string;
  _(key: string, args?: Record<string, unknown>): string;
}

type Side = 'source' | 'target';
type Kind = 'source' | 'expression' | 'constant';
type Level = 'error' | 'warning';

interface Note {
  level: Level;
  text: string;
}

interface Catalog {
  object: string;
  label: string;
  fields: DescribeField[];
  byName: Map<string, DescribeField>;
}


interface CheckResult {
  ok: boolean;
  problems: string[];
  warnings: string[];
  stamp?: { name: string; version: string; hash: string };
}

interface FieldRowControls {
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

interface RelationshipRowControls {
  source: JQuery;
  target: JQuery;
  object: JQuery;
  via: JQuery;
  externalId: JQuery;
  nillable: JQuery;
  warn: JQuery;
  description?: string;
}

interface ValueMapEditor {
  read(): ValueMap | undefined;
  /** Refill the pickers from the row's current source and target fields. */
  refresh(): void;
}

interface Session {
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

const FORMAT = 'orgbridge-mapping/1';
const P = 'sf-map-fields';
const TEMPLATE_NAMES = ['Account', 'Contact', 'Opportunity'];
const KINDS: Kind[] = ['source', 'expression', 'constant'];
const DL = {
  sourceObjects: `${P}-dl-source-objects`,
  targetObjects: `${P}-dl-target-objects`,
  sourceFields: `${P}-dl-source-fields`,
  targetFields: `${P}-dl-target-fields`,
  targetExternalIds: `${P}-dl-target-extids`,
  sourceLookups: `${P}-dl-source-lookups`,
  targetLookups: `${P}-dl-target-lookups`,
};
/** typedInput types for "no value" (absent) and JSON null, beside str/num/bool. */
const NONE = 'sf-none';
const NULL = 'sf-null';

let session: Session | undefined;

function s(): Session {
  if (!session) throw new Error('sf-map-fields editor is not open');
  return session;
}

/** False once the dialog an answer was asked for has closed (or another one opened). */
function live(asked: Session): boolean {
  return asked === session;
}

// ---------------------------------------------------------------------------------------------
// Small helpers: requests, pickers, values.
// ---------------------------------------------------------------------------------------------

function request<T>(method: 'GET' | 'POST', url: string, data: Record<string, unknown>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    $.ajax({
      url,
      method,
      dataType: 'json',
      ...(method === 'POST' ? { contentType: 'application/json', data: JSON.stringify(data) } : { data: data as JQuery.PlainObject }),
    }).then(
      (r: T) => resolve(r),
      (xhr: JQuery.jqXHR) => reject(new Error((xhr.responseJSON as { error?: string } | undefined)?.error ?? (xhr.statusText || String(xhr.status)))),
    );
  });
}

function fillDatalist(id: string, options: Array<[string, string]>): void {
  const list = $(`#${id}`).empty();
  for (const [value, label] of options) $('<option>').attr('value', value).text(label).appendTo(list);
}

function text(el: JQuery): string {
  return String(el.val() ?? '').trim();
}

function connectionOf(side: Side): string {
  const v = String($(`#node-input-${side}`).val() ?? '');
  return v === '_ADD_' ? '' : v;
}

function objectOf(side: Side): string {
  return text($(`#${P}-${side}-object`));
}

function fieldLabel(f: DescribeField): string {
  return `${f.label} (${f.type}${f.length && f.type !== 'picklist' ? ` ${f.length}` : ''})`;
}

/** The typedInput's single line shows newlines as tabs; the document keeps the newlines. */
function toLine(expr: string | undefined): string {
  return (expr ?? '').replace(/\n/g, '\t');
}

function fromLine(value: string): string {
  return value.replace(/\t/g, '\n').trim();
}

function scalarTypes(withNone: boolean): Array<string | { value: string; label: string; hasValue: boolean }> {
  const t = s().t;
  return [
    ...(withNone ? [{ value: NONE, label: t('label.none'), hasValue: false }] : []),
    'str', 'num', 'bool',
    { value: NULL, label: t('label.null'), hasValue: false },
  ];
}

function setScalar(input: JQuery, value: MappingValue | undefined, absentType: string): void {
  if (value === undefined) input.typedInput('type', absentType);
  else if (value === null) input.typedInput('type', NULL);
  else {
    input.typedInput('type', typeof value === 'number' ? 'num' : typeof value === 'boolean' ? 'bool' : 'str');
    input.typedInput('value', String(value));
  }
}

function readScalar(input: JQuery): MappingValue | undefined {
  const type = input.typedInput('type');
  const v = input.typedInput('value');
  if (type === NONE) return undefined;
  if (type === NULL) return null;
  if (type === 'num') return v.trim() === '' || Number.isNaN(Number(v)) ? v : Number(v);
  if (type === 'bool') return v === 'true';
  return v;
}

function optionalExpression(input: JQuery): string | undefined {
  if (input.typedInput('type') === NONE) return undefined;
  return fromLine(input.typedInput('value')) || undefined;
}

function setOptionalExpression(input: JQuery, expr: string | undefined): void {
  input.typedInput('type', expr ? 'jsonata' : NONE);
  if (expr) input.typedInput('value', toLine(expr));
}

/** JSON with sorted keys: two documents with the same content compare equal whatever their key order. */
function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const o = value as Record<string, unknown>;
  return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
}

function parseDocument(textValue: string): Partial<Mapping> | undefined {
  try {
    const doc = JSON.parse(textValue) as unknown;
    return typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? (doc as Partial<Mapping>) : undefined;
  } catch {
    return undefined;
  }
}

function notify(message: string, type: 'success' | 'warning' | 'error' | 'compact' = 'success'): void {
  RED.notify(message, { type, timeout: 4000 });
}

// ---------------------------------------------------------------------------------------------
// Describes: object and field pickers from the orgs.
// ---------------------------------------------------------------------------------------------

function catalogOf(d: { name: string; label: string; fields: DescribeField[] }): Catalog {
  return { object: d.name, label: d.label, fields: d.fields, byName: new Map(d.fields.map((f) => [f.name.toLowerCase(), f])) };
}

function hint(side: Side, message: string): void {
  $(`#${P}-${side}-hint`).text(message).toggle(!!message);
}

async function loadObjects(side: Side): Promise<void> {
  const asked = s();
  const conn = connectionOf(side);
  const list = side === 'source' ? DL.sourceObjects : DL.targetObjects;
  if (!conn) {
    fillDatalist(list, []);
    hint(side, s().t('hint.choose-connection'));
    return;
  }
  try {
    const objects = await orgObjects(conn);
    if (!live(asked) || connectionOf(side) !== conn) return;
    fillDatalist(list, objects.map((o) => [o.name, o.label]));
    hint(side, '');
  } catch (err) {
    if (!live(asked)) return;
    fillDatalist(list, []);
    hint(side, (err as Error).message);
  }
}

async function loadDescribe(side: Side): Promise<void> {
  const session = s();
  const conn = connectionOf(side);
  const object = objectOf(side);
  delete session.catalogs[side];
  if (conn && object) {
    try {
      const d = await orgDescribe(conn, object);
      if (!live(session) || connectionOf(side) !== conn || objectOf(side) !== object) return;
      session.catalogs[side] = catalogOf(d);
      if (side === 'target') session.parents.set(d.name.toLowerCase(), Promise.resolve(session.catalogs.target));
      hint(side, '');
    } catch (err) {
      if (!live(session)) return;
      hint(side, (err as Error).message);
    }
  }
  fillFieldLists(side);
  refreshAllNotes();
}

function fillFieldLists(side: Side): void {
  const c = s().catalogs[side];
  const fields = c?.fields ?? [];
  const opt = (f: DescribeField): [string, string] => [f.name, fieldLabel(f)];
  if (side === 'source') {
    fillDatalist(DL.sourceFields, fields.filter((f) => f.type !== 'address' && f.type !== 'location').map(opt));
    fillDatalist(DL.sourceLookups, fields.filter((f) => f.type === 'reference').map(opt));
  } else {
    const writable = fields.filter((f) => (f.createable || f.updateable) && !f.calculated && !f.autoNumber);
    fillDatalist(DL.targetFields, writable.filter((f) => f.type !== 'reference').map(opt));
    fillDatalist(DL.targetLookups, writable.filter((f) => f.type === 'reference').map(opt));
    fillDatalist(DL.targetExternalIds, fields.filter((f) => f.externalId).map(opt));
  }
  fieldRows().forEach(({ controls }) => controls.valueMap.refresh());
}

/** A describe of `object` in the target org, for the external Id picker of a relationship. */
function parentCatalog(object: string): Promise<Catalog | undefined> {
  const session = s();
  const key = object.toLowerCase();
  let found = session.parents.get(key);
  const conn = connectionOf('target');
  if (!found && conn && object) {
    found = orgDescribe(conn, object).then(catalogOf, () => {
      session.parents.delete(key);
      return undefined;
    });
    session.parents.set(key, found);
  }
  return found ?? Promise.resolve(undefined);
}

// ---------------------------------------------------------------------------------------------
// Notes: type warnings and Check results on the rows.
// ---------------------------------------------------------------------------------------------

function showNotes(icon: JQuery, notes: Note[]): void {
  icon.toggle(notes.length > 0);
  icon.toggleClass('sf-mf-error', notes.some((n) => n.level === 'error'));
  icon.attr('title', notes.map((n) => n.text).join('\n'));
}

function fieldNotes(m: FieldMapping, index: number, controls: FieldRowControls): Note[] {
  const { t, catalogs, checkNotes } = s();
  const notes: Note[] = [];
  const tgt = catalogs.target;
  const src = catalogs.source;
  const targetField = m.target ? tgt?.byName.get(m.target.toLowerCase()) : undefined;
  if (tgt && m.target && !targetField) notes.push({ level: 'error', text: t('note.no-field', { field: m.target, object: tgt.object, side: t('label.target') }) });
  if (targetField && !targetField.createable && !targetField.updateable) notes.push({ level: 'error', text: t('note.read-only', { field: targetField.name }) });
  if (m.source !== undefined && src) {
    const sourceField = src.byName.get(m.source.toLowerCase());
    if (!sourceField) notes.push({ level: 'error', text: t('note.no-field', { field: m.source, object: src.object, side: t('label.source') }) });
    else if (targetField) {
      const vm = m.valueMap;
      const keys = vm ? new Set(Object.keys(vm.values).map((k) => (vm.caseInsensitive ? k.toLowerCase() : k))) : undefined;
      for (const c of fieldCompatibility(sourceField, targetField, {
        truncate: m.truncate,
        ...(keys ? { valueMapKeys: keys } : {}),
        hasDefault: !!vm && 'default' in vm,
        caseInsensitive: !!vm?.caseInsensitive,
      })) {
        notes.push({ level: c.level === 'error' ? 'error' : 'warning', text: c.reason ?? '' });
      }
    }
  }
  const suggestion = controls.suggestion;
  if (suggestion && (!src || !tgt)) {
    // Without the describes here, the server's verdict on the pair is all there is.
    for (const note of suggestion.notes) notes.push({ level: suggestion.compatibility === 'error' ? 'error' : 'warning', text: note });
  }
  if (suggestion?.matchedBy === 'label') notes.push({ level: 'warning', text: t('note.by-label', { source: suggestion.source }) });
  return [...notes, ...(checkNotes.get(`fields[${index}]`) ?? [])];
}

function relationshipNotes(r: RelationshipMapping, index: number): Note[] {
  const { t, catalogs, checkNotes } = s();
  const notes: Note[] = [];
  const check = (side: Side, name: string) => {
    const c = catalogs[side];
    if (!c || !name) return;
    const f = c.byName.get(name.toLowerCase());
    if (!f) notes.push({ level: 'error', text: t('note.no-field', { field: name, object: c.object, side: t(`label.${side}`) }) });
    else if (f.type !== 'reference') notes.push({ level: 'error', text: t('note.not-lookup', { field: f.name }) });
    else if (r.object && !(f.referenceTo ?? []).some((o) => o.toLowerCase() === r.object.toLowerCase())) {
      notes.push({ level: 'error', text: t('note.wrong-lookup', { field: f.name, object: r.object, refs: (f.referenceTo ?? []).join(', ') }) });
    }
  };
  check('source', r.source);
  check('target', r.target);
  return [...notes, ...(checkNotes.get(`relationships[${index}]`) ?? [])];
}

function refreshAllNotes(): void {
  fieldRows().forEach(({ controls }, i) => refreshFieldRow(controls, i));
  relationshipRows().forEach(({ controls }, i) => showNotes(controls.warn, relationshipNotes(readRelationshipRow(controls), i)));
}

// ---------------------------------------------------------------------------------------------
// Field mapping rows.
// ---------------------------------------------------------------------------------------------

function fieldRows(): Array<{ row: JQuery; controls: FieldRowControls }> {
  const out: Array<{ row: JQuery; controls: FieldRowControls }> = [];
  $(`#${P}-fields`).editableList('items').each((_i, el) => {
    const row = $(el as unknown as HTMLElement);
    const controls = row.data('sf-controls') as FieldRowControls | undefined;
    if (controls) out.push({ row, controls });
  });
  return out;
}

function detailRow(box: JQuery, labelKey: string): JQuery {
  const row = $('<div class="sf-mf-detail">').appendTo(box);
  $('<label>').text(s().t(labelKey)).appendTo(row);
  return row;
}

function checkbox(box: JQuery, labelKey: string, checked: boolean | undefined): JQuery {
  const label = $('<label class="sf-mf-flag">').appendTo(box);
  const input = $('<input type="checkbox">').prop('checked', !!checked).appendTo(label);
  $('<span>').text(s().t(labelKey)).appendTo(label);
  return input;
}

function valueMapEditor(box: JQuery, vm: ValueMap | undefined, n: number, fields: () => { source?: DescribeField; target?: DescribeField }, changed: () => void): ValueMapEditor {
  const t = s().t;
  const fromList = `${P}-dl-vm-from-${n}`;
  const toList = `${P}-dl-vm-to-${n}`;
  $('<datalist>').attr('id', fromList).appendTo(box);
  $('<datalist>').attr('id', toList).appendTo(box);
  const pairs = $('<div class="sf-mf-pairs">').appendTo(box);
  // Typed values (numbers, booleans) shown as text come back as they were unless edited.
  const originals = new Map<string, MappingValue>(Object.entries(vm?.values ?? {}));
  const addPair = (from: string, to: MappingValue) => {
    const pair = $('<div class="sf-mf-pair">').appendTo(pairs);
    $('<input type="text" class="sf-mf-from">').attr('list', fromList).attr('placeholder', t('placeholder.from')).val(from).appendTo(pair).on('change', changed);
    $('<i class="fa fa-long-arrow-right">').appendTo(pair);
    $('<input type="text" class="sf-mf-to">').attr('list', toList).attr('placeholder', t('placeholder.to')).val(to === null ? '' : String(to)).appendTo(pair).on('change', changed);
    $('<button type="button" class="red-ui-button red-ui-button-small">').attr('title', t('label.remove')).append('<i class="fa fa-times"></i>')
      .on('click', () => {
        pair.remove();
        changed();
      })
      .appendTo(pair);
  };
  for (const [k, v] of Object.entries(vm?.values ?? {})) addPair(k, v);
  const buttons = $('<div class="sf-mf-pair-buttons">').appendTo(box);
  $('<button type="button" class="red-ui-button red-ui-button-small">').append('<i class="fa fa-plus"></i> ').append($('<span>').text(t('label.add-value'))).appendTo(buttons)
    .on('click', () => addPair('', ''));
  $('<button type="button" class="red-ui-button red-ui-button-small">').append('<i class="fa fa-list"></i> ').append($('<span>').text(t('label.fill-values'))).appendTo(buttons)
    .on('click', () => {
      const { source, target } = fields();
      const have = new Set(pairs.find('.sf-mf-from').toArray().map((e) => String($(e).val())));
      const targetValues = new Map((target?.picklistValues ?? []).map((p) => [p.value.toLowerCase(), p.value]));
      for (const p of source?.picklistValues ?? []) {
        if (p.active !== false && !have.has(p.value)) addPair(p.value, targetValues.get(p.value.toLowerCase()) ?? '');
      }
      changed();
    });
  const dRow = $('<span class="sf-mf-vm-default">').appendTo(buttons);
  $('<span>').text(t('label.otherwise')).appendTo(dRow);
  const dflt = $('<input type="text">').appendTo(dRow);
  dflt.typedInput({ types: scalarTypes(true) as never });
  setScalar(dflt, vm && 'default' in vm ? vm.default : undefined, NONE);
  dflt.on('change', changed);
  const ci = checkbox(buttons, 'label.case-insensitive', vm?.caseInsensitive).on('change', changed);

  return {
    read() {
      const values: Record<string, MappingValue> = {};
      pairs.children().each((_i, el) => {
        const from = String($(el).find('.sf-mf-from').val() ?? '');
        if (!from) return;
        const to = String($(el).find('.sf-mf-to').val() ?? '');
        const before = originals.get(from);
        values[from] = before !== undefined && (before === null ? to === '' : String(before) === to) ? before : to === '' ? null : to;
      });
      const d = readScalar(dflt);
      const caseInsensitive = ci.is(':checked');
      const ciEntry = caseInsensitive ? { caseInsensitive } : vm?.caseInsensitive === false ? { caseInsensitive: false } : {};
      if (!Object.keys(values).length && d === undefined && !caseInsensitive) {
        // Emptied: gone, unless it was written empty to begin with (then it stays, for the hash).
        return vm && !Object.keys(vm.values).length && !('default' in vm) ? { values, ...ciEntry } : undefined;
      }
      return { values, ...(d !== undefined ? { default: d } : {}), ...ciEntry };
    },
    refresh() {
      const { source, target } = fields();
      fillDatalist(fromList, (source?.picklistValues ?? []).filter((p) => p.active !== false).map((p) => [p.value, p.label ?? p.value]));
      fillDatalist(toList, (target?.picklistValues ?? []).filter((p) => p.active !== false).map((p) => [p.value, p.label ?? p.value]));
    },
  };
}

function addFieldRow(row: JQuery, _index: number, data: Partial<FieldMapping> & { suggestion?: FieldSuggestion }): void {
  const session = s();
  const t = session.t;
  const n = ++session.rows;
  row.addClass('sf-mf-field-row');
  const line = $('<div class="sf-mf-line">').appendTo(row);
  const target = $('<input type="text" class="sf-mf-target">').attr('list', DL.targetFields).attr('placeholder', t('placeholder.target')).val(data.target ?? '').appendTo(line);
  $('<i class="fa fa-long-arrow-left sf-mf-arrow">').appendTo(line);
  const kind = $('<select class="sf-mf-kind">').appendTo(line);
  for (const k of KINDS) $('<option>').val(k).text(t(`kind.${k}`)).appendTo(kind);
  const valueBox = $('<div class="sf-mf-value">').appendTo(line);
  const source = $('<input type="text" class="sf-mf-source">').attr('list', DL.sourceFields).attr('placeholder', t('placeholder.source')).val(data.source ?? '').appendTo(valueBox);
  const exprBox = $('<div class="sf-mf-typed">').appendTo(valueBox);
  const expression = $('<input type="text" style="width:100%">').appendTo(exprBox);
  const constBox = $('<div class="sf-mf-typed">').appendTo(valueBox);
  const constant = $('<input type="text" style="width:100%">').appendTo(constBox);
  const warn = $('<i class="fa fa-exclamation-triangle sf-mf-warn">').hide().appendTo(line);
  const more = $('<button type="button" class="red-ui-button red-ui-button-small sf-mf-more">').attr('title', t('label.more')).append('<i class="fa fa-caret-down"></i>').appendTo(line);
  const tags = $('<div class="sf-mf-tags">').appendTo(row);
  const details = $('<div class="sf-mf-details">').hide().appendTo(row);

  const conditionRow = detailRow(details, 'label.condition');
  const condition = $('<input type="text" style="width:100%">').appendTo($('<div class="sf-mf-typed">').appendTo(conditionRow));
  const defaultRow = detailRow(details, 'label.default');
  const dflt = $('<input type="text" style="width:100%">').appendTo($('<div class="sf-mf-typed">').appendTo(defaultRow));
  const vmRow = detailRow(details, 'label.value-map');
  const vmBox = $('<div class="sf-mf-vm">').appendTo(vmRow);
  const flags = detailRow(details, 'label.flags');
  const required = checkbox(flags, 'label.required', data.required);
  const truncate = checkbox(flags, 'label.truncate', data.truncate);
  const allowMissing = checkbox(flags, 'label.allow-missing', data.allowMissing);
  const description = $('<input type="text" style="width:100%">').val(data.description ?? '').appendTo(detailRow(details, 'label.description'));

  expression.typedInput({ types: ['jsonata'] });
  expression.typedInput('value', toLine(data.expression));
  constant.typedInput({ types: scalarTypes(false) as never });
  setScalar(constant, 'constant' in data ? data.constant : '', 'str');
  condition.typedInput({ types: [{ value: NONE, label: t('label.always'), hasValue: false }, 'jsonata'] });
  setOptionalExpression(condition, data.condition);
  dflt.typedInput({ types: scalarTypes(true) as never });
  setScalar(dflt, 'default' in data ? data.default : undefined, NONE);

  const fieldsOf = () => {
    const c = session.catalogs;
    return {
      source: kind.val() === 'source' ? c.source?.byName.get(text(source).toLowerCase()) : undefined,
      target: c.target?.byName.get(text(target).toLowerCase()),
    };
  };
  const controls: FieldRowControls = {
    target, kind, source, expression, constant, condition, dflt, required, truncate, allowMissing, description, warn, tags, loaded: data,
    valueMap: valueMapEditor(vmBox, data.valueMap, n, fieldsOf, () => changed()),
    ...(data.suggestion ? { suggestion: data.suggestion } : {}),
  };
  row.data('sf-controls', controls);

  const showKind = () => {
    const k = String(kind.val()) as Kind;
    source.toggle(k === 'source');
    exprBox.toggle(k === 'expression');
    constBox.toggle(k === 'constant');
    // A constant is the value itself: no default or value map applies to it.
    defaultRow.toggle(k !== 'constant');
    vmRow.toggle(k !== 'constant');
  };
  const changed = () => {
    controls.valueMap.refresh();
    refreshFieldRow(controls, fieldRows().findIndex((r) => r.controls === controls));
  };
  kind.val(data.expression !== undefined ? 'expression' : 'constant' in data && data.source === undefined ? 'constant' : 'source').on('change', () => {
    showKind();
    changed();
  });
  more.on('click', () => {
    details.toggle();
    more.find('i').toggleClass('fa-caret-down', !details.is(':visible')).toggleClass('fa-caret-up', details.is(':visible'));
  });
  target.add(source).add(description).on('change', changed);
  required.add(truncate).add(allowMissing).on('change', changed);
  expression.add(constant).add(condition).add(dflt).on('change', changed);
  showKind();
  controls.valueMap.refresh();
  refreshFieldRow(controls, _index);
}

function readFieldRow(c: FieldRowControls): FieldMapping {
  const k = String(c.kind.val()) as Kind;
  const m: FieldMapping = { target: text(c.target) };
  if (k === 'source') m.source = text(c.source);
  else if (k === 'expression') m.expression = fromLine(c.expression.typedInput('value'));
  else m.constant = readScalar(c.constant) ?? null;
  const condition = optionalExpression(c.condition);
  if (condition) m.condition = condition;
  if (k !== 'constant') {
    const vm = c.valueMap.read();
    if (vm) m.valueMap = vm;
    const d = readScalar(c.dflt);
    if (d !== undefined) m.default = d;
  }
  for (const flag of ['required', 'truncate', 'allowMissing'] as const) {
    // An explicit false stays written (absent and false mean the same, but hash differently).
    if (c[flag].is(':checked')) m[flag] = true;
    else if (c.loaded[flag] === false) m[flag] = false;
  }
  const description = text(c.description);
  if (description) m.description = description;
  return m;
}

function refreshFieldRow(c: FieldRowControls, index: number): void {
  const t = s().t;
  const m = readFieldRow(c);
  showNotes(c.warn, fieldNotes(m, index, c));
  const tags: string[] = [];
  if (m.condition) tags.push(t('tag.condition', { condition: m.condition.length > 40 ? `${m.condition.slice(0, 37)}...` : m.condition }));
  if (m.valueMap) tags.push(t('tag.value-map', { count: Object.keys(m.valueMap.values).length }));
  if ('default' in m) tags.push(t('tag.default', { value: JSON.stringify(m.default) }));
  for (const flag of ['required', 'truncate', 'allowMissing'] as const) if (m[flag]) tags.push(t(`tag.${flag}`));
  if (m.description) tags.push(m.description);
  c.tags.text(tags.join(' · ')).toggle(tags.length > 0);
}

// ---------------------------------------------------------------------------------------------
// Relationship rows.
// ---------------------------------------------------------------------------------------------

function relationshipRows(): Array<{ row: JQuery; controls: RelationshipRowControls }> {
  const out: Array<{ row: JQuery; controls: RelationshipRowControls }> = [];
  $(`#${P}-relationships`).editableList('items').each((_i, el) => {
    const row = $(el as unknown as HTMLElement);
    const controls = row.data('sf-controls') as RelationshipRowControls | undefined;
    if (controls) out.push({ row, controls });
  });
  return out;
}

function addRelationshipRow(row: JQuery, _index: number, data: Partial<RelationshipMapping>): void {
  const session = s();
  const t = session.t;
  const n = ++session.rows;
  const extList = `${P}-dl-rel-ext-${n}`;
  row.addClass('sf-mf-rel-row');
  const line = $('<div class="sf-mf-line">').appendTo(row);
  const source = $('<input type="text" class="sf-mf-rel-field">').attr('list', DL.sourceLookups).attr('placeholder', t('placeholder.source-lookup')).val(data.source ?? '').appendTo(line);
  $('<i class="fa fa-long-arrow-right sf-mf-arrow">').appendTo(line);
  const target = $('<input type="text" class="sf-mf-rel-field">').attr('list', DL.targetLookups).attr('placeholder', t('placeholder.target-lookup')).val(data.target ?? '').appendTo(line);
  const object = $('<input type="text" class="sf-mf-rel-object">').attr('list', DL.targetObjects).attr('placeholder', t('placeholder.object')).attr('title', t('label.object')).val(data.object ?? '').appendTo(line);
  const warn = $('<i class="fa fa-exclamation-triangle sf-mf-warn">').hide().appendTo(line);
  const line2 = $('<div class="sf-mf-line sf-mf-line2">').appendTo(row);
  $('<span>').text(t('label.via')).appendTo(line2);
  const via = $('<select class="sf-mf-rel-via">').appendTo(line2);
  $('<option value="externalId">').text(t('via.externalId')).appendTo(via);
  $('<option value="ledger">').text(t('via.ledger')).appendTo(via);
  $('<datalist>').attr('id', extList).appendTo(line2);
  const externalId = $('<input type="text" class="sf-mf-rel-ext">').attr('list', extList).attr('placeholder', 'HQ_Id__c').appendTo(line2);
  $('<span>').text(t('label.first-pass')).attr('title', t('label.first-pass-title')).appendTo(line2);
  const nillable = $('<select class="sf-mf-rel-nillable">').appendTo(line2);
  for (const v of ['', 'true', 'false']) $('<option>').val(v).text(t(`nillable.${v || 'auto'}`)).appendTo(nillable);

  via.val(typeof data.via === 'object' ? 'externalId' : data.via === 'ledger' ? 'ledger' : 'externalId');
  externalId.val(typeof data.via === 'object' ? data.via.externalId : '');
  nillable.val(data.nillable === undefined ? '' : String(data.nillable));
  const controls: RelationshipRowControls = { source, target, object, via, externalId, nillable, warn, ...(data.description ? { description: data.description } : {}) };
  row.data('sf-controls', controls);

  const fillExternalIds = () => {
    const o = text(object);
    if (!o) return;
    void parentCatalog(o).then((c) => live(session) && fillDatalist(extList, (c?.fields ?? []).filter((f) => f.externalId || f.idLookup).filter((f) => f.type !== 'id').map((f) => [f.name, fieldLabel(f)])));
  };
  const changed = () => {
    externalId.toggle(via.val() === 'externalId');
    const index = relationshipRows().findIndex((r) => r.controls === controls);
    showNotes(warn, relationshipNotes(readRelationshipRow(controls), index));
  };
  target.on('change', () => {
    // A lookup that points at one object names it: fill it in rather than make the user repeat it.
    const f = session.catalogs.target?.byName.get(text(target).toLowerCase());
    if (f && !text(object) && f.referenceTo?.length === 1) object.val(f.referenceTo[0]!);
    fillExternalIds();
    changed();
  });
  object.on('change', () => {
    fillExternalIds();
    changed();
  });
  source.add(via).add(externalId).add(nillable).on('change', changed);
  fillExternalIds();
  changed();
}

function readRelationshipRow(c: RelationshipRowControls): RelationshipMapping {
  const r: RelationshipMapping = {
    source: text(c.source),
    target: text(c.target),
    object: text(c.object),
    via: c.via.val() === 'ledger' ? 'ledger' : { externalId: text(c.externalId) },
  };
  const nillable = String(c.nillable.val());
  if (nillable) r.nillable = nillable === 'true';
  if (c.description) r.description = c.description;
  return r;
}

// ---------------------------------------------------------------------------------------------
// The document: form in, form out.
// ---------------------------------------------------------------------------------------------

function loadDocument(doc: Partial<Mapping>): void {
  const session = s();
  session.loaded = doc;
  session.checkNotes.clear();
  $(`#${P}-doc-name`).val(doc.name ?? '');
  $(`#${P}-doc-version`).val(doc.version ?? '1.0.0');
  $(`#${P}-doc-description`).val(doc.description ?? '');
  const sourceChanged = objectOf('source') !== (doc.source?.object ?? '');
  const targetChanged = objectOf('target') !== (doc.target?.object ?? '');
  $(`#${P}-source-object`).val(doc.source?.object ?? '');
  $(`#${P}-target-object`).val(doc.target?.object ?? '');
  const match: Partial<MatchSpec> = doc.match ?? { by: 'externalId' };
  $(`#${P}-match-by`).val(match.by === 'ledger' ? 'ledger' : 'externalId');
  $(`#${P}-match-field`).val(match.by === 'externalId' ? (match.field ?? '') : '');
  const value = match.by === 'externalId' ? match.value : undefined;
  $(`#${P}-match-value`).val(typeof value === 'object' ? 'expression' : 'sourceId');
  $(`#${P}-match-expression`).typedInput('value', toLine(typeof value === 'object' ? value.expression : ''));
  setOptionalExpression($(`#${P}-filter`), doc.filter?.expression);
  $(`#${P}-filter-description`).val(doc.filter?.description ?? '');
  showMatch();
  $(`#${P}-fields`).editableList('empty');
  $(`#${P}-fields`).editableList('addItems', (doc.fields ?? []) as object[]);
  $(`#${P}-relationships`).editableList('empty');
  $(`#${P}-relationships`).editableList('addItems', (doc.relationships ?? []) as object[]);
  $(`#${P}-check-result`).empty().hide();
  if (sourceChanged) void loadDescribe('source');
  if (targetChanged) void loadDescribe('target');
  resize();
}

function readMatch(): MatchSpec {
  if ($(`#${P}-match-by`).val() === 'ledger') return { by: 'ledger' };
  const m: MatchSpec = { by: 'externalId', field: text($(`#${P}-match-field`)) };
  const loaded = s().loaded.match;
  if ($(`#${P}-match-value`).val() === 'expression') m.value = { expression: fromLine($(`#${P}-match-expression`).typedInput('value')) };
  // `sourceId` is the default: leave it as unwritten as it was, so the content hash stays the same.
  else if (loaded?.by !== 'externalId' || loaded.value !== undefined) m.value = 'sourceId';
  return m;
}

/** The form as a mapping document, keys in the order exportMapping writes them. */
function readDocument(): Mapping {
  const session = s();
  const doc: Record<string, unknown> = {};
  if (typeof session.loaded.$schema === 'string') doc.$schema = session.loaded.$schema;
  doc.format = FORMAT;
  doc.name = text($(`#${P}-doc-name`));
  doc.version = text($(`#${P}-doc-version`));
  const description = text($(`#${P}-doc-description`));
  if (description) doc.description = description;
  doc.source = { object: objectOf('source') };
  doc.target = { object: objectOf('target') };
  doc.match = readMatch();
  const filter = optionalExpression($(`#${P}-filter`));
  if (filter) {
    const fd = text($(`#${P}-filter-description`));
    doc.filter = { expression: filter, ...(fd ? { description: fd } : {}) };
  }
  doc.fields = fieldRows().map(({ controls }) => readFieldRow(controls));
  doc.relationships = relationshipRows().map(({ controls }) => readRelationshipRow(controls));
  return doc as unknown as Mapping;
}

function showMatch(): void {
  const byExternalId = $(`#${P}-match-by`).val() === 'externalId';
  $(`#${P}-match-field-row, #${P}-match-value-row`).toggle(byExternalId);
  $(`#${P}-match-expression-box`).toggle(byExternalId && $(`#${P}-match-value`).val() === 'expression');
}

// ---------------------------------------------------------------------------------------------
// Toolbar: templates, import, export, JSON, check, auto-map.
// ---------------------------------------------------------------------------------------------

function templates(): Promise<Record<string, Mapping>> {
  const session = s();
  session.templates ??= request<Record<string, Mapping>>('GET', `${P}/templates`, {});
  session.templates.catch(() => (session.templates = undefined));
  return session.templates;
}

async function useTemplate(): Promise<void> {
  const session = s();
  const name = String($(`#${P}-template`).val() ?? '');
  if (!name) return;
  try {
    const doc = (await templates())[name];
    if (!live(session)) return;
    if (!doc) throw new Error(session.t('errors.no-template', { name }));
    loadDocument(structuredClone(doc));
    session.template = name;
    notify(session.t('notify.template', { name: doc.name }));
  } catch (err) {
    notify((err as Error).message, 'error');
  }
}

function importFile(file: File): void {
  const t = s().t;
  const reader = new FileReader();
  const asked = s();
  reader.onload = () => {
    if (!live(asked)) return;
    const doc = parseDocument(String(reader.result ?? ''));
    if (!doc || doc.format !== FORMAT) {
      notify(t('errors.import', { file: file.name }), 'error');
      return;
    }
    loadDocument(doc);
    s().template = '';
    notify(t('notify.imported', { name: doc.name ?? file.name }));
  };
  reader.onerror = () => notify(t('errors.import', { file: file.name }), 'error');
  reader.readAsText(file);
}

function exportFile(): void {
  const doc = readDocument();
  const body = `${JSON.stringify(doc, null, 2)}\n`;
  const slug = `${doc.name || 'mapping'}-${doc.version || '1.0.0'}`.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '');
  const url = URL.createObjectURL(new Blob([body], { type: 'application/json' }));
  const a = $('<a>').attr({ href: url, download: `${slug}.json` }).appendTo('body');
  (a[0] as HTMLAnchorElement).click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function editJson(): void {
  const t = s().t;
  RED.editor.editJSON({
    title: t('label.edit-json'),
    value: JSON.stringify(readDocument(), null, 2),
    requireValid: true,
    complete: (value: string) => {
      const doc = parseDocument(value);
      if (doc) loadDocument(doc);
      else notify(t('errors.json'), 'error');
    },
  });
}

function showCheck(result: CheckResult | { error: string }): void {
  const session = s();
  const t = session.t;
  const box = $(`#${P}-check-result`).empty().show();
  session.checkNotes.clear();
  if ('error' in result) {
    $('<div class="sf-mf-problem">').text(result.error).appendTo(box);
  } else {
    if (result.ok) $('<div class="sf-mf-ok">').text(t('check.ok', { hash: result.stamp?.hash ?? '' })).appendTo(box);
    else $('<div class="sf-mf-problem">').text(t('check.problems', { count: result.problems.length })).appendTo(box);
    const list = $('<ul>').appendTo(box);
    const add = (textValue: string, level: Level) => {
      const li = $('<li>').addClass(level === 'error' ? 'sf-mf-problem' : 'sf-mf-warning').text(textValue).appendTo(list);
      const where = /^((?:fields|relationships)\[\d+\])/.exec(textValue)?.[1];
      if (!where) return;
      session.checkNotes.set(where, [...(session.checkNotes.get(where) ?? []), { level, text: textValue }]);
      li.attr('data-where', where).on('click', () => revealRow(where));
    };
    result.problems.forEach((p) => add(p, 'error'));
    result.warnings.forEach((w) => add(w, 'warning'));
  }
  refreshAllNotes();
  resize();
}

/** Shows the row a Check message names (`fields[3]`, `relationships[0]`). */
function revealRow(where: string): void {
  const m = /^(fields|relationships)\[(\d+)\]$/.exec(where);
  if (!m) return;
  const list = m[1] as 'fields' | 'relationships';
  s().tabs?.activateTab(`${P}-tab-${list}`);
  const rows = list === 'fields' ? fieldRows() : relationshipRows();
  const row = rows[Number(m[2])]?.row;
  row?.[0]?.scrollIntoView({ block: 'nearest' });
  row?.find('input').first().trigger('focus');
}

async function check(): Promise<void> {
  const asked = s();
  $(`#${P}-check-result`).empty().show().append($('<div>').text(asked.t('check.running')));
  let result: CheckResult | { error: string };
  try {
    result = await request<CheckResult>('POST', `${P}/check`, { source: connectionOf('source'), target: connectionOf('target'), mapping: readDocument() });
  } catch (err) {
    result = { error: (err as Error).message };
  }
  if (live(asked)) showCheck(result);
}

async function autoMap(): Promise<void> {
  const asked = s();
  const t = asked.t;
  try {
    const suggestions = await request<FieldSuggestion[]>('POST', `${P}/suggest`, {
      source: connectionOf('source'), target: connectionOf('target'), sourceObject: objectOf('source'), targetObject: objectOf('target'),
    });
    if (!live(asked)) return;
    const doc = readDocument();
    const taken = new Set(doc.fields.map((f) => f.target.toLowerCase()));
    if (doc.match.by === 'externalId') taken.add(doc.match.field.toLowerCase());
    for (const r of doc.relationships ?? []) taken.add(r.target.toLowerCase());
    const fresh = suggestions.filter((x) => !taken.has(x.target.toLowerCase()));
    for (const x of fresh) $(`#${P}-fields`).editableList('addItem', { target: x.target, source: x.source, suggestion: x });
    const doubtful = fresh.filter((x) => x.compatibility !== 'ok').length;
    notify(t('notify.auto-map', { added: fresh.length, doubtful }), fresh.length ? 'success' : 'compact');
    refreshAllNotes();
  } catch (err) {
    if (live(asked)) notify(t('errors.auto-map', { reason: (err as Error).message }), 'error');
  }
}

// ---------------------------------------------------------------------------------------------
// Dialog set-up.
// ---------------------------------------------------------------------------------------------

function resize(height = s().lastHeight): void {
  if (height === undefined) return;
  s().lastHeight = height;
  let used = 0;
  $('#dialog-form > .form-row:visible').each((_i, el) => {
    used += $(el).outerHeight(true) ?? 0;
  });
  for (const list of ['fields', 'relationships']) {
    const tab = $(`#${P}-tab-${list}`);
    let own = 0;
    tab.children('.form-row:not(.sf-mf-list-row)').each((_i, el) => {
      own += $(el).outerHeight(true) ?? 0;
    });
    $(`#${P}-${list}`).editableList('height', Math.max(160, height - used - own - 20));
  }
}

function prepareTabs(): void {
  const t = s().t;
  const tabs = RED.tabs.create({
    element: $(`#${P}-tabs`),
    onchange: ((tab: { id: string }) => {
      $(`#${P}-tabs-content`).children().hide();
      $(`#${tab.id}`).show();
      resize();
    }) as never,
  });
  tabs.addTab({ id: `${P}-tab-mapping`, label: t('tab.mapping') }, 0);
  tabs.addTab({ id: `${P}-tab-fields`, label: t('tab.fields') }, 1);
  tabs.addTab({ id: `${P}-tab-relationships`, label: t('tab.relationships') }, 2);
  s().tabs = tabs;
}

function prepareLists(): void {
  const clearCheck = () => {
    s().checkNotes.clear();
    refreshAllNotes();
  };
  $(`#${P}-fields`).css('min-height', '150px').editableList({
    addItem: addFieldRow,
    removable: true,
    sortable: true,
    addButton: s().t('label.add-field'),
    removeItem: clearCheck,
    sortItems: clearCheck,
  });
  $(`#${P}-relationships`).css('min-height', '150px').editableList({
    addItem: addRelationshipRow,
    removable: true,
    sortable: true,
    addButton: s().t('label.add-relationship'),
    removeItem: clearCheck,
    sortItems: clearCheck,
  });
}

function prepareControls(): void {
  const session = s();
  const t = session.t;
  $(`#${P}-match-expression`).typedInput({ types: ['jsonata'] });
  $(`#${P}-filter`).typedInput({ types: [{ value: NONE, label: t('label.no-filter'), hasValue: false }, 'jsonata'] });
  $(`#${P}-match-by, #${P}-match-value`).on('change', showMatch);
  for (const name of TEMPLATE_NAMES) $('<option>').val(name).text(t(`template.${name}`)).appendTo(`#${P}-template`);
  $(`#${P}-template-use`).on('click', () => void useTemplate());
  $(`#${P}-import`).on('click', () => $(`#${P}-import-file`).val('').trigger('click'));
  $(`#${P}-import-file`).on('change', (e: JQuery.ChangeEvent) => {
    const file = (e.target as HTMLInputElement).files?.[0];
    if (file) importFile(file);
  });
  $(`#${P}-export`).on('click', exportFile);
  $(`#${P}-edit-json`).on('click', editJson);
  $(`#${P}-check`).on('click', () => void check());
  $(`#${P}-auto-map`).on('click', () => void autoMap());
  for (const side of ['source', 'target'] as const) {
    $(`#node-input-${side}`).on('change', () => {
      session.parents.clear();
      void loadObjects(side);
      void loadDescribe(side);
    });
    $(`#${P}-${side}-object`).on('change', () => void loadDescribe(side));
  }
}

/** What the dialog opens with: the saved document, else the template the node names, else a blank one. */
async function initialDocument(node: MapFieldsEditorNode): Promise<Partial<Mapping>> {
  const saved = node.mapping ? parseDocument(node.mapping) : undefined;
  if (saved) return saved;
  if (node.mapping) notify(s().t('errors.saved-json'), 'warning');
  if (node.template) {
    try {
      const doc = (await templates())[node.template];
      if (doc) return structuredClone(doc);
    } catch {
      // A blank form is still usable; the template can be picked again once the runtime answers.
    }
  }
  return { format: FORMAT, name: '', version: '1.0.0', match: { by: 'externalId', field: '', value: 'sourceId' }, fields: [], relationships: [] };
}

function mappingName(json: string): string {
  const doc = json ? parseDocument(json) : undefined;
  return typeof doc?.name === 'string' ? doc.name : '';
}

RED.nodes.registerType('sf-map-fields', {
  category: 'salesforce sync',
  color: '#C0DEED',
  icon: 'orgbridge-map.svg',
  inputs: 1,
  outputs: 2,
  defaults: {
    name: { value: '' },
    source: { value: '', type: 'sf-connection', required: true },
    target: { value: '', type: 'sf-connection', required: true },
    mapping: {
      value: '',
      validate: function (this: MapFieldsEditorNode, v: string) {
        if (!v) return !!this.template;
        const doc = parseDocument(v);
        return !!doc && doc.format === FORMAT && !!doc.name && !!doc.source?.object && !!doc.target?.object && Array.isArray(doc.fields);
      },
    },
    template: { value: '' },
  },
  inputLabels: function (this: MapFieldsEditorNode) {
    return this._('sf-map-fields.port.input');
  },
  outputLabels: function (this: MapFieldsEditorNode, index: number) {
    return this._(index === 0 ? 'sf-map-fields.port.mapped' : 'sf-map-fields.port.rejected');
  },
  paletteLabel: function (this: { _(key: string): string }) {
    return this._('sf-map-fields.palette');
  },
  label: function (this: MapFieldsEditorNode) {
    return this.name || mappingName(this.mapping) || this._('sf-map-fields.palette');
  },
  oneditprepare: function (this: MapFieldsEditorNode) {
    const node = this;
    session = {
      node,
      t: (key, args) => node._(`sf-map-fields.${key}`, args),
      catalogs: {},
      parents: new Map(),
      loaded: {},
      template: node.template ?? '',
      checkNotes: new Map(),
      rows: 0,
    };
    prepareTabs();
    prepareLists();
    prepareControls();
    const opened = session;
    void initialDocument(node).then((doc) => {
      if (!live(opened)) return;
      loadDocument(doc);
      void loadObjects('source');
      void loadObjects('target');
    });
  },
  oneditsave: function (this: MapFieldsEditorNode) {
    const doc = readDocument();
    const before = this.mapping ? parseDocument(this.mapping) : undefined;
    // Only write when the content changed, so opening and closing the dialog leaves the flow clean.
    if (!before || canonical(before) !== canonical(doc)) this.mapping = JSON.stringify(doc);
    this.template = s().template;
    session = undefined;
  },
  oneditcancel: function () {
    session = undefined;
  },
  oneditresize: function (size: { width: number; height: number }) {
    resize(size.height);
  },
});
