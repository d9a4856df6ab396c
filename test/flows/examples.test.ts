/**
 * The sync examples as shipped (examples/03 to 06), loaded together into the real Node-RED runtime
 * against the demo orgs, as `npm start` deploys them: only the connections are pointed at the
 * test's emulator, and each debug node is replaced by a helper node of the same id so the test
 * sees what the user would see in the debug sidebar.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { NodeAPI } from 'node-red';
import request from 'supertest';
import { startDemoEmulator, type Emulator } from '../../emulator/index.js';
import { MAPPING_TEMPLATES } from '../../lib/mapping/index.js';
import type { RunReport } from '../../lib/sync/run-tally.js';
import type { RecordResult } from '../../lib/sync/types.js';
import { connectDirect } from '../support/emulator.js';
import { ALL_NODES, CREDENTIALS, EXAMPLES, deployable, helper, readExample, until, type FlowNode, type Msg } from './support.js';

const SYNC_EXAMPLES = ['03 Sync one account with its related records', '04 Sync records on request over HTTP', '05 Resync a whole object', '06 Review and retry dead letters'];

/** The last status a node showed (the helper spies on every node's status calls). */
function lastStatus(id: string): { fill?: string; text?: string } | undefined {
  const node = helper.getNode(id) as unknown as { status: { args: unknown[][]; thisValues: unknown[] } };
  const calls = node.status.args.filter((_a, i) => node.status.thisValues[i] === node);
  return calls.at(-1)?.[0] as { fill?: string; text?: string } | undefined;
}

/** Messages each helper node (a debug node of the examples) receives. */
class Sidebar {
  private readonly got = new Map<string, Msg[]>();

  constructor(flows: FlowNode[]) {
    for (const n of flows.filter((f) => f.type === 'helper')) {
      const list: Msg[] = [];
      this.got.set(n.id, list);
      (helper.getNode(n.id) as unknown as NodeJS.EventEmitter).on('input', (msg: Msg) => list.push(msg));
    }
  }

  of(id: string): Msg[] {
    return this.got.get(id)!;
  }

  /** Presses an inject node and waits for the next message at `debugId`. */
  async press(injectId: string, debugId: string, ms = 30_000): Promise<Msg> {
    const list = this.of(debugId);
    const before = list.length;
    helper.getNode(injectId).receive({} as never);
    await until(() => list.length > before, `${debugId} after ${injectId}`, ms);
    return list[before]!;
  }
}

/** The sync report sf-sync-status sends (its third output), with what these tests read as present. */
type SyncReport = RunReport & Required<Pick<RunReport, 'objects' | 'totals' | 'apiCalls' | 'deadLetters' | 'errors' | 'notFound'>> & {
  preview?: { objects: Array<{ object: string; count: number }>; totalRecords: number };
};

describe('the sync examples (03 to 06) in Node-RED against the demo orgs', function () {
  this.timeout(60_000);
  let emulator: Emulator;
  let dir: string;
  let nodeApi: NodeAPI;
  let sidebar: Sidebar;
  let server: http.Server | undefined;
  const savedAdminUrl = process.env.ORGBRIDGE_ADMIN_URL;

  const hq = () => emulator.org('hq');
  const subsidiary = () => emulator.org('subsidiary');
  const post = (body: unknown) => request(nodeApi.httpNode).post('/s2s/sync').send(body as object);

  before(async () => {
    emulator = await startDemoEmulator();
    dir = mkdtempSync(path.join(tmpdir(), 'orgbridge-examples-'));
    helper.settings({ userDir: dir, sfLedgerPath: path.join(dir, 'ledger.sqlite'), httpNodeRoot: '/' } as never);
    await new Promise<void>((resolve) => helper.startServer(resolve));
    const urls = { hq: hq().instanceUrl, subsidiary: subsidiary().instanceUrl };
    // Retries without the examples' half-second waits, and a single attempt where letters are wanted.
    const fast = { baseDelayMs: '1' };
    const flows = deployable(SYNC_EXAMPLES, urls, { 'ex03-write': fast, 'ex04-write': { ...fast, maxAttempts: '2' }, 'ex05-write': fast, 'ex06-replay': fast });
    const captureApi = (RED: NodeAPI) => void (nodeApi = RED);
    await helper.load([...ALL_NODES, captureApi] as never, flows as never, CREDENTIALS);
    sidebar = new Sidebar(flows);
    // The helper's runtime does not serve its admin and node apps; Node-RED serves both on one port.
    const admin = (helper as unknown as { _httpAdmin: http.RequestListener })._httpAdmin;
    const nodeApp = nodeApi.httpNode as unknown as (req: http.IncomingMessage, res: http.ServerResponse, next: () => void) => void;
    server = http.createServer((req, res) => nodeApp(req, res, () => admin(req, res)));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    // Example 06 reads the dead-letter endpoint of this Node-RED's admin API, wherever it is.
    process.env.ORGBRIDGE_ADMIN_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // The mappers compile against both orgs' describes at deploy; API counts settle once they are ready.
    await until(() => flows.filter((n) => n.type === 'sf-map-fields').every((n) => lastStatus(n.id)?.text?.includes('ready')), 'the mappers to compile');
  });
  after(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
    await helper.unload();
    await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
    await emulator.stop();
    rmSync(dir, { recursive: true, force: true });
    if (savedAdminUrl === undefined) delete process.env.ORGBRIDGE_ADMIN_URL;
    else process.env.ORGBRIDGE_ADMIN_URL = savedAdminUrl;
  });

  it('carry the three templates as their mappings, and the demo connections', () => {
    for (const name of SYNC_EXAMPLES.slice(0, 3)) {
      const mappers = readExample(name).filter((n) => n.type === 'sf-map-fields');
      expect(mappers.map((m) => m.template), name).to.deep.equal(['Account', 'Contact', 'Opportunity']);
      for (const m of mappers) {
        expect(JSON.parse(m.mapping as string), `${name}: ${String(m.name)}`).to.deep.equal(MAPPING_TEMPLATES[m.template as 'Account']);
        expect([m.source, m.target]).to.deep.equal(['sf-conn-hq', 'sf-conn-subsidiary']);
      }
    }
    const upserts = SYNC_EXAMPLES.flatMap(readExample).filter((n) => n.type === 'sf-upsert-out');
    expect(upserts.map((n) => n.connection)).to.deep.equal(Array(4).fill('sf-conn-subsidiary'));
    const examples = readdirSync(EXAMPLES).filter((f) => f.endsWith('.json'));
    for (const f of examples) {
      const connections = (JSON.parse(readFileSync(path.join(EXAMPLES, f), 'utf8')) as FlowNode[]).filter((n) => n.type === 'sf-connection');
      for (const c of connections) expect(c, f).to.deep.equal(readExample('03 Sync one account with its related records').find((n) => n.id === c.id));
    }
  });

  describe('04: POST /s2s/sync', () => {
    const brightwave = { object: 'Account', filter: { Name: 'Brightwave Health' }, depth: 2 };

    it('answers 400 with what to fix for a body it cannot use, before any API call', async () => {
      const calls = hq().limits.counts().total;
      const bad = await post({ object: 'Lead', idz: ['x'], depth: 9 }).expect(400);
      expect(bad.body.status).to.equal('invalid request');
      expect(bad.body.problems).to.have.length(4);
      expect(bad.body.problems.join('\n')).to.match(/unknown property idz/).and.match(/object must be one of Account, Contact, Opportunity/)
        .and.match(/ids, filter, or both/).and.match(/depth must be a whole number from 0 to 5/);
      const notJson = await request(nodeApi.httpNode).post('/s2s/sync').set('content-type', 'text/plain').send('sync please').expect(400);
      expect(notJson.body.problems[0]).to.match(/must be a JSON object/);
      expect(hq().limits.counts().total, 'HQ API calls').to.equal(calls);
      // sf-collect's own refusals come back as 400 as well.
      const badId = await post({ object: 'Account', ids: ["001' OR Name != '"] }).expect(400);
      expect(badId.body.problems[0]).to.match(/not a Salesforce Id/);
      const badField = await post({ object: 'Account', filter: { Nmae: 'Acme' } }).expect(400);
      expect(badField.body.problems[0]).to.match(/no field 'Nmae'/);
    });

    it('previews without writing anything', async () => {
      const calls = subsidiary().limits.counts().total;
      const res = await post({ ...brightwave, preview: true }).expect(200);
      const body = res.body as SyncReport;
      expect(body.status).to.equal('preview');
      expect(Object.fromEntries(body.preview!.objects.map((o) => [o.object, o.count]))).to.deep.equal({ Account: 1, Contact: 1, Opportunity: 2 });
      expect(subsidiary().limits.counts().total).to.equal(calls);
    });

    it('syncs and answers with counts per object once every batch is written; the same request again writes nothing', async () => {
      const first = (await post(brightwave).expect(200)).body as SyncReport;
      expect(first.status).to.equal('done');
      // Brightwave Health was linked in the subsidiary already: updated, not created.
      expect(first.objects.Account).to.include({ collected: 1, written: 1, updated: 1, created: 0, deadLettered: 0 });
      expect(first.objects.Contact).to.include({ collected: 1, written: 1, created: 1 });
      expect(first.objects.Opportunity).to.include({ collected: 2, written: 2, created: 2 });
      expect(first.totals).to.include({ collected: 4, written: 4, unchanged: 0, deadLettered: 0, rejected: 0, failed: 0, filtered: 0 });
      expect(first.apiCalls.source).to.be.greaterThan(0);
      expect(first.apiCalls.target).to.be.greaterThan(0);
      const brightwaveId = hq().snapshot('Account').find((r) => r.Name === 'Brightwave Health')!.Id;
      expect(subsidiary().snapshot('Opportunity').filter((o) => String(o.Name).startsWith('Brightwave Health'))).to.have.length(2);

      const calls = subsidiary().limits.counts().total;
      const again = (await post({ object: 'Account', ids: [brightwaveId], depth: 2 }).expect(200)).body as SyncReport;
      expect(again.totals).to.include({ collected: 4, written: 0, unchanged: 4 });
      expect(again.apiCalls.target).to.equal(0);
      expect(subsidiary().limits.counts().total).to.equal(calls);
    });

    it('answers 404 for Ids the source org does not have, and takes several requests at once', async () => {
      const missing = await post({ object: 'Account', ids: ['001Do0000000099IAA'] }).expect(404);
      expect(missing.body.notFound).to.deep.equal(['001Do0000000099IAA']);
      const names = ['Falcon Aerospace', 'Ionic Energy', 'Lumen Retail'];
      const answers = await Promise.all(names.map((Name) => post({ object: 'Account', filter: { Name }, depth: 1 })));
      for (const a of answers) {
        expect(a.status).to.equal(200);
        expect((a.body as SyncReport).objects.Account).to.include({ collected: 1, written: 1 });
      }
      expect(new Set(answers.map((a) => (a.body as { runId: string }).runId)).size).to.equal(3);
    });

    it('lists records the subsidiary refuses among the dead letters of the answer', async () => {
      const ionic = hq().snapshot('Account').find((r) => r.Name === 'Ionic Energy')!;
      await connectDirect(emulator, 'hq').sobject('Account').update({ Id: ionic.Id as string, Phone: '+34 91 555 0199' });
      const target = subsidiary().snapshot('Account').find((r) => r.HQ_Id__c === ionic.Id)!;
      subsidiary().faults.lockRecords([target.Id as string]);
      try {
        const body = (await post({ object: 'Account', ids: [ionic.Id], depth: 1 }).expect(200)).body as SyncReport;
        expect(body.objects.Account).to.include({ deadLettered: 1, written: 0 });
        expect(body.deadLetters).to.have.length(1);
        expect(body.deadLetters[0]).to.include({ object: 'Account', sourceId: ionic.Id, code: 'UNABLE_TO_LOCK_ROW', category: 'transient' });
      } finally {
        subsidiary().faults.unlockRecords();
      }
    });
  });

  describe('06: dead letters', () => {
    it('lists the open letters, replays them, and exports them as CSV', async () => {
      const open = (await sidebar.press('ex06-list', 'ex06-open')).payload as { open: number; letters: Array<{ id: number; sourceId: string; error: string }> };
      expect(open.open).to.equal(1);
      expect(open.letters[0]!.error).to.match(/^UNABLE_TO_LOCK_ROW: /);
      const replayed = await sidebar.press('ex06-retry-all', 'ex06-replayed');
      expect((replayed.payload as RecordResult[]).map((r) => r.outcome)).to.deep.equal(['updated']);
      expect(replayed.retried).to.deep.equal([open.letters[0]!.id]);
      const ionic = hq().snapshot('Account').find((r) => r.Name === 'Ionic Energy')!;
      expect(subsidiary().snapshot('Account').find((r) => r.HQ_Id__c === ionic.Id)!.Phone).to.equal('+34 91 555 0199');
      expect(((await sidebar.press('ex06-list', 'ex06-open')).payload as { open: number }).open).to.equal(0);

      const csv = await sidebar.press('ex06-csv', 'ex06-csv-out');
      expect(csv.filename).to.match(/^dead-letters-.*\.csv$/);
      const rows = (csv.payload as string).trim().split('\n');
      expect(rows).to.have.length(2);
      expect(rows[1]).to.contain('resolved').and.contain('UNABLE_TO_LOCK_ROW');
    });
  });

  describe('03: manual sync of one account', () => {
    it('previews, then syncs the five-level chain with its contacts and opportunities, then finds nothing to write', async () => {
      const preview = (await sidebar.press('ex03-preview', 'ex03-report-out')).payload as SyncReport;
      expect(preview.status).to.equal('preview');
      expect(preview.preview!.objects.find((o) => o.object === 'Account')!.count).to.equal(5);

      const report = (await sidebar.press('ex03-sync', 'ex03-report-out')).payload as SyncReport;
      expect(report.status).to.equal('done');
      expect(report.objects.Account).to.include({ collected: 5, written: 5, created: 5 });
      expect(report.totals.written).to.equal(report.totals.collected);
      const leaf = hq().snapshot('Account').find((r) => r.Name === 'Altura San Francisco Plant')!;
      const inSubsidiary = subsidiary().snapshot('Account').find((r) => r.HQ_Id__c === leaf.Id)!;
      expect(inSubsidiary.ParentId).to.equal(subsidiary().snapshot('Account').find((r) => r.HQ_Id__c === leaf.ParentId)!.Id);

      const again = (await sidebar.press('ex03-sync', 'ex03-report-out')).payload as SyncReport;
      expect(again.totals).to.include({ written: 0, unchanged: report.totals.collected });
      // The inject by Id: a four-level chain of the Brightwave group.
      const byId = (await sidebar.press('ex03-sync-id', 'ex03-report-out')).payload as SyncReport;
      expect(byId.objects.Account).to.include({ collected: 4 });
      expect(sidebar.of('ex03-errors')).to.deep.equal([]);
      expect(sidebar.of('ex03-dead-letters')).to.deep.equal([]);
      expect(sidebar.of('ex03-rejected')).to.deep.equal([]);
      const status = await sidebar.press('ex03-status-now', 'ex03-status-table');
      expect((status.payload as { totals: { synced: number } }).totals.synced).to.be.greaterThan(0);
    });
  });

  describe('05: whole-object resync', () => {
    it('resyncs every account with its contacts and opportunities; the next resync reads only what changed since, deletes included, and a full one finds everything written', async () => {
      const counts = { Account: hq().snapshot('Account').length, Contact: hq().snapshot('Contact').length, Opportunity: hq().snapshot('Opportunity').length };
      const preview = (await sidebar.press('ex05-preview', 'ex05-report-out')).payload as SyncReport;
      expect(Object.fromEntries(preview.preview!.objects.map((o) => [o.object, o.count]))).to.deep.equal(counts);

      const report = (await sidebar.press('ex05-resync', 'ex05-report-out')).payload as SyncReport;
      expect(report.status).to.equal('done');
      for (const [object, n] of Object.entries(counts)) {
        expect(report.objects[object]!.collected, object).to.equal(n);
        expect(report.objects[object]!.written + report.objects[object]!.unchanged, object).to.equal(n);
        const inSubsidiary = subsidiary().snapshot(object).filter((r) => r.HQ_Id__c);
        expect(inSubsidiary, `${object} in the subsidiary`).to.have.length(n);
      }
      expect(report.totals).to.include({ deadLettered: 0, rejected: 0, failed: 0 });

      // Written completely once, the resync reads only what changed since: here nothing.
      let calls = subsidiary().limits.counts().total;
      const hqCalls = hq().limits.counts().total;
      const again = (await sidebar.press('ex05-resync', 'ex05-report-out')).payload as SyncReport;
      expect(again.status).to.equal('done');
      // At most the account example 04's test edited in HQ a moment ago (the read goes back a minute).
      expect(again.totals.collected).to.be.at.most(1);
      expect(again.totals).to.include({ written: 0 });
      expect(subsidiary().limits.counts().total).to.equal(calls);
      // Roots, the two children semi-joins, and the deletes of three objects.
      expect(hq().limits.counts().total - hqCalls).to.equal(6);

      // Two accounts edited, a contact deleted, an opportunity created: the next resync carries those.
      const [first, second] = hq().snapshot('Account');
      const gone = hq().snapshot('Contact').find((c) => c.AccountId)!;
      type Tx = { update(o: string, id: string, f: Record<string, unknown>): void; insert(o: string, f: Record<string, unknown>): string; delete(id: string): string };
      hq().transaction({ userId: [...hq().users.values()][0]!.id, api: 'ui', apiVersion: '65.0' }, ((tx: Tx) => {
        tx.update('Account', first!.Id as string, { Description: 'changed after the resync' });
        tx.update('Account', second!.Id as string, { Phone: '+1 555 0100' });
        tx.delete(gone.Id as string);
        tx.insert('Opportunity', { Name: 'New after the resync', AccountId: first!.Id, StageName: 'Prospecting', CloseDate: '2027-01-31' });
      }) as never);
      calls = subsidiary().limits.counts().total;
      const changed = (await sidebar.press('ex05-resync', 'ex05-report-out')).payload as SyncReport;
      expect(changed.status).to.equal('done');
      // The two edited, and what they point at (a parent account is read with them, and found unchanged).
      expect(changed.objects.Account).to.include({ written: 2, unchanged: changed.objects.Account!.collected - 2 });
      expect(changed.objects.Opportunity).to.include({ collected: 1, written: 1 });
      expect(changed.objects.Contact).to.include({ written: 1 });
      expect(subsidiary().snapshot('Account').find((a) => a.HQ_Id__c === first!.Id)!.Description).to.equal('changed after the resync');
      expect(subsidiary().snapshot('Contact').filter((c) => c.HQ_Id__c === gone.Id)).to.deep.equal([]);
      expect(subsidiary().snapshot('Opportunity').filter((o) => o.Name === 'New after the resync')).to.have.length(1);
      expect(subsidiary().limits.counts().total - calls).to.be.lessThan(8);

      // A full read compares everything again, and finds it all as written.
      const full = (await new Promise<Msg>((resolve) => {
        const list = sidebar.of('ex05-report-out');
        const before = list.length;
        helper.getNode('ex05-collect').receive({ payload: { full: true } } as never);
        void until(() => list.length > before, 'the full resync', 30_000).then(() => resolve(list[before]!));
      })).payload as SyncReport;
      expect(full.totals).to.include({ written: 0, unchanged: counts.Account + counts.Contact + counts.Opportunity });
    });
  });
});
