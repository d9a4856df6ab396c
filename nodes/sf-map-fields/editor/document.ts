import type { Mapping, MatchSpec } from '../../../lib/mapping/format.js';
import { MAPPING_FORMAT } from '../../../lib/mapping/constants.js';
import { loadDescribe } from './catalogs.js';
import { fieldRows, readFieldRow } from './field-rows.js';
import { fromLine, notify, objectOf, optionalExpression, parseDocument, setOptionalExpression, text, toLine } from './form-values.js';
import { resize } from './layout.js';
import { readRelationshipRow, relationshipRows } from './relationship-rows.js';
import { P, s, type MapFieldsEditorNode } from './session.js';
import { templates } from './toolbar.js';

// The document: the form is loaded from it and read back into it, so what is exported, checked
// and saved is exactly what the node runs.

export function loadDocument(doc: Partial<Mapping>): void {
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

export function readMatch(): MatchSpec {
  if ($(`#${P}-match-by`).val() === 'ledger') return { by: 'ledger' };
  const m: MatchSpec = { by: 'externalId', field: text($(`#${P}-match-field`)) };
  const loaded = s().loaded.match;
  if ($(`#${P}-match-value`).val() === 'expression') m.value = { expression: fromLine($(`#${P}-match-expression`).typedInput('value')) };
  // `sourceId` is the default: leave it as unwritten as it was, so the content hash stays the same.
  else if (loaded?.by !== 'externalId' || loaded.value !== undefined) m.value = 'sourceId';
  return m;
}

/** The form as a mapping document, keys in the order exportMapping writes them. */
export function readDocument(): Mapping {
  const session = s();
  const doc: Record<string, unknown> = {};
  if (typeof session.loaded.$schema === 'string') doc.$schema = session.loaded.$schema;
  doc.format = MAPPING_FORMAT;
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

export function showMatch(): void {
  const byExternalId = $(`#${P}-match-by`).val() === 'externalId';
  $(`#${P}-match-field-row, #${P}-match-value-row`).toggle(byExternalId);
  $(`#${P}-match-expression-box`).toggle(byExternalId && $(`#${P}-match-value`).val() === 'expression');
}


/** What the dialog opens with: the saved document, else the template the node names, else a blank one. */
export async function initialDocument(node: MapFieldsEditorNode): Promise<Partial<Mapping>> {
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
  return { format: MAPPING_FORMAT, name: '', version: '1.0.0', match: { by: 'externalId', field: '', value: 'sourceId' }, fields: [], relationships: [] };
}

export function mappingName(json: string): string {
  const doc = json ? parseDocument(json) : undefined;
  return typeof doc?.name === 'string' ? doc.name : '';
}
