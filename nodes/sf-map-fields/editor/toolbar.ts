import type { Mapping } from '../../../lib/mapping/format.js';
import type { FieldSuggestion } from '../../../lib/mapping/suggest.js';
import { MAPPING_FORMAT } from '../../../lib/mapping/constants.js';
import { adminRequest } from '../../shared/editor/org-api.js';
import { loadDocument, readDocument } from './document.js';
import { fieldRows } from './field-rows.js';
import { connectionOf, notify, objectOf, parseDocument } from './form-values.js';
import { resize } from './layout.js';
import { refreshAllNotes } from './notes.js';
import { relationshipRows } from './relationship-rows.js';
import { P, live, s, type CheckResult, type Level } from './session.js';

// The toolbar: templates, import, export, JSON, Check against both orgs, Auto-map.

export function templates(): Promise<Record<string, Mapping>> {
  const session = s();
  session.templates ??= adminRequest<Record<string, Mapping>>('GET', `${P}/templates`, {});
  session.templates.catch(() => (session.templates = undefined));
  return session.templates;
}

export async function useTemplate(): Promise<void> {
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

export function importFile(file: File): void {
  const t = s().t;
  const reader = new FileReader();
  const asked = s();
  reader.onload = () => {
    if (!live(asked)) return;
    const doc = parseDocument(String(reader.result ?? ''));
    if (!doc || doc.format !== MAPPING_FORMAT) {
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

export function exportFile(): void {
  const doc = readDocument();
  const body = `${JSON.stringify(doc, null, 2)}\n`;
  const slug = `${doc.name || 'mapping'}-${doc.version || '1.0.0'}`.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '');
  const url = URL.createObjectURL(new Blob([body], { type: 'application/json' }));
  const a = $('<a>').attr({ href: url, download: `${slug}.json` }).appendTo('body');
  (a[0] as HTMLAnchorElement).click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function editJson(): void {
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

export function showCheck(result: CheckResult | { error: string }): void {
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
export function revealRow(where: string): void {
  const m = /^(fields|relationships)\[(\d+)\]$/.exec(where);
  if (!m) return;
  const list = m[1] as 'fields' | 'relationships';
  s().tabs?.activateTab(`${P}-tab-${list}`);
  const rows = list === 'fields' ? fieldRows() : relationshipRows();
  const row = rows[Number(m[2])]?.row;
  row?.[0]?.scrollIntoView({ block: 'nearest' });
  row?.find('input').first().trigger('focus');
}

export async function check(): Promise<void> {
  const asked = s();
  $(`#${P}-check-result`).empty().show().append($('<div>').text(asked.t('check.running')));
  let result: CheckResult | { error: string };
  try {
    result = await adminRequest<CheckResult>('POST', `${P}/check`, { source: connectionOf('source'), target: connectionOf('target'), mapping: readDocument() });
  } catch (err) {
    result = { error: (err as Error).message };
  }
  if (live(asked)) showCheck(result);
}

export async function autoMap(): Promise<void> {
  const asked = s();
  const t = asked.t;
  try {
    const suggestions = await adminRequest<FieldSuggestion[]>('POST', `${P}/suggest`, {
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
