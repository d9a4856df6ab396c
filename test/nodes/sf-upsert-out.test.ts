import { expect } from 'chai';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEMO_CREDENTIALS, startDemoEmulator, type Emulator } from '../../emulator/index.js';
import { Ledger, type DeadLetter } from '../../lib/ledger/index.js';
import type { FieldValue, RecordResult, SyncRecord, TargetReference } from '../../lib/sync/types.js';
import type { WriteMetrics } from '../../lib/upsert/index.js';
import { builtNode, collect, helper, until } from '../support/node-red.js';

// jsforce would send even loopback traffic through a proxy.
for (const k of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY']) delete process.env[k];

const sfConnection = builtNode('sf-connection');
const sfUpsertOut = builtNode('sf-upsert-out');

interface Msg {
  _seq?: number;
  topic?: string;
  payload: unknown;
  s2s?: { batchId?: string; write?: WriteMetrics };
  retried?: number[];
  error?: { message: string; code?: string };
}

type Spied = { args: unknown[][] };



/** An 18-character HQ-side Id; `n` keeps records of one object apart and clear of the demo data. */
const sid = (prefix: string, n: number) => `${prefix}7T${String(n).padStart(10, '0')}UPS`;
const MAPPING = { name: 'test', version: '1', hash: 'h1' };

describe('sf-upsert-out node', () => {
  let emulator: Emulator;
  let hq: string;
  let ledgerPath: string;
  const userDir = mkdtempSync(path.join(tmpdir(), 's2s-upsert-'));

  /** A record as sf-map-fields hands it over: matched on HQ_Id__c, lookups by the parent's HQ_Id__c. */
  function mapped(object: string, prefix: string, n: number, fields: Record<string, FieldValue>, refs: Array<Omit<TargetReference, 'externalId' | 'nillable'>> = []): SyncRecord {
    const sourceId = sid(prefix, n);
    return {
      object, sourceId, operation: 'upsert', fields: { ...fields },
      references: refs.map((r) => ({ field: r.field, id: r.sourceId, object: r.object })),
      origin: { orgId: hq, via: 'manual' },
      target: {
        object, match: { by: 'externalId', field: 'HQ_Id__c', value: sourceId }, fields: { ...fields },
        references: refs.map((r) => ({ ...r, externalId: { field: 'HQ_Id__c', value: r.sourceId }, nillable: true })),
        mapping: MAPPING,
      },
    };
  }
  const account = (n: number, fields: Record<string, FieldValue> = {}, parent?: number) =>
    mapped('Account', '001', n, { Name: `Upsert Test ${n}`, ...fields }, parent === undefined ? [] : [{ field: 'ParentId', relationshipName: 'Parent', object: 'Account', sourceId: sid('001', parent) }]);
  const contact = (n: number, accountN: number) =>
    mapped('Contact', '003', n, { LastName: `Contact ${n}` }, [{ field: 'AccountId', relationshipName: 'Account', object: 'Account', sourceId: sid('001', accountN) }]);

  const subsidiary = () => emulator.org('subsidiary');
  const byHqId = (object: string) => new Map(subsidiary().snapshot(object).map((r) => [r.HQ_Id__c as string, r]));
  const apiCalls = () => subsidiary().limits.counts().total;

  before(async () => {
    emulator = await startDemoEmulator();
    hq = emulator.org('hq').orgId;
  });
  after(() => emulator.stop());
  beforeEach((done) => {
    for (const org of emulator.orgs.values()) org.reset();
    ledgerPath = path.join(userDir, `ledger-${Date.now()}-${Math.random()}.sqlite`);
    helper.settings({ userDir, sfLedgerPath: ledgerPath } as never);
    helper.startServer(done);
  });
  afterEach(async () => {
    await emulator.orgUp('subsidiary');
    await helper.unload();
    await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
  });

  const flow = (node: Record<string, unknown> = {}) => [
    { id: 'tab', type: 'tab' },
    {
      id: 'conn', type: 'sf-connection', z: 'tab', name: 'subsidiary', environment: 'custom', domain: subsidiary().instanceUrl, apiVersion: '62.0',
      authFlow: 'client-credentials', clientId: DEMO_CREDENTIALS.subsidiary.clientId, callOptionsClient: 'OrgBridge', apiBudgetPercent: '80',
    },
    { id: 'up', type: 'sf-upsert-out', z: 'tab', name: 'write', connection: 'conn', maxInFlight: '2', maxAttempts: '5', baseDelayMs: '1', wires: [['results'], ['failures']], ...node },
    { id: 'results', type: 'helper', z: 'tab' },
    { id: 'failures', type: 'helper', z: 'tab' },
    { id: 'catcher', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
  const creds = { conn: { clientSecret: DEMO_CREDENTIALS.subsidiary.clientSecret } };

  let results: Msg[];
  let failures: Msg[];
  let caught: Msg[];
  async function load(node: Record<string, unknown> = {}) {
    await helper.load([sfConnection, sfUpsertOut] as never, flow(node), creds);
    results = collect<Msg>('results');
    failures = collect<Msg>('failures');
    caught = collect<Msg>('caught');
  }
  /** Sends one message and waits for its answer on output 1. */
  async function write(payload: unknown, extra: Record<string, unknown> = {}): Promise<Msg> {
    const before = results.length;
    helper.getNode('up').receive({ payload, s2s: { source: { orgId: hq, name: 'hq' }, batchId: 'b1' }, ...extra } as never);
    await until(() => results.length > before || caught.length > 0, 'a result');
    if (results.length === before) throw new Error(`caught: ${caught[0]!.error!.message}`);
    return results[results.length - 1]!;
  }
  const outcomes = (m: Msg) => (m.payload as RecordResult[]).map((r) => r.outcome);
  const lastStatus = () => (helper.getNode('up') as unknown as { status: { lastCall: { args: Array<{ fill: string; shape: string; text: string }> } } }).status.lastCall.args[0]!;
  const statuses = () => (helper.getNode('up') as unknown as { status: Spied }).status.args.map((a) => a[0] as { fill: string; shape: string; text: string });

  it('writes a 5-level hierarchy given in reverse order and its contacts with the right lookups, then skips the rerun', async () => {
    await load();
    const batch = [contact(1, 4), contact(2, 0), ...[4, 3, 2, 1, 0].map((n) => account(n, { Industry: 'Energy' }, n ? n - 1 : undefined))];
    const first = await write(batch);
    expect(outcomes(first)).to.deep.equal(Array(7).fill('created'));
    expect(first.s2s!.batchId).to.equal('b1');
    expect(first.s2s!.write).to.include({ records: 7, created: 7, updated: 0, unchanged: 0, deadLettered: 0 });
    expect(first.s2s!.write!.apiCalls).to.be.greaterThan(0);
    const accounts = byHqId('Account');
    for (let n = 1; n <= 4; n++) expect(accounts.get(sid('001', n))!.ParentId, `level ${n}`).to.equal(accounts.get(sid('001', n - 1))!.Id);
    expect(accounts.get(sid('001', 0))!.ParentId).to.equal(null);
    const contacts = byHqId('Contact');
    expect(contacts.get(sid('003', 1))!.AccountId).to.equal(accounts.get(sid('001', 4))!.Id);
    expect(contacts.get(sid('003', 2))!.AccountId).to.equal(accounts.get(sid('001', 0))!.Id);
    expect((first.payload as RecordResult[])[2]).to.include({ object: 'Account', sourceId: sid('001', 4), targetId: accounts.get(sid('001', 4))!.Id });
    expect(failures).to.have.length(0);
    expect(lastStatus()).to.deep.equal({ fill: 'green', shape: 'dot', text: 'sf-upsert-out.status.written' });

    const callsBefore = apiCalls();
    const again = await write(batch);
    expect(outcomes(again)).to.deep.equal(Array(7).fill('unchanged'));
    expect(again.s2s!.write).to.include({ apiCalls: 0, unchanged: 7 });
    expect(apiCalls()).to.equal(callsBefore);
    expect(subsidiary().snapshot('Account').filter((r) => String(r.HQ_Id__c ?? '').endsWith('UPS'))).to.have.length(5);
  });

  it('deletes a large batch with a Bulk API hardDelete job when the node is set to, past the recycle bin', async () => {
    await load({ bulkThreshold: '300', bulkHardDelete: true });
    const batch = Array.from({ length: 300 }, (_, n) => account(1000 + n));
    const created = await write(batch);
    expect(created.s2s!.write).to.include({ created: 300, bulkJobs: 1 });
    const deleted = await write(batch.map((r) => ({ ...r, operation: 'delete' as const })));
    expect(deleted.s2s!.write).to.include({ deleted: 300, deadLettered: 0, bulkJobs: 1 });
    const mine = subsidiary().snapshot('Account', true).filter((r) => String(r.HQ_Id__c ?? '').endsWith('UPS'));
    expect(mine, 'hard-deleted: not in the recycle bin either').to.have.length(0);
  });

  it('deletes a large batch with a Bulk API delete job into the recycle bin by default', async () => {
    await load({ bulkThreshold: '300' });
    const batch = Array.from({ length: 300 }, (_, n) => account(2000 + n));
    await write(batch);
    const deleted = await write(batch.map((r) => ({ ...r, operation: 'delete' as const })));
    expect(deleted.s2s!.write).to.include({ deleted: 300, bulkJobs: 1 });
    const mine = subsidiary().snapshot('Account', true).filter((r) => String(r.HQ_Id__c ?? '').endsWith('UPS'));
    expect(mine.filter((r) => r.IsDeleted)).to.have.length(300);
  });

  it('dead-letters what the target refuses, with its reason, on output 2 and in the review endpoints; the rest is written', async () => {
    await load();
    const unmapped = account(13);
    delete unmapped.target;
    // The record's source org can come from the batch instead of the record.
    unmapped.origin = undefined as never;
    const batch = [account(10), account(11, { Industry: 'Banking' }), account(12, { Name: 'N'.repeat(300) }), unmapped];
    const out = await write(batch);
    expect(outcomes(out)).to.deep.equal(['created', 'dead-lettered', 'dead-lettered', 'failed']);
    const [, picklist, tooLong, notMapped] = out.payload as RecordResult[];
    expect(picklist!.error).to.include({ code: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', category: 'permanent' });
    expect(picklist!.error!.message).to.match(/Banking/);
    expect(tooLong!.error).to.include({ code: 'STRING_TOO_LONG', category: 'permanent' });
    expect(notMapped!.error).to.include({ code: 'NOT_MAPPED' });
    expect(out.s2s!.write).to.include({ created: 1, failed: 1, deadLettered: 3 });
    expect(byHqId('Account').has(sid('001', 10))).to.equal(true);

    expect(failures).to.have.length(1);
    expect((failures[0]!.payload as RecordResult[]).map((r) => r.sourceId)).to.deep.equal([sid('001', 11), sid('001', 12), sid('001', 13)]);
    expect(lastStatus()).to.deep.equal({ fill: 'yellow', shape: 'dot', text: 'sf-upsert-out.status.written' });
    expect(caught).to.have.length(0);

    const listed = await helper.request().get('/sf-upsert-out/dead-letters?status=open&limit=100').expect(200);
    const body = listed.body as { total: number; letters: DeadLetter[] };
    expect(body.total).to.equal(3);
    const byId = new Map(body.letters.map((l) => [l.sourceId, l]));
    expect(byId.get(sid('001', 11))).to.include({ errorCode: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', sourceOrg: hq, targetOrg: subsidiary().orgId, status: 'open', attempts: 1 });
    expect(byId.get(sid('001', 13))).to.include({ errorCode: 'NOT_MAPPED', category: 'permanent', attempts: 0 });
    expect((byId.get(sid('001', 12))!.record as SyncRecord).target!.fields.Name).to.have.length(300);

    const csv = await helper.request().get('/sf-upsert-out/dead-letters.csv?errorCode=STRING_TOO_LONG').expect(200);
    expect(csv.headers['content-type']).to.match(/^text\/csv/);
    const lines = csv.text.trim().split('\n');
    expect(lines[0]).to.match(/^id,status,category,errorCode,message/);
    expect(lines).to.have.length(2);
    expect(lines[1]).to.contain(sid('001', 12));

    await helper.request().get('/sf-upsert-out/dead-letters?status=lost').expect(400);
    await helper.request().get('/sf-upsert-out/dead-letters?limit=0').expect(400);
  });

  it('retries records the target has locked, and writes them once the lock is gone', async () => {
    await load();
    await write([account(20), account(21)]);
    const locked = byHqId('Account').get(sid('001', 20))!.Id as string;
    subsidiary().faults.lockRecords([locked], 2);
    const out = await write([account(20, { Industry: 'Retail' }), account(21, { Industry: 'Retail' })]);
    expect(outcomes(out)).to.deep.equal(['updated', 'updated']);
    expect((out.payload as RecordResult[])[0]!.attempts).to.equal(3);
    expect(out.s2s!.write!.resends).to.equal(2);
    expect(byHqId('Account').get(sid('001', 20))!.Industry).to.equal('Retail');
    expect(failures).to.have.length(0);
  });

  it('logs in again when the session expires between batches', async () => {
    await load();
    await write([account(30)]);
    expect(subsidiary().sessions.expireAll()).to.be.greaterThan(0);
    const out = await write([account(30, { Industry: 'Media' })]);
    expect(outcomes(out)).to.deep.equal(['updated']);
    expect(byHqId('Account').get(sid('001', 30))!.Industry).to.equal('Media');
  });

  it('replays dead letters on the retry-dead-letters topic: a fixed one is written and its letter resolved', async () => {
    await load({ maxAttempts: '1' });
    await write([account(40)]);
    const id = byHqId('Account').get(sid('001', 40))!.Id as string;
    subsidiary().faults.lockRecords([id], 1);
    const failed = await write([account(40, { Industry: 'Technology' })]);
    expect(outcomes(failed)).to.deep.equal(['dead-lettered']);
    expect((failed.payload as RecordResult[])[0]!.error).to.include({ code: 'UNABLE_TO_LOCK_ROW', category: 'transient' });
    const open = (await helper.request().get('/sf-upsert-out/dead-letters?status=open').expect(200)).body as { letters: DeadLetter[] };
    expect(open.letters).to.have.length(1);

    // The lock was for one write only, so the record can now be written.
    const replay = await write('now', { topic: 'retry-dead-letters', s2s: undefined });
    expect(replay.retried).to.deep.equal([open.letters[0]!.id]);
    expect(outcomes(replay)).to.deep.equal(['updated']);
    expect(replay.s2s!.write).to.include({ updated: 1, deadLettered: 0 });
    expect(byHqId('Account').get(sid('001', 40))!.Industry).to.equal('Technology');
    const after = (await helper.request().get('/sf-upsert-out/dead-letters').expect(200)).body as { letters: DeadLetter[] };
    expect(after.letters.map((l) => l.status)).to.deep.equal(['resolved']);

    // Nothing left to replay: an empty answer, not an error.
    const none = await write({}, { topic: 'retry-dead-letters' });
    expect(none.payload).to.deep.equal([]);
    expect(none.retried).to.deep.equal([]);
  });

  it('marks letters for retry through the admin endpoint and has the node replay them', async () => {
    await load();
    await write([account(50, { Industry: 'Banking' })]);
    const [letter] = ((await helper.request().get('/sf-upsert-out/dead-letters').expect(200)).body as { letters: DeadLetter[] }).letters;
    await helper.request().post('/sf-upsert-out/dead-letters/retry').send({ ids: ['x'] }).expect(400);
    await helper.request().post('/sf-upsert-out/dead-letters/retry').send({ ids: [letter!.id], node: 'nope' }).expect(404);

    const before = results.length;
    const res = await helper.request().post('/sf-upsert-out/dead-letters/retry').send({ ids: [letter!.id, 99999], node: 'up' }).expect(200);
    expect(res.body).to.deep.equal({ ready: [letter!.id], skipped: [{ id: 99999, reason: 'not found' }], replaying: true });
    await until(() => results.length > before, 'the replay');
    const replay = results[results.length - 1]!;
    expect(replay.retried).to.deep.equal([letter!.id]);
    // Still refused: the letter is open again, with both attempts counted.
    expect(outcomes(replay)).to.deep.equal(['dead-lettered']);
    const again = ((await helper.request().get(`/sf-upsert-out/dead-letters?sourceId=${sid('001', 50)}`).expect(200)).body as { letters: DeadLetter[] }).letters;
    expect(again.map((l) => [l.id, l.status, l.attempts])).to.deep.equal([[letter!.id, 'open', 2]]);
  });

  it('fails the whole message through Catch when the payload is not a batch of sync records', async () => {
    await load();
    helper.getNode('up').receive({ payload: 'hello' } as never);
    await until(() => caught.length === 1, 'a caught error');
    expect(caught[0]!.error!.message).to.equal('Error: sf-upsert-out.errors.not-batch: msg.payload must be an array of sync records (what sf-collect and sf-map-fields send), not a string');
    expect(caught[0]!.payload).to.equal('hello');
    helper.getNode('up').receive({ payload: [account(60), { Name: 'no source Id' }] } as never);
    await until(() => caught.length === 2, 'a second caught error');
    expect(caught[1]!.error!.message).to.equal('Error: sf-upsert-out.errors.not-batch: msg.payload[1].object is required');
    helper.getNode('up').receive({ payload: [{ ...account(61), origin: undefined }] } as never);
    await until(() => caught.length === 3, 'a third caught error');
    expect(caught[2]!.error!.message).to.match(/^Error: sf-upsert-out\.errors\.not-batch: msg\.payload\[0\] \(\w+\) has no source org: set origin\.orgId on the record or msg\.s2s\.source\.orgId$/);
    helper.getNode('up').receive({ payload: [account(62)], s2s: { source: { orgId: hq }, target: { orgId: hq } } } as never);
    await until(() => caught.length === 4, 'a fourth caught error');
    expect(caught[3]!.error!.message).to.match(/^Error: The batch was mapped for org \w+ \(msg\.s2s\.target\.orgId\), but this node writes to org \w+; check the connection$/);
    expect(caught[3]!.error!.code).to.equal('WRONG_TARGET');
    expect(results).to.have.length(0);
    expect(lastStatus()).to.deep.equal({ fill: 'red', shape: 'ring', text: 'sf-upsert-out.status.batch-failed' });
    expect(byHqId('Account').has(sid('001', 60))).to.equal(false);
  });

  it('shows an unavailable target in its status and dead-letters the batch as transient', async () => {
    await load({ maxAttempts: '2' });
    await write([account(70)]);
    await emulator.orgDown('subsidiary');
    const out = await write([account(70, { Industry: 'Retail' })]);
    expect(outcomes(out)).to.deep.equal(['dead-lettered']);
    expect((out.payload as RecordResult[])[0]!.error).to.include({ category: 'transient' });
    expect(statuses()).to.deep.include({ fill: 'red', shape: 'ring', text: 's2s.connection.unavailable' });
    expect(lastStatus()).to.deep.equal({ fill: 'red', shape: 'ring', text: 's2s.connection.unavailable' });
    expect(failures).to.have.length(1);
  });

  it('writes batches one at a time in arrival order, and files a batch refused as busy as dead letters', async () => {
    await load();
    const node = helper.getNode('up');
    const payloadOf = (i: number) => (i === 0 ? [account(80)] : i === 21 ? [account(81)] : []);
    for (let i = 0; i < 22; i++) node.receive({ _seq: i, payload: payloadOf(i), s2s: { source: { orgId: hq } } } as never);
    await until(() => results.length === 21, '21 results');
    expect(results.map((m) => m._seq)).to.deep.equal(Array.from({ length: 21 }, (_, i) => i));
    expect(caught.map((m) => [m._seq, m.error!.message])).to.deep.equal([[21, 'Error: sf-upsert-out.errors.busy. sf-upsert-out.errors.filed']]);
    expect(outcomes(results[0]!)).to.deep.equal(['created']);
    // The refused record is not lost: it waits as a transient dead letter, and a replay writes it.
    const open = (await helper.request().get('/sf-upsert-out/dead-letters?status=open').expect(200)).body as { letters: DeadLetter[] };
    const busy = open.letters.filter((l) => l.errorCode === 'BUSY');
    expect(busy.map((l) => [l.sourceId, l.category])).to.deep.equal([[sid('001', 81), 'transient']]);
    node.receive({ topic: 'retry-dead-letters', payload: {} } as never);
    await until(() => results.length === 22, 'the replay result');
    expect(outcomes(results[21]!)).to.deep.equal(['created']);
    expect(byHqId('Account').has(sid('001', 81))).to.equal(true);
  });

  it('releases the ledger when closed', async () => {
    await load();
    await write([account(90)]);
    // The node bundles its own copy of lib/ledger, so ledgerHolders() here cannot see its lease; SQLite
    // keeps the write-ahead log while any connection is open and removes it when the last one closes.
    expect(existsSync(`${ledgerPath}-wal`)).to.equal(true);
    await helper.unload();
    expect(existsSync(`${ledgerPath}-wal`)).to.equal(false);
    const reopened = Ledger.open(ledgerPath);
    try {
      expect(reopened.idMapEntry(hq, sid('001', 90), subsidiary().orgId)?.targetId).to.equal(byHqId('Account').get(sid('001', 90))!.Id);
    } finally {
      reopened.close();
    }
  });
});
