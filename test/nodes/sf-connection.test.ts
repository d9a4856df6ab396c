import { expect } from 'chai';
import type { Emulator } from '../../emulator/index.js';
import type { SfConnectionNode } from '../../nodes/shared/connection.js';
import { startTestEmulator, testOrgSpec } from '../support/emulator.js';
import { builtNode, helper } from '../support/node-red.js';

const sfConnection = builtNode('sf-connection');

describe('sf-connection node', () => {
  let emulator: Emulator;

  before(async () => {
    emulator = await startTestEmulator([testOrgSpec('alpha')]);
  });
  after(() => emulator.stop());
  beforeEach((done) => {
    emulator.org('alpha').reset();
    helper.startServer(done);
  });
  afterEach(async () => {
    await helper.unload();
    await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
  });

  function connectionConfig(over: Record<string, unknown> = {}) {
    return {
      id: 'conn1', type: 'sf-connection', name: 'Alpha', environment: 'custom', domain: emulator.loginUrl, apiVersion: '62.0',
      authFlow: 'password', clientId: 'cid-alpha', username: 'integration@alpha.test', callOptionsClient: 'OrgBridge', apiBudgetPercent: '80',
      ...over,
    };
  }
  const creds = { conn1: { clientSecret: 'secret-alpha', password: 'integration-pass-1' } };

  it('holds one lazily connected OrgConnection with its credentials', async () => {
    await helper.load(sfConnection as never, [connectionConfig()], creds);
    const node = helper.getNode('conn1') as unknown as SfConnectionNode;
    expect(node.org.state).to.equal('idle');
    expect(emulator.org('alpha').limits.counts().total).to.equal(0);
    await node.org.run((c) => c.query('SELECT Id FROM Account'));
    expect(node.org.state).to.equal('connected');
    expect(node.org.identity?.orgId).to.equal(emulator.org('alpha').orgId);
  });

  it('answers Test connection with the org, user and API usage, using stored secrets for unchanged fields', async () => {
    await helper.load(sfConnection as never, [connectionConfig()], creds);
    const res = await helper
      .request()
      .post('/sf-connection/test')
      .send({ id: 'conn1', config: connectionConfig(), credentials: { clientSecret: '__PWRD__', password: '__PWRD__' } })
      .expect(200);
    expect(res.body).to.include({ ok: true, orgName: 'alpha Inc.', orgId: emulator.org('alpha').orgId, username: 'integration@alpha.test' });
    expect(res.body.apiUsage.limit).to.equal(100000);
  });

  it('answers Test connection with a clear reason, and never the secret, when it fails', async () => {
    await helper.load(sfConnection as never, [connectionConfig()], creds);
    const res = await helper
      .request()
      .post('/sf-connection/test')
      .send({ id: 'conn1', config: connectionConfig(), credentials: { clientSecret: 'wrong-secret-value', password: '__PWRD__' } })
      .expect(200);
    expect(res.body).to.deep.equal({ ok: false, code: 'invalid_client', reason: 'Wrong client secret for this connected app (or the app does not allow this flow)' });
    const unreachable = await helper
      .request()
      .post('/sf-connection/test')
      .send({ config: connectionConfig({ domain: 'http://127.0.0.1:9' }), credentials: creds.conn1 })
      .expect(200);
    expect(unreachable.body.ok).to.equal(false);
    expect(unreachable.body.reason).to.match(/Cannot reach 127\.0\.0\.1:9 \(connection refused\)/);
  });

  it('runs the web-server flow: start gives an authorize URL, the callback stores the refresh token', async () => {
    await helper.load(sfConnection as never, [connectionConfig({ authFlow: 'refresh-token' })], creds);
    const redirectUri = 'http://127.0.0.1/callback';
    const start = await helper
      .request()
      .post('/sf-connection/oauth/start')
      .send({ id: 'conn1', config: connectionConfig({ authFlow: 'refresh-token' }), credentials: {}, redirectUri })
      .expect(200);
    const authorizeUrl = new URL(start.body.authorizeUrl as string);
    expect(authorizeUrl.searchParams.get('code_challenge_method')).to.equal('S256');
    const state = authorizeUrl.searchParams.get('state')!;
    expect(state).to.have.length.greaterThan(20);
    const redirect = await fetch(authorizeUrl, { redirect: 'manual' });
    const back = new URL(redirect.headers.get('location')!);
    expect(back.searchParams.get('state')).to.equal(state);

    const page = await helper.request().get(`/sf-connection/oauth/callback${back.search}`).expect(200);
    // The test helper's i18n answers with message keys.
    expect(page.text).to.contain('sf-connection.oauth.done');
    expect(page.text).to.contain('"ok":true');
    const stored = (helper as unknown as { _RED: { nodes: { getCredentials(id: string): Record<string, string> } } })._RED.nodes.getCredentials('conn1');
    expect(stored.refreshToken).to.match(/^5Aep/);
    expect(stored.clientSecret).to.equal('secret-alpha');
    expect(page.text).to.not.contain(stored.refreshToken);

    // The state is single use, and an unknown one is refused.
    const replay = await helper.request().get(`/sf-connection/oauth/callback${back.search}`).expect(400);
    expect(replay.text).to.contain('unknown or has expired');
  });

  it('warns at deploy when the settings are incomplete, naming what is missing', async () => {
    await helper.load(sfConnection as never, [connectionConfig({ authFlow: 'jwt', username: '' })], {});
    const node = helper.getNode('conn1') as unknown as { warn: { args: unknown[][] } };
    const warnings = node.warn.args.map((a) => String(a[0]));
    expect(warnings.some((w) => w.includes('sf-connection.errors.incomplete'))).to.equal(true);
  });

  it('refuses a pasted private key that is no key, at deploy and at Test connection, in words', async () => {
    const creds = { conn1: { privateKey: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----' } };
    await helper.load(sfConnection as never, [connectionConfig({ authFlow: 'jwt', username: 'integration@alpha.test' })], creds);
    const node = helper.getNode('conn1') as unknown as SfConnectionNode;
    expect(node.org.problems().join('\n')).to.match(/needs a usable private key, but this is a certificate, not a private key/);
    const res = await helper.request().post('/sf-connection/test').send({ id: 'conn1', config: connectionConfig({ authFlow: 'jwt', username: 'integration@alpha.test' }), credentials: { privateKey: '__PWRD__' } }).expect(200);
    expect(res.body).to.include({ ok: false, code: 'CONFIGURATION' });
    expect(res.body.reason).to.match(/certificate, not a private key/);
    expect(res.body.reason).to.not.match(/DECODER|MIIB/);
  });
});
