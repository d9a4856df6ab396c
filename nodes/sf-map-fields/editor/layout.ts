import { TEMPLATE_NAMES } from '../../../lib/mapping/constants.js';
import { loadDescribe, loadObjects } from './catalogs.js';
import { showMatch } from './document.js';
import { addFieldRow } from './field-rows.js';
import { refreshAllNotes } from './notes.js';
import { addRelationshipRow } from './relationship-rows.js';
import { NONE, P, s } from './session.js';
import { autoMap, check, editJson, exportFile, importFile, useTemplate } from './toolbar.js';

// Dialog set-up: tabs, the two editable lists, the controls' events, and sizing.

export function resize(height = s().lastHeight): void {
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

export function prepareTabs(): void {
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

export function prepareLists(): void {
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

export function prepareControls(): void {
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
  // Past the per-connection describe cache: what the orgs say now, after a change in Setup.
  $(`#${P}-reload`).on('click', () => {
    session.parents.clear();
    for (const side of ['source', 'target'] as const) {
      void loadObjects(side, true);
      void loadDescribe(side, true);
    }
  });
  for (const side of ['source', 'target'] as const) {
    $(`#node-input-${side}`).on('change', () => {
      session.parents.clear();
      void loadObjects(side);
      void loadDescribe(side);
    });
    $(`#${P}-${side}-object`).on('change', () => void loadDescribe(side));
  }
}
