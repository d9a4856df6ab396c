import type { MappingValue, ValueMap } from '../../../lib/mapping/format.js';
import type { DescribeField } from '../../../lib/mapping/describe.js';
import { checkbox } from './field-rows.js';
import { fillDatalist, readScalar, scalarTypes, setScalar } from './form-values.js';
import { NONE, P, s, type ValueMapEditor } from './session.js';

// The value map of a field row: source value to target value pairs, a value for the rest.

export function valueMapEditor(box: JQuery, vm: ValueMap | undefined, n: number, fields: () => { source?: DescribeField; target?: DescribeField }, changed: () => void): ValueMapEditor {
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
