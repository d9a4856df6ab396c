interface UpsertOutEditorNode {
  name: string;
  connection: string;
  _(key: string, args?: Record<string, unknown>): string;
}

/** A whole number within bounds; config fields hold strings. */
function wholeBetween(min: number, max: number) {
  return function (v: string | number) {
    const n = Number(v);
    return String(v).trim() !== '' && Number.isInteger(n) && n >= min && n <= max;
  };
}

RED.nodes.registerType('sf-upsert-out', {
  category: 'salesforce sync',
  color: '#C0DEED',
  icon: 'orgbridge-upsert.svg',
  inputs: 1,
  outputs: 2,
  defaults: {
    name: { value: '' },
    connection: { value: '', type: 'sf-connection', required: true },
    maxInFlight: { value: '2', required: true, validate: wholeBetween(1, 5) },
    maxAttempts: { value: '5', required: true, validate: wholeBetween(1, 20) },
    baseDelayMs: { value: '500', required: true, validate: wholeBetween(0, 60000) },
    bulkThreshold: { value: '2000', validate: (v: string) => String(v ?? '').trim() === '' || wholeBetween(0, 1e9)(v) },
    bulkHardDelete: { value: false },
  },
  inputLabels: 'mapped records',
  outputLabels: ['results', 'dead-lettered'],
  paletteLabel: 'upsert out',
  label: function (this: UpsertOutEditorNode) {
    return this.name || 'upsert out';
  },
});
