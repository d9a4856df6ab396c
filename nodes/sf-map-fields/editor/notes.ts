import type { FieldMapping, RelationshipMapping } from '../../../lib/mapping/format.js';
import { fieldCompatibility } from '../../../lib/mapping/type-compat.js';
import { fieldRows, refreshFieldRow } from './field-rows.js';
import { readRelationshipRow, relationshipRows } from './relationship-rows.js';
import { s, type FieldRowControls, type Note, type Side } from './session.js';

// Notes on the rows: type warnings from the describes and the problems of the last Check.

export function showNotes(icon: JQuery, notes: Note[]): void {
  icon.toggle(notes.length > 0);
  icon.toggleClass('sf-mf-error', notes.some((n) => n.level === 'error'));
  icon.attr('title', notes.map((n) => n.text).join('\n'));
}

export function fieldNotes(m: FieldMapping, index: number, controls: FieldRowControls): Note[] {
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

export function relationshipNotes(r: RelationshipMapping, index: number): Note[] {
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

export function refreshAllNotes(): void {
  fieldRows().forEach(({ controls }, i) => refreshFieldRow(controls, i));
  relationshipRows().forEach(({ controls }, i) => showNotes(controls.warn, relationshipNotes(readRelationshipRow(controls), i)));
}
