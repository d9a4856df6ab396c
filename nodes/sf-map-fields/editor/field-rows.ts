import type { FieldMapping } from '../../../lib/mapping/format.js';
import type { FieldSuggestion } from '../../../lib/mapping/suggest.js';
import { fromLine, optionalExpression, readScalar, scalarTypes, setOptionalExpression, setScalar, text, toLine } from './form-values.js';
import { fieldNotes, showNotes } from './notes.js';
import { DL, KINDS, NONE, P, s, type FieldRowControls, type Kind } from './session.js';
import { valueMapEditor } from './value-map.js';

// Field mapping rows: one target field each, from a source field, an expression or a constant.

export function fieldRows(): Array<{ row: JQuery; controls: FieldRowControls }> {
  const out: Array<{ row: JQuery; controls: FieldRowControls }> = [];
  $(`#${P}-fields`).editableList('items').each((_i, el) => {
    const row = $(el as unknown as HTMLElement);
    const controls = row.data('sf-controls') as FieldRowControls | undefined;
    if (controls) out.push({ row, controls });
  });
  return out;
}

export function detailRow(box: JQuery, labelKey: string): JQuery {
  const row = $('<div class="sf-mf-detail">').appendTo(box);
  $('<label>').text(s().t(labelKey)).appendTo(row);
  return row;
}

export function checkbox(box: JQuery, labelKey: string, checked: boolean | undefined): JQuery {
  const label = $('<label class="sf-mf-flag">').appendTo(box);
  const input = $('<input type="checkbox">').prop('checked', !!checked).appendTo(label);
  $('<span>').text(s().t(labelKey)).appendTo(label);
  return input;
}

export function addFieldRow(row: JQuery, _index: number, data: Partial<FieldMapping> & { suggestion?: FieldSuggestion }): void {
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

export function readFieldRow(c: FieldRowControls): FieldMapping {
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

export function refreshFieldRow(c: FieldRowControls, index: number): void {
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
