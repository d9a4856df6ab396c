interface SyncStatusEditorNode {
  name: string;
  object: string;
}

RED.nodes.registerType('sf-sync-status', {
  category: 'salesforce sync',
  color: '#C0DEED',
  icon: 'orgbridge-status.svg',
  inputs: 1,
  outputs: 3,
  defaults: {
    name: { value: '' },
    interval: { value: '60', validate: RED.validators.number() },
    windowHours: {
      value: '24',
      validate: function (v: string) {
        return String(v).trim() !== '' && Number(v) > 0;
      },
    },
    sourceConnection: { value: '', type: 'sf-connection', required: false },
    targetConnection: { value: '', type: 'sf-connection', required: false },
    object: { value: '', validate: RED.validators.regex(/^\s*([A-Za-z][A-Za-z0-9_]*)?\s*$/) },
    runTimeout: {
      value: '600',
      validate: function (v: string) {
        return String(v ?? '').trim() === '' || Number(v) > 0;
      },
    },
  },
  inputLabels: 'report now / sync run messages',
  outputLabels: ['reports', 'dashboard', 'run reports'],
  paletteLabel: 'sync status',
  label: function (this: SyncStatusEditorNode) {
    return this.name || (this.object ? `sync status: ${this.object}` : 'sync status');
  },
});
