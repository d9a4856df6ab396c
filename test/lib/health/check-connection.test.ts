import { expect } from 'chai';
import type { Emulator } from '../../../emulator/index.js';
import { OrgConnection } from '../../../lib/connection/org-connection.js';
import { loginKeyOf } from '../../../lib/connection/org-key.js';
import { checkConnection, type HealthCheckOptions } from '../../../lib/health/index.js';
import { PASSWORD, settingsFor } from '../../support/connection.js';
import { restoreOrgs, startTestEmulator, testOrgSpec } from '../../support/emulator.js';

// Far above what a loopback /limits call takes, so only injected latency crosses it.
const OPTIONS: HealthCheckOptions = { degradedLatencyMs: 2000, degradedApiPercent: 90 };

describe('checkConnection against the emulator', () => {
  let emulator: Emulator;
  before(async () => {
    emulator = await startTestEmulator([testOrgSpec('alpha')]);
  });
  after(() => emulator.stop());
  beforeEach(() => restoreOrgs(emulator));

  it('reports an org that answers as available, keyed by its org Id, for exactly one API call', async () => {
    const conn = new OrgConnection(settingsFor(emulator), PASSWORD);
    const org = emulator.org('alpha');
    const first = await checkConnection(conn, { ...OPTIONS, now: () => emulator.clock.now() });
    expect(first).to.include({
      orgId: org.orgId, orgName: 'alpha', identified: true, status: 'available', severity: 'info',
      reachable: true, authenticated: true, apiUsed: 1, apiLimit: 100_000, apiBudget: 100_000, connectionState: 'connected',
    });
    expect(first.latencyMs).to.be.a('number').and.be.greaterThan(0);
    expect(first.reason).to.match(/^OK: \/limits answered in \d+ ms/);
    expect(org.limits.counts().total).to.equal(1);

    const before = org.limits.counts().total;
    await checkConnection(conn, OPTIONS);
    expect(org.limits.counts().total - before).to.equal(1);
    expect(org.limits.counts().byEndpoint).to.deep.equal({ 'GET /limits': 2 });
  });

  it('reports a slow org as degraded', async () => {
    emulator.org('alpha').faults.add({ path: '/limits', action: { type: 'latency', ms: 300 } });
    const conn = new OrgConnection(settingsFor(emulator), PASSWORD);
    const s = await checkConnection(conn, { ...OPTIONS, degradedLatencyMs: 100 });
    expect(s).to.include({ status: 'degraded', severity: 'warning', reachable: true, authenticated: true });
    expect(s.reason).to.match(/^Slow: \/limits answered in \d+ ms \(degraded above 100 ms\)$/);
  });

  it('reports API usage above the threshold share of the budget as degraded, and a spent budget as unavailable', async () => {
    const limits = emulator.org('alpha').limits;
    limits.setMax('DailyApiRequests', 1000);
    limits.setUsed('DailyApiRequests', 450);
    const conn = new OrgConnection(settingsFor(emulator, { apiBudgetPercent: 50 }), PASSWORD);
    const degraded = await checkConnection(conn, OPTIONS);
    expect(degraded).to.include({ status: 'degraded', apiUsed: 451, apiLimit: 1000, apiBudget: 500, apiPercent: 90.2 });
    expect(degraded.reason).to.equal("API usage at 90.2% of this integration's budget: 451 of 500 calls (org limit 1000) (degraded above 90%)");

    limits.setUsed('DailyApiRequests', 499);
    const spent = await checkConnection(conn, OPTIONS);
    expect(spent).to.include({ status: 'unavailable', severity: 'critical', reachable: true, code: 'API_BUDGET_EXCEEDED', apiUsed: 500 });
    expect(spent.reason).to.match(/^API budget used up: 500 of 500 calls/);
    // The connection now refuses calls itself, so the next check costs nothing and says the same.
    const callsBefore = limits.counts().total;
    const refused = await checkConnection(conn, OPTIONS);
    expect(refused).to.include({ status: 'unavailable', code: 'API_BUDGET_EXCEEDED', apiUsed: 500 });
    expect(limits.counts().total).to.equal(callsBefore);
  });

  it('reports a transient server error as degraded', async () => {
    const conn = new OrgConnection(settingsFor(emulator), PASSWORD);
    await checkConnection(conn, OPTIONS);
    emulator.org('alpha').faults.add({ path: '/limits', count: 1, action: { type: 'error', status: 503, errorCode: 'SERVER_UNAVAILABLE', message: 'Maintenance in progress' } });
    const s = await checkConnection(conn, OPTIONS);
    expect(s).to.include({ status: 'degraded', severity: 'warning', reachable: true, code: 'SERVER_UNAVAILABLE', latencyMs: null });
    expect(s.reason).to.contain('Maintenance in progress');
  });

  it('reports an org that is down as unavailable, under its org Id once it was ever reached', async () => {
    const conn = new OrgConnection(settingsFor(emulator), PASSWORD);
    await checkConnection(conn, OPTIONS);
    await emulator.orgDown('alpha');
    const s = await checkConnection(conn, OPTIONS);
    expect(s).to.include({ orgId: emulator.org('alpha').orgId, status: 'unavailable', severity: 'critical', reachable: false, authenticated: false, latencyMs: null, connectionState: 'unavailable' });
    expect(s.reason).to.match(/^Cannot reach 127\.0\.0\.1:\d+/);
  });

  it('reports a wrong password as unavailable with the auth reason and no secret, under a login key', async () => {
    const secrets = { ...PASSWORD, password: 'wrong-password-123' };
    const conn = new OrgConnection(settingsFor(emulator), secrets);
    const s = await checkConnection(conn, OPTIONS);
    expect(s).to.include({ status: 'unavailable', severity: 'critical', reachable: true, authenticated: false, identified: false, connectionState: 'failed' });
    expect(s.reason).to.match(/Wrong username or password/);
    expect(s.orgId).to.equal(loginKeyOf(conn)).and.equal(`login:${new URL(emulator.loginUrl).host}/integration@alpha.test`);
    for (const secret of Object.values(secrets)) expect(JSON.stringify(s)).to.not.contain(secret);
    expect(emulator.org('alpha').limits.counts().total).to.equal(0);
  });

  it('does not log in again with credentials that were refused, so the user is not locked out', async () => {
    const conn = new OrgConnection(settingsFor(emulator), { ...PASSWORD, password: 'wrong-password-123' });
    const login = conn.connection.bind(conn);
    let logins = 0;
    conn.connection = () => {
      logins++;
      return login();
    };
    await checkConnection(conn, OPTIONS);
    const again = await checkConnection(conn, OPTIONS);
    expect(logins).to.equal(1);
    expect(again).to.include({ status: 'unavailable', reachable: true, authenticated: false, code: 'invalid_grant' });
    expect(again.reason).to.match(/Wrong username or password.*\(not retried until the connection is changed\)$/);
    // reset() (what re-deploying amounts to) makes the next check try again.
    conn.reset();
    await checkConnection(conn, OPTIONS);
    expect(logins).to.equal(2);
  });

  it('reports incomplete settings without a network call', async () => {
    const conn = new OrgConnection(settingsFor(emulator, { username: undefined }), PASSWORD);
    const s = await checkConnection(conn, OPTIONS);
    expect(s).to.include({ status: 'unavailable', code: 'CONFIGURATION', reachable: false });
    expect(s.reason).to.match(/needs a username/);
  });

  it('gives up after the timeout and reports the org unavailable', async () => {
    const conn = new OrgConnection(settingsFor(emulator), PASSWORD);
    await checkConnection(conn, OPTIONS);
    emulator.org('alpha').faults.add({ path: '/limits', count: 1, action: { type: 'latency', ms: 1500 } });
    const s = await checkConnection(conn, { ...OPTIONS, timeoutMs: 100 });
    expect(s).to.include({ status: 'unavailable', code: 'TIMEOUT', reachable: false, reason: `No answer from ${conn.host} within 100 ms` });
  });

  it('files flows without a username under a hash of the client id, never the id itself', () => {
    const conn = new OrgConnection(settingsFor(emulator, { authFlow: 'client-credentials', username: undefined, clientId: 'cid-visible-nowhere', domain: 'https://acme.my.salesforce.com' }), {});
    expect(loginKeyOf(conn)).to.match(/^login:acme\.my\.salesforce\.com\/app-[0-9a-f]{12}$/).and.not.contain('cid-visible-nowhere');
  });
});
