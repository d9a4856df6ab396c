import { expect } from 'chai';
import { hashValue, RECORD_LEVEL } from '../../../lib/ledger/index.js';
import { connectDirect } from '../../support/emulator.js';
import { account, contact, ref, sourceIdOf, SOURCE_ORG, syncRecord } from './helpers.js';
import { useWriterFixture } from './setup.js';

describe('RecordWriter against the emulator', () => {
  const f = useWriterFixture();
  const HOUR_AHEAD = () => Date.now() + 3_600_000;

  it('writes a 5-level Account hierarchy given in reverse order, parent before child, then skips the rerun', async () => {
    const records = [4, 3, 2, 1, 0].map((n) => account(n, {}, n ? { parent: n - 1 } : {}));
    const report = await f.writer.writeWithReport(records);
    expect(report.results.map((r) => r.outcome)).to.deep.equal(Array(5).fill('created'));
    // One call per level and no update afterwards: every record was created with its parent in place.
    expect(report.metrics.apiCalls).to.equal(5);
    expect(f.emulator.org('alpha').limits.counts().byEndpoint).to.deep.equal({ 'PATCH /composite/sobjects/{type}/{field}': 5 });
    const byExt = new Map(f.emulator.org('alpha').snapshot('Account').map((r) => [r.Ext__c, r]));
    for (let n = 1; n < 5; n++) expect(byExt.get(`ACC-${n}`)!.ParentId).to.equal(byExt.get(`ACC-${n - 1}`)!.Id);
    expect(byExt.get('ACC-0')!.ParentId).to.equal(null);
    expect(report.results.map((r) => r.targetId)).to.deep.equal([4, 3, 2, 1, 0].map((n) => byExt.get(`ACC-${n}`)!.Id));
    expect(report.results[0]).to.include({ object: 'Account', sourceId: sourceIdOf('Account', 4), targetObject: 'Account', attempts: 1 });
    expect(report.results[0]!.fields).to.have.members(['Name', 'Ext__c', 'ParentId']);
    expect(f.ledger.idMapEntry(SOURCE_ORG, sourceIdOf('Account', 3), f.targetOrg)?.targetId).to.equal(byExt.get('ACC-3')!.Id);

    const again = await f.writer.writeWithReport(records);
    expect(again.results.map((r) => r.outcome)).to.deep.equal(Array(5).fill('unchanged'));
    expect(again.metrics.apiCalls).to.equal(0);
    expect(f.calls()).to.equal(5);
    const totals = f.ledger.syncTotals({ sourceOrg: SOURCE_ORG, from: 0, to: HOUR_AHEAD(), field: RECORD_LEVEL });
    expect(totals).to.deep.equal([{ sourceOrg: SOURCE_ORG, targetOrg: f.targetOrg, object: 'Account', field: '', synced: 5, skipped: 5, failed: 0, deadLettered: 0 }]);
  });

  it('writes only what changed on a rerun, and counts per field', async () => {
    const records = [0, 1, 2].map((n) => account(n, { Industry: 'Energy' }));
    await f.writer.write(records);
    records[1]!.target!.fields.Industry = 'Retail';
    const report = await f.writer.writeWithReport(records);
    expect(report.results.map((r) => r.outcome)).to.deep.equal(['unchanged', 'updated', 'unchanged']);
    expect(report.metrics.apiCalls).to.equal(1);
    expect(f.emulator.org('alpha').snapshot('Account').find((r) => r.Ext__c === 'ACC-1')!.Industry).to.equal('Retail');
    const industry = f.ledger.syncTotals({ targetOrg: f.targetOrg, object: 'Account', field: 'Industry', from: 0, to: HOUR_AHEAD() });
    expect(industry[0]).to.include({ synced: 4, skipped: 2 });
  });

  it('resolves contacts to accounts by external Id (nested relationship object), with no Id map entry for the accounts', async () => {
    const conn = connectDirect(f.emulator, 'alpha');
    const created = await conn.sobject('Account').create([{ Name: 'Acme', Ext__c: 'ACC-1' }, { Name: 'Globex', Ext__c: 'ACC-2' }]);
    const ids = created.map((c) => (c as { id: string }).id);
    f.emulator.org('alpha').limits.resetCounts();
    const records = [contact(1, 1, {}, { accountExt: true }), contact(2, 2, {}, { accountExt: true }), contact(3, 1, {}, { accountExt: true })];
    const results = await f.writer.write(records);
    expect(results.map((r) => r.outcome)).to.deep.equal(['created', 'created', 'created']);
    expect(f.calls()).to.equal(1);
    const byExt = new Map(f.emulator.org('alpha').snapshot('Contact').map((r) => [r.Ext__c, r.AccountId]));
    expect([byExt.get('CON-1'), byExt.get('CON-2'), byExt.get('CON-3')]).to.deep.equal([ids[0], ids[1], ids[0]]);
    expect(await f.writer.write(records)).to.satisfy((rs: Array<{ outcome: string }>) => rs.every((r) => r.outcome === 'unchanged'));
  });

  it('writes accounts and their contacts given together, contacts first, accounts a level ahead', async () => {
    const records = [contact(1, 1), contact(2, 2, {}, { byLedger: true }), account(1), account(2, {}, { byLedger: true })];
    const report = await f.writer.writeWithReport(records);
    expect(report.results.map((r) => r.outcome)).to.deep.equal(['created', 'created', 'created', 'created']);
    // Level 0: upsert Account by Ext__c and create Account; level 1: upsert Contact and create Contact.
    expect(report.metrics.apiCalls).to.equal(4);
    const accounts = f.emulator.org('alpha').snapshot('Account');
    const contacts = f.emulator.org('alpha').snapshot('Contact');
    expect(contacts.find((c) => c.Ext__c === 'CON-1')!.AccountId).to.equal(accounts.find((a) => a.Ext__c === 'ACC-1')!.Id);
    expect(contacts.find((c) => c.LastName === 'Contact 2')!.AccountId).to.equal(accounts.find((a) => a.Name === 'Account 2')!.Id);
    // The ledger-matched pair is updated by Id on the next change, not created again.
    records[3]!.target!.fields.Industry = 'Banking';
    const next = await f.writer.writeWithReport(records);
    expect(next.results.map((r) => r.outcome)).to.deep.equal(['unchanged', 'unchanged', 'unchanged', 'updated']);
    expect(f.emulator.org('alpha').limits.counts().byEndpoint['PATCH /composite/sobjects']).to.equal(1);
    expect(f.emulator.org('alpha').snapshot('Account')).to.have.length(2);
  });

  it('leaves a nillable lookup to a missing parent empty and sets it once the parent is written', async () => {
    const first = await f.writer.writeWithReport([contact(1, 7), contact(2, 8, {}, { accountExt: true })]);
    expect(first.results.map((r) => r.outcome)).to.deep.equal(['created', 'created']);
    expect(first.metrics.deferredReferences).to.equal(2);
    expect(f.emulator.org('alpha').snapshot('Contact').map((c) => c.AccountId)).to.deep.equal([null, null]);
    expect(f.ledger.pendingReferencesForParents(SOURCE_ORG, f.targetOrg, [sourceIdOf('Account', 7), sourceIdOf('Account', 8)])).to.have.length(2);

    const second = await f.writer.writeWithReport([account(7), account(8)]);
    expect(second.metrics.completedReferences).to.equal(2);
    const accounts = new Map(f.emulator.org('alpha').snapshot('Account').map((a) => [a.Ext__c, a.Id]));
    const contacts = new Map(f.emulator.org('alpha').snapshot('Contact').map((c) => [c.Ext__c, c.AccountId]));
    expect(contacts.get('CON-1')).to.equal(accounts.get('ACC-7'));
    expect(contacts.get('CON-2')).to.equal(accounts.get('ACC-8'));
    expect(f.ledger.pendingReferencesForParents(SOURCE_ORG, f.targetOrg, [sourceIdOf('Account', 7), sourceIdOf('Account', 8)])).to.deep.equal([]);
    // The contacts now hash as written, lookups included.
    const rerun = await f.writer.writeWithReport([contact(1, 7), contact(2, 8, {}, { accountExt: true })]);
    expect(rerun.results.map((r) => r.outcome)).to.deep.equal(['unchanged', 'unchanged']);
    expect(rerun.metrics.apiCalls).to.equal(0);
  });

  it('finds a record whose lookup still waits for the same missing parent unchanged on a rerun, and sets it once the parent arrives', async () => {
    // Contact 1 by the ledger only, contact 2 by the parent's external Id (which the target cannot resolve).
    const records = () => [contact(1, 7), contact(2, 8, {}, { accountExt: true })];
    const first = await f.writer.writeWithReport(records());
    expect(first.results.map((r) => [r.outcome, r.fields!.includes('AccountId')])).to.deep.equal([['created', false], ['created', false]]);
    const rerun = await f.writer.writeWithReport(records());
    expect(rerun.results.map((r) => r.outcome)).to.deep.equal(['unchanged', 'unchanged']);
    expect(rerun.metrics.apiCalls, 'no call asks the target for the missing parent again').to.equal(0);
    // A change to another field is written; the lookup goes on waiting.
    const changed = await f.writer.writeWithReport([contact(1, 7, { Title: 'Changed' }), contact(2, 8, { Title: 'Changed' }, { accountExt: true })]);
    expect(changed.results.map((r) => [r.outcome, r.fields!.includes('Title'), r.fields!.includes('AccountId')])).to.deep.equal([['updated', true, false], ['updated', true, false]]);
    expect(f.ledger.pendingReferencesOf(SOURCE_ORG, f.targetOrg, [sourceIdOf('Contact', 1), sourceIdOf('Contact', 2)])).to.have.length(2);
    await f.writer.write([account(7), account(8)]);
    const accounts = new Map(f.emulator.org('alpha').snapshot('Account').map((a) => [a.Ext__c, a.Id]));
    const contacts = new Map(f.emulator.org('alpha').snapshot('Contact').map((c) => [c.Ext__c, c]));
    expect([contacts.get('CON-1')!.AccountId, contacts.get('CON-2')!.AccountId]).to.deep.equal([accounts.get('ACC-7'), accounts.get('ACC-8')]);
    const last = await f.writer.writeWithReport([contact(1, 7, { Title: 'Changed' }), contact(2, 8, { Title: 'Changed' }, { accountExt: true })]);
    expect(last.results.map((r) => r.outcome)).to.deep.equal(['unchanged', 'unchanged']);
    expect(last.metrics.apiCalls).to.equal(0);
  });

  it('dead-letters a record whose required lookup points at a parent not in the target, with the reason', async () => {
    const records = [contact(1, 9, {}, { nillable: false }), contact(2, undefined)];
    const results = await f.writer.write(records);
    expect(results[1]!.outcome).to.equal('created');
    expect(results[0]).to.deep.include({ outcome: 'dead-lettered', attempts: 0 });
    expect(results[0]!.error).to.include({ code: 'PARENT_NOT_IN_TARGET', category: 'permanent' });
    expect(results[0]!.error!.message).to.match(new RegExp(`parent Account ${sourceIdOf('Account', 9)} is not in the target org yet`));
    const [letter] = f.ledger.deadLetters({ targetOrg: f.targetOrg });
    expect(letter).to.include({ sourceId: sourceIdOf('Contact', 1), errorCode: 'PARENT_NOT_IN_TARGET', status: 'open', category: 'permanent' });
    expect(letter!.fields).to.deep.equal(['AccountId']);
  });

  it('fails a required external Id reference the target cannot resolve, and defers a nillable one', async () => {
    const results = await f.writer.write([contact(1, 5, {}, { accountExt: true, nillable: false }), contact(2, 5, {}, { accountExt: true })]);
    expect(results[0]).to.deep.include({ outcome: 'dead-lettered' });
    expect(results[0]!.error).to.include({ code: 'PARENT_NOT_IN_TARGET' });
    expect(results[0]!.error!.message).to.contain('Ext__c = ACC-5');
    expect(results[1]).to.deep.include({ outcome: 'created', attempts: 2 });
    expect(f.ledger.pendingReferencesOf(SOURCE_ORG, f.targetOrg, [sourceIdOf('Contact', 2)])).to.have.length(1);
  });

  it('dead-letters records the target rejects with their code and message while the others succeed', async () => {
    const records = [account(1), account(2, { Name: 'x'.repeat(300) }), account(3, { Tier__c: 'Platinum' }), account(4, { Tier__c: 'Gold' })];
    const report = await f.writer.writeWithReport(records);
    expect(report.results.map((r) => r.outcome)).to.deep.equal(['created', 'dead-lettered', 'dead-lettered', 'created']);
    expect(report.metrics.apiCalls).to.equal(1);
    expect(report.results[1]!.error).to.include({ code: 'STRING_TOO_LONG', category: 'permanent' });
    expect(report.results[1]!.error!.fields).to.deep.equal(['Name']);
    expect(report.results[2]!.error).to.include({ code: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', category: 'permanent' });
    expect(report.results[2]!.error!.message).to.contain('Platinum');
    expect(f.emulator.org('alpha').snapshot('Account').map((r) => r.Ext__c).sort()).to.deep.equal(['ACC-1', 'ACC-4']);

    const letters = f.ledger.deadLetters({ targetOrg: f.targetOrg, status: 'open' });
    expect(letters.map((l) => l.errorCode).sort()).to.deep.equal(['INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', 'STRING_TOO_LONG']);
    const tooLong = letters.find((l) => l.errorCode === 'STRING_TOO_LONG')!;
    expect(tooLong).to.include({ object: 'Account', targetObject: 'Account', operation: 'upsert', attempts: 1, category: 'permanent' });
    expect((tooLong.record as { sourceId: string }).sourceId).to.equal(sourceIdOf('Account', 2));
    expect(f.ledger.syncTotals({ targetOrg: f.targetOrg, field: 'Name', from: 0, to: HOUR_AHEAD() })[0]).to.include({ deadLettered: 1 });

    // Fixed at the source and sent again: written, and its letter resolved.
    records[1]!.target!.fields.Name = 'Short';
    const fixed = await f.writer.write(records);
    expect(fixed.map((r) => r.outcome)).to.deep.equal(['unchanged', 'created', 'dead-lettered', 'unchanged']);
    expect(f.ledger.deadLetters({ targetOrg: f.targetOrg, status: 'open' }).map((l) => l.errorCode)).to.deep.equal(['INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST']);
    expect(f.ledger.deadLetters({ status: 'open' })[0]!.attempts).to.equal(2);
    expect(f.ledger.deadLetters({ status: 'resolved' })).to.have.length(1);
  });

  it('writes a cycle (Contact.ReportsToId A -> B, B -> A) in two passes', async () => {
    const a = sourceIdOf('Contact', 1);
    const b = sourceIdOf('Contact', 2);
    const records = [
      contact(1, undefined, {}, {}),
      contact(2, undefined, {}, {}),
    ];
    records[0]!.target!.references.push(ref({ field: 'ReportsToId', relationshipName: 'ReportsTo', object: 'Contact', sourceId: b }));
    records[1]!.target!.references.push(ref({ field: 'ReportsToId', relationshipName: 'ReportsTo', object: 'Contact', sourceId: a }));
    const report = await f.writer.writeWithReport(records);
    expect(report.results.map((r) => r.outcome)).to.deep.equal(['created', 'created']);
    expect(report.metrics.completedReferences).to.equal(1);
    expect(report.metrics.apiCalls).to.equal(3);
    const rows = new Map(f.emulator.org('alpha').snapshot('Contact').map((c) => [c.Ext__c, c]));
    expect(rows.get('CON-1')!.ReportsToId).to.equal(rows.get('CON-2')!.Id);
    expect(rows.get('CON-2')!.ReportsToId).to.equal(rows.get('CON-1')!.Id);
    expect(report.results[0]!.fields).to.include('ReportsToId');
    const again = await f.writer.writeWithReport(records);
    expect(again.results.map((r) => r.outcome)).to.deep.equal(['unchanged', 'unchanged']);
    expect(again.metrics.apiCalls).to.equal(0);
  });

  it('dead-letters a cycle whose lookups cannot be left empty', async () => {
    const records = [contact(1, undefined), contact(2, undefined), contact(3, undefined)];
    records[0]!.target!.references.push(ref({ field: 'ReportsToId', relationshipName: 'ReportsTo', object: 'Contact', sourceId: sourceIdOf('Contact', 2), nillable: false }));
    records[1]!.target!.references.push(ref({ field: 'ReportsToId', relationshipName: 'ReportsTo', object: 'Contact', sourceId: sourceIdOf('Contact', 1), nillable: false }));
    const results = await f.writer.write(records);
    expect(results.map((r) => r.outcome)).to.deep.equal(['dead-lettered', 'dead-lettered', 'created']);
    expect(results[0]!.error).to.include({ code: 'CIRCULAR_REFERENCE' });
    expect(results[0]!.error!.message).to.contain('ReportsToId');
  });

  it('deletes by the Id in the ledger, by external Id lookup, and reports a record never there as unchanged', async () => {
    await f.writer.write([account(1), account(2, {}, { byLedger: true }), account(3)]);
    const conn = connectDirect(f.emulator, 'alpha');
    await conn.sobject('Account').create({ Name: 'Made in the target', Ext__c: 'ACC-4' });
    f.emulator.org('alpha').limits.resetCounts();
    const del = (n: number, byLedger = false) => ({ ...account(n, {}, { byLedger }), operation: 'delete' as const });
    const report = await f.writer.writeWithReport([del(1), del(2, true), del(4), del(5)]);
    expect(report.results.map((r) => r.outcome)).to.deep.equal(['deleted', 'deleted', 'deleted', 'unchanged']);
    // One lookup query for the external Ids the ledger does not know, one delete call.
    expect(f.emulator.org('alpha').limits.counts().byEndpoint).to.deep.equal({ 'GET /query': 1, 'DELETE /composite/sobjects': 1 });
    expect(f.emulator.org('alpha').snapshot('Account').map((r) => r.Ext__c)).to.deep.equal(['ACC-3']);
    expect(f.ledger.idMapEntry(SOURCE_ORG, sourceIdOf('Account', 1), f.targetOrg)).to.equal(undefined);
    expect(f.ledger.fieldHashes(SOURCE_ORG, f.targetOrg, [sourceIdOf('Account', 1)]).size).to.equal(0);
    // Deleting again: gone from the ledger and the target alike.
    const again = await f.writer.write([del(1)]);
    expect(again[0]!.outcome).to.equal('unchanged');
  });

  it('retries a lookup query that timed out in the org (QUERY_TIMEOUT) by the writer\'s own policy', async () => {
    // Made in the target, so the ledger does not know it: the writer looks it up by external Id.
    await connectDirect(f.emulator, 'alpha').sobject('Account').create({ Name: 'Account 7', Ext__c: 'ACC-7' });
    f.emulator.org('alpha').faults.add({
      method: 'GET', path: '/query', count: 1, action: { type: 'error', status: 400, errorCode: 'QUERY_TIMEOUT', message: 'Your query request was running for too long.' },
    });
    const del = { ...account(7), operation: 'delete' as const };
    const [result] = await f.writer.write([del]);
    expect(result!.outcome).to.equal('deleted');
    expect(f.waits.length, 'one wait of the writer\'s backoff').to.equal(1);
    expect(f.emulator.org('alpha').snapshot('Account').map((r) => r.Ext__c)).to.not.include('ACC-7');
  });

  it('counts a record already deleted in the target as deleted', async () => {
    const [written] = await f.writer.write([account(1)]);
    await connectDirect(f.emulator, 'alpha').sobject('Account').destroy(written!.targetId!);
    const [result] = await f.writer.write([{ ...account(1), operation: 'delete' }]);
    expect(result).to.include({ outcome: 'deleted', targetId: written!.targetId });
  });

  it('dead-letters an update of a record deleted in the target, saying how to bring it back', async () => {
    const [written] = await f.writer.write([account(1, {}, { byLedger: true })]);
    await connectDirect(f.emulator, 'alpha').sobject('Account').destroy(written!.targetId!);
    const [result] = await f.writer.write([account(1, { Industry: 'Retail' }, { byLedger: true })]);
    expect(result).to.deep.include({ outcome: 'dead-lettered', targetId: written!.targetId });
    expect(result!.error).to.include({ code: 'ENTITY_IS_DELETED', category: 'permanent' });
    expect(result!.error!.message).to.contain(`Account ${written!.targetId} was deleted in the target org`);
    f.ledger.unmapIds(SOURCE_ORG, f.targetOrg, [sourceIdOf('Account', 1)]);
    const [again] = await f.writer.write([account(1, { Industry: 'Retail' }, { byLedger: true })]);
    expect(again).to.include({ outcome: 'created' });
    expect(again!.targetId).to.not.equal(written!.targetId);
  });

  it('restores a record deleted in the target through the ledger (SOAP undelete): the same record, its fields the source\'s again', async () => {
    const [written] = await f.writer.write([account(1, { Industry: 'Energy' }, { byLedger: true }), account(2)]);
    const deletion = { ...account(1, {}, { byLedger: true }), operation: 'delete' as const };
    expect((await f.writer.write([deletion]))[0]!.outcome).to.equal('deleted');
    const [restored, other] = await f.writer.write([{ ...account(1, { Industry: 'Retail' }, { byLedger: true }), operation: 'undelete' }, account(3)]);
    expect(restored).to.deep.include({ outcome: 'undeleted', targetId: written!.targetId });
    expect(other!.outcome).to.equal('created');
    const row = f.emulator.org('alpha').snapshot('Account').find((r) => r.Id === written!.targetId)!;
    expect(row).to.include({ IsDeleted: false, Industry: 'Retail' });
    expect(f.emulator.org('alpha').limits.counts().byEndpoint['soap/undelete']).to.equal(1);
  });

  it('restores a record matched by external Id that was deleted in the target by someone else (queryAll)', async () => {
    const [written] = await f.writer.write([account(1)]);
    await connectDirect(f.emulator, 'alpha').sobject('Account').destroy(written!.targetId!);
    const [restored] = await f.writer.write([{ ...account(1), operation: 'undelete' }]);
    expect(restored).to.deep.include({ outcome: 'undeleted', targetId: written!.targetId });
  });

  it('re-creates an undeleted record the target\'s recycle bin no longer holds, and says so', async () => {
    const [written] = await f.writer.write([account(1, {}, { byLedger: true })]);
    await f.writer.write([{ ...account(1, {}, { byLedger: true }), operation: 'delete' }]);
    await connectDirect(f.emulator, 'alpha').soap.emptyRecycleBin([written!.targetId!]);
    const [again] = await f.writer.write([{ ...account(1, {}, { byLedger: true }), operation: 'undelete' }]);
    expect(again).to.deep.include({ outcome: 'created' });
    expect(again!.targetId).to.not.equal(written!.targetId);
    expect(again!.note).to.match(/recycle bin no longer held the record.*re-created as a new record/);
  });

  it('fails records it cannot send as given, one result per record', async () => {
    const unmapped = { ...account(1), target: undefined };
    const noExt = account(2);
    (noExt.target!.match as { value: string }).value = '';
    const foreign = { ...account(3), origin: { orgId: '00D000000000OTHAAA', via: 'manual' as const } };
    const results = await f.writer.write([unmapped, noExt, foreign, account(4)]);
    expect(results.map((r) => [r.outcome, r.error?.code])).to.deep.equal([
      ['failed', 'NOT_MAPPED'], ['failed', 'MISSING_EXTERNAL_ID'], ['failed', 'WRONG_SOURCE_ORG'], ['created', undefined],
    ]);
  });

  it('writes a record that appears twice in one batch in order, the last one winning', async () => {
    const first = account(1, { Industry: 'Energy' });
    const second = account(1, { Industry: 'Retail' });
    const results = await f.writer.write([first, second]);
    expect(results.map((r) => r.outcome)).to.deep.equal(['created', 'updated']);
    expect(f.emulator.org('alpha').snapshot('Account')[0]!.Industry).to.equal('Retail');
  });

  it('sends 200 records per call and keeps at most maxInFlight calls in flight', async () => {
    const writer = f.writerWith({ maxInFlight: 2 });
    f.emulator.org('alpha').faults.add({ path: '/composite/sobjects', action: { type: 'latency', ms: 20 } });
    const records = Array.from({ length: 1001 }, (_, n) => account(n));
    const report = await writer.writeWithReport(records);
    expect(report.metrics.apiCalls).to.equal(6);
    expect(report.results.every((r) => r.outcome === 'created')).to.equal(true);
    expect(writer.peakInFlight).to.equal(2);
    expect(f.emulator.org('alpha').snapshot('Account')).to.have.length(1001);
  });

  it('recognises its own write coming back as an echo', async () => {
    const [r] = await f.writer.write([account(1, { Industry: 'Energy' })]);
    expect(f.ledger.echoOf(f.targetOrg, r!.targetId!, { Industry: 'Energy', Name: 'Account 1' })?.sourceId).to.equal(sourceIdOf('Account', 1));
    expect(f.ledger.echoOf(f.targetOrg, r!.targetId!, { Industry: 'Retail' })).to.equal(undefined);
  });

  it('updates the original of a record that came from the target org (two-way sync), by ledger and by external Id', async () => {
    const conn = connectDirect(f.emulator, 'alpha');
    const made = await conn.sobject('Account').create([{ Name: 'Born in alpha' }, { Name: 'Also born in alpha' }]);
    const [a, b] = made.map((m) => (m as { id: string }).id);
    // OrgBridge wrote them into the source org earlier: alpha is that write's source.
    f.ledger.mapIds([
      { sourceOrg: f.targetOrg, sourceId: a!, targetOrg: SOURCE_ORG, targetObject: 'Account', targetId: sourceIdOf('Account', 1) },
      { sourceOrg: f.targetOrg, sourceId: b!, targetOrg: SOURCE_ORG, targetObject: 'Account', targetId: sourceIdOf('Account', 2) },
    ]);
    f.emulator.org('alpha').limits.resetCounts();
    const byLedger = account(1, { Name: 'Renamed in the source' }, { byLedger: true });
    const byExt = account(2, { Name: 'Renamed too' });
    const results = await f.writer.write([byLedger, byExt]);
    expect(results.map((r) => [r.outcome, r.targetId])).to.deep.equal([['updated', a], ['updated', b]]);
    const rows = new Map(f.emulator.org('alpha').snapshot('Account').map((r) => [r.Id, r]));
    expect(rows.size).to.equal(2);
    expect(rows.get(a!)).to.include({ Name: 'Renamed in the source' });
    // Updated by Id, with its external Id set: the next upsert by it finds the same record.
    expect(rows.get(b!)).to.include({ Name: 'Renamed too', Ext__c: 'ACC-2' });
    expect(f.emulator.org('alpha').limits.counts().byEndpoint).to.deep.equal({ 'PATCH /composite/sobjects': 1 });
  });

  it('writes only the fields a change event changed, leaving a field edited meanwhile in the target as it is', async () => {
    const [first] = await f.writer.write([account(1, { Industry: 'Energy', Phone: '555-0001' })]);
    const conn = connectDirect(f.emulator, 'alpha');
    await conn.sobject('Account').update({ Id: first!.targetId!, Phone: '555-9999' });
    f.emulator.org('alpha').limits.resetCounts();
    const change = account(1, { Industry: 'Retail', Phone: '555-0001' });
    change.changedFields = ['Industry'];
    const [result] = await f.writer.write([change]);
    expect(result).to.include({ outcome: 'updated', targetId: first!.targetId });
    expect(result!.fields).to.deep.equal(['Industry']);
    expect(f.emulator.org('alpha').snapshot('Account')[0]).to.include({ Industry: 'Retail', Phone: '555-9999', Name: 'Account 1' });
    // Read before a write of another field landed: that field differs, but the change did not touch it.
    const stale = account(1, { Industry: 'Energy', Phone: '555-0003' });
    stale.changedFields = ['Industry'];
    stale.target!.untouched = ['Phone', 'Name'];
    const [back] = await f.writer.write([stale]);
    expect(back!.fields).to.deep.equal(['Industry']);
    expect(f.emulator.org('alpha').snapshot('Account')[0]).to.include({ Industry: 'Energy', Phone: '555-9999' });
    expect(f.ledger.fieldHashes(SOURCE_ORG, f.targetOrg, [sourceIdOf('Account', 1)]).get(sourceIdOf('Account', 1))!.get('Phone')).to.equal(hashValue('555-0001'));
    // The same record from a manual sync is whole again: every field the mapping gives is written.
    const whole = account(1, { Industry: 'Retail', Phone: '555-0002' });
    const [again] = await f.writer.write([whole]);
    expect(again!.fields).to.have.members(['Name', 'Industry', 'Phone', 'Ext__c']);
    expect(f.emulator.org('alpha').snapshot('Account')[0]).to.include({ Phone: '555-0002' });
  });

  it('sets a lookup that waited for its parent on a change event that did not touch it', async () => {
    const [first] = await f.writer.write([contact(1, 1, { Title: 'Buyer' })]);
    expect(f.ledger.pendingReferencesOf(SOURCE_ORG, f.targetOrg, [sourceIdOf('Contact', 1)])).to.have.length(1);
    // The account reached the target by another writer: the Id map knows it, the contact still waits.
    const conn = connectDirect(f.emulator, 'alpha');
    const acc = await conn.sobject('Account').create({ Name: 'Arrived elsewhere' });
    f.ledger.mapIds([{ sourceOrg: SOURCE_ORG, sourceId: sourceIdOf('Account', 1), targetOrg: f.targetOrg, targetObject: 'Account', targetId: (acc as { id: string }).id }]);
    const change = contact(1, 1, { Title: 'Head buyer' });
    change.changedFields = ['Title'];
    change.target!.untouched = ['LastName', 'AccountId'];
    const [result] = await f.writer.write([change]);
    expect(result).to.include({ outcome: 'updated', targetId: first!.targetId });
    const row = f.emulator.org('alpha').snapshot('Contact')[0]!;
    expect(row).to.include({ Title: 'Head buyer', AccountId: (acc as { id: string }).id });
    expect(f.ledger.pendingReferencesOf(SOURCE_ORG, f.targetOrg, [sourceIdOf('Contact', 1)])).to.deep.equal([]);
  });

  it('uses a plain syncRecord too (no external Id anywhere)', async () => {
    const results = await f.writer.write([syncRecord('Account', sourceIdOf('Account', 1), { Name: 'Plain' })]);
    expect(results[0]!.outcome).to.equal('created');
  });
});
