import { expect } from 'chai';
import path from 'node:path';
import type { Emulator } from '../../../emulator/index.js';
import { OrgConnection } from '../../../lib/connection/org-connection.js';
import { loginKeyOf } from '../../../lib/connection/org-key.js';
import { HealthMonitor, type StatusTransition } from '../../../lib/health/index.js';
import { Ledger } from '../../../lib/ledger/index.js';
import { PASSWORD, settingsFor } from '../../support/connection.js';
import { restoreOrgs, startTestEmulator, testOrgSpec } from '../../support/emulator.js';
import { tempDir } from '../ledger/helpers.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2025, 0, 6, 12, 0, 0);

describe('HealthMonitor against the emulator and a real ledger', () => {
  let emulator: Emulator;
  let ledger: Ledger;
  let file: string;
  let cleanup: () => void;
  let clock: number;

  before(async () => {
    emulator = await startTestEmulator([testOrgSpec('alpha'), testOrgSpec('beta')]);
  });
  after(() => emulator.stop());
  beforeEach(async () => {
    await restoreOrgs(emulator);
    const t = tempDir('orgbridge-health-');
    cleanup = t.cleanup;
    file = path.join(t.dir, 'ledger.sqlite');
    ledger = Ledger.open(file);
    clock = T0;
  });
  afterEach(() => {
    ledger.close();
    cleanup();
  });

  function monitor(over: Partial<ConstructorParameters<typeof HealthMonitor>[0]> = {}): HealthMonitor {
    return new HealthMonitor({ ledger, degradedLatencyMs: 2000, degradedApiPercent: 90, now: () => clock, ...over });
  }

  it('emits a transition only when the status changes: available, unavailable while down, available again', async () => {
    const m = monitor();
    const conn = new OrgConnection(settingsFor(emulator), PASSWORD);
    const transitions: StatusTransition[] = [];
    const checkAt = async (minute: number) => {
      clock = T0 + minute * MINUTE;
      const r = await m.check(conn);
      if (r.transition) transitions.push(r.transition);
    };
    await checkAt(0);
    await checkAt(10);
    await emulator.orgDown('alpha');
    await checkAt(20);
    await checkAt(30);
    await emulator.orgUp('alpha');
    await checkAt(40);
    await checkAt(50);

    const orgId = emulator.org('alpha').orgId;
    expect(transitions.map((t) => [t.previous, t.status, t.severity, t.at])).to.deep.equal([
      ['unknown', 'available', 'info', T0],
      ['available', 'unavailable', 'critical', T0 + 20 * MINUTE],
      ['unavailable', 'available', 'info', T0 + 40 * MINUTE],
    ]);
    expect(transitions.every((t) => t.orgId === orgId && t.orgName === 'alpha')).to.equal(true);
    expect(transitions[1]!.reason).to.match(/^Cannot reach/);
    expect(transitions[1]!.latencyMs).to.equal(null);
    expect(m.status(orgId)).to.equal('available');

    // Every sample is in the ledger: 40 of the 60 minutes were available.
    const report = m.uptimeReport(orgId, T0 + 60 * MINUTE);
    expect(report.hour).to.deep.include({ available: 40 / 60, unavailable: 20 / 60, samples: 6, coverage: 1 });
    expect(report.day.up).to.equal(40 / 60);
    expect(report.week.samples).to.equal(6);
    expect(m.history(orgId, { from: T0, to: T0 + 60 * MINUTE, bucketMs: 20 * MINUTE }).map((b) => b.up)).to.deep.equal([1, 0, 1]);
  });

  it('checks all connections at once and tracks each org apart', async () => {
    const m = monitor();
    const alpha = new OrgConnection(settingsFor(emulator), PASSWORD);
    const beta = new OrgConnection(settingsFor(emulator, { name: 'beta', clientId: 'cid-beta', username: 'integration@beta.test' }), { ...PASSWORD, clientSecret: 'secret-beta' });
    await emulator.orgDown('beta');
    const results = await m.checkAll([alpha, beta]);
    expect(results.map((r) => [r.sample.orgName, r.sample.status, r.transition?.previous])).to.deep.equal([
      ['alpha', 'available', 'unknown'],
      ['beta', 'unavailable', 'unknown'],
    ]);
    expect(ledger.orgs().map((o) => o.name)).to.deep.equal(['alpha', 'beta']);
  });

  it('shares a check already running instead of spending a second API call', async () => {
    const m = monitor();
    const conn = new OrgConnection(settingsFor(emulator), PASSWORD);
    const [a, b] = await Promise.all([m.check(conn), m.check(conn)]);
    expect(a).to.equal(b);
    expect(emulator.org('alpha').limits.counts().total).to.equal(1);
    expect(ledger.uptime(a.sample.orgId, { from: T0, to: T0 + 1 }).samples).to.equal(1);
  });

  it('files checks of a connection that never logged in under its login key, then moves them to the org', async () => {
    // Client credentials log in at the org's own host, so with the org down there is no org Id yet.
    const org = emulator.org('alpha');
    const settings = settingsFor(emulator, { authFlow: 'client-credentials', domain: org.instanceUrl, username: undefined });
    const conn = new OrgConnection(settings, { clientSecret: 'secret-alpha' });
    const m = monitor();
    await emulator.orgDown('alpha');
    const down = await m.check(conn);
    expect(down.sample).to.include({ orgId: loginKeyOf(conn), identified: false, status: 'unavailable' });

    await emulator.orgUp('alpha');
    clock = T0 + 30 * MINUTE;
    const up = await m.check(conn);
    expect(up.sample.orgId).to.equal(org.orgId);
    expect(up.transition).to.include({ previous: 'unavailable', status: 'available' });
    expect(ledger.orgs().map((o) => o.orgId)).to.deep.equal([org.orgId]);
    expect(m.uptimeReport(org.orgId, T0 + 60 * MINUTE).hour).to.deep.include({ available: 0.5, unavailable: 0.5, samples: 2 });

    // After a restart (new connection, new monitor), an org down from the start is still filed under its Id.
    ledger.close();
    ledger = Ledger.open(file);
    await emulator.orgDown('alpha');
    clock = T0 + 60 * MINUTE;
    const restarted = await monitor().check(new OrgConnection(settings, { clientSecret: 'secret-alpha' }));
    expect(restarted.sample).to.include({ orgId: org.orgId, identified: false, status: 'unavailable' });
    expect(restarted.transition).to.include({ previous: 'unknown', status: 'unavailable' });
    expect(ledger.lastSample(org.orgId)?.status).to.equal('unavailable');
  });
});
