/**
 * The writer on the Bulk API path, against the emulator: groups of records from the threshold on
 * go through ingest jobs, and everything after the answer is what the REST path does (Id map,
 * field hashes, dead letters, deferred lookups), so a rerun costs nothing and the ledger cannot
 * tell which path wrote a record.
 */
import { expect } from 'chai';
import { account, contact, sourceIdOf, SOURCE_ORG } from './helpers.js';
import { useWriterFixture } from './setup.js';

type Row = Record<string, unknown> & { Id: string };

describe('RecordWriter through Bulk API 2.0 jobs', function () {
  this.timeout(60_000);
  const f = useWriterFixture();
  const rows = (o: string) => f.emulator.org('alpha').snapshot(o) as Row[];

  it('writes a hierarchy and its contacts in jobs, level by level, dead-letters the rows a job refused, and finds a rerun unchanged', async () => {
    const writer = f.writerWith({ bulkThreshold: 1000, bulkJobSize: 1000 });
    // 2,500 top accounts, and 1,200 children under them (level 2): jobs of 1,000, 1,000 and 500 on
    // the first level, 1,000 and 200 on the second (200 fits a collections call).
    const accounts = [
      ...Array.from({ length: 1200 }, (_, i) => account(5000 + i, {}, { parent: i })),
      ...Array.from({ length: 2500 }, (_, i) => account(i)),
    ];
    const first = await writer.writeWithReport(accounts);
    expect(first.metrics).to.include({ created: 3700, deadLettered: 0, bulkJobs: 4 });
    const byExt = new Map(rows('Account').map((a) => [a.Ext__c, a]));
    for (let i = 0; i < 1200; i++) expect(byExt.get(`ACC-${5000 + i}`)!.ParentId, `parent of ACC-${5000 + i}`).to.equal(byExt.get(`ACC-${i}`)!.Id);
    first.results.forEach((r, i) => expect(r.targetId).to.equal(byExt.get(`ACC-${i < 1200 ? 5000 + i : i - 1200}`)!.Id));

    // Contacts under them by the ledger's Id map; one without a last name, one under a parent the
    // target does not have (by external Id: left empty, waiting for it).
    const contacts = Array.from({ length: 1500 }, (_, i) => contact(i, i));
    contacts[10] = contact(10, 10, { LastName: null });
    contacts[20] = contact(20, 99_999, {}, { accountExt: true });
    const written = await writer.writeWithReport(contacts);
    expect(written.metrics).to.include({ created: 1499, deadLettered: 1, bulkJobs: 2, deferredReferences: 1 });
    expect(written.results[10]).to.deep.include({ outcome: 'dead-lettered' });
    expect(written.results[10]!.error).to.include({ code: 'REQUIRED_FIELD_MISSING', category: 'permanent' });
    const [letter] = f.ledger.deadLetters({ targetOrg: f.targetOrg });
    expect(letter).to.include({ sourceId: sourceIdOf('Contact', 10), errorCode: 'REQUIRED_FIELD_MISSING', status: 'open' });
    expect(f.ledger.pendingReferencesOf(SOURCE_ORG, f.targetOrg, [sourceIdOf('Contact', 20)])).to.have.length(1);
    const con = new Map(rows('Contact').map((c) => [c.Ext__c, c]));
    expect(con.get('CON-20')!.AccountId).to.equal(null);
    expect(con.get('CON-1499')!.AccountId).to.equal(byExt.get('ACC-1499')!.Id);
    expect(con.has('CON-10')).to.equal(false);

    // The ledger holds what the REST path would: a rerun writes nothing and costs no call.
    const calls = f.calls();
    const again = await writer.writeWithReport([...accounts, ...contacts.filter((_, i) => i !== 10)]);
    expect(again.metrics).to.include({ unchanged: 3700 + 1499, created: 0, updated: 0, bulkJobs: 0 });
    expect(f.calls()).to.equal(calls);
  });

  it('deletes from the threshold in Bulk API delete jobs (recycle bin) or hardDelete jobs, and fewer through collections calls', async () => {
    const soft = f.writerWith({ bulkThreshold: 1000, bulkJobSize: 1000 });
    const hard = f.writerWith({ bulkThreshold: 1000, bulkJobSize: 1000, bulkHardDelete: true });
    const created = await soft.writeWithReport(Array.from({ length: 2300 }, (_, i) => account(i)));
    expect(created.metrics).to.include({ created: 2300, bulkJobs: 3 });
    const del = (n: number) => ({ ...account(n), operation: 'delete' as const });

    // 1,100 deletes: one job of 1,000 and, the short rest, one collections call; into the recycle bin.
    const calls = f.calls();
    const first = await soft.writeWithReport(Array.from({ length: 1100 }, (_, i) => del(i)));
    expect(first.metrics).to.include({ deleted: 1100, deadLettered: 0, bulkJobs: 1 });
    expect(first.results.every((r) => r.outcome === 'deleted')).to.equal(true);
    const bin = f.emulator.org('alpha').snapshot('Account', true) as Row[];
    expect(bin.filter((a) => a.IsDeleted)).to.have.length(1100);
    expect(f.calls() - calls, 'a job of about 7 calls and one collections call, not 6 collections calls').to.be.below(12);

    // 1,200 more as hardDelete jobs (1,000 and 200: the short rest too): gone for good, not in the recycle bin.
    const second = await hard.writeWithReport(Array.from({ length: 1200 }, (_, i) => del(1100 + i)));
    expect(second.metrics).to.include({ deleted: 1200, deadLettered: 0, bulkJobs: 2 });
    const all = f.emulator.org('alpha').snapshot('Account', true) as Row[];
    expect(all.filter((a) => !a.IsDeleted)).to.have.length(0);
    expect(all, 'the hard-deleted accounts are not in the recycle bin').to.have.length(1100);

    // Below the threshold, collections deletes (the recycle bin) whatever the setting.
    await hard.writeWithReport([account(9000)]);
    const small = await hard.writeWithReport([del(9000)]);
    expect(small.metrics).to.include({ deleted: 1, bulkJobs: 0 });
    expect((f.emulator.org('alpha').snapshot('Account', true) as Row[]).find((a) => a.Ext__c === 'ACC-9000')).to.include({ IsDeleted: true });
  });

  it('writes below the threshold through collections calls only', async () => {
    const writer = f.writerWith({ bulkThreshold: 1000 });
    const report = await writer.writeWithReport(Array.from({ length: 999 }, (_, i) => account(i)));
    expect(report.metrics).to.include({ created: 999, bulkJobs: 0, apiCalls: 5 });
  });

  it('refuses a job size a collections call could take, and a threshold that is not a count', () => {
    expect(() => f.writerWith({ bulkJobSize: 200 })).to.throw(RangeError, /bulkJobSize must be a whole number from 201/);
    expect(() => f.writerWith({ bulkThreshold: -1 })).to.throw(RangeError, /bulkThreshold/);
  });
});
