import { isFollowableLookup } from '../../lib/mapping/describe.js';
import { chosenConnection, orgDescribe, orgObjects } from '../shared/editor/org-api.js';

interface CollectEditorNode {
  name: string;
  connection: string;
  object: string;
  mode: string;
  where: string;
  depth: string;
  parents: string;
  parentFields: string;
  children: string;
  batchSize: string;
  inFlight: string;
  ackTimeout: string;
  preview: boolean;
  read: string;
  _(key: string, args?: Record<string, unknown>): string;
}


// Runtime checks (lib/collect/soql-text.ts) have the last word; these only catch typos in the dialog.
const API_NAME = /^[A-Za-z](?:[A-Za-z0-9]|_(?!_)[A-Za-z0-9]|__[A-Za-z0-9])*$/;
const API_PATH = /^[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)?$/;

function collectNames(text: string): string[] {
  return text.split(/[\s,;]+/).map((s) => s.trim()).filter(Boolean);
}

function wholeNumberIn(v: string, min: number, max: number): boolean {
  const t = String(v ?? '').trim();
  if (!t) return true;
  const n = Number(t);
  return Number.isInteger(n) && n >= min && n <= max;
}

/** A tick list that adds and removes names in a comma-separated text input. */
function fillNameList(list: JQuery, input: JQuery, entries: Array<{ name: string; note: string }>): void {
  list.empty();
  const sync = () => {
    const chosen = new Set(collectNames(String(input.val() ?? '')).map((n) => n.toLowerCase()));
    list.find('input[type=checkbox]').each(function () {
      $(this).prop('checked', chosen.has(String($(this).data('name')).toLowerCase()));
    });
  };
  for (const e of entries) {
    const box = $('<input type="checkbox" style="width:auto;margin:0 6px 0 0">').data('name', e.name);
    box.on('change', function () {
      const names = collectNames(String(input.val() ?? '')).filter((n) => n.toLowerCase() !== e.name.toLowerCase());
      if ($(this).is(':checked')) names.push(e.name);
      input.val(names.join(', ')).trigger('change');
    });
    // Inline, because the editor's `.form-row label` rule (fixed width) outranks a stylesheet class here.
    const row = $('<label class="sf-collect-pick"></label>')
      .css({ display: 'block', width: 'auto', margin: '0', fontWeight: 'normal', whiteSpace: 'nowrap' })
      .append(box)
      .append($('<span></span>').text(e.name));
    if (e.note) row.append($('<span class="sf-collect-note"></span>').text(` ${e.note}`));
    list.append(row);
  }
  input.off('.sfpick').on('change.sfpick keyup.sfpick', sync);
  sync();
}

RED.nodes.registerType('sf-collect', {
  category: 'salesforce sync',
  color: '#C0DEED',
  icon: 'orgbridge-collect.svg',
  inputs: 1,
  outputs: 2,
  defaults: {
    name: { value: '' },
    connection: { value: '', type: 'sf-connection', required: true },
    object: { value: 'Account', required: true, validate: RED.validators.regex(API_NAME) },
    mode: { value: 'ids', required: true },
    where: { value: '' },
    depth: { value: '2', required: true, validate: (v: string) => wholeNumberIn(v, 0, 5) },
    parents: { value: 'all', required: true },
    parentFields: {
      value: '',
      validate: function (this: CollectEditorNode, v: string) {
        const parents = $('#node-input-parents').length ? String($('#node-input-parents').val()) : this.parents;
        const names = collectNames(v ?? '');
        return names.every((n) => API_PATH.test(n)) && (parents !== 'listed' || names.length > 0);
      },
    },
    children: { value: '', validate: (v: string) => collectNames(v ?? '').every((n) => API_PATH.test(n)) },
    batchSize: { value: '200', required: true, validate: (v: string) => wholeNumberIn(v, 1, 10000) },
    inFlight: { value: '4', validate: (v: string) => wholeNumberIn(v, 1, 20) },
    ackTimeout: { value: '300', validate: (v: string) => wholeNumberIn(v, 5, 3600) },
    preview: { value: false },
    read: { value: 'changes' },
  },
  inputLabels: 'Ids, filter or trigger',
  outputLabels: ['batches (SyncRecord[])', 'run summary or preview'],
  paletteLabel: 'collect',
  label: function (this: CollectEditorNode) {
    return this.name || (this.object ? `collect ${this.object}` : 'collect');
  },
  oneditprepare: function (this: CollectEditorNode) {
    const node = this;
    const hint = (key: string, args?: Record<string, unknown>) => $('#sf-collect-org-hint').text(node._(key, args));
    const toggle = () => {
      $('#sf-collect-row-where').toggle($('#node-input-mode').val() === 'filter');
      // Records by Id are always read as they are: a watermark belongs to a selection by condition.
      $('#sf-collect-row-read').toggle($('#node-input-mode').val() !== 'ids');
      $('#sf-collect-row-parentFields').toggle($('#node-input-parents').val() === 'listed');
    };
    $('#node-input-mode, #node-input-parents').on('change', toggle);
    toggle();

    const connection = () => chosenConnection('#node-input-connection');
    // Connection and object change events can overlap; only the latest answer may fill the pickers.
    let objectsAsked = 0;
    let describeAsked = 0;
    const loadRelationships = (refresh = false) => {
      const object = String($('#node-input-object').val() ?? '').trim();
      const conn = connection();
      const asked = ++describeAsked;
      $('#sf-collect-children-list, #sf-collect-parents-list').empty();
      if (!conn || !API_NAME.test(object)) return;
      orgDescribe(conn, object, refresh).then(
        (d) => {
          if (asked !== describeAsked) return;
          fillNameList($('#sf-collect-children-list'), $('#node-input-children'), d.children.map((c) => ({ name: c.relationshipName, note: `(${c.childSObject})` })));
          // The lookups a collection can follow up, as the planner picks them.
          const lookups = d.fields.filter(isFollowableLookup);
          fillNameList($('#sf-collect-parents-list'), $('#node-input-parentFields'), lookups.map((f) => ({ name: f.name, note: `(${(f.referenceTo ?? []).join(', ')})` })));
        },
        (err: Error) => asked === describeAsked && hint('sf-collect.hint.unreachable', { reason: err.message }),
      );
    };
    const loadObjects = (refresh = false) => {
      const conn = connection();
      const asked = ++objectsAsked;
      $('#sf-collect-objects').empty();
      if (!conn) {
        hint('sf-collect.hint.no-connection');
        return;
      }
      hint('sf-collect.hint.loading');
      orgObjects(conn, refresh).then(
        (all) => {
          if (asked !== objectsAsked) return;
          const objects = all.filter((o) => o.queryable);
          const list = $('#sf-collect-objects').empty();
          for (const o of objects) list.append($('<option></option>').attr('value', o.name).text(o.label));
          hint('sf-collect.hint.objects', { count: objects.length });
          loadRelationships(refresh);
        },
        (err: Error) => asked === objectsAsked && hint('sf-collect.hint.unreachable', { reason: err.message }),
      );
    };
    $('#node-input-connection').on('change', () => loadObjects());
    $('#node-input-object').on('change', () => loadRelationships());
    // The reload button reads the org anew (after a change in Setup), past the describe cache.
    $('#sf-collect-load').on('click', (e: JQuery.ClickEvent) => {
      e.preventDefault();
      loadObjects(true);
    });
    loadObjects();
  },
});
