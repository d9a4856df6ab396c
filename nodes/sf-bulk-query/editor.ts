import { API_NAME, FIELD, names, wholeNumberIn } from '../shared/editor/form-checks.js';

interface BulkEditorNode {
  name: string;
  objects: string;
  _(key: string, args?: Record<string, unknown>): string;
}

/** Conditions an admin often starts from; `:name` placeholders take msg.payload.params. */
const TEMPLATES: Record<string, string> = {
  'created-12-months': 'CreatedDate = LAST_N_MONTHS:12',
  'changed-30-days': 'SystemModstamp = LAST_N_DAYS:30',
  'created-this-year': 'CreatedDate = THIS_YEAR',
  'industry-param': 'Industry = :industry',
  'country-param': 'BillingCountry IN :countries',
};

RED.nodes.registerType('sf-bulk-query', {
  category: 'salesforce sync',
  color: '#C0DEED',
  icon: 'orgbridge-bulk.svg',
  inputs: 1,
  outputs: 2,
  defaults: {
    name: { value: '' },
    connection: { value: '', type: 'sf-connection', required: true },
    objects: { value: 'Account, Contact, Opportunity', required: true, validate: (v: string) => names(v).length > 0 && names(v).every((n) => API_NAME.test(n)) },
    where: { value: '' },
    dateField: { value: '', validate: (v: string) => !String(v ?? '').trim() || API_NAME.test(String(v).trim()) },
    from: { value: '' },
    to: { value: '' },
    owner: { value: '' },
    include: { value: '', validate: (v: string) => names(v).every((n) => FIELD.test(n)) },
    exclude: { value: '', validate: (v: string) => names(v).every((n) => FIELD.test(n)) },
    queryAll: { value: false },
    path: { value: 'auto' },
    threshold: { value: '10000', validate: (v: string) => wholeNumberIn(v, 0, 1e9) },
    checkpointName: { value: '' },
    batchSize: { value: '200', validate: (v: string) => wholeNumberIn(v, 1, 10000) },
    inFlight: { value: '4', validate: (v: string) => wholeNumberIn(v, 1, 20) },
    ackTimeout: { value: '300', validate: (v: string) => wholeNumberIn(v, 5, 3600) },
    progressEvery: { value: '5', validate: (v: string) => wholeNumberIn(v, 1, 3600) },
    resume: { value: true },
    mode: { value: 'load' },
    rangeUnit: { value: 'month' },
    check: { value: true },
  },
  inputLabels: 'start (msg.payload: params, from, to, restart) or stop (msg.topic "stop")',
  outputLabels: ['records (SyncRecord[])', 'progress and summary'],
  paletteLabel: 'bulk query',
  label: function (this: BulkEditorNode) {
    return this.name || (this.objects ? `bulk read of ${names(this.objects).join(', ')}` : 'bulk query');
  },
  oneditprepare: function () {
    $('#node-input-template').on('change', () => {
      const key = String($('#node-input-template').val() ?? '');
      if (key && TEMPLATES[key]) $('#node-input-where').val(TEMPLATES[key]);
      $('#node-input-template').val('');
    });
    // A deployed flow saved before a setting existed loads without it (the editor fills defaults on
    // import only): its select would show nothing, so it shows what the runtime does without it.
    for (const [id, value] of [['mode', 'load'], ['rangeUnit', 'month'], ['path', 'auto']] as const) {
      if (!$(`#node-input-${id}`).val()) $(`#node-input-${id}`).val(value);
    }
    const showThreshold = () => $('.sf-bulk-query-threshold').toggle($('#node-input-path').val() === 'auto');
    $('#node-input-path').on('change', showThreshold);
    showThreshold();
    // The range unit and the check belong to a backfill; its date field and span are the date range's.
    const showBackfill = () => $('.sf-bulk-query-backfill').toggle($('#node-input-mode').val() === 'backfill');
    $('#node-input-mode').on('change', showBackfill);
    showBackfill();
  },
});
