import type { RelationshipMapping } from '../../../lib/mapping/format.js';
import { parentCatalog } from './catalogs.js';
import { fieldLabel, fillDatalist, text } from './form-values.js';
import { relationshipNotes, showNotes } from './notes.js';
import { DL, P, live, s, type RelationshipRowControls } from './session.js';

// Relationship rows: a source lookup and the target lookup it becomes, resolved by external Id or ledger.

export function relationshipRows(): Array<{ row: JQuery; controls: RelationshipRowControls }> {
  const out: Array<{ row: JQuery; controls: RelationshipRowControls }> = [];
  $(`#${P}-relationships`).editableList('items').each((_i, el) => {
    const row = $(el as unknown as HTMLElement);
    const controls = row.data('sf-controls') as RelationshipRowControls | undefined;
    if (controls) out.push({ row, controls });
  });
  return out;
}

export function addRelationshipRow(row: JQuery, _index: number, data: Partial<RelationshipMapping>): void {
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

export function readRelationshipRow(c: RelationshipRowControls): RelationshipMapping {
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
