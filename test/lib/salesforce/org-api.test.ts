import { expect } from 'chai';
import type { Emulator } from '../../../emulator/index.js';
import { OrgConnection } from '../../../lib/connection/org-connection.js';
import { InFlightLimit } from '../../../lib/salesforce/in-flight.js';
import { OrgApi, type CallKind, type WireRecord } from '../../../lib/salesforce/org-api.js';
import { OrgCallError } from '../../../lib/salesforce/errors.js';
import { READ_POLICY } from '../../../lib/salesforce/call-policy.js';
import { PASSWORD, settingsFor } from '../../support/connection.js';
import { connectDirect, control, EXT_FIELD, restoreOrgs, startTestEmulator, testOrgSpec } from '../../support/emulator.js';
import { failure } from '../../support/failure.js';

const unavailable = { type: 'error' as const, status: 503, errorCode: 'SERVER_UNAVAILABLE', message: 'Server is temporarily unavailable' };

describe('OrgApi: the one way to an org', () => {
  let emulator: Emulator;
  let org: OrgConnection;
  let waits: number[];
  let kinds: CallKind[];
  const api = (extra: ConstructorParameters<typeof OrgApi>[1] = {}) =>
    new OrgApi(org, { sleep: async (ms) => void waits.push(ms), onCall: (k) => kinds.push(k), ...extra });
  const calls = () => emulator.org('alpha').limits.counts();
  const faults = () => emulator.org('alpha').faults;
  const seedAccounts = async (n: number) => {
    const records = Array.from({ length: n }, (_, i) => ({ Name: `Seeded ${i}` }));
    expect((await control(emulator, 'POST', '/orgs/alpha/seed', { object: 'Account', records })).status).to.equal(201);
    emulator.org('alpha').limits.resetCounts();
  };

  before(async () => {
    emulator = await startTestEmulator([testOrgSpec('alpha', { schema: { fields: { Account: [EXT_FIELD] } } })]);
  });
  after(() => emulator.stop());
  beforeEach(async () => {
    await restoreOrgs(emulator);
    org = new OrgConnection(settingsFor(emulator), PASSWORD);
    await org.connection();
    emulator.org('alpha').limits.resetCounts();
    waits = [];
    kinds = [];
  });
  afterEach(() => {
    faults().clear();
    org.close();
  });

  it('retries a read the org answers 503, waiting by the read policy, and counts every attempt', async () => {
    await seedAccounts(3);
    faults().add({ method: 'GET', path: '/query', count: 2, action: unavailable });
    const a = api();
    const rows = await a.rows<{ Name: string }>('SELECT Name FROM Account', 'reading accounts');
    expect(rows).to.have.length(3);
    expect(waits).to.deep.equal([READ_POLICY.baseDelayMs, READ_POLICY.baseDelayMs * 2]);
    expect(a.calls).to.equal(3);
    expect(kinds).to.deep.equal(['read', 'read', 'read']);
    // The emulator counts the calls it served; the two it refused never reached the API.
    expect(calls().total).to.equal(1);
  });

  it('retries a dropped connection too, within one call of the connection (one state change at most)', async () => {
    await seedAccounts(3);
    faults().add({ method: 'GET', path: '/query', count: 1, action: { type: 'drop' } });
    const states: string[] = [];
    org.on('state', (c: { state: string }) => states.push(c.state));
    const a = api();
    expect(await a.count('SELECT COUNT() FROM Account', 'counting accounts')).to.equal(3);
    expect(a.calls).to.equal(2);
    expect(states).to.deep.equal([]);
  });

  it('gives up after the policy\'s attempts with an OrgCallError saying what it was reading, and the connection\'s verdict', async () => {
    faults().add({ method: 'GET', path: '/query', count: 100, action: unavailable });
    const a = api();
    const err = await failure(a.rows('SELECT Name FROM Account', 'reading accounts'));
    expect(err).to.be.instanceOf(OrgCallError);
    expect(err.message).to.match(/^reading accounts: /);
    expect(err).to.include({ code: 'SERVER_UNAVAILABLE', kind: 'server', transient: true });
    expect(a.calls).to.equal(READ_POLICY.attempts);
    expect(waits).to.have.length(READ_POLICY.attempts - 1);
  });

  it('does not retry a read the org refuses for good, and keeps the query for whoever wrote it', async () => {
    const a = api();
    const err = (await failure(a.rows('SELECT Nope__c FROM Account', 'reading accounts'))) as OrgCallError;
    expect(err.code).to.equal('INVALID_FIELD');
    expect(err.soql).to.equal('SELECT Nope__c FROM Account');
    expect(a.calls).to.equal(1);
    expect(waits).to.deep.equal([]);
  });

  it('sends a write once, even when the org answers 503: the writer decides what to send again', async () => {
    faults().add({ method: 'POST', path: '/composite/sobjects$', count: 1, action: unavailable });
    const a = api();
    const records: WireRecord[] = [{ attributes: { type: 'Account' }, Name: 'Once' }];
    const err = await failure(a.create(records));
    expect(err).to.include({ code: 'SERVER_UNAVAILABLE' });
    expect(a.calls).to.equal(1);
    expect(kinds).to.deep.equal(['write']);
    const [saved] = await a.create(records);
    expect(saved).to.include({ success: true });
    expect(emulator.org('alpha').snapshot('Account').filter((r) => r.Name === 'Once')).to.have.length(1);
  });

  it('writes collections: create, update, upsert by external Id and delete, one call each, an answer per record', async () => {
    const a = api();
    const created = await a.create([{ attributes: { type: 'Account' }, Name: 'A1' }, { attributes: { type: 'Account' }, Name: 'A2' }]);
    expect(created.map((r) => r.success)).to.deep.equal([true, true]);
    const ids = created.map((r) => r.id!);
    await a.update([{ attributes: { type: 'Account' }, id: ids[0], Name: 'A1 renamed' }]);
    const upserted = await a.upsert('Account', 'Ext__c', [{ attributes: { type: 'Account' }, Ext__c: 'K-1', Name: 'By key' }]);
    expect(upserted[0]).to.include({ success: true, created: true });
    const deleted = await a.delete(ids);
    expect(deleted.map((r) => r.success)).to.deep.equal([true, true]);
    expect(a.calls).to.equal(4);
    const names = emulator.org('alpha').snapshot('Account').map((r) => r.Name);
    expect(names).to.include('By key').and.not.include('A1 renamed');
    expect(await failure(a.create([]))).to.be.instanceOf(RangeError);
  });

  it('pages through a large query at the page size it asks for, and queryAll sees deleted rows', async () => {
    const records = Array.from({ length: 450 }, (_, i) => ({ Name: `Paged ${i}` }));
    expect((await control(emulator, 'POST', '/orgs/alpha/seed', { object: 'Account', records })).status).to.equal(201);
    const a = api({ pageSize: 200 });
    const sizes: number[] = [];
    for await (const page of a.pages("SELECT Id FROM Account WHERE Name LIKE 'Paged %'", 'paging')) sizes.push(page.records.length);
    expect(sizes).to.deep.equal([200, 200, 50]);
    const [one] = await a.rows<{ Id: string }>("SELECT Id FROM Account WHERE Name = 'Paged 0'", 'one');
    await connectDirect(emulator).sobject('Account').destroy(one!.Id);
    const count = async (queryAll: boolean) => {
      let n = 0;
      for await (const page of a.pages("SELECT Id FROM Account WHERE Name LIKE 'Paged %'", 'counting', { queryAll })) n += page.records.length;
      return n;
    };
    expect(await count(false)).to.equal(449);
    expect(await count(true)).to.equal(450);
    expect(() => new OrgApi(org, { pageSize: 100 })).to.throw(RangeError, /200 to 2000/);
  });

  it('reads /limits in one try: usage against the budget, which the connection then refuses calls on', async () => {
    const limits = emulator.org('alpha').limits;
    limits.setMax('DailyApiRequests', 1000);
    limits.setUsed('DailyApiRequests', 600);
    const budgeted = new OrgConnection(settingsFor(emulator, { apiBudgetPercent: 60 }), PASSWORD);
    try {
      const a = new OrgApi(budgeted, { onCall: (k) => kinds.push(k) });
      const usage = await a.limits();
      expect(usage).to.include({ used: 601, limit: 1000, budget: 600 });
      expect(kinds).to.deep.equal(['probe']);
      const refused = await failure(a.rows('SELECT Id FROM Account', 'reading accounts'));
      expect(refused).to.include({ code: 'API_BUDGET_EXCEEDED' });
      expect(limits.counts().total).to.equal(1);
      faults().add({ method: 'GET', path: '/limits', count: 1, action: unavailable });
      limits.setUsed('DailyApiRequests', 0);
      const fresh = new OrgApi(org, { onCall: (k) => kinds.push(k) });
      expect(await failure(fresh.limits())).to.include({ code: 'SERVER_UNAVAILABLE' });
      expect(fresh.calls, 'a probe is not retried').to.equal(1);
    } finally {
      budgeted.close();
    }
  });

  it('stops on its signal: no call starts once aborted, and a retry wait ends with the signal\'s reason', async () => {
    const controller = new AbortController();
    const a = new OrgApi(org, { signal: controller.signal });
    faults().add({ method: 'GET', path: '/query', count: 100, action: unavailable });
    const pending = a.rows('SELECT Id FROM Account', 'reading accounts');
    setTimeout(() => controller.abort(new Error('the node closed')), 50);
    const err = await failure(pending);
    expect(err.message).to.equal('the node closed');
    expect(a.calls, 'no more after the abort').to.equal(1);
    const before = calls().total;
    expect((await failure(a.count('SELECT COUNT() FROM Account', 'counting'))).message).to.equal('the node closed');
    expect(calls().total).to.equal(before);
  });

  it('keeps at most writeLimit writes in flight, across the views that share it', async () => {
    faults().add({ method: 'POST', path: '/composite/sobjects$', count: 6, action: { type: 'latency', ms: 60 } });
    const limit = new InFlightLimit(2);
    const views = [api({ writeLimit: limit }), api({ writeLimit: limit })];
    await Promise.all(Array.from({ length: 6 }, (_, i) => views[i % 2]!.create([{ attributes: { type: 'Account' }, Name: `F${i}` }])));
    expect(limit.peak).to.equal(2);
  });

  it('publishes a platform event with one write', async () => {
    const a = api();
    const err = await failure(a.publishEvent('No_Such_Event__e', { Text__c: 'x' }));
    expect(err).to.be.instanceOf(OrgCallError);
    expect(err.message).to.match(/^publishing No_Such_Event__e: /);
    expect(kinds).to.deep.equal(['write']);
  });
});
