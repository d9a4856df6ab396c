import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEMO_CREDENTIALS, startDemoEmulator, type Emulator } from '../../emulator/index.js';
import type { OrgConnection } from '../../lib/connection/org-connection.js';
import type { BatchMeta, SyncRecord } from '../../lib/sync/types.js';
import { runtimeContext } from '../../lib/runtime/context.js';
import { hqConnection, idOf } from '../lib/collect/helpers.js';
import { builtNode, helper, until } from '../support/node-red.js';

const require = createRequire(__filename);
const sfConnection = builtNode('sf-connection');
const sfCollect = builtNode('sf-collect');
const sfUpsertOut = builtNode('sf-upsert-out');
const switchNode = require('@node-red/nodes/core/function/10-switch.js') as unknown;
// The core Split/Join nodes: the Join rebuilds a run from msg.parts as a user's flow would.
const splitJoin = require('@node-red/nodes/core/sequence/17-split.js') as unknown;

interface Msg {
  _msgid?: string;
  topic?: string;
  payload: unknown;
  parts?: { id: string; index: number; count: number; type: string; len: number; parts?: unknown };
  s2s?: BatchMeta;
  error?: { message: string };
}

interface Summary {
  runId: string;
  object: string;
  objects: Record<string, number>;
  records: number;
  batches: number;
  apiCalls: number;
  deferred: unknown[];
  missingRootIds: string[];
  durationMs: number;
}

interface Preview {
  objects: Array<{ object: string; count: number; sample: SyncRecord[] }>;
  totalRecords: number;
  apiCalls: number;
  method: string;
}

type Spy = { lastCall?: { args: Array<{ fill?: string; shape?: string; text?: string }> } };

/** Collects the messages a helper node receives. */
function received(id: string, into: Msg[] = []): Msg[] {
  (helper.getNode(id) as unknown as NodeJS.EventEmitter).on('input', (msg: Msg) => into.push(msg));
  return into;
}


const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const records = (batches: Msg[]) => batches.flatMap((m) => m.payload as SyncRecord[]);

/** Every reference to a record of the run points at an earlier batch (unless deferred); returns how many were checked. */
function assertParentsFirst(batches: Msg[]): number {
  const at = new Map<string, number>();
  batches.forEach((b, i) => (b.payload as SyncRecord[]).forEach((r) => {
    expect(at.has(r.sourceId), `${r.sourceId} sent twice`).to.equal(false);
    at.set(r.sourceId, i);
  }));
  let checked = 0;
  batches.forEach((b, i) => {
    for (const r of b.payload as SyncRecord[]) {
      for (const ref of r.references) {
        const p = at.get(ref.id);
        if (p === undefined || ref.deferred) continue;
        checked++;
        expect(p, `${r.object} ${r.sourceId} in batch ${i}, its ${ref.field} parent in batch ${p}`).to.be.lessThan(i);
      }
    }
  });
  return checked;
}

describe('sf-collect node', function () {
  this.timeout(30_000);
  let emulator: Emulator;
  let direct: OrgConnection;

  before(async () => {
    emulator = await startDemoEmulator();
  });
  after(() => emulator.stop());
  // The writer of the acknowledgement test opens a ledger: in a temporary directory, not the checkout.
  const userDir = mkdtempSync(path.join(tmpdir(), 's2s-collect-'));
  beforeEach((done) => {
    emulator.org('hq').reset();
    direct = hqConnection(emulator);
    helper.settings({ userDir, sfLedgerPath: path.join(userDir, 'ledger.sqlite') } as never);
    helper.startServer(done);
  });
  afterEach(async () => {
    direct.close();
    await helper.unload();
    await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
  });

  const calls = () => emulator.org('hq').limits.counts().total;
  const status = () => (helper.getNode('c') as unknown as { status: Spy }).status.lastCall?.args[0];

  const flow = (collect: Record<string, unknown> = {}) => [
    { id: 'tab', type: 'tab' },
    {
      id: 'conn', type: 'sf-connection', z: 'tab', name: 'hq', environment: 'custom', domain: emulator.org('hq').instanceUrl, apiVersion: '62.0',
      authFlow: 'client-credentials', clientId: DEMO_CREDENTIALS.hq.clientId, callOptionsClient: 'OrgBridge', apiBudgetPercent: '80',
    },
    {
      id: 'c', type: 'sf-collect', z: 'tab', name: 'collect', connection: 'conn', object: 'Account', mode: 'ids', where: '', depth: '2',
      parents: 'all', parentFields: '', children: '', batchSize: '200', preview: false, wires: [['batches', 'joiner'], ['summary']], ...collect,
    },
    {
      id: 'joiner', type: 'join', z: 'tab', name: '', mode: 'auto', build: 'object', property: 'payload', propertyType: 'msg', key: 'topic',
      joiner: '\\n', joinerType: 'str', accumulate: false, timeout: '', count: '', reduceRight: false, wires: [['joined']],
    },
    { id: 'batches', type: 'helper', z: 'tab' },
    { id: 'joined', type: 'helper', z: 'tab' },
    { id: 'summary', type: 'helper', z: 'tab' },
    { id: 'catcher', type: 'catch', z: 'tab', scope: ['c'], uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
    { id: 'completer', type: 'complete', z: 'tab', scope: ['c'], uncaught: false, wires: [['completed']] },
    { id: 'completed', type: 'helper', z: 'tab' },
  ];
  const creds = { conn: { clientSecret: DEMO_CREDENTIALS.hq.clientSecret } };

  async function load(collect: Record<string, unknown> = {}) {
    await helper.load([sfConnection, sfCollect, splitJoin] as never, flow(collect) as never, creds);
    return {
      batches: received('batches'),
      joined: received('joined'),
      summaries: received('summary'),
      caught: received('caught'),
      completed: received('completed'),
      send: (msg: Record<string, unknown>) => helper.getNode('c').receive(msg as never),
    };
  }

  it('collects a leaf account to depth 5 with contacts and opportunities: parents first, parts for Join, exact summary', async () => {
    const chain = ['Altura San Francisco Plant', 'Altura West', 'Altura USA', 'Altura Americas', 'Altura Industries'];
    const accountIds = await Promise.all(chain.map((n) => idOf(direct, 'Account', n)));
    const count = async (object: string) =>
      (await direct.run((c) => c.query(`SELECT Id FROM ${object} WHERE AccountId IN ('${accountIds.join("','")}')`))).totalSize;
    const expected = { Account: 5, Contact: await count('Contact'), Opportunity: await count('Opportunity') };
    expect(expected.Contact).to.be.greaterThan(0);
    expect(expected.Opportunity).to.be.greaterThan(0);

    const io = await load({ depth: '5', children: 'Contacts, Opportunities' });
    const before = calls();
    io.send({ payload: accountIds[0], topic: 'manual', requestedBy: 'test' });
    await until(() => io.summaries.length === 1, 'the run summary');
    await until(() => io.joined.length === 1, 'the joined run');

    const summary = io.summaries[0]!.payload as Summary;
    expect(summary.objects).to.deep.equal(expected);
    expect(summary.records).to.equal(5 + expected.Contact + expected.Opportunity);
    expect(summary.batches).to.equal(io.batches.length);
    expect(summary.missingRootIds).to.deep.equal([]);
    expect(summary.apiCalls, 'API calls in the summary').to.equal(calls() - before);
    expect(summary.durationMs).to.be.a('number');

    // Batches: one object and level each, the input's other properties copied, parts counting them.
    const all = records(io.batches);
    expect(all).to.have.length(summary.records);
    io.batches.forEach((m, i) => {
      expect(m.topic).to.equal('manual');
      expect((m as unknown as { requestedBy: string }).requestedBy).to.equal('test');
      expect(m.parts).to.deep.equal({ id: summary.runId, index: i, count: io.batches.length, type: 'array', len: 200 });
      expect(m.s2s).to.include({ runId: summary.runId, last: i === io.batches.length - 1 });
      expect(new Set((m.payload as SyncRecord[]).map((r) => r.object))).to.deep.equal(new Set([m.s2s!.object]));
    });
    expect(assertParentsFirst(io.batches)).to.be.greaterThan(expected.Contact + expected.Opportunity);
    const accountsInOrder = all.filter((r) => r.object === 'Account').map((r) => r.fields.Name);
    expect(accountsInOrder).to.deep.equal([...chain].reverse());

    // A core Join in automatic mode rebuilds the whole run, in order.
    expect((io.joined[0]!.payload as SyncRecord[]).map((r) => r.sourceId)).to.deep.equal(all.map((r) => r.sourceId));
    expect(io.joined[0]!.parts).to.equal(undefined);

    expect(io.caught).to.deep.equal([]);
    expect(io.completed, 'done() once').to.have.length(1);
    expect(status()).to.deep.equal({ fill: 'green', shape: 'dot', text: 'sf-collect.status.done' });
  });

  it('collects a whole object on any trigger payload, in several batches per hierarchy level', async () => {
    const io = await load({ mode: 'all', depth: '0', batchSize: '7' });
    const before = calls();
    io.send({ payload: Date.now() });
    await until(() => io.summaries.length === 1 && io.joined.length === 1, 'the run');
    const summary = io.summaries[0]!.payload as Summary;
    expect(summary).to.include({ object: 'Account', records: 30, apiCalls: calls() - before });
    expect(io.batches.length).to.equal(summary.batches).and.to.be.greaterThan(5);
    for (const m of io.batches) expect((m.payload as unknown[]).length).to.be.at.most(7);
    // No sf-upsert-out downstream: nothing would acknowledge the batches, so none carries a handle and none is waited for.
    for (const m of io.batches) expect(m.s2s!.ack).to.equal(undefined);
    expect(runtimeContext().source('c')).to.deep.include({ inFlight: 0, released: 0, state: 'idle' });
    // Depth 0 follows no lookups, but ParentId still orders the hierarchy within the object.
    expect(assertParentsFirst(io.batches)).to.equal(18);
    expect(io.joined[0]!.payload as unknown[]).to.have.length(30);
  });

  it('nests an incoming sequence in msg.parts, as a core Split does', async () => {
    const io = await load({ depth: '0', parents: 'none' });
    const outer = { id: 'outer', index: 1, count: 3, type: 'array', len: 1 };
    io.send({ payload: await idOf(direct, 'Account', 'Juniper Media'), parts: outer });
    await until(() => io.joined.length === 1, 'the joined run');
    expect(io.batches[0]!.parts!.parts).to.deep.equal(outer);
    expect(io.joined[0]!.parts).to.deep.equal(outer);
  });

  it('ANDs the configured Where with a filter from the message, whose values cannot inject SOQL', async () => {
    const io = await load({ mode: 'filter', where: "Industry = 'Manufacturing'", depth: '0' });
    io.send({ payload: { filter: { Name: { op: 'startsWith', value: 'Altura' } } } });
    await until(() => io.summaries.length === 1, 'the first summary');
    expect((io.summaries[0]!.payload as Summary).records).to.equal(10);

    const sentBefore = io.batches.length;
    for (const [i, filter] of [
      { Name: "x' OR Name != '" },
      { Name: { op: 'like', value: "%' OR Name LIKE '%" } },
      { Name: { in: ["x') OR (Name != 'x"] } },
    ].entries()) {
      io.send({ payload: { filter } });
      await until(() => io.summaries.length === i + 2, `summary ${i + 2}`);
      const s = io.summaries[i + 1]!.payload as Summary;
      expect(s.records, JSON.stringify(filter)).to.equal(0);
      expect(s.batches).to.equal(0);
    }
    expect(io.batches.length, 'nothing sent on output 1').to.equal(sentBefore);
    // A malformed query would have failed: every run ended with done().
    expect(io.caught).to.deep.equal([]);
    expect(io.completed).to.have.length(4);
  });

  it('refuses field names and a where from the message before any API call', async () => {
    const io = await load({ mode: 'filter', depth: '0' });
    const before = calls();
    io.send({ payload: { filter: { "Name = 'x' OR Id": 'y' } } });
    io.send({ payload: { where: "Name != ''" } });
    io.send({ payload: { filter: { Name: { op: 'matches', value: 'x' } } } });
    io.send({ payload: {} });
    await until(() => io.caught.length === 4, 'four errors');
    const messages = io.caught.map((m) => m.error!.message);
    expect(messages[0]).to.match(/sf-collect\.errors\.input: msg\.payload\.filter: 'Name = 'x' OR Id' is not an API name/);
    expect(messages[1]).to.match(/msg\.payload has an unknown property 'where'/);
    expect(messages[2]).to.match(/msg\.payload\.filter: Name: unknown operator 'matches'/);
    expect(messages[3]).to.match(/no condition to collect by: write a Where condition in the node, or send msg\.payload\.filter/);
    expect(calls()).to.equal(before);
    expect(io.summaries).to.deep.equal([]);
    expect(status()).to.deep.equal({ fill: 'red', shape: 'ring', text: 'sf-collect.status.invalid' });
  });

  it('sends an invalid Id, or one of another object, to Catch with a reason naming it', async () => {
    const io = await load();
    const valid = await idOf(direct, 'Account', 'Juniper Media');
    const contact = (await direct.run((c) => c.query<{ Id: string }>('SELECT Id FROM Contact LIMIT 1'))).records[0]!.Id;
    const before = calls();
    io.send({ payload: [valid, "001' OR Id != '"] });
    io.send({ payload: { ids: 'abc' } });
    io.send({ payload: { ids: [valid], depth: 9 } });
    io.send({ payload: 1700000000000 });
    await until(() => io.caught.length === 4, 'four errors');
    const messages = io.caught.map((m) => m.error!.message);
    expect(messages[0]).to.match(/msg\.payload: record Id #2 \('001' OR Id != ''\) is not a Salesforce Id/);
    expect(messages[1]).to.match(/msg\.payload\.ids: record Id #1 \('abc'\) is not a Salesforce Id/);
    expect(messages[2]).to.match(/msg\.payload\.depth must be a whole number from 0 to 5, got 9/);
    expect(messages[3]).to.match(/no records to collect: send msg\.payload as a record Id/);
    expect(calls(), 'no API call for invalid input').to.equal(before);
    // The caught message is the one sent in.
    expect(io.caught[1]!.payload).to.deep.equal({ ids: 'abc' });

    io.send({ payload: contact });
    await until(() => io.caught.length === 5, 'the wrong-object error');
    expect(io.caught[4]!.error!.message).to.match(new RegExp(`record Id ${contact} is not a Account Id \\(Account Ids start with 001\\)`));
    expect(io.completed).to.deep.equal([]);
  });

  it('previews counts and samples on output 2 only, reporting its API calls', async () => {
    const io = await load({ mode: 'filter', depth: '1', parents: 'none', children: 'Contacts, Opportunities' });
    const payload = { filter: { Name: { op: 'like', value: 'Altura%' } } };
    const before = calls();
    io.send({ payload, preview: true });
    await until(() => io.summaries.length === 1, 'the preview');
    const preview = io.summaries[0]!.payload as Preview;
    expect(preview.method).to.equal('count');
    expect(preview.apiCalls).to.equal(calls() - before);
    expect(preview.objects.map((o) => o.object)).to.deep.equal(['Account', 'Contact', 'Opportunity']);
    expect(preview.objects[0]!.count).to.equal(12);
    for (const o of preview.objects) {
      expect(o.sample).to.have.length(Math.min(3, o.count));
      for (const r of o.sample) expect(r.object).to.equal(o.object);
    }
    expect(preview.totalRecords).to.equal(preview.objects.reduce((n, o) => n + o.count, 0));
    await sleep(100);
    expect(io.batches).to.deep.equal([]);
    expect(status()).to.deep.equal({ fill: 'blue', shape: 'dot', text: 'sf-collect.status.preview' });

    // The same selection collected: the counts agree.
    io.send({ payload });
    await until(() => io.summaries.length === 2, 'the run');
    const counts = Object.fromEntries(preview.objects.map((o) => [o.object, o.count]));
    expect((io.summaries[1]!.payload as Summary).objects).to.deep.equal(counts);
    expect(io.completed).to.have.length(2);
  });

  it('goes on without a batch no writer acknowledges once its Ack timeout runs out, and warns about each one', async function () {
    this.timeout(40_000);
    // One account and its contacts: two batches.
    const id = await idOf(direct, 'Account', 'Altura San Francisco Plant');
    const nodes = flow({ depth: '1', parents: 'none', children: 'Contacts', inFlight: '1', ackTimeout: '5' });
    // A switch that lets nothing through stands between sf-collect and the writer.
    (nodes.find((n) => n.id === 'c') as { wires: string[][] }).wires[0]!.push('drop-all');
    nodes.push(
      { id: 'drop-all', type: 'switch', z: 'tab', name: 'nothing passes', property: 'topic', propertyType: 'msg', rules: [{ t: 'eq', v: 'never', vt: 'str' }], checkall: 'true', repair: false, outputs: 1, wires: [['writer']] } as never,
      { id: 'writer', type: 'sf-upsert-out', z: 'tab', name: 'write', connection: 'conn', maxInFlight: '2', maxAttempts: '5', baseDelayMs: '1', wires: [[], []] } as never,
    );
    await helper.load([sfConnection, sfCollect, sfUpsertOut, splitJoin, switchNode] as never, nodes as never, creds);
    const batches = received('batches');
    const summaries = received('summary');
    helper.getNode('c').receive({ payload: id } as never);
    await until(() => batches.length === 1, 'the first batch');
    expect(batches[0]!.s2s!.ack).to.have.length(1);
    await sleep(1500);
    expect(batches, 'the second batch waits for the first to be acknowledged').to.have.length(1);
    expect(status()).to.deep.include({ fill: 'yellow', text: 'sf-collect.status.waiting' });
    expect(runtimeContext().source('c')).to.deep.include({ inFlight: 1, state: 'waiting for acknowledgements' });
    await until(() => batches.length === 2, 'the second batch once the first is released', 10_000);
    const warnings = (helper.getNode('c') as unknown as { warn: { args: unknown[][] } }).warn.args.map((a) => String(a[0]));
    expect(warnings.filter((w) => w.includes('sf-collect.warnings.released'))).to.have.length(1);
    await until(() => summaries.length === 1, 'the run summary');
    expect((summaries[0]!.payload as Summary).batches).to.equal(2);
    await until(() => runtimeContext().source('c')?.released === 2, 'the second batch released as well', 10_000);
    expect(status()).to.deep.include({ fill: 'yellow', text: 'sf-collect.status.released' });
  });

  it('reads everything again after a run whose batches were released unwritten: no watermark without the writer\'s acknowledgements', async function () {
    this.timeout(40_000);
    const nodes = flow({ mode: 'filter', where: "Name = 'Altura San Francisco Plant'", read: 'changes', depth: '1', parents: 'none', children: '', inFlight: '1', ackTimeout: '5' });
    (nodes.find((n) => n.id === 'c') as { wires: string[][] }).wires[0]!.push('drop-all');
    nodes.push(
      { id: 'drop-all', type: 'switch', z: 'tab', name: 'nothing passes', property: 'topic', propertyType: 'msg', rules: [{ t: 'eq', v: 'never', vt: 'str' }], checkall: 'true', repair: false, outputs: 1, wires: [['writer']] } as never,
      { id: 'writer', type: 'sf-upsert-out', z: 'tab', name: 'write', connection: 'conn', maxInFlight: '2', maxAttempts: '5', baseDelayMs: '1', wires: [[], []] } as never,
    );
    await helper.load([sfConnection, sfCollect, sfUpsertOut, splitJoin, switchNode] as never, nodes as never, creds);
    const summaries = received('summary');
    const readOf = (i: number) => (summaries[i]!.payload as { read: { changes: boolean; reason: string } }).read;
    helper.getNode('c').receive({ payload: '' } as never);
    await until(() => summaries.length === 1, 'the first run summary', 15_000);
    expect(readOf(0)).to.deep.equal({ changes: false, reason: 'first run' });
    await until(() => (runtimeContext().source('c')?.released ?? 0) >= 1, 'its batch released unwritten', 15_000);
    helper.getNode('c').receive({ payload: '' } as never);
    await until(() => summaries.length === 2, 'the second run summary', 15_000);
    // Nothing was written, so there is no point to read changes from: everything again.
    expect(readOf(1)).to.deep.equal({ changes: false, reason: 'first run' });
  });

  it('runs one collection at a time, queues up to 10 more and refuses the next as busy', async () => {
    const io = await load({ depth: '0', parents: 'none' });
    const id = await idOf(direct, 'Account', 'Juniper Media');
    emulator.org('hq').faults.add({ path: '/query', action: { type: 'latency', ms: 60 } });
    const events: string[] = [];
    (helper.getNode('batches') as unknown as NodeJS.EventEmitter).on('input', (m: Msg) => events.push(`batch ${m.topic}`));
    (helper.getNode('summary') as unknown as NodeJS.EventEmitter).on('input', (m: Msg) => events.push(`summary ${m.topic}`));
    for (let i = 0; i < 12; i++) io.send({ payload: id, topic: `run-${i}` });
    await until(() => io.caught.length === 1, 'the busy error');
    expect(io.caught[0]!.topic).to.equal('run-11');
    expect(io.caught[0]!.error!.message).to.match(/sf-collect\.errors\.busy$/);
    await until(() => io.summaries.length === 11, 'eleven runs', 20_000);
    // In arrival order, never interleaved.
    expect(events).to.deep.equal(Array.from({ length: 11 }, (_, i) => [`batch run-${i}`, `summary run-${i}`]).flat());
    expect(io.completed).to.have.length(11);
  });

  it('stops a running collection on close: no more sends or API calls, queued messages fail', async () => {
    const io = await load({ mode: 'all', depth: '3', children: 'Contacts, Opportunities', batchSize: '5' });
    emulator.org('hq').faults.add({ path: '/query', action: { type: 'latency', ms: 150 } });
    const before = calls();
    io.send({ payload: '', topic: 'running' });
    io.send({ payload: '', topic: 'queued-1' });
    io.send({ payload: '', topic: 'queued-2' });
    await until(() => calls() - before >= 3, 'the run to be under way');
    expect(status()).to.include({ fill: 'yellow', shape: 'ring' });
    await (helper.getNode('c') as unknown as { close(removed: boolean): Promise<void> }).close(false);
    const [sent, made] = [io.batches.length + io.summaries.length, calls()];
    await sleep(800);
    expect(io.batches.length + io.summaries.length, 'sends after close').to.equal(sent);
    expect(calls(), 'API calls after close').to.equal(made);
    expect(io.summaries).to.deep.equal([]);
    await until(() => io.caught.length === 3, 'three errors');
    const byTopic = Object.fromEntries(io.caught.map((m) => [m.topic, m.error!.message]));
    expect(byTopic.running).to.match(/sf-collect\.errors\.failed: sf-collect\.errors\.closed$/);
    expect(byTopic['queued-1']).to.match(/sf-collect\.errors\.closed-queued$/);
    expect(byTopic['queued-2']).to.match(/sf-collect\.errors\.closed-queued$/);
  });

  it('fails at deploy and on input when the configuration is invalid', async () => {
    const io = await load({ object: "Account WHERE Name != ''", depth: '7' });
    expect(status()).to.deep.equal({ fill: 'red', shape: 'ring', text: 'sf-collect.status.config' });
    const id = await idOf(direct, 'Account', 'Juniper Media');
    const before = calls();
    io.send({ payload: id });
    await until(() => io.caught.length === 1, 'the error');
    expect(io.caught[0]!.error!.message).to.match(/sf-collect\.errors\.config: Object: 'Account WHERE Name != ''' is not an API name.*; Depth must be a whole number from 0 to 5, not '7'/);
    expect(calls()).to.equal(before);
  });

  it('says so at deploy and on input when it has no connection', async () => {
    const io = await load({ connection: '' });
    expect(status()).to.deep.equal({ fill: 'red', shape: 'ring', text: 's2s.connection.none' });
    io.send({ payload: await idOf(direct, 'Account', 'Juniper Media') });
    await until(() => io.caught.length === 1, 'the error');
    expect(io.caught[0]!.error!.message).to.match(/sf-collect\.errors\.no-connection$/);
  });

  it('fails through Catch with the org\'s reason when an object does not exist', async () => {
    const io = await load();
    io.send({ payload: { object: 'Nope__c', ids: ['001000000000001AAA'] } });
    await until(() => io.caught.length === 1, 'the error');
    expect(io.caught[0]!.error!.message).to.match(/sf-collect\.errors\.failed: describing Nope__c: /);
    expect(status()).to.include({ fill: 'red', shape: 'ring' });
  });
});
