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

  it('reads the same records whether it holds rows from discovery or reads them again', async () => {
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
    expect(rereadCalls).to.be.greaterThan(heldCalls);
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

  it('pages a whole object through queryMore, re-reads it level by level, and reports its API calls', async () => {
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
    // Discovery pages (200 rows each) plus one re-read per batch (200 records of one level).
    expect(summary.apiCalls).to.equal(Math.ceil(total / 200) + summary.batches);

    // Held rows: a run that fits in memory reads each record once.
    org.limits.resetCounts();
    const heldRun = await collectAll(conn, p, { holdRecords: 5000 });
    expect(heldRun.summary.apiCalls).to.equal(1);
    expect(org.limits.counts().total).to.equal(1);

    // The first page tells the size: past the hold limit the read starts again with Ids only.
    org.limits.resetCounts();
    const restarted = await collectAll(conn, p, { holdRecords: 300, pageSize: 200 });
    expect(restarted.summary.heldInMemory).to.equal(false);
    expect(restarted.summary.totalRecords).to.equal(total);
    expect(restarted.summary.apiCalls).to.equal(summary.apiCalls + 1);
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
