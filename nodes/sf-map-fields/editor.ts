import { MAPPING_FORMAT } from '../../lib/mapping/constants.js';
import { loadObjects } from './editor/catalogs.js';
import { initialDocument, loadDocument, mappingName, readDocument } from './editor/document.js';
import { canonical, parseDocument } from './editor/form-values.js';
import { prepareControls, prepareLists, prepareTabs, resize } from './editor/layout.js';
import { closeSession, live, openSession, s, type MapFieldsEditorNode } from './editor/session.js';

// The mapping editor. The form is the document: opening the dialog loads `node.mapping` (JSON) into
// it, Done writes it back, and templates, import, export and Check all go through the same two
// functions (loadDocument / readDocument in editor/document.ts), so what is exported is exactly what
// the node runs. The parts live in editor/, one module each.

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
        return !!doc && doc.format === MAPPING_FORMAT && !!doc.name && !!doc.source?.object && !!doc.target?.object && Array.isArray(doc.fields);
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
    const opened = openSession({
      node,
      t: (key, args) => node._(`sf-map-fields.${key}`, args),
      catalogs: {},
      parents: new Map(),
      loaded: {},
      template: node.template ?? '',
      checkNotes: new Map(),
      rows: 0,
    });
    prepareTabs();
    prepareLists();
    prepareControls();
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
    closeSession();
  },
  oneditcancel: function () {
    closeSession();
  },
  oneditresize: function (size: { width: number; height: number }) {
    resize(size.height);
  },
});
