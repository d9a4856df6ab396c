import { expect } from 'chai';
import type { Emulator } from '../../../emulator/index.js';
import { ApiBudgetExceededError, OrgConnection, type StateChange } from '../../../lib/connection/org-connection.js';
import type { ConnectionSecrets, ConnectionSettings } from '../../../lib/connection/settings.js';
import { OrgApi } from '../../../lib/salesforce/org-api.js';
import { PASSWORD, settingsFor } from '../../support/connection.js';
import { jwtKeys, restoreOrgs, startTestEmulator, testOrgSpec } from '../../support/emulator.js';
import { failure } from '../../support/failure.js';
import { obtainRefreshToken } from '../../support/oauth.js';

describe('OrgConnection against the emulator', () => {
  let emulator: Emulator;
  before(async () => {
    emulator = await startTestEmulator([testOrgSpec('alpha'), testOrgSpec('beta')]);
  });
  after(() => emulator.stop());
  beforeEach(async () => {
    await restoreOrgs(emulator);
  });

  it('logs in once, lazily, for many concurrent callers (password flow)', async () => {
    const oc = new OrgConnection(settingsFor(emulator), PASSWORD);
    expect(oc.state).to.equal('idle');
    const states: string[] = [];
    oc.on('state', (c: StateChange) => states.push(c.state));
    const results = await Promise.all(Array.from({ length: 5 }, () => oc.run((c) => c.query('SELECT Id FROM Account'))));
    expect(results).to.have.length(5);
    expect(states).to.deep.equal(['connecting', 'connected']);
    expect(oc.identity?.orgId).to.equal(emulator.org('alpha').orgId);
    expect(emulator.org('alpha').sessions.activeCount).to.equal(1);
  });

  it('logs in with a JWT and renews the session itself when it expires', async () => {
    const oc = new OrgConnection(settingsFor(emulator, { authFlow: 'jwt' }), { privateKey: jwtKeys.privateKey }, { now: () => emulator.clock.now() });
    await oc.run((c) => c.query('SELECT Id FROM Account'));
    emulator.org('alpha').sessions.expireAll();
    const r = await oc.run((c) => c.query('SELECT Id FROM User'));
    expect(r.totalSize).to.be.greaterThan(0);
    expect(oc.state).to.equal('connected');
    expect(emulator.org('alpha').sessions.activeCount).to.equal(1);
  });

  it('uses client credentials on the org instance URL and renews them', async () => {
    const oc = new OrgConnection(
      settingsFor(emulator, { authFlow: 'client-credentials', domain: emulator.org('alpha').instanceUrl, username: undefined }),
      { clientSecret: 'secret-alpha' },
    );
    await oc.run((c) => c.query('SELECT Id FROM Account'));
    const runAs = emulator.org('alpha').userByName('integration@alpha.test')!;
    expect(oc.identity?.userId).to.equal(runAs.id);
    emulator.org('alpha').sessions.expireAll();
    await oc.run((c) => c.query('SELECT Id FROM Account'));
    expect(oc.state).to.equal('connected');
  });

  it('uses a refresh token from the web-server flow', async () => {
    const refreshToken = await obtainRefreshToken(emulator, 'alpha');
    const oc = new OrgConnection(settingsFor(emulator, { authFlow: 'refresh-token', domain: emulator.org('alpha').instanceUrl }), { refreshToken });
    await oc.run((c) => c.query('SELECT Id FROM Account'));
    emulator.org('alpha').sessions.expireAll();
    await oc.run((c) => c.query('SELECT Id FROM Account'));
    expect(oc.identity?.orgId).to.equal(emulator.org('alpha').orgId);
  });

  it('uses a pasted access token and reports it expired when it lapses', async () => {
    const org = emulator.org('alpha');
    const session = org.sessions.issue(org.userByName('integration@alpha.test')!.id, 'cid-alpha');
    const oc = new OrgConnection(settingsFor(emulator, { authFlow: 'access-token', instanceUrl: org.instanceUrl }), { accessToken: session.accessToken });
    await oc.run((c) => c.query('SELECT Id FROM Account'));
    org.sessions.expireAll();
    const err = await failure(oc.run((c) => c.query('SELECT Id FROM Account')));
    expect(oc.state).to.equal('expired');
    expect(err.message).to.not.contain(session.accessToken);
  });

  it('fails with a clear reason and no secret for a wrong password, client id or secret', async () => {
    const cases: Array<[Partial<ConnectionSettings>, ConnectionSecrets, RegExp]> = [
      [{}, { ...PASSWORD, password: 'wrong-password-123' }, /Wrong username or password/],
      [{ clientId: 'nope' }, PASSWORD, /Unknown client id/],
      [{}, { ...PASSWORD, clientSecret: 'not-the-secret-42' }, /Wrong client secret/],
    ];
    for (const [over, secrets, reason] of cases) {
      const oc = new OrgConnection(settingsFor(emulator, over), secrets);
      const err = await failure(oc.connection());
      expect(err.message).to.match(reason);
      expect(oc.state).to.equal('failed');
      for (const s of Object.values(secrets)) expect(err.message).to.not.contain(s);
    }
  });

  it('logs in with a JWT key whose line breaks were lost when it was pasted', async () => {
    const oneLine = jwtKeys.privateKey.replace(/\n/g, ' ');
    const oc = new OrgConnection(settingsFor(emulator, { authFlow: 'jwt' }), { privateKey: oneLine }, { now: () => emulator.clock.now() });
    expect(oc.problems()).to.deep.equal([]);
    await oc.run((c) => c.query('SELECT Id FROM Account'));
    expect(oc.state).to.equal('connected');
    oc.close();
  });

  it('refuses a private key that is no key before any call, in words rather than an OpenSSL code', async () => {
    const oc = new OrgConnection(settingsFor(emulator, { authFlow: 'jwt' }), { privateKey: 'paste here' });
    const err = await failure(oc.connection());
    expect(err.message).to.match(/needs a usable private key, but the private key is not a PEM key/);
    expect(err.message).to.not.match(/DECODER|error:/);
    expect(emulator.org('alpha').limits.counts().total).to.equal(0);
  });

  it('refuses a JWT signed with the wrong key with a reason about the certificate', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const other = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    const oc = new OrgConnection(settingsFor(emulator, { authFlow: 'jwt' }), { privateKey: other.privateKey });
    const err = await failure(oc.connection());
    expect(err.message).to.match(/private key does not match the certificate/);
  });

  it('reports incomplete settings before any network call', async () => {
    const oc = new OrgConnection(settingsFor(emulator, { authFlow: 'jwt', username: '' }), {});
    const err = await failure(oc.connection());
    expect(err.message).to.match(/JWT bearer flow needs a username/);
    expect(err.message).to.match(/needs a PEM private key/);
    expect(emulator.org('alpha').limits.counts().total).to.equal(0);
  });

  it('goes unavailable when the org is down and connected again when it is back, without touching other orgs', async () => {
    const alpha = new OrgConnection(settingsFor(emulator, { authFlow: 'client-credentials', domain: emulator.org('alpha').instanceUrl }), { clientSecret: 'secret-alpha' });
    const beta = new OrgConnection(settingsFor(emulator, { name: 'beta', clientId: 'cid-beta', username: 'integration@beta.test' }), { clientSecret: 'secret-beta', password: 'integration-pass-1' });
    await alpha.run((c) => c.query('SELECT Id FROM Account'));
    await beta.run((c) => c.query('SELECT Id FROM Account'));
    const seen: StateChange[] = [];
    alpha.on('state', (c: StateChange) => seen.push(c));
    await emulator.orgDown('alpha');
    const err = await failure(alpha.run((c) => c.request({ method: 'POST', url: '/services/data/v62.0/composite/sobjects', body: JSON.stringify({ records: [] }), headers: { 'Content-Type': 'application/json' } })));
    expect(err.message).to.match(/Cannot reach 127\.0\.0\.1:\d+ \((connection refused|ECONNRESET)\)/);
    expect(alpha.state).to.equal('unavailable');
    await beta.run((c) => c.query('SELECT Id FROM Account'));
    expect(beta.state).to.equal('connected');
    await emulator.orgUp('alpha');
    await alpha.run((c) => c.query('SELECT Id FROM Account'));
    expect(alpha.state).to.equal('connected');
    expect(seen.map((c) => c.state)).to.deep.equal(['unavailable', 'connecting', 'connected']);
    expect(seen[0]!.failure?.transient).to.equal(true);
  });

  it('names the instance that is down, not the login host, once logged in', async () => {
    const oc = new OrgConnection(settingsFor(emulator), PASSWORD);
    await oc.run((c) => c.query('SELECT Id FROM Account'));
    await emulator.orgDown('alpha');
    const err = await failure(oc.run((c) => c.request({ method: 'POST', url: '/services/data/v62.0/composite/sobjects', body: JSON.stringify({ records: [] }), headers: { 'Content-Type': 'application/json' } })));
    expect(err.message).to.contain(`Cannot reach ${new URL(emulator.org('alpha').instanceUrl).host} (`);
    expect(err.message).to.not.contain(new URL(emulator.loginUrl).host);
  });

  it('tracks API usage and stops at its share of the daily limit', async () => {
    emulator.org('alpha').limits.setMax('DailyApiRequests', 100);
    const oc = new OrgConnection(settingsFor(emulator, { apiBudgetPercent: 5 }), PASSWORD);
    const usage = await new OrgApi(oc).limits();
    expect(usage).to.include({ used: 1, limit: 100, budget: 5 });
    for (let i = 0; i < 4; i++) await oc.run((c) => c.query('SELECT Id FROM Account'));
    expect(oc.apiUsage()).to.include({ used: 5 });
    const err = await failure(oc.run((c) => c.query('SELECT Id FROM Account')));
    expect(err).to.be.instanceOf(ApiBudgetExceededError);
    expect(err.message).to.match(/API budget used up: 5 of 5/);
    expect(emulator.org('alpha').limits.counts().total).to.equal(5);
  });

  it('lets one call through a minute after the budget was spent, to see whether usage dropped', async () => {
    let now = 1_000_000;
    const org = emulator.org('alpha');
    org.limits.setMax('DailyApiRequests', 100);
    const oc = new OrgConnection(settingsFor(emulator, { apiBudgetPercent: 2 }), PASSWORD, { now: () => now });
    await new OrgApi(oc).limits();
    await oc.run((c) => c.query('SELECT Id FROM Account'));
    expect((await failure(oc.run((c) => c.query('SELECT Id FROM Account'))))).to.be.instanceOf(ApiBudgetExceededError);
    // The rolling 24 hours moved on: the org now reports less usage.
    org.limits.setUsed('DailyApiRequests', 0);
    now += 61_000;
    await oc.run((c) => c.query('SELECT Id FROM Account'));
    expect(oc.apiUsage()).to.include({ used: 1, budget: 2 });
  });
});
