import { API_NAME, FIELD, names, wholeNumberIn } from '../shared/editor/form-checks.js';

interface CdcEditorNode {
  name: string;
  objects: string;
  channel: string;
  _(key: string, args?: Record<string, unknown>): string;
}

RED.nodes.registerType('sf-cdc-in', {
  category: 'salesforce sync',
  color: '#C0DEED',
  icon: 'orgbridge-cdc.svg',
  inputs: 0,
  outputs: 2,
  defaults: {
    name: { value: '' },
    connection: { value: '', type: 'sf-connection', required: true },
    objects: { value: 'Account', required: true, validate: (v: string) => names(v).length > 0 && names(v).every((n) => API_NAME.test(n)) },
    channel: { value: '', validate: (v: string) => !String(v ?? '').trim() || /^\/data\/[A-Za-z][A-Za-z0-9_]*$/.test(String(v).trim()) },
    create: { value: true },
    update: { value: true },
    delete: { value: true },
    undelete: { value: true },
    fields: { value: '', validate: (v: string) => names(v).every((n) => FIELD.test(n)) },
    start: { value: 'new' },
    backfill: { value: '' },
    checkpointName: { value: '' },
    batchSize: { value: '200', validate: (v: string) => wholeNumberIn(v, 1, 2000) },
    windowMs: { value: '500', validate: (v: string) => wholeNumberIn(v, 0, 60000) },
    inFlight: { value: '4', validate: (v: string) => wholeNumberIn(v, 1, 20) },
    ackTimeout: { value: '300', validate: (v: string) => wholeNumberIn(v, 5, 3600) },
    condition: { value: '' },
  },
  outputLabels: ['changed records (SyncRecord[])', 'replay, gap and connection events'],
  paletteLabel: 'change capture',
  label: function (this: CdcEditorNode) {
    return this.name || (this.objects ? `changes of ${names(this.objects).join(', ')}` : 'change capture');
  },
  oneditprepare: function (this: CdcEditorNode & { backfill?: string }) {
    // The backfills it can take over from: bulk query nodes in backfill mode.
    const select = $('#node-input-backfill');
    select.empty();
    const options: Array<{ id: string; label: string }> = [];
    RED.nodes.eachNode((node: object) => {
      const n = node as { id: string; type: string; name?: string; mode?: string; objects?: string };
      if (n.type === 'sf-bulk-query' && n.mode === 'backfill') options.push({ id: n.id, label: n.name || `backfill of ${n.objects ?? ''}` });
      return true;
    });
    if (!options.length) select.append($('<option value="">').text(this._('sf-cdc-in.backfill.none')));
    for (const o of options) select.append($('<option>').val(o.id).text(o.label));
    select.val(this.backfill ?? '');
    const toggle = () => $('.sf-cdc-in-backfill').toggle($('#node-input-start').val() === 'backfill');
    $('#node-input-start').on('change', toggle);
    toggle();
  },
});
