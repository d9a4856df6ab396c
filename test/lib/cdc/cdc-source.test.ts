/**
 * The change-capture engine against the emulator: real jsforce streaming (faye long polling) over
 * HTTP, a real OrgConnection, an SQLite ledger in memory. The "writer" here settles the batches'
 * acknowledgement handles as sf-upsert-out does, when the test says so.
 */
import { expect } from 'chai';
import type { Connection } from 'jsforce';
import type { Emulator } from '../../../emulator/index.js';
import { CdcSource, type CdcProblem, type CdcSourceOptions } from '../../../lib/cdc/cdc-source.js';
import { changeEventChannel, type ChangeType } from '../../../lib/cdc/change-event.js';
import { OrgConnection } from '../../../lib/connection/org-connection.js';
import { Ledger } from '../../../lib/ledger/index.js';
import { AckRegistry } from '../../../lib/runtime/acks.js';
import { OrgApi } from '../../../lib/salesforce/org-api.js';
import type { BatchMeta, SyncRecord } from '../../../lib/sync/types.js';
import { RecordWriter } from '../../../lib/upsert/index.js';
import { jsonataEvaluator } from '../../../lib/mapping/jsonata-evaluator.js';
import { PASSWORD, settingsFor } from '../../support/connection.js';
import { connectDirect, control, startTestEmulator, testOrgSpec } from '../../support/emulator.js';

interface Sent {
  records: SyncRecord[];
  meta: BatchMeta;
  ack?: string[];
}

const until = async (cond: () => boolean, what: string, ms = 10_000) => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A mapped account from another org, matched through the ledger, as sf-map-fields would send it. */
function syncRecordFor(name: string, fields: Record<string, string>): SyncRecord {
  return {
    object: 'Account', sourceId: '001000000000SRCAAA', operation: 'upsert', fields: { Name: name, ...fields }, references: [],
    origin: { orgId: '00D000000000SRCAAA', via: 'manual' },
    target: { object: 'Account', match: { by: 'ledger' }, fields: { Name: name, ...fields }, references: [], mapping: { name: 'test', version: '1', hash: 'h' } },
  };
}

describe('change capture (CdcSource) against the emulator', function () {
  this.timeout(30_000);
  let emulator: Emulator;
  let conn: Connection;
  let ledger: Ledger;
  let acks: AckRegistry;
  let sources: CdcSource[] = [];
  let orgs: OrgConnection[] = [];

  before(async () => {
    emulator = await startTestEmulator([testOrgSpec('alpha', { cdcObjects: ['Account', 'Contact'] })]);
    await control(emulator, 'POST', '/streaming/settings', { connectTimeoutMs: 1000 });
  });
  after(() => emulator.stop());
  beforeEach(async () => {
    await control(emulator, 'POST', '/reset');
    conn = connectDirect(emulator, 'alpha');
    ledger = Ledger.open(':memory:');
    acks = new AckRegistry();
  });
  afterEach(async () => {
    await Promise.all(sources.map((s) => s.stop()));
    sources = [];
    for (const o of orgs) o.close();
    orgs = [];
    ledger.close();
  });

  /** A source on Account and Contact (their own channels) and what it sends and reports. */
  async function start(over: Partial<CdcSourceOptions> = {}) {
    const org = new OrgConnection(settingsFor(emulator), PASSWORD);
    orgs.push(org);
    const sent: Sent[] = [];
    const problems: CdcProblem[] = [];
    const objects = over.objects ?? ['Account', 'Contact'];
    const source = new CdcSource({
      org, api: new OrgApi(org), ledger, acks, owner: 'cdc-test', objects, channels: objects.map(changeEventChannel), checkpointName: '',
      changeTypes: new Set<ChangeType>(['CREATE', 'UPDATE', 'DELETE', 'UNDELETE']), watchedFields: new Map(), firstStart: -1,
      batchSize: 200, windowMs: 100, inFlight: 4, ackTimeoutMs: 60_000, acked: true, echoClient: 'OrgBridgeTest',
      send: (b) => sent.push(b), onProblem: (p) => problems.push(p),
      ...over,
    });
    sources.push(source);
    await source.start();
    return { source, sent, problems, org };
  }

  const checkpoint = (channel = '/data/AccountChangeEvent') => ledger.cdcCheckpoint(emulator.org('alpha').orgId, channel, '')?.replayId;
  const write = (b: Sent) => acks.settleAll(b.ack, 'settled');

  it('sends created, updated and deleted records as full sync records, re-read by Id, with the change on the origin', async () => {
    const { sent } = await start();
    const acc = await conn.sobject('Account').create({ Name: 'Acme', Industry: 'Energy', Phone: '555-0100' });
    await until(() => sent.length === 1, 'the create');
    await conn.sobject('Account').update({ Id: acc.id!, Industry: 'Retail' });
    await until(() => sent.length === 2, 'the update');
    await conn.sobject('Account').destroy(acc.id!);
    await until(() => sent.length === 3, 'the delete');
    const [created, updated, deleted] = sent.map((b) => b.records[0]!);
    expect(created).to.deep.include({ object: 'Account', sourceId: acc.id, operation: 'upsert' });
    expect(created!.fields).to.include({ Name: 'Acme', Industry: 'Energy', Phone: '555-0100' });
    expect(created!.changedFields).to.equal(undefined);
    expect(created!.origin).to.include({ via: 'cdc', orgId: emulator.org('alpha').orgId });
    expect(created!.origin.replayId).to.be.a('number');
    // The UPDATE event carries only Industry; the record the mapper gets is whole.
    expect(updated!.fields).to.include({ Name: 'Acme', Industry: 'Retail', Phone: '555-0100' });
    expect(updated!.changedFields).to.include('Industry').and.not.include('Name');
    expect(updated!.origin.transactionKey).to.be.a('string');
    expect(deleted).to.deep.include({ sourceId: acc.id, operation: 'delete', fields: {} });
    for (const b of sent) expect(b.ack).to.have.length(1);
  });

  it('tracks a contact\'s account as a reference, as sf-collect does', async () => {
    const { sent } = await start();
    const acc = await conn.sobject('Account').create({ Name: 'Parent Co' });
    const con = await conn.sobject('Contact').create({ LastName: 'Lovelace', AccountId: acc.id });
    await until(() => sent.flatMap((b) => b.records).some((r) => r.sourceId === con.id), 'the contact');
    const contact = sent.flatMap((b) => b.records).find((r) => r.sourceId === con.id)!;
    expect(contact.references).to.deep.include({ field: 'AccountId', id: acc.id, object: 'Account' });
  });

  it('moves the checkpoint only past acknowledged batches, and contiguously', async () => {
    const { sent } = await start({ windowMs: 20 });
    for (const name of ['One', 'Two', 'Three']) {
      await conn.sobject('Account').create({ Name: name });
      await until(() => sent.some((b) => b.records.some((r) => r.fields.Name === name)), name);
    }
    expect(checkpoint(), 'nothing written yet: only the first start is kept').to.equal(-1);
    const [b1, b2, b3] = sent;
    write(b3!);
    write(b2!);
    expect(checkpoint(), 'later batches written first do not move it past the first').to.equal(-1);
    write(b1!);
    expect(checkpoint()).to.equal(b3!.records[0]!.origin.replayId);
  });

  it('stopped before its first change was written, catches up from its first start when started again', async () => {
    const first = await start({ windowMs: 20 });
    const firstStart = ledger.cdcCheckpoint(emulator.org('alpha').orgId, '/data/AccountChangeEvent', '')!.committedAt;
    await new Promise((r) => setTimeout(r, 5));
    await conn.sobject('Account').create({ Name: 'Sent, never written' });
    await until(() => first.sent.length === 1, 'the first change');
    await first.source.stop();
    expect(checkpoint(), 'only the first start is kept').to.equal(-1);
    await conn.sobject('Account').create({ Name: 'Made while stopped' });
    const second = await start({ windowMs: 20 });
    await until(() => second.sent.flatMap((b) => b.records).length >= 2, 'both changes again');
    expect(second.sent.flatMap((b) => b.records).map((r) => r.fields.Name)).to.have.members(['Sent, never written', 'Made while stopped']);
    for (const b of second.sent) write(b);
    await until(() => second.source.channelStates().every((c) => !c.catchingUp), 'the catch-up done');
    // Still no live event to take a replay id from: the restart's time is the new start.
    expect(checkpoint()).to.equal(-1);
    await until(() => ledger.cdcCheckpoint(emulator.org('alpha').orgId, '/data/AccountChangeEvent', '')!.committedAt > firstStart, 'the start time moved on');
    await conn.sobject('Account').create({ Name: 'Live' });
    await until(() => second.sent.flatMap((b) => b.records).some((r) => r.fields.Name === 'Live'), 'the live change');
    write(second.sent[second.sent.length - 1]!);
    await until(() => (checkpoint() ?? -1) > 0, 'a real checkpoint');
  });

  it('resumes from its checkpoint after a restart: the unwritten change comes again, the written one does not', async () => {
    const first = await start({ windowMs: 20 });
    await conn.sobject('Account').create({ Name: 'Written' });
    await until(() => first.sent.length === 1, 'the first change');
    write(first.sent[0]!);
    await conn.sobject('Account').create({ Name: 'Not yet written' });
    await until(() => first.sent.length === 2, 'the second change');
    await first.source.stop();
    await conn.sobject('Account').create({ Name: 'While stopped' });

    const second = await start({ windowMs: 20 });
    await until(() => second.sent.flatMap((b) => b.records).length === 2, 'the changes after the checkpoint');
    await pause(300);
    expect(second.sent.flatMap((b) => b.records).map((r) => r.fields.Name)).to.deep.equal(['Not yet written', 'While stopped']);
  });

  it('drops OrgBridge\'s own writes coming back (change origin client=) and counts them', async () => {
    const { source, sent } = await start();
    const own = connectDirect(emulator, 'alpha', { callOptions: { client: 'OrgBridgeTest' } });
    await own.sobject('Account').create({ Name: 'Our own write' });
    await conn.sobject('Account').create({ Name: 'A person\'s change' });
    await until(() => sent.length === 1, 'the person\'s change');
    await pause(300);
    expect(sent.flatMap((b) => b.records).map((r) => r.fields.Name)).to.deep.equal(['A person\'s change']);
    expect(source.counts.echoes).to.equal(1);
    // The echo is done with at once: writing the other batch moves the checkpoint past both.
    write(sent[0]!);
    expect(checkpoint()).to.equal(sent[0]!.records[0]!.origin.replayId);
  });

  it('drops a write whose change origin does not give it away when its values are what the ledger says OrgBridge wrote', async () => {
    const { source, sent } = await start();
    // OrgBridge's writer, through a connection whose client the change capture does not know (as
    // when a trigger makes the write, or the org leaves the client out of the change origin).
    const writerOrg = new OrgConnection(settingsFor(emulator, { callOptionsClient: 'NotRecognised' }), PASSWORD);
    orgs.push(writerOrg);
    const writer = new RecordWriter({ target: writerOrg, ledger, sourceOrgId: '00D000000000SRCAAA', targetOrgId: emulator.org('alpha').orgId, sleep: async () => undefined });
    const [created] = await writer.write([syncRecordFor('Synced in', { Industry: 'Energy' })]);
    expect(created!.outcome).to.equal('created');
    // Apart by more than the window, so the two are not coalesced into one.
    await pause(400);
    await writer.write([syncRecordFor('Synced in', { Industry: 'Retail' })]);
    await pause(500);
    expect(sent, 'OrgBridge\'s create and update are echoes').to.deep.equal([]);
    expect(source.counts.echoes).to.equal(2);
    // A person changing the same record is not.
    await conn.sobject('Account').update({ Id: created!.targetId!, Phone: '555-0123' });
    await until(() => sent.length === 1, 'the person\'s change');
    expect(sent[0]!.records[0]!.fields).to.include({ Phone: '555-0123', Industry: 'Retail' });
  });

  it('coalesces changes to one record within the window into one, its changed fields merged', async () => {
    const { source, sent } = await start({ windowMs: 600 });
    const acc = await conn.sobject('Account').create({ Name: 'Busy' });
    await conn.sobject('Account').update({ Id: acc.id!, Industry: 'Energy' });
    await conn.sobject('Account').update({ Id: acc.id!, Phone: '555-0199' });
    await until(() => sent.length === 1, 'one batch');
    await pause(800);
    expect(sent).to.have.length(1);
    expect(sent[0]!.records).to.have.length(1);
    expect(sent[0]!.records[0]).to.deep.include({ operation: 'upsert' });
    expect(sent[0]!.records[0]!.fields).to.include({ Name: 'Busy', Industry: 'Energy', Phone: '555-0199' });
    expect(source.counts.coalesced).to.equal(2);
    write(sent[0]!);
    // The merged record carries the last of the three events; the checkpoint is past all of them.
    expect(checkpoint()).to.equal(sent[0]!.records[0]!.origin.replayId);
    expect(source.channelStates().find((c) => c.channel === '/data/AccountChangeEvent')).to.deep.include({ checkpoint: checkpoint(), open: 0 });
  });

  it('keeps at most In flight batches unacknowledged and sends the rest as they are written', async () => {
    const { source, sent } = await start({ inFlight: 2, windowMs: 10 });
    for (let i = 0; i < 5; i++) {
      await conn.sobject('Account').create({ Name: `N${i}` });
      await pause(60);
    }
    await pause(300);
    expect(sent).to.have.length(2);
    expect(source.window.inFlight).to.equal(2);
    write(sent[0]!);
    write(sent[1]!);
    await until(() => sent.length >= 3, 'more batches once two are written');
    for (const b of sent.slice(2)) write(b);
    await until(() => sent.flatMap((b) => b.records).length === 5, 'all five');
  });

  it('sends only the change types and watched fields it is set to', async () => {
    const { sent, source } = await start({ changeTypes: new Set<ChangeType>(['UPDATE']), watchedFields: new Map([['Account', new Set(['Industry'])]]) });
    const acc = await conn.sobject('Account').create({ Name: 'Filtered' });
    await conn.sobject('Account').update({ Id: acc.id!, Phone: '555-0000' });
    await conn.sobject('Account').update({ Id: acc.id!, Industry: 'Banking' });
    await until(() => sent.length === 1, 'the Industry change');
    await pause(300);
    expect(sent).to.have.length(1);
    expect(sent[0]!.records[0]!.changedFields).to.include('Industry').and.not.include('Phone');
    expect(source.counts.filtered).to.equal(2);
  });

  it('sends only records meeting its condition, deletes always, and moves the checkpoint past the rest', async () => {
    const evaluator = jsonataEvaluator();
    const text = "Industry = 'Energy' or $record.changeType = 'CREATE' and $contains(Name, 'new')";
    const { sent, source } = await start({ windowMs: 20, recordCondition: { text, prepared: evaluator.prepare(text), evaluator } });
    const kept = await conn.sobject('Account').create({ Name: 'Energy one', Industry: 'Energy' });
    await until(() => sent.length === 1, 'the Energy account');
    write(sent[0]!);
    await until(() => checkpoint() !== undefined, 'the checkpoint past the written change');
    const afterFirst = checkpoint();
    const other = await conn.sobject('Account').create({ Name: 'Retail one', Industry: 'Retail' });
    await pause(300);
    expect(sent, 'the Retail account does not meet the condition').to.have.length(1);
    expect(source.counts.filtered).to.equal(1);
    await until(() => checkpoint() !== undefined && checkpoint()! > afterFirst!, 'the checkpoint past the dropped change');
    expect(source.channelStates().find((c) => c.channel === '/data/AccountChangeEvent')!.open).to.equal(0);
    await conn.sobject('Account').destroy(other.id!);
    await until(() => sent.length === 2, 'the delete');
    expect(sent[1]!.records[0]).to.include({ operation: 'delete', sourceId: other.id });
    expect(sent[0]!.records[0]!.sourceId).to.equal(kept.id);
  });

  it('sends a record its condition cannot be evaluated on, and says so', async () => {
    const evaluator = jsonataEvaluator();
    const text = '$number(Name) > 1';
    const { sent, problems } = await start({ windowMs: 20, recordCondition: { text, prepared: evaluator.prepare(text), evaluator } });
    await conn.sobject('Account').create({ Name: 'not a number' });
    await until(() => sent.length === 1, 'the record');
    expect(problems.map((p) => p.code)).to.deep.equal(['CONDITION_FAILED']);
    expect(problems[0]!.message).to.include('$number(Name) > 1').and.include('sent on');
  });

  it('renews an expired session and resubscribes from the last event, losing nothing', async () => {
    const { sent, source } = await start({ windowMs: 20 });
    await conn.sobject('Account').create({ Name: 'Before expiry' });
    await until(() => sent.length === 1, 'the first change');
    await control(emulator, 'POST', '/orgs/alpha/sessions/expire');
    conn = connectDirect(emulator, 'alpha');
    await conn.sobject('Account').create({ Name: 'After expiry' });
    await until(() => sent.length === 2, 'the change after the session expired');
    expect(sent[1]!.records[0]!.fields.Name).to.equal('After expiry');
    expect(source.counts.duplicates).to.equal(0);
  });

  it('recovers a replay id the org no longer retains by reading what changed since the checkpoint', async () => {
    const first = await start({ windowMs: 20 });
    const acc = await conn.sobject('Account').create({ Name: 'Known' });
    await until(() => first.sent.length === 1, 'the first change');
    write(first.sent[0]!);
    await first.source.stop();
    // While stopped: a change, then the retention window passes.
    await control(emulator, 'POST', '/clock', { advanceMs: 60_000 });
    conn = connectDirect(emulator, 'alpha');
    await conn.sobject('Account').update({ Id: acc.id!, Industry: 'Changed while away' });
    await control(emulator, 'POST', '/clock', { advanceMs: 73 * 3_600_000 });
    conn = connectDirect(emulator, 'alpha');

    const second = await start({ windowMs: 20 });
    await until(() => second.problems.some((p) => p.code === 'REPLAY_EXPIRED'), 'the expired replay id reported');
    await until(() => second.sent.length === 1, 'the catch-up');
    expect(second.sent[0]!.records[0]!.fields).to.include({ Name: 'Known', Industry: 'Changed while away' });
    expect(second.problems.find((p) => p.code === 'REPLAY_EXPIRED')!.message).to.match(/reading every record changed since/);
    // Live events flow again afterwards.
    await conn.sobject('Account').create({ Name: 'Live again' });
    await until(() => second.sent.some((b) => b.records.some((r) => r.fields.Name === 'Live again')), 'a live event');
  });

  it('re-reads the records of a gap event', async () => {
    const { sent } = await start();
    const acc = await conn.sobject('Account').create({ Name: 'Gap record' });
    await until(() => sent.length === 1, 'the create');
    await control(emulator, 'POST', '/orgs/alpha/streaming/gap', { object: 'Account', ids: [acc.id], changeType: 'UPDATE' });
    await until(() => sent.length === 2, 'the gap re-read');
    expect(sent[1]!.records[0]).to.deep.include({ sourceId: acc.id, operation: 'upsert' });
    expect(sent[1]!.records[0]!.changedFields, 'a gap does not say what changed').to.equal(undefined);
  });
});
