import type { ConnectionFields } from './fields.js';

interface ConnectionEditorNode extends ConnectionFields {
  id: string;
  _(key: string, args?: Record<string, unknown>): string;
}

const FLOW_FIELDS: Record<string, string[]> = {
  jwt: ['clientId', 'username', 'privateKey'],
  'client-credentials': ['clientId', 'clientSecret'],
  'refresh-token': ['clientId', 'clientSecret', 'refreshToken'],
  password: ['clientId', 'clientSecret', 'username', 'password'],
  'access-token': ['instanceUrl', 'accessToken'],
};
const ALL_FIELDS = ['clientId', 'clientSecret', 'username', 'password', 'privateKey', 'refreshToken', 'accessToken', 'instanceUrl'];

function formValues(): { config: Record<string, string>; credentials: Record<string, string> } {
  const v = (id: string) => String($(`#node-config-input-${id}`).val() ?? '');
  return {
    config: {
      name: v('name'), environment: v('environment'), domain: v('domain'), apiVersion: v('apiVersion'), authFlow: v('authFlow'),
      clientId: v('clientId'), username: v('username'), instanceUrl: v('instanceUrl'), callOptionsClient: v('callOptionsClient'),
      apiBudgetPercent: v('apiBudgetPercent'),
    },
    credentials: {
      clientSecret: v('clientSecret'), password: v('password'), privateKey: v('privateKey'), refreshToken: v('refreshToken'), accessToken: v('accessToken'),
    },
  };
}

/** The placeholder Node-RED puts in a password field whose secret is stored (and keeps when unchanged). */
const STORED = '__PWRD__';
const PEM_PRIVATE_KEY = /-----BEGIN (RSA |ENCRYPTED )?PRIVATE KEY-----[\s\S]+-----END (RSA |ENCRYPTED )?PRIVATE KEY-----/;

/**
 * The private key is pasted into (or loaded from a file into) a multi-line field, so its line
 * breaks survive; what is typed there goes into the hidden credential input, and only there. A
 * stored key is never shown: the field starts empty and says a key is stored, and an empty field
 * on Done keeps it. The runtime repairs and checks the key (Test connection, deploy).
 */
function preparePrivateKey(node: { _(key: string, args?: Record<string, unknown>): string }): void {
  const credential = $('#node-config-input-privateKey');
  const text = $('#sf-connection-privateKey-text');
  const hint = $('#sf-connection-privateKey-hint');
  const stored = credential.val() === STORED;
  const show = (key: string, args?: Record<string, unknown>, error = false) => hint.toggleClass('sf-error', error).text(key ? node._(key, args) : '');
  const take = () => {
    const v = String(text.val() ?? '');
    credential.val(v.trim() ? v : stored ? STORED : '');
    if (!v.trim()) show(stored ? 'sf-connection.hint.keyStored' : '');
    else if (PEM_PRIVATE_KEY.test(v)) show('sf-connection.hint.keyLooksRight');
    else show('sf-connection.hint.keyLooksWrong', {}, true);
  };
  text.val('');
  take();
  text.on('input change', take);
  $('#sf-connection-privateKey-load').on('click', (e: JQuery.ClickEvent) => {
    e.preventDefault();
    $('#sf-connection-privateKey-file').val('').trigger('click');
  });
  $('#sf-connection-privateKey-file').on('change', (e: JQuery.ChangeEvent) => {
    const file = (e.target as HTMLInputElement).files?.[0];
    if (!file) return;
    const reader = new FileReader();
    reader.onload = () => {
      text.val(String(reader.result ?? ''));
      take();
      if (PEM_PRIVATE_KEY.test(String(reader.result ?? ''))) show('sf-connection.hint.keyLoaded', { file: file.name });
    };
    reader.readAsText(file);
  });
}

function callbackUrl(): string {
  return new URL('sf-connection/oauth/callback', window.location.origin + window.location.pathname.replace(/[^/]*$/, '')).toString();
}

RED.nodes.registerType('sf-connection', {
  category: 'config',
  defaults: {
    name: { value: '', required: true },
    environment: { value: 'production', required: true },
    domain: {
      value: '',
      validate: function (this: ConnectionEditorNode, v: string) {
        const env = $('#node-config-input-environment').length ? String($('#node-config-input-environment').val()) : this.environment;
        if (env === 'mydomain') return /^[A-Za-z0-9.-]+$/.test(v.replace(/^https?:\/\//, '').replace(/\/.*$/, ''));
        if (env === 'custom') return /^https?:\/\/[^/]+\/?$/.test(v);
        return true;
      },
    },
    apiVersion: { value: '65.0', required: true, validate: RED.validators.regex(/^\d{2,3}\.0$/) },
    authFlow: { value: 'jwt', required: true },
    clientId: { value: '' },
    username: { value: '' },
    instanceUrl: { value: '' },
    callOptionsClient: { value: 'OrgBridge', required: true },
    apiBudgetPercent: { value: '80', required: true, validate: RED.validators.number() },
  },
  // Written out, not CREDENTIALS: the flow library's checks read the definition as a literal.
  // test/package/flow-library.test.ts keeps it in step with SECRET_KEYS.
  credentials: {
    clientSecret: { type: 'password' },
    password: { type: 'password' },
    privateKey: { type: 'password' },
    refreshToken: { type: 'password' },
    accessToken: { type: 'password' },
  },
  label: function (this: ConnectionEditorNode) {
    return this.name || 'sf-connection';
  },
  oneditprepare: function (this: ConnectionEditorNode) {
    const node = this;
    const showFields = () => {
      const flow = String($('#node-config-input-authFlow').val());
      const env = String($('#node-config-input-environment').val());
      for (const f of ALL_FIELDS) $(`#sf-connection-row-${f}`).toggle((FLOW_FIELDS[flow] ?? []).includes(f));
      $('#sf-connection-row-domain').toggle(env === 'mydomain' || env === 'custom');
      $('#node-config-input-domain').attr('placeholder', node._(env === 'custom' ? 'sf-connection.placeholder.custom' : 'sf-connection.placeholder.domain'));
      $('#sf-connection-row-authorize').toggle(flow === 'refresh-token');
      $('#sf-connection-callback').text(callbackUrl());
    };
    $('#node-config-input-authFlow, #node-config-input-environment').on('change', showFields);
    showFields();
    preparePrivateKey(node);

    $('#sf-connection-test').on('click', (e: JQuery.ClickEvent) => {
      e.preventDefault();
      const out = $('#sf-connection-test-result').removeClass('sf-ok sf-error').text(node._('sf-connection.test.running'));
      $.ajax({
        url: 'sf-connection/test',
        method: 'POST',
        contentType: 'application/json',
        data: JSON.stringify({ id: node.id, ...formValues() }),
      }).then(
        (r: { ok: boolean; orgName?: string; orgId?: string; username?: string; reason?: string; apiUsage?: { used: number; limit: number } }) => {
          if (r.ok) {
            out.addClass('sf-ok').text(node._('sf-connection.test.ok', {
              orgName: r.orgName, orgId: r.orgId, username: r.username, used: r.apiUsage?.used, limit: r.apiUsage?.limit,
            }));
          } else {
            out.addClass('sf-error').text(node._('sf-connection.test.failed', { reason: r.reason }));
          }
        },
        (xhr: JQuery.jqXHR) => out.addClass('sf-error').text(node._('sf-connection.test.failed', { reason: xhr.statusText })),
      );
    });

    $('#sf-connection-authorize').on('click', (e: JQuery.ClickEvent) => {
      e.preventDefault();
      const out = $('#sf-connection-authorize-result').removeClass('sf-ok sf-error').text('');
      const popup = window.open('', 'sf-connection-oauth', 'width=640,height=720');
      $.ajax({
        url: 'sf-connection/oauth/start',
        method: 'POST',
        contentType: 'application/json',
        data: JSON.stringify({ id: node.id, redirectUri: callbackUrl(), ...formValues() }),
      }).then(
        (r: { authorizeUrl: string }) => {
          if (popup) popup.location.href = r.authorizeUrl;
          else window.open(r.authorizeUrl, 'sf-connection-oauth');
        },
        (xhr: JQuery.jqXHR) => {
          popup?.close();
          out.addClass('sf-error').text((xhr.responseJSON as { error?: string } | undefined)?.error ?? xhr.statusText);
        },
      );
    });
    const onMessage = (ev: MessageEvent) => {
      const data = ev.data as { type?: string; ok?: boolean; nodeId?: string; message?: string };
      if (ev.origin !== window.location.origin || data?.type !== 'sf-connection-oauth' || data.nodeId !== node.id) return;
      if (data.ok) {
        // The runtime now holds the refresh token; the placeholder tells the deploy to keep it.
        $('#node-config-input-refreshToken').val('__PWRD__');
        $('#sf-connection-authorize-result').removeClass('sf-error').addClass('sf-ok').text(node._('sf-connection.hint.authorized'));
      } else {
        $('#sf-connection-authorize-result').removeClass('sf-ok').addClass('sf-error').text(data.message ?? '');
      }
    };
    window.addEventListener('message', onMessage);
    $('#sf-connection-authorize').data('sf-listener', onMessage);
  },
  oneditsave: function () {
    const l = $('#sf-connection-authorize').data('sf-listener') as ((ev: MessageEvent) => void) | undefined;
    if (l) window.removeEventListener('message', l);
  },
  oneditcancel: function () {
    const l = $('#sf-connection-authorize').data('sf-listener') as ((ev: MessageEvent) => void) | undefined;
    if (l) window.removeEventListener('message', l);
  },
});
