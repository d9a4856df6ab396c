/**
 * Example 11 as shipped, in the real Node-RED runtime against the demo orgs: the demo inject
 * generates data in HQ through the emulator's control API, the initial load reads each object by
 * the path its count calls for (Contact above the threshold by Bulk API 2.0), every record arrives
 * under the right parents, and a second load writes nothing. The dashboard's two change nodes turn
 * the progress and summary messages into the bar's percentage and the line of text.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import jsonata from 'jsonata';
import { startDemoEmulator, type Emulator } from '../../emulator/index.js';
import type { BulkRunSummary } from '../../lib/bulk/bulk-run.js';
import type { RecordResult } from '../../lib/sync/types.js';
import { ALL_NODES, CREDENTIALS, deployable, EXAMPLES, helper, received, until, type FlowNode, type Msg } from './support.js';

const EXAMPLE = '11 Initial load of a whole org';
const OBJECTS = ['Account', 'Contact', 'Opportunity'];

type Summary = BulkRunSummary & { runId: string };
interface Row extends Record<string, unknown> {
  Id: string;
}

describe('example 11: initial load of a whole org', function () {
  this.timeout(180_000);
  let emulator: Emulator;
  let dir: string;

  before(async () => {
    emulator = await startDemoEmulator();
    dir = mkdtempSync(path.join(tmpdir(), 'orgbridge-ex11-'));
    helper.settings({ userDir: dir, sfLedgerPath: path.join(dir, 'ledger.sqlite') } as never);
    await new Promise<void>((resolve) => helper.startServer(resolve));
  });
  afterEach(() => helper.unload());
  after(async () => {
    await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
    await emulator.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  type Call = { thisValue: unknown; args: Array<{ text?: string }> };
  const statusText = (id: string) => {
    const node = helper.getNode(id) as unknown as { status: { getCalls(): Call[] } };
    return node.status.getCalls().filter((c) => c.thisValue === node).pop()?.args[0]?.text;
  };
  const written = (results: Msg[]) => results.flatMap((m) => m.payload as RecordResult[]);
  const press = (id: string) => helper.getNode(id).receive({} as never);

  it('generates some 50,000 HQ records in three objects with 4-level hierarchies, loads them with Contact on the Bulk API path and every lookup right, and a second load writes nothing', async () => {
    const hq = (o: string) => emulator.org('hq').snapshot(o) as Row[];
    const sub = (o: string) => (emulator.org('subsidiary').snapshot(o) as Row[]).filter((r) => r.HQ_Id__c);
    const urls = { hq: emulator.org('hq').instanceUrl, subsidiary: emulator.org('subsidiary').instanceUrl };
    const flows = deployable([EXAMPLE], urls, {
      // The emulator of this test listens on a port of its own, not the shipped 8700.
      'ex11-generate-request': { url: `${emulator.loginUrl}/__emulator__/orgs/hq/generate` },
      'ex11-write': { baseDelayMs: '1' },
      'ex11-read': { progressEvery: '1' },
    });
    await helper.load(ALL_NODES as never, flows as never, CREDENTIALS);
    const generated = received('ex11-generated');
    const side = received('ex11-progress');
    const results = received('ex11-results');
    const errors = received('ex11-errors');
    const deadLetters = received('ex11-dead-letters');
    const rejected = received('ex11-rejected');
    await until(() => flows.filter((n) => n.type === 'sf-map-fields').every((n) => String(statusText(n.id) ?? '').includes('ready')), 'the mappers to compile');
    await until(() => statusText('ex11-read') === 'sf-bulk-query.status.idle', 'the bulk query to be ready');

    // Some 50,000 records through the same node as the demo button: Contact goes above the
    // example's threshold of 10,000 while Account and Opportunity stay below it.
    helper.getNode('ex11-generate-request').receive({ payload: { accounts: 8500, contactsPerAccount: 4, opportunitiesPerAccount: 1, seed: 11 } } as never);
    await until(() => generated.length === 1, 'the generator to answer');
    expect(generated[0]!.statusCode).to.equal(201);
    const made = generated[0]!.payload as { accounts: number; contacts: number; opportunities: number; maxDepth: number };
    // Contacts and opportunities per account are averages.
    expect(made).to.include({ accounts: 8500, maxDepth: 4 });
    expect(made.contacts).to.be.within(30_000, 38_000);
    expect(made.opportunities).to.be.within(7000, 9999);
    expect(made.accounts + made.contacts + made.opportunities, 'records in three objects').to.be.at.least(48_000);

    const counts = Object.fromEntries(OBJECTS.map((o) => [o, hq(o).length]));
    const total = OBJECTS.reduce((n, o) => n + counts[o]!, 0);
    press('ex11-start');
    const summaries = () => side.filter((m) => m.topic === 'summary').map((m) => m.payload as Summary);
    await until(() => summaries().length === 1, 'the summary of the load', 150_000);
    const summary = summaries()[0]!;
    expect(summary).to.include({ finished: true, failedBatches: 0, written: total, total });
    expect(summary.objects.map((o) => [o.object, o.path, o.count])).to.deep.equal([
      ['Account', 'rest', counts.Account], ['Contact', 'bulk', counts.Contact], ['Opportunity', 'rest', counts.Opportunity],
    ]);
    expect(side.some((m) => m.topic === 'progress'), 'progress while loading').to.equal(true);
    expect(errors.map((m) => m.error)).to.deep.equal([]);
    expect(deadLetters).to.deep.equal([]);

    // The Account mapping keeps partners in HQ (its filter, evaluated here as the mapper does);
    // their contacts and opportunities arrive without an account.
    const shipped = JSON.parse(String(flows.find((n) => n.id === 'ex11-map-account')!.mapping)) as { filter: { expression: string } };
    const keep = jsonata(shipped.filter.expression);
    const filtered = new Set<string>();
    for (const a of hq('Account')) if (!(await keep.evaluate(a))) filtered.add(a.Id);
    expect(filtered.size, 'partner accounts in HQ').to.be.greaterThan(0);
    expect(rejected).to.deep.equal([]);
    const twins = new Map<string, Row>();
    for (const o of OBJECTS) {
      const arrived = sub(o);
      for (const r of arrived) twins.set(r.HQ_Id__c as string, r);
      const expected = hq(o).filter((r) => !filtered.has(r.Id));
      expect(arrived.length, `${o} in the subsidiary`).to.equal(expected.length);
    }
    const twinId = (hqId: unknown) => (hqId && !filtered.has(hqId as string) ? twins.get(hqId as string)?.Id : undefined);
    let inHierarchies = 0;
    for (const a of hq('Account').filter((r) => !filtered.has(r.Id))) {
      expect(twins.get(a.Id)!.ParentId ?? undefined, `parent of account ${a.Id}`).to.equal(twinId(a.ParentId));
      if (twins.get(a.Id)!.ParentId) inHierarchies++;
    }
    expect(inHierarchies, 'accounts under a parent').to.be.greaterThan(2000);
    for (const o of ['Contact', 'Opportunity']) {
      for (const r of hq(o).filter((x) => !filtered.has(x.Id))) expect(twins.get(r.Id)!.AccountId ?? undefined, `account of ${o} ${r.Id}`).to.equal(twinId(r.AccountId));
    }
    const first = written(results);
    // Contacts come in batches of 5,000, above sf-upsert-out's Bulk API threshold of 2,000.
    const jobs = results.reduce((n, m) => n + (m.s2s?.write?.bulkJobs ?? 0), 0);
    expect(jobs, 'Bulk API ingest jobs').to.be.at.least(2);
    expect(new Set(first.map((r) => r.sourceId)).size, 'each record written once').to.equal(first.length);

    // The same load again: everything is read, nothing is written.
    const calls = emulator.org('subsidiary').limits.counts().total;
    const before = results.length;
    press('ex11-start');
    await until(() => summaries().length === 2, 'the summary of the second load', 150_000);
    expect(summaries()[1]).to.include({ finished: true, total });
    const again = written(results.slice(before));
    expect(again.length).to.equal(first.length);
    // Children of partner accounts too: their lookups wait in the ledger, and are not asked for again.
    expect(again.filter((r) => r.outcome !== 'unchanged')).to.deep.equal([]);
    expect(emulator.org('subsidiary').limits.counts().total, 'API calls of the subsidiary').to.equal(calls);

    // The demo button as shipped: 20,000 accounts with contacts, opportunities and hierarchies.
    press('ex11-generate');
    await until(() => generated.length === 2, 'the demo generator to answer', 60_000);
    const demo = generated[1]!.payload as { accounts: number; contacts: number; opportunities: number; maxDepth: number };
    expect(demo).to.include({ accounts: 20_000, maxDepth: 4 });
    expect(demo.contacts).to.be.within(50_000, 70_000);
    expect(demo.opportunities).to.be.within(30_000, 50_000);
    expect(hq('Account').length).to.equal(counts.Account! + 20_000);
  });

  it("feeds the dashboard's progress bar and line of text from progress and summary messages", async () => {
    const dashboard = JSON.parse(readFileSync(path.join(EXAMPLES, 'dashboard', 'Sync status dashboard.json'), 'utf8')) as FlowNode[];
    const link = dashboard.find((n) => n.id === 'sync-dash-load')!;
    expect(link.links).to.deep.equal(['ex11-to-load-dashboard']);
    const example = JSON.parse(readFileSync(path.join(EXAMPLES, `${EXAMPLE}.json`), 'utf8')) as FlowNode[];
    expect(example.find((n) => n.id === 'ex11-to-load-dashboard')!.links).to.deep.equal(['sync-dash-load']);
    const changes = (link.wires as string[][])[0]!.map((id) => dashboard.find((n) => n.id === id)!);
    expect(changes.map((n) => n.type)).to.deep.equal(['change', 'change']);
    await helper.load(ALL_NODES as never, [
      { id: 'tab', type: 'tab', label: 'dashboard' },
      ...changes.map((n, i) => ({ ...n, z: 'tab', wires: [[`out${i}`]] })),
      { id: 'out0', type: 'helper', z: 'tab' },
      { id: 'out1', type: 'helper', z: 'tab' },
    ] as never);
    const percent = received('out0');
    const text = received('out1');
    // One message to two wires is two copies in Node-RED; the change nodes set msg.payload.
    const send = (msg: Record<string, unknown>) => changes.forEach((n) => helper.getNode(n.id).receive(structuredClone(msg) as never));
    const messages = [
      { topic: 'progress', payload: { object: 'Contact', path: 'bulk', written: 12_345, total: 98_000, perSecond: 5432.1, etaMs: 14_000 } },
      { topic: 'progress', payload: { object: 'Account', path: 'rest', written: 0, total: 0, perSecond: 0, etaMs: null } },
      { topic: 'summary', payload: { finished: true, stopped: false, written: 98_000, total: 98_000, durationMs: 23_456 } },
      { topic: 'summary', payload: { finished: false, stopped: true, written: 5000, total: 98_000, durationMs: 1000 } },
    ];
    // JSONata answers asynchronously: one message at a time keeps the answers in order.
    for (const [i, m] of messages.entries()) {
      send(m);
      await until(() => text.length === i + 1 && percent.length === i + 1, `message ${i + 1} through both nodes`);
    }
    expect(percent.map((m) => m.payload)).to.deep.equal([12.6, 0, 100, 5.1]);
    expect(text.map((m) => m.payload)).to.deep.equal([
      'Contact (Bulk API): 12,345 of 98,000 written, 5,432 per second, about 14 s left',
      'Account (REST): 0 of 0 written, 0 per second',
      'done: 98,000 records written in 23 s',
      'stopped at 5,000 of 98,000; the next initial load goes on from there',
    ]);
  });
});
