/**
 * sf-bulk-query in the real Node-RED runtime against the demo orgs, wired as an initial load is:
 * bulk read of HQ's accounts, contacts and opportunities → the three mappings → sf-upsert-out.
 * Every record arrives once with its lookups, progress and a summary come out of the second
 * output, a second start while a run is under way is refused, a stopped run goes on where it
 * stood, a redeploy resumes an interrupted run by itself, and bad input is caught before any call.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateOrgData, startDemoEmulator, type Emulator } from '../../emulator/index.js';
import { mappingTemplate, type Mapping } from '../../lib/mapping/index.js';
import type { BulkRunProgress, BulkRunSummary } from '../../lib/bulk/bulk-run.js';
import type { ProgressFigures } from '../../lib/bulk/progress.js';
import type { RecordResult } from '../../lib/sync/types.js';
import { ALL_NODES, CONNECTION_IDS, CREDENTIALS, helper, P, pipelineFlow, received, until, type Msg } from './support.js';

/** What output 2 carries: the run's summary, or its progress with the rate figures. */
type Summary = BulkRunSummary & { runId: string };
type Progress = BulkRunProgress & ProgressFigures & { read: number; runId: string };
interface Row extends Record<string, unknown> {
  Id: string;
}

const BULK = 'bulk';

describe('sf-bulk-query in a load flow', function () {
  this.timeout(120_000);
  let emulator: Emulator;
  let dir: string;
  let expected: number;
  /** HQ records the demo subsidiary holds already (matched by HQ_Id__c, so updated, not created). */
  let twinned: number;
  let preexisting: Set<string>;

  before(async () => {
    emulator = await startDemoEmulator();
  });
  after(() => emulator.stop());
  beforeEach(async () => {
    for (const org of emulator.orgs.values()) org.reset();
    generateOrgData(emulator.org('hq'), { seed: 11, accounts: 600, contactsPerAccount: 2, opportunitiesPerAccount: 1 });
    expected = ['Account', 'Contact', 'Opportunity'].reduce((n, o) => n + emulator.org('hq').snapshot(o).length, 0);
    preexisting = new Set(['Account', 'Contact', 'Opportunity'].flatMap((o) => emulator.org('subsidiary').snapshot(o).map((r) => r.HQ_Id__c as string).filter(Boolean)));
    twinned = preexisting.size;
    dir = mkdtempSync(path.join(tmpdir(), 'orgbridge-bulk-'));
    helper.settings({ userDir: dir, sfLedgerPath: path.join(dir, 'ledger.sqlite') } as never);
    await new Promise<void>((resolve) => helper.startServer(resolve));
  });
  afterEach(async () => {
    await helper.unload();
    await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  const urls = () => ({ hq: emulator.org('hq').instanceUrl, subsidiary: emulator.org('subsidiary').instanceUrl });
  function flow(bulk: Record<string, unknown> = {}) {
    // The template's filter keeps partner accounts in HQ; here every record is to arrive.
    const { filter: _partners, ...account } = mappingTemplate('Account');
    const nodes = pipelineFlow(urls(), { mappings: { Account: account as Mapping } }).filter((n) => n.id !== P.collect);
    nodes.push(
      {
        id: BULK, type: 'sf-bulk-query', z: 'tab', x: 100, y: 10, name: 'HQ initial load', connection: CONNECTION_IDS.hq, objects: 'Account, Contact, Opportunity',
        where: '', dateField: '', from: '', to: '', owner: '', include: '', exclude: '', queryAll: false, path: 'auto', threshold: '1000',
        checkpointName: '', batchSize: '200', inFlight: '4', ackTimeout: '300', progressEvery: '1', resume: true,
        wires: [[P.mapAccount], ['side']], ...bulk,
      },
      { id: 'side', type: 'helper', z: 'tab' },
      { id: 'done', type: 'complete', z: 'tab', scope: [BULK], uncaught: false, wires: [['completed']] },
      { id: 'completed', type: 'helper', z: 'tab' },
    );
    return nodes;
  }
  async function load(bulk: Record<string, unknown> = {}) {
    await helper.load(ALL_NODES as never, flow(bulk) as never, CREDENTIALS);
    const side = received('side');
    return {
      side,
      results: received(P.results),
      caught: received(P.caught),
      deadLetters: received(P.deadLetters),
      rejected: received(P.rejected),
      completed: received('completed'),
      summaries: () => side.filter((m) => m.topic === 'summary').map((m) => m.payload as Summary),
      progress: () => side.filter((m) => m.topic === 'progress').map((m) => m.payload as Progress),
      send: (msg: Record<string, unknown>) => helper.getNode(BULK).receive(msg as never),
    };
  }
  type Call = { thisValue: unknown; args: Array<{ fill: string; text: string }> };
  // The helper spies on every node's status through one spy: the last call made by this node.
  const status = (id = BULK) => {
    const node = helper.getNode(id) as unknown as { status: { getCalls(): Call[] } };
    return node.status.getCalls().filter((c) => c.thisValue === node).pop()?.args[0];
  };
  const written = (results: Msg[]) => results.flatMap((m) => m.payload as RecordResult[]);

  /** Every HQ record is in the subsidiary once, under the parent its HQ twin has. */
  function assertLoaded() {
    const hq = (o: string) => emulator.org('hq').snapshot(o) as Row[];
    const sub = (o: string) => (emulator.org('subsidiary').snapshot(o) as Row[]).filter((r) => r.HQ_Id__c);
    const twins = new Map<string, Row>();
    for (const o of ['Account', 'Contact', 'Opportunity']) {
      const rows = sub(o);
      expect(rows, `${o} in the subsidiary`).to.have.length(hq(o).length);
      for (const r of rows) twins.set(r.HQ_Id__c as string, r);
    }
    const twinId = (hqId: unknown) => (hqId ? twins.get(hqId as string)?.Id : undefined);
    let parents = 0;
    for (const a of hq('Account')) {
      expect(twins.get(a.Id)!.ParentId ?? undefined, `parent of ${a.Id}`).to.equal(twinId(a.ParentId));
      if (a.ParentId) parents++;
    }
    for (const o of ['Contact', 'Opportunity']) for (const r of hq(o)) expect(twins.get(r.Id)!.AccountId, `account of ${o} ${r.Id}`).to.equal(twinId(r.AccountId));
    expect(parents, 'accounts in hierarchies').to.be.greaterThan(300);
  }

  /** Every record the load created in the subsidiary was written once: never modified after its creation. */
  function assertWrittenOnce() {
    let checked = 0;
    for (const o of ['Account', 'Contact', 'Opportunity']) {
      for (const r of emulator.org('subsidiary').snapshot(o) as Row[]) {
        if (!r.HQ_Id__c || preexisting.has(r.HQ_Id__c as string)) continue;
        expect(r.LastModifiedDate, `${o} ${r.Id} (HQ ${r.HQ_Id__c}) modified after its creation`).to.equal(r.CreatedDate);
        checked++;
      }
    }
    expect(checked).to.equal(expected - twinned);
  }

  it('loads three objects, each by the path its count calls for, with progress, a summary and every lookup right', async () => {
    const io = await load();
    await until(() => status()?.text === 'sf-bulk-query.status.idle', 'the node to be ready');
    io.send({ payload: Date.now(), topic: 'initial load' });
    await until(() => io.summaries().length === 1, 'the summary', 90_000);
    const summary = io.summaries()[0]!;
    expect(summary).to.deep.include({ finished: true, stopped: false, failedBatches: 0, written: expected, sent: expected, total: expected, resumedAt: 0 });
    // Some 630 accounts and as many opportunities lie under the threshold of 1,000; some 1,260 contacts above it.
    const n = (o: string) => emulator.org('hq').snapshot(o).length;
    expect(summary.objects.map((o) => [o.object, o.path, o.count, o.written])).to.deep.equal([
      ['Account', 'rest', n('Account'), n('Account')], ['Contact', 'bulk', n('Contact'), n('Contact')], ['Opportunity', 'rest', n('Opportunity'), n('Opportunity')],
    ]);
    const results = written(io.results);
    expect(results, 'every record written once').to.have.length(expected);
    expect(new Set(results.map((r) => r.sourceId)).size).to.equal(expected);
    expect(results.filter((r) => r.outcome === 'created')).to.have.length(expected - twinned);
    expect(results.filter((r) => r.outcome === 'updated')).to.have.length(twinned);
    for (const m of io.results) expect(m.s2s!.runId).to.equal(summary.runId);
    assertLoaded();
    assertWrittenOnce();
    expect(io.caught).to.deep.equal([]);
    expect(io.completed, 'done() once').to.have.length(1);
    expect(status()).to.deep.include({ fill: 'green', text: 'sf-bulk-query.status.done' });
    // Progress as it went, counting up to the whole.
    const progress = io.progress();
    for (const p of progress) {
      expect(p.runId).to.equal(summary.runId);
      expect(p.total).to.equal(expected);
      expect(p.written).to.be.at.most(p.read);
    }
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.written).to.be.at.least(progress[i - 1]!.written);
  });

  it('refuses a second start while reading, stops on msg.topic "stop", and goes on from there without writing a record twice', async () => {
    const io = await load({ batchSize: '50', inFlight: '1' });
    await until(() => status()?.text === 'sf-bulk-query.status.idle', 'the node to be ready');
    io.send({ payload: {} });
    await until(() => written(io.results).length >= 300, 'a few batches written');
    io.send({ payload: {} });
    await until(() => io.caught.length === 1, 'the refusal');
    expect(io.caught[0]!.error!.message).to.match(/^Error: sf-bulk-query\.errors\.busy/);
    expect(io.caught[0]!.error!.code).to.equal('BUSY');
    io.send({ topic: 'stop' });
    await until(() => io.summaries().length === 1, 'the summary of the stopped run');
    const first = io.summaries()[0]!;
    expect(first).to.include({ stopped: true, finished: false });
    expect(first.written).to.be.lessThan(expected);
    expect(status()).to.deep.include({ fill: 'grey', text: 'sf-bulk-query.status.stopped' });
    await until(() => written(io.results).length >= first.written, 'the batches in flight to settle');

    io.send({ payload: {} });
    await until(() => io.summaries().length === 2, 'the summary of the second run', 90_000);
    const second = io.summaries()[1]!;
    expect(second).to.include({ finished: true, total: expected });
    expect(second.resumedAt, 'the second run skipped what the first wrote').to.be.at.least(first.written);
    const results = written(io.results);
    expect(new Set(results.map((r) => r.sourceId)).size, 'every record').to.equal(expected);
    // A batch in flight when the stop came may be read again; none that was written is written again.
    const created = results.filter((r) => r.outcome === 'created');
    expect(new Set(created.map((r) => r.sourceId)).size).to.equal(created.length);
    expect(created).to.have.length(expected - twinned);
    assertLoaded();
    assertWrittenOnce();
  });

  it('goes on by itself after a redeploy interrupted a run, and a restart reads everything anew', async () => {
    let io = await load({ batchSize: '50', inFlight: '1' });
    await until(() => status()?.text === 'sf-bulk-query.status.idle', 'the node to be ready');
    io.send({ payload: {} });
    await until(() => written(io.results).length >= 400, 'some batches written');
    await helper.unload();
    // What the writer reported up to the redeploy, the batch it was writing included.
    const before = written(io.results);
    expect(emulator.org('subsidiary').snapshot('Account').length + emulator.org('subsidiary').snapshot('Contact').length).to.be.lessThan(expected);

    io = await load({ batchSize: '200', inFlight: '4' });
    await until(() => io.summaries().length === 1, 'the resumed run to finish', 90_000);
    const summary = io.summaries()[0]!;
    expect(summary).to.include({ finished: true, total: expected });
    expect(summary.resumedAt).to.be.greaterThan(0);
    const all = [...before, ...written(io.results)];
    expect(new Set(all.map((r) => r.sourceId)).size).to.equal(expected);
    // The batch in flight at the redeploy was written, and its result went with the old flow: read
    // again, its records come back unchanged. No record was written twice.
    const outcomes = (o: string) => all.filter((r) => r.outcome === o).length;
    expect(outcomes('created') + outcomes('unchanged')).to.equal(expected - twinned);
    expect(outcomes('unchanged'), 'at most the batch in flight').to.be.at.most(50);
    expect(outcomes('updated')).to.equal(twinned);
    assertWrittenOnce();
    assertLoaded();

    // A finished run leaves nothing to resume; restart: true reads every object anew, and the writer finds nothing changed.
    io.send({ payload: { restart: true } });
    await until(() => io.summaries().length === 2, 'the re-read', 90_000);
    expect(io.summaries()[1]!).to.include({ finished: true, resumedAt: 0, written: expected });
    const reread = written(io.results).slice(-expected);
    expect(new Set(reread.map((r) => r.outcome))).to.deep.equal(new Set(['unchanged']));
  });

  it('catches bad input before any API call, and names a bad configuration at deploy', async () => {
    const io = await load({ objects: 'Account', where: 'Industry = :industry' });
    await until(() => status()?.text === 'sf-bulk-query.status.idle', 'the node to be ready');
    // The mappings describe HQ as they compile: counted once they are ready.
    for (const id of [P.mapAccount, P.mapContact, P.mapOpportunity]) await until(() => status(id)?.text === 'sf-map-fields.status.ready', `${id} to compile`);
    const calls = emulator.org('hq').limits.counts().total;
    io.send({ payload: { industry: 'Energy' } });
    io.send({ payload: {} });
    await until(() => io.caught.length === 2, 'two errors');
    expect(io.caught.map((m) => m.error!.message)).to.deep.equal([
      'Error: sf-bulk-query.errors.input: msg.payload.industry is not something a bulk read takes; it takes params, from, to and restart',
      "Error: sf-bulk-query.errors.input: the WHERE uses :industry, and msg.payload.params has no 'industry': send msg.payload = { params: { industry: … } }",
    ]);
    expect(emulator.org('hq').limits.counts().total).to.equal(calls);
    expect(io.summaries()).to.deep.equal([]);

    // Placeholder values are escaped: a quote in one reads nothing rather than everything.
    io.send({ payload: { params: { industry: "x' OR Name != '" } } });
    await until(() => io.summaries().length === 1, 'the summary');
    expect(io.summaries()[0]!).to.include({ finished: true, total: 0, written: 0 });

    await helper.unload();
    const bad = await load({ objects: 'Account, 2Contacts', path: 'sometimes' });
    await until(() => status()?.text === 'sf-bulk-query.status.config', 'the configuration status');
    bad.send({ payload: {} });
    await until(() => bad.caught.length === 1, 'the error');
    // The helper's i18n answers with keys; the problems themselves are worded by bulkSettings (its own tests).
    expect(bad.caught[0]!.error).to.include({ message: 'Error: sf-bulk-query.errors.config', code: 'INVALID_CONFIGURATION' });
  });
});
