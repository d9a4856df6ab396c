interface HealthCheckEditorNode {
  name: string;
  connection: string;
  allConnections: boolean;
  _(key: string, args?: Record<string, unknown>): string;
}

RED.nodes.registerType('sf-health-check', {
  category: 'salesforce sync',
  color: '#C0DEED',
  icon: 'orgbridge-health.svg',
  inputs: 1,
  outputs: 2,
  defaults: {
    name: { value: '' },
    connection: {
      value: '',
      type: 'sf-connection',
      required: false,
      validate: function (this: HealthCheckEditorNode, v: string) {
        const all = $('#node-input-allConnections').length ? $('#node-input-allConnections').is(':checked') : this.allConnections;
        return all || (!!v && v !== '_ADD_');
      },
    },
    allConnections: { value: false },
    interval: { value: '60', validate: RED.validators.number() },
    degradedLatencyMs: { value: '2000', validate: RED.validators.number() },
    degradedApiPercent: { value: '90', validate: RED.validators.number() },
    silentAfter: { value: '0', validate: RED.validators.number(true) },
    publishConnection: { value: '', type: 'sf-connection', required: false },
    publishEvent: { value: 'Org_Status__e' },
  },
  inputLabels: 'check now',
  outputLabels: ['status changes', 'check report'],
  paletteLabel: 'health check',
  label: function (this: HealthCheckEditorNode) {
    return this.name || (this.allConnections ? 'health check: all orgs' : 'health check');
  },
  oneditprepare: function () {
    const toggle = () => $('#sf-health-check-row-connection').toggle(!$('#node-input-allConnections').is(':checked'));
    $('#node-input-allConnections').on('change', toggle);
    toggle();
  },
});
