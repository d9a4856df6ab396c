import { expect } from 'chai';
import type { Connection } from 'jsforce';
import type { Emulator } from '../../emulator/index.js';
import { API_VERSION, connectDirect, control, startTestEmulator, testOrgSpec } from '../support/emulator.js';
import { failure } from '../support/failure.js';

describe('emulator control API and fault injection', () => {
  let emulator: Emulator;
  let conn: Connection;

  before(async () => {
    emulator = await startTestEmulator([testOrgSpec('alpha'), testOrgSpec('beta')]);
  });
  after(() => emulator.stop());
  beforeEach(async () => {
    await control(emulator, 'POST', '/reset');
    conn = connectDirect(emulator, 'alpha');
  });

  it('describes the orgs, seeds records with validation and snapshots them', async () => {
    const info = (await control(emulator, 'GET', '')).body as { orgs: Array<{ name: string; orgId: string; instanceUrl: string }> };
    expect(info.orgs.map((o) => o.name)).to.deep.equal(['alpha', 'beta']);
    expect(info.orgs[0]!.orgId).to.not.equal(info.orgs[1]!.orgId);
    expect(info.orgs[0]!.instanceUrl).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);

    const seeded = await control(emulator, 'POST', '/orgs/alpha/seed', { object: 'Account', records: [{ Name: 'S1' }, { Name: 'S2' }] });
    expect(seeded.status).to.equal(201);
    const snap = (await control(emulator, 'GET', '/orgs/alpha/snapshot/Account')).body as Array<{ Name: string }>;
    expect(snap.map((r) => r.Name).sort()).to.deep.equal(['S1', 'S2']);
    const few = (await control(emulator, 'GET', '/orgs/alpha/snapshot/Account?fields=Name,ParentId')).body as Array<Record<string, unknown>>;
    expect(few.map((r) => Object.keys(r))).to.deep.equal([['Name', 'ParentId'], ['Name', 'ParentId']]);
    expect(few.map((r) => r.Name).sort()).to.deep.equal(['S1', 'S2']);
    expect((await control(emulator, 'GET', '/orgs/beta/snapshot/Account')).body).to.deep.equal([]);

    const bad = await control(emulator, 'POST', '/orgs/alpha/seed', { object: 'Account', records: [{ Name: 'ok' }, { Nope: 1 }] });
    expect(bad.status).to.equal(400);
    expect((bad.body as Array<{ errorCode: string }>)[0]!.errorCode).to.equal('INVALID_FIELD');
    expect((await control(emulator, 'GET', '/orgs/alpha/snapshot/Account')).body).to.have.length(2);

    const unknown = await control(emulator, 'GET', '/orgs/nowhere/snapshot/Account');
    expect(unknown.status).to.equal(404);
  });

  it('generates a data set of accounts in hierarchies with contacts and opportunities, and refuses bad sizes by name', async () => {
    const made = await control(emulator, 'POST', '/orgs/alpha/generate', { accounts: 300, contactsPerAccount: 2, opportunitiesPerAccount: 1, seed: 5 });
    expect(made.status).to.equal(201);
    const result = made.body as { accounts: number; contacts: number; opportunities: number; total: number; maxDepth: number };
    expect(result.accounts).to.equal(300);
    expect(result.maxDepth).to.equal(4);
    const count = (o: string) => emulator.org('alpha').snapshot(o).length;
    expect([count('Account'), count('Contact'), count('Opportunity')]).to.deep.equal([result.accounts, result.contacts, result.opportunities]);
    expect(result.contacts).to.be.greaterThan(300);
    expect((await conn.query('SELECT COUNT() FROM Account WHERE ParentId != null')).totalSize).to.be.greaterThan(200);
    // Without a seed a second call adds other records.
    await control(emulator, 'POST', '/orgs/alpha/generate', { accounts: 10, contactsPerAccount: 0, opportunitiesPerAccount: 0 });
    expect(count('Account')).to.equal(310);

    for (const [body, text] of [
      [{}, /accounts must be a whole number from 1 to 2,000,000/],
      [{ accounts: 10, depth: 3 }, /'depth' is none of them/],
      [{ accounts: 10, contactsPerAccount: -1 }, /contactsPerAccount must be a number from 0 to 50/],
    ] as const) {
      const refused = await control(emulator, 'POST', '/orgs/alpha/generate', body);
      expect(refused.status, JSON.stringify(body)).to.equal(400);
      expect(JSON.stringify(refused.body)).to.match(text);
    }
  });

  it('counts API calls by endpoint and resets the counts', async () => {
    await conn.query('SELECT Id FROM Account');
    await conn.sobject('Account').create({ Name: 'x' });
    const counts = (await control(emulator, 'GET', '/orgs/alpha/api-calls')).body as { total: number; byEndpoint: Record<string, number> };
    expect(counts.total).to.equal(2);
    expect(counts.byEndpoint).to.deep.equal({ 'GET /query': 1, 'POST /sobjects/{type}': 1 });
    await control(emulator, 'DELETE', '/orgs/alpha/api-calls');
    expect(((await control(emulator, 'GET', '/orgs/alpha/api-calls')).body as { total: number }).total).to.equal(0);
  });

  it('sets and freezes the clock that system fields use', async () => {
    await control(emulator, 'POST', '/clock', { now: '2030-01-02T03:04:05.000Z', freeze: true });
    // A session issued before the jump has expired by 2030, as it would in a real org.
    conn = connectDirect(emulator, 'alpha');
    const { id } = (await conn.sobject('Account').create({ Name: 'then' })) as { id: string };
    expect((await conn.sobject('Account').retrieve(id)).CreatedDate).to.equal('2030-01-02T03:04:05.000+0000');
    await control(emulator, 'POST', '/clock', { advanceMs: 60_000 });
    await conn.sobject('Account').update({ Id: id, Name: 'later' });
    expect((await conn.sobject('Account').retrieve(id)).LastModifiedDate).to.equal('2030-01-02T03:05:05.000+0000');
    const bad = await control(emulator, 'POST', '/clock', { now: 'yesterday-ish' });
    expect(bad.status).to.equal(400);
    await control(emulator, 'DELETE', '/clock');
  });

  it('injects an error a set number of times on a method and path', async () => {
    const added = await control(emulator, 'POST', '/orgs/alpha/faults', {
      method: 'POST', path: '/sobjects/Account$', count: 2,
      action: { type: 'error', status: 503, errorCode: 'SERVER_UNAVAILABLE', message: 'Server is temporarily unavailable' },
    });
    expect(added.status).to.equal(201);
    for (let i = 0; i < 2; i++) {
      const err = await failure(() => conn.sobject('Account').create({ Name: 'x' }));
      expect(err.errorCode).to.equal('SERVER_UNAVAILABLE');
    }
    expect(((await conn.sobject('Account').create({ Name: 'x' })) as { success: boolean }).success).to.equal(true);
    expect((await control(emulator, 'GET', '/orgs/alpha/faults')).body).to.deep.equal([]);
    // Other orgs are never affected.
    emulator.org('beta').faults.add({ action: { type: 'error', status: 500, errorCode: 'UNKNOWN_EXCEPTION', message: 'boom' } });
    expect(((await conn.sobject('Account').create({ Name: 'y' })) as { success: boolean }).success).to.equal(true);
  });

  it('applies a fault with probability 1 always and with probability 0 never', async () => {
    const never = await control(emulator, 'POST', '/orgs/alpha/faults', {
      path: '/query', probability: 0, action: { type: 'error', status: 500, errorCode: 'UNKNOWN_EXCEPTION', message: 'x' },
    });
    expect(never.status).to.equal(201);
    await conn.query('SELECT Id FROM Account');
    await control(emulator, 'DELETE', '/orgs/alpha/faults');
    await control(emulator, 'POST', '/orgs/alpha/faults', {
      method: 'PATCH', probability: 1, action: { type: 'error', status: 500, errorCode: 'UNKNOWN_EXCEPTION', message: 'always' },
    });
    const { id } = (await conn.sobject('Account').create({ Name: 'p' })) as { id: string };
    const err = await failure(() => conn.sobject('Account').update({ Id: id, Name: 'q' }));
    expect(err.message).to.equal('always');
  });

  it('adds latency, and drops connections', async () => {
    await control(emulator, 'POST', '/orgs/alpha/faults', { path: '/limits', count: 2, action: { type: 'latency', ms: 1500 } });
    const url = `${emulator.org('alpha').instanceUrl}/services/data/v${API_VERSION}/limits`;
    const headers = { Authorization: `Bearer ${conn.accessToken}` };
    const slow = await failure(() => fetch(url, { headers, signal: AbortSignal.timeout(200) }));
    expect(slow.name).to.equal('TimeoutError');
    expect((await fetch(url, { headers })).status).to.equal(200);

    await control(emulator, 'POST', '/orgs/alpha/faults', { method: 'POST', path: '/sobjects/', count: 1, action: { type: 'drop' } });
    const dropped = await failure(() => conn.sobject('Account').create({ Name: 'x' }));
    expect(dropped.errorCode ?? dropped.code ?? dropped.cause?.code ?? dropped.message).to.match(/ECONNRESET|socket|fetch failed|other side closed/i);
    expect(((await conn.sobject('Account').create({ Name: 'x' })) as { success: boolean }).success).to.equal(true);
  });

  it('refuses a malformed fault with a message that names the problem', async () => {
    const r = await control(emulator, 'POST', '/orgs/alpha/faults', { action: { type: 'error', status: 200 } });
    expect(r.status).to.equal(400);
    expect((r.body as Array<{ message: string }>)[0]!.message).to.match(/status of 400 or more/);
  });

  it('locks chosen records with UNABLE_TO_LOCK_ROW for a number of writes', async () => {
    const { id } = (await conn.sobject('Account').create({ Name: 'locked' })) as { id: string };
    await control(emulator, 'POST', '/orgs/alpha/locks', { ids: [id], times: 1 });
    const err = await failure(() => conn.sobject('Account').update({ Id: id, Name: 'x' }));
    expect(err.errorCode).to.equal('UNABLE_TO_LOCK_ROW');
    expect(err.message).to.equal(`unable to obtain exclusive access to this record or 1 records: ${id}`);
    await conn.sobject('Account').update({ Id: id, Name: 'x' });
    expect((await conn.sobject('Account').retrieve(id)).Name).to.equal('x');
  });

  it('expires every session', async () => {
    await conn.query('SELECT Id FROM Account');
    const r = await control(emulator, 'POST', '/orgs/alpha/sessions/expire');
    expect((r.body as { expired: number }).expired).to.be.greaterThan(0);
    const err = await failure(() => conn.query('SELECT Id FROM Account'));
    expect(err.errorCode).to.equal('INVALID_SESSION_ID');
  });

  it('spends the daily API limit', async () => {
    await control(emulator, 'POST', '/orgs/alpha/limits', { exhaust: 'DailyApiRequests' });
    const err = await failure(() => conn.query('SELECT Id FROM Account'));
    expect(err.errorCode).to.equal('REQUEST_LIMIT_EXCEEDED');
    await control(emulator, 'POST', '/orgs/alpha/limits', { DailyApiRequests: { used: 0 } });
    await conn.query('SELECT Id FROM Account');
  });

  it('takes an org down (connections refused) and brings it back, alone', async () => {
    const url = `${emulator.org('alpha').instanceUrl}/services/data`;
    await control(emulator, 'POST', '/orgs/alpha/down', { ms: 600 });
    await new Promise((r) => setTimeout(r, 50));
    const err = await failure(() => fetch(url));
    expect(err.cause?.code).to.equal('ECONNREFUSED');
    expect((await fetch(`${emulator.org('beta').instanceUrl}/services/data`)).status).to.equal(200);
    // Back by itself once the time is up; poll rather than assume a timing.
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 50));
      status = await fetch(url).then((r) => r.status, () => 0);
    }
    expect(status).to.equal(200);

    await control(emulator, 'POST', '/orgs/alpha/down');
    await new Promise((r) => setTimeout(r, 50));
    expect((await failure(() => fetch(url))).cause?.code).to.equal('ECONNREFUSED');
    await control(emulator, 'POST', '/orgs/alpha/up');
    expect((await fetch(url)).status).to.equal(200);
  });

  it('restores records from the recycle bin, with their cascade-deleted children', async () => {
    const { id } = (await conn.sobject('Account').create({ Name: 'bin' })) as { id: string };
    const contact = (await conn.sobject('Contact').create({ LastName: 'Kid', AccountId: id })) as { id: string };
    await conn.sobject('Account').destroy(id);
    const r = await control(emulator, 'POST', '/orgs/alpha/undelete', { ids: [id] });
    expect(r.status).to.equal(200);
    expect((await conn.sobject('Account').retrieve(id)).Name).to.equal('bin');
    expect((await conn.sobject('Contact').retrieve(contact.id)).AccountId).to.equal(id);
  });

  it('changes records as a person in the UI would, and refuses an edit without Ids', async () => {
    const { id } = (await conn.sobject('Account').create({ Name: 'edited in the UI' })) as { id: string };
    const r = await control(emulator, 'POST', '/orgs/alpha/edit', { object: 'Account', records: [{ Id: id, Phone: '555-0111' }] });
    expect(r.status).to.equal(200);
    expect((await conn.sobject('Account').retrieve(id)).Phone).to.equal('555-0111');
    const bad = await control(emulator, 'POST', '/orgs/alpha/edit', { object: 'Account', records: [{ Phone: 'x' }] });
    expect(bad.status).to.equal(400);
    expect(JSON.stringify(bad.body)).to.match(/edit needs/);
  });
});
