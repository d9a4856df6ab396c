import { expect } from 'chai';
import { generateOrgData } from '../../../emulator/index.js';
import { collect, runCollection } from '../../../lib/collect/collector.js';
import { CollectLimitError } from '../../../lib/collect/discover.js';
import type { OrgConnection } from '../../../lib/connection/org-connection.js';
import { assertParentsFirst, batchIndexById, collectAll, hqConnection, idOf, insert, plan, startDemoEmulator, update, type Emulator } from './helpers.js';

const ALTURA_WEST_TO_ROOT = ['Altura Industries', 'Altura Americas', 'Altura USA', 'Altura West', 'Altura San Francisco Plant'];

describe('collect against the emulator (hq demo org)', () => {
  let emulator: Emulator;
  let conn: OrgConnection;
  before(async () => {
    emulator = await startDemoEmulator();
  });
  after(() => emulator.stop());
  beforeEach(() => {
    emulator.org('hq').reset();
    conn = hqConnection(emulator);
  });
  afterEach(() => conn.close());

  const apiCalls = () => emulator.org('hq').limits.counts().total;

  it('collects a leaf with its ancestors to depth 5, each ancestor in an earlier batch', async () => {
    const leaf = await idOf(conn, 'Account', 'Altura San Francisco Plant');
    const p = await plan(conn, { rootObject: 'Account', ids: [leaf], depth: 5, parents: true });
    const { batches, summary } = await collectAll(conn, p);
    expect(batches.map((b) => b.records.map((r) => r.fields.Name))).to.deep.equal(ALTURA_WEST_TO_ROOT.map((n) => [n]));
    expect(batches.map((b) => b.meta.level)).to.deep.equal([0, 1, 2, 3, 4]);
    expect(assertParentsFirst(batches)).to.equal(4);
    const runId = summary.runId;
    batches.forEach((b, i) => {
      expect(b.parts).to.deep.equal({ id: runId, index: i, count: 5, type: 'array', len: 200 });
      expect(b.meta).to.include({ object: 'Account', runId, batchId: `${runId}:${i}`, last: i === 4 });
      expect(b.meta.source).to.deep.equal({ orgId: emulator.org('hq').orgId, name: 'hq' });
    });
    const plant = batches[4]!.records[0]!;
    expect(plant).to.include({ object: 'Account', sourceId: leaf, operation: 'upsert' });
    expect(plant.origin).to.include({ orgId: emulator.org('hq').orgId, via: 'collect' });
    expect(plant.origin.changedAt).to.match(/^\d{4}-\d\d-\d\dT/);
    expect(plant.references).to.deep.equal([{ field: 'ParentId', id: batches[3]!.records[0]!.sourceId, object: 'Account' }]);
    // Reference data is not followed, and its Ids stay plain field values.
    expect(plant.fields.OwnerId).to.match(/^005/);
    expect(plant.fields).to.not.have.property('Id');
    expect(plant.fields).to.not.have.property('LastModifiedDate');
    expect(summary).to.include({ totalRecords: 5, emitted: 5, batches: 5, levels: 5, heldInMemory: true, vanished: 0 });

    // Depth counts hops: two climb two levels.
    const shallow = await collectAll(conn, await plan(conn, { rootObject: 'Account', ids: [leaf], depth: 2 }));
    expect(shallow.batches.flatMap((b) => b.records.map((r) => r.fields.Name))).to.deep.equal(['Altura USA', 'Altura West', 'Altura San Francisco Plant']);
  });

  it('follows children (accounts, contacts, opportunities) and emits every one after its parents', async () => {
    const root = await idOf(conn, 'Account', 'Altura Industries');
    const p = await plan(conn, { rootObject: 'Account', ids: [root], depth: 5, children: ['ChildAccounts', 'Contacts', 'Account.Opportunities'] });
    const { batches, summary } = await collectAll(conn, p);
    const count = async (soql: string) => (await conn.run((c) => c.query(soql))).totalSize;
    const alturaAccounts = await count("SELECT Id FROM Account WHERE Name LIKE 'Altura%'");
    expect(summary.byObject).to.deep.equal({
      Account: alturaAccounts,
      Contact: await count("SELECT Id FROM Contact WHERE Account.Name LIKE 'Altura%'"),
      Opportunity: await count("SELECT Id FROM Opportunity WHERE Account.Name LIKE 'Altura%'"),
    });
    expect(alturaAccounts).to.equal(12);
    expect(assertParentsFirst(batches)).to.be.greaterThan(40);
    const at = batchIndexById(batches);
    for (const b of batches) {
      expect(new Set(b.records.map((r) => r.object)).size).to.equal(1);
      for (const r of b.records.filter((x) => x.object !== 'Account')) {
        const account = r.references.find((x) => x.field === 'AccountId')!;
        expect(at.get(account.id)!, `${r.object} ${r.sourceId}`).to.be.lessThan(at.get(r.sourceId)!);
      }
    }
    expect(batches.at(-1)!.meta.last).to.equal(true);
    expect(batches.filter((b) => b.meta.last)).to.have.length(1);
    expect(summary.deferred).to.deep.equal([]);
  });

  it('gives the same records for the same calls whether its rows stay in memory or go to its temporary database', async () => {
    const root = await idOf(conn, 'Account', 'Brightwave Health');
    const p = await plan(conn, { rootObject: 'Account', ids: [root], depth: 3, children: ['ChildAccounts', 'Contacts'] });
    let t0 = apiCalls();
    const held = await collectAll(conn, p);
    const heldCalls = apiCalls() - t0;
    t0 = apiCalls();
    const reread = await collectAll(conn, p, { holdRecords: 0, batchSize: 2 });
    const rereadCalls = apiCalls() - t0;
    expect(held.summary.heldInMemory).to.equal(true);
    expect(reread.summary.heldInMemory).to.equal(false);
    const flat = (r: typeof held) => r.batches.flatMap((b) => b.records.map((x) => ({ ...x, level: b.meta.level }))).sort((a, b) => a.sourceId.localeCompare(b.sourceId));
    expect(flat(reread)).to.deep.equal(flat(held));
    expect(reread.batches.every((b) => b.records.length <= 2)).to.equal(true);
    expect(held.summary.apiCalls).to.equal(heldCalls);
    expect(reread.summary.apiCalls).to.equal(rereadCalls);
    // Each record is read once either way: rows past the memory limit are kept, not read again.
    expect(rereadCalls).to.equal(heldCalls);
  });

  it('selects by filter with quotes and backslashes, and a filter cannot inject SOQL', async () => {
    const tricky = `O'Brien \\ "Quoted" 50%_off\\'`;
    const id = await insert(conn, 'Account', { Name: tricky, Industry: 'Banking' });
    await insert(conn, 'Account', { Name: 'O Brien plain' });
    const run = async (request: Parameters<typeof plan>[1]) => collectAll(conn, await plan(conn, request));

    const exact = await run({ rootObject: 'Account', filter: { Name: tricky }, depth: 0 });
    expect(exact.batches.flatMap((b) => b.records.map((r) => r.sourceId))).to.deep.equal([id]);
    expect(exact.batches[0]!.records[0]!.fields.Name).to.equal(tricky);
    const like = await run({ rootObject: 'Account', filter: { Name: { op: 'contains', value: `50%_off\\'` } }, depth: 0 });
    expect(like.summary.totalRecords).to.equal(1);

    for (const attempt of [
      { Name: "x' OR Name != '" },
      { Name: "x\\' OR Name != \\'" },
      { Name: { op: 'contains', value: "' OR Name LIKE '%" } },
      { Name: { in: ["') OR (Name != '"] } },
    ] as const) {
      const r = await run({ rootObject: 'Account', filter: attempt as never, depth: 0 });
      expect(r.summary.totalRecords, JSON.stringify(attempt)).to.equal(0);
      expect(r.batches).to.deep.equal([]);
    }
    await expectError(plan(conn, { rootObject: 'Account', filter: { "Name = 'x' OR Name": 'y' } }), /not an API name/);
    await expectError(plan(conn, { rootObject: 'Account', filter: { Nmae: 'y' } }), /Account has no field 'Nmae'/);
    await expectError(plan(conn, { rootObject: 'Account', filter: { NumberOfEmployees: '1 OR Name != null' } }), /not a number/);

    // A raw where clause is for flow authors' configuration; it is combined with a filter by AND.
    const banking = await run({ rootObject: 'Account', where: "Industry = 'Banking' OR Industry = 'Insurance'", filter: { Name: { op: 'startsWith', value: 'Cobalt' } }, depth: 0 });
    expect(banking.batches.flatMap((b) => b.records.map((r) => r.fields.Name)).sort()).to.deep.equal(['Cobalt Bank', 'Cobalt Insurance', 'Cobalt Insurance Brokers']);
  });

  it('pages a whole object through queryMore, emits it level by level from the rows it kept, and reports its API calls', async () => {
    const org = emulator.org('hq');
    generateOrgData(org, { seed: 7, accounts: 900, contactsPerAccount: 0, opportunitiesPerAccount: 0, hierarchyDepth: 5 });
    const total = org.snapshot('Account').length;
    const p = await plan(conn, { rootObject: 'Account', all: true, depth: 0 });
    await conn.run((c) => c.identity());
    org.limits.resetCounts();
    const { batches, summary } = await collectAll(conn, p, { pageSize: 200, holdRecords: 0 });
    const counts = org.limits.counts();
    expect(summary.totalRecords).to.equal(total);
    expect(summary.emitted).to.equal(total);
    expect(new Set(batches.flatMap((b) => b.records.map((r) => r.sourceId))).size).to.equal(total);
    expect(counts.byEndpoint['GET /query/{locator}']).to.equal(Math.ceil(total / 200) - 1);
    expect(summary.levels).to.equal(5);
    expect(assertParentsFirst(batches)).to.be.greaterThan(700);
    expect(summary.apiCalls).to.equal(counts.total);
    // Discovery pages (200 rows each) and nothing else: the rows went to the temporary database.
    expect(summary.apiCalls).to.equal(Math.ceil(total / 200));
    expect(summary.heldInMemory).to.equal(false);

    // A run that fits in memory: one page of 2,000 rows.
    org.limits.resetCounts();
    const heldRun = await collectAll(conn, p, { holdRecords: 5000 });
    expect(heldRun.summary.apiCalls).to.equal(1);
    expect(heldRun.summary.heldInMemory).to.equal(true);
    expect(org.limits.counts().total).to.equal(1);
    const fields = (r: typeof heldRun) => r.batches.flatMap((b) => b.records).sort((a, b) => a.sourceId.localeCompare(b.sourceId));
    expect(fields(heldRun)).to.deep.equal(fields({ batches, summary }));
  });

  it('reads the children of every root, or of roots by condition, in whole pages through a semi-join, and by Id lists where Salesforce refuses one', async () => {
    const org = emulator.org('hq');
    generateOrgData(org, { seed: 11, accounts: 1500, contactsPerAccount: 3, opportunitiesPerAccount: 2, hierarchyDepth: 3 });
    const accounts = org.snapshot('Account');
    const contacts = org.snapshot('Contact').filter((c) => c.AccountId);
    const opportunities = org.snapshot('Opportunity').filter((o) => o.AccountId);
    const pages = (n: number) => Math.ceil(n / 2000);
    const sorted = (r: Awaited<ReturnType<typeof collectAll>>) => r.batches.flatMap((b) => b.records.map((x) => `${x.object}:${x.sourceId}`)).sort();

    const all = await plan(conn, { rootObject: 'Account', all: true, depth: 1, children: ['Contacts', 'Opportunities'] });
    await conn.run((c) => c.identity());
    org.limits.resetCounts();
    const whole = await collectAll(conn, all, { holdRecords: 1000 });
    expect(whole.summary.byObject).to.deep.equal({ Account: accounts.length, Contact: contacts.length, Opportunity: opportunities.length });
    expect(whole.summary.apiCalls).to.equal(pages(accounts.length) + pages(contacts.length) + pages(opportunities.length));
    expect(org.limits.counts().total).to.equal(whole.summary.apiCalls);
    expect(assertParentsFirst(whole.batches)).to.be.greaterThan(contacts.length);

    // Roots by condition: the children of those roots only, still in whole pages.
    const banking = new Set(accounts.filter((a) => a.Industry === 'Banking').map((a) => a.Id));
    expect(banking.size).to.be.greaterThan(10);
    const byWhere = await plan(conn, { rootObject: 'Account', where: "Industry = 'Banking'", depth: 1, parents: false, children: ['Contacts', 'Opportunities'] });
    org.limits.resetCounts();
    const some = await collectAll(conn, byWhere);
    const inBanking = (rows: typeof contacts) => rows.filter((r) => banking.has(r.AccountId as string)).length;
    expect(some.summary.byObject).to.deep.equal({ Account: banking.size, Contact: inBanking(contacts), Opportunity: inBanking(opportunities) });
    expect(some.summary.apiCalls).to.equal(3);

    // A condition with a sub-select of its own cannot be nested in a semi-join: Id lists, same records.
    const nested = await plan(conn, { rootObject: 'Account', where: "Id IN (SELECT AccountId FROM Contact WHERE LastName != null) AND Industry = 'Banking'", depth: 1, parents: false, children: ['Contacts', 'Opportunities'] });
    org.limits.resetCounts();
    const byIds = await collectAll(conn, nested);
    const withContacts = new Set(contacts.filter((c) => banking.has(c.AccountId as string)).map((c) => c.AccountId));
    expect(byIds.summary.byObject.Account).to.equal(withContacts.size);
    expect(byIds.summary.apiCalls).to.equal(1 + 2 * Math.ceil(withContacts.size / 200));
    expect(sorted(byIds).every((k) => sorted(some).includes(k))).to.equal(true);
  });

  it('detects a reporting cycle and defers exactly one link of it', async () => {
    const accountId = await idOf(conn, 'Account', 'Ionic Energy');
    const c1 = await insert(conn, 'Contact', { LastName: 'One', AccountId: accountId });
    const c2 = await insert(conn, 'Contact', { LastName: 'Two', AccountId: accountId, ReportsToId: c1 });
    const c3 = await insert(conn, 'Contact', { LastName: 'Three', AccountId: accountId, ReportsToId: c2 });
    await update(conn, 'Contact', { Id: c1, ReportsToId: c3 });

    const p = await plan(conn, { rootObject: 'Contact', ids: [c1], depth: 3, parents: ['ReportsToId'] });
    const { batches, summary } = await collectAll(conn, p);
    expect(summary.byObject).to.deep.equal({ Contact: 3 });
    expect(summary.deferred).to.have.length(1);
    const d = summary.deferred[0]!;
    expect(d).to.include({ object: 'Contact', field: 'ReportsToId', parentObject: 'Contact', required: false });
    const records = batches.flatMap((b) => b.records);
    const deferredRefs = records.flatMap((r) => r.references.filter((x) => x.deferred).map((x) => [r.sourceId, x.id]));
    expect(deferredRefs).to.deep.equal([[d.sourceId, d.parentId]]);
    expect(assertParentsFirst(batches)).to.equal(2);
    expect(batches.map((b) => b.meta.level)).to.deep.equal([0, 1, 2]);

    // AccountId is a lookup too, but Account is not part of this plan: no reference, a plain value.
    expect(records.every((r) => r.references.every((x) => x.field === 'ReportsToId') && r.fields.AccountId === accountId)).to.equal(true);
  });

  it('refuses bad input with clear messages before reading any record', async () => {
    const contact = (await conn.run((c) => c.query<{ Id: string }>('SELECT Id FROM Contact LIMIT 1'))).records[0]!.Id;
    await expectError(plan(conn, { rootObject: 'Account', ids: ["001' OR Name != '"] }), /record Id #1 .* is not a Salesforce Id/);
    await expectError(plan(conn, { rootObject: 'Account', ids: [contact] }), /is not a Account Id/);
    await expectError(plan(conn, { rootObject: 'Account', ids: [] }), /non-empty list/);
    await expectError(plan(conn, { rootObject: 'Account' }), /say which records/);
    await expectError(plan(conn, { rootObject: 'Account', all: true, filter: { Name: 'x' } }), /all: true takes every record/);
    await expectError(plan(conn, { rootObject: 'Account', all: true, depth: 6 }), /depth must be/);
    await expectError(plan(conn, { rootObject: 'Account', all: true, children: ['Contactz'] }), /'Contactz' is not a child relationship of Account/);
    await expectError(plan(conn, { rootObject: 'Account', all: true, parents: ['Parent'] }), /'Parent' is not a lookup/);
    await expectError(plan(conn, { rootObject: 'Account; DELETE', all: true }), /not an API name/);
    await expectError(plan(conn, { rootObject: 'Account', all: true, fields: { Account: ['Name', 'Nope__c'] } }), /Account has no field 'Nope__c'/);

    const p = await plan(conn, { rootObject: 'Account', all: true, depth: 1, children: ['Contacts'] });
    const batches: unknown[] = [];
    const err = await expectError(runCollection(conn, p, { maxRecords: 50, onBatch: (b) => void batches.push(b) }), /more than 50 records/);
    expect(err).to.be.instanceOf(CollectLimitError);
    expect(batches).to.deep.equal([]);
  });

  it('survives a transient failure (the access layer retries reads) and reports a permanent one, saying what it was reading', async () => {
    const leaf = await idOf(conn, 'Account', 'Altura San Francisco Plant');
    const p = await plan(conn, { rootObject: 'Account', ids: [leaf], depth: 5 });
    const faults = emulator.org('hq').faults;
    faults.add({ path: '/query', count: 1, action: { type: 'error', status: 503, errorCode: 'SERVER_UNAVAILABLE', message: 'down for a moment' } });
    const { summary } = await collectAll(conn, p);
    expect(summary.totalRecords).to.equal(5);

    faults.add({ path: '/query', count: 1, action: { type: 'error', status: 400, errorCode: 'INVALID_FIELD', message: 'No such column' } });
    const err = (await expectError(collectAll(conn, p), /^reading Account records by Id: .*No such column/)) as Error & { code: string; transient: boolean };
    expect(err.name).to.equal('OrgCallError');
    expect(err.code).to.equal('INVALID_FIELD');
    expect(err.transient).to.equal(false);
    faults.clear();
  });

  it('reads only the listed fields plus the lookups it needs, and stops when aborted', async () => {
    const root = await idOf(conn, 'Account', 'Cobalt Financial Group');
    const p = await plan(conn, { rootObject: 'Account', ids: [root], depth: 1, children: ['Contacts'], fields: { account: ['name'], Contact: ['LastName', 'Email'] } });
    const { batches } = await collectAll(conn, p);
    const contact = batches.flatMap((b) => b.records).find((r) => r.object === 'Contact')!;
    expect(Object.keys(contact.fields)).to.deep.equal(['LastName', 'Email']);
    expect(contact.references.map((r) => r.field)).to.include('AccountId');
    expect(Object.keys(batches[0]!.records[0]!.fields)).to.deep.equal(['Name']);

    const controller = new AbortController();
    const gen = collect(conn, await plan(conn, { rootObject: 'Account', all: true, depth: 0 }), { batchSize: 5, holdRecords: 0, signal: controller.signal });
    await gen.next();
    controller.abort(new Error('node closed'));
    await expectError(gen.next(), /node closed/);
  });
});

async function expectError(p: Promise<unknown>, re: RegExp): Promise<Error> {
  try {
    await p;
  } catch (err) {
    expect((err as Error).message).to.match(re);
    return err as Error;
  }
  throw new Error(`expected an error matching ${re}`);
}
