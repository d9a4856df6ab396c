import { expect } from 'chai';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Emulator } from '../../emulator/index.js';
import { Ledger, RECORD_LEVEL } from '../../lib/ledger/index.js';
import { STATUS_CSV_COLUMNS, type StatusChartPoint, type StatusReport, type StatusTableRow } from '../../lib/status/index.js';
import { runtimeContext } from '../../lib/runtime/context.js';
import { writeSampleOf } from '../../lib/status/live-metrics.js';
import { startTestEmulator, testOrgSpec } from '../support/emulator.js';
import { builtNode, collect, helper, until } from '../support/node-red.js';

const sfConnection = builtNode('sf-connection');
const sfSyncStatus = builtNode('sf-sync-status');

const SRC = '00D000000000001AAA';
const TGT = '00D000000000002AAA';
const HOUR = 3_600_000;

interface Msg {
  topic?: string;
  payload: unknown;
  filename?: string;
  action?: string;
  error?: { message: string };
}

/** Collects the messages a helper node receives. */


const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What sf-upsert-out sends after writing a batch. */
function written(records: number, apiCalls: number, extra: Record<string, unknown> = {}) {
  return {
    payload: Array.from({ length: records }, (_, i) => ({ object: 'Account', sourceId: `001${i}`, targetObject: 'Account', outcome: 'created', attempts: 1 })),
    s2s: {
      source: { orgId: SRC, name: 'HQ' }, target: { orgId: TGT, name: 'Subsidiary' }, object: 'Account', batchId: 'b1', runId: 'r1', level: 0, last: true,
      write: { records, apiCalls, created: records, updated: 0, unchanged: 0, deleted: 0, failed: 0, deadLettered: 0, resends: 0, durationMs: 200 },
    },
    ...extra,
  };
}

describe('sf-sync-status node', () => {
  const userDir = mkdtempSync(path.join(tmpdir(), 's2s-status-'));
  let ledgerPath: string;

  /** Counts and dead letters as sf-upsert-out files them, in a ledger the node then opens. */
  function fillLedger(fill: (ledger: Ledger, now: number) => void): void {
    const ledger = Ledger.open(ledgerPath);
    try {
      fill(ledger, Date.now());
    } finally {
      ledger.close();
    }
  }

  const standard = (ledger: Ledger, now: number) => {
    ledger.recordSamples([
      { orgId: SRC, orgName: 'HQ', at: now - HOUR, status: 'available', severity: 'info', latencyMs: 10, apiUsed: 10, apiLimit: 1000, reason: '' },
      { orgId: TGT, orgName: 'Subsidiary', at: now - HOUR, status: 'available', severity: 'info', latencyMs: 10, apiUsed: 20, apiLimit: 1000, reason: '' },
    ]);
    ledger.addSyncCounts(SRC, TGT, [
      { object: 'Account', field: RECORD_LEVEL, synced: 1234, skipped: 10, deadLettered: 3 },
      { object: 'Account', field: 'Name', synced: 1234, deadLettered: 3 },
    ], now - 2 * HOUR);
    ledger.addDeadLetters([{
      sourceOrg: SRC, sourceId: '001X', targetOrg: TGT, object: 'Account', targetObject: 'Account', operation: 'upsert', record: { Name: 'x' },
      errorCode: 'STRING_TOO_LONG', message: 'Name: too long, "really"', category: 'permanent', fields: ['Name'], attempts: 1,
    }], now - 2 * HOUR);
  };

  beforeEach((done) => {
    runtimeContext().metrics.reset();
    ledgerPath = path.join(userDir, `ledger-${Date.now()}-${Math.random()}.sqlite`);
    helper.settings({ userDir, sfLedgerPath: ledgerPath } as never);
    helper.startServer(done);
  });
  afterEach(async () => {
    await helper.unload();
    await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
  });

  const flow = (status: Record<string, unknown> = {}, extra: Array<Record<string, unknown>> = []) => [
    { id: 'tab', type: 'tab' },
    {
      id: 'st', type: 'sf-sync-status', z: 'tab', name: 'status', interval: '0', windowHours: '24', sourceConnection: '', targetConnection: '', object: '',
      wires: [['reports'], ['dash'], ['runs']], ...status,
    },
    { id: 'reports', type: 'helper', z: 'tab' },
    { id: 'runs', type: 'helper', z: 'tab' },
    { id: 'dash', type: 'helper', z: 'tab' },
    { id: 'catcher', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
    ...extra,
  ] as never;

  type Spied = { status: { lastCall: { args: Array<{ fill: string; text: string }> } } };

  it('answers any message with the status table, and shows the window in its status', async () => {
    fillLedger(standard);
    await helper.load(sfSyncStatus as never, flow());
    const reports = collect<Msg>('reports');
    const dash = collect<Msg>('dash');
    helper.getNode('st').receive({ payload: 'now', topic: 'manual' } as never);
    await until(() => reports.length === 1, 'a report');
    expect(reports[0]!.topic).to.equal('manual');
    const r = reports[0]!.payload as StatusReport;
    expect(r).to.have.keys(['generatedAt', 'window', 'filter', 'totals', 'objects', 'fields', 'live', 'orgs']);
    expect(r.window.hours).to.equal(24);
    expect(r.totals).to.include({ synced: 1234, skipped: 10, deadLettered: 3, deadLettersOpen: 1 });
    expect(r.objects.map((o) => [o.sourceName, o.targetName, o.object])).to.deep.equal([['HQ', 'Subsidiary', 'Account']]);
    expect(r.fields.map((f) => [f.field, f.synced, f.lastError?.code])).to.deep.equal([['Name', 1234, 'STRING_TOO_LONG']]);
    expect(dash).to.have.length(0);
    const status = (helper.getNode('st') as unknown as Spied).status.lastCall.args[0]!;
    expect(status).to.include({ fill: 'yellow', text: 'sf-sync-status.status.summary' });

    helper.getNode('st').receive({ payload: 1, windowHours: 1 } as never);
    await until(() => reports.length === 2, 'a one-hour report');
    expect(reports[1]!.topic).to.equal('status');
    expect((reports[1]!.payload as StatusReport).totals.processed).to.equal(0);
  });

  it('answers topic csv with the status CSV and a file name', async () => {
    fillLedger(standard);
    await helper.load(sfSyncStatus as never, flow());
    const reports = collect<Msg>('reports');
    helper.getNode('st').receive({ topic: 'csv', payload: '' } as never);
    await until(() => reports.length === 1, 'a CSV');
    const csv = reports[0]!.payload as string;
    expect(csv.split('\n')[0]).to.equal(STATUS_CSV_COLUMNS.join(','));
    expect(reports[0]!.filename).to.match(/^sync-status-\d{8}-\d{4}Z\.csv$/);
    const rows = parse(csv, { columns: true }) as Array<Record<string, string>>;
    expect(rows.map((row) => [row.level, row.field, row.synced])).to.deep.equal([['object', '', '1234'], ['field', 'Name', '1234']]);
    expect(rows[1]!.lastErrorMessage).to.equal('Name: too long, "really"');
  });

  it('answers topic dead-letters-csv with the dead letters of the window', async () => {
    fillLedger(standard);
    await helper.load(sfSyncStatus as never, flow());
    const reports = collect<Msg>('reports');
    helper.getNode('st').receive({ topic: 'dead-letters-csv', payload: '' } as never);
    await until(() => reports.length === 1, 'a dead letters CSV');
    expect(reports[0]!.filename).to.match(/^dead-letters-\d{8}-\d{4}Z\.csv$/);
    const rows = parse(reports[0]!.payload as string, { columns: true }) as Array<Record<string, string>>;
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ sourceId: '001X', errorCode: 'STRING_TOO_LONG', status: 'open', fields: 'Name', message: 'Name: too long, "really"' });
  });

  it('sends a ui-table and a ui-chart message on its schedule', async () => {
    fillLedger(standard);
    await helper.load(sfSyncStatus as never, flow({ interval: '5' }));
    const reports = collect<Msg>('reports');
    const dash = collect<Msg>('dash');
    await until(() => dash.length >= 3, 'the first scheduled dashboard messages', 4_000);
    expect(dash.slice(0, 3).map((m) => [m.topic, m.action])).to.deep.equal([['table', 'replace'], ['chart', 'replace'], ['lag', 'replace']]);
    const rows = dash[0]!.payload as StatusTableRow[];
    expect(rows).to.deep.equal([{
      source: 'HQ', target: 'Subsidiary', object: 'Account', synced: 1234, skipped: 10, failed: 0, deadLettered: 3, successPercent: 99.8,
      recordsPerSecond: rows[0]!.recordsPerSecond, apiCalls: null, lastError: 'STRING_TOO_LONG: Name: too long, "really"', lastErrorAt: rows[0]!.lastErrorAt,
    }]);
    const points = dash[1]!.payload as StatusChartPoint[];
    expect(new Set(points.map((p) => p.series))).to.deep.equal(new Set(['Account synced', 'Account failed']));
    expect(points.filter((p) => p.series === 'Account synced').reduce((s, p) => s + p.y, 0)).to.equal(1234);
    expect(points.filter((p) => p.series === 'Account failed').reduce((s, p) => s + p.y, 0)).to.equal(3);
    expect(reports).to.have.length(0);
  });

  it('sends the dashboard messages on topic dashboard when it has no schedule', async () => {
    fillLedger(standard);
    await helper.load(sfSyncStatus as never, flow());
    const reports = collect<Msg>('reports');
    const dash = collect<Msg>('dash');
    helper.getNode('st').receive({ topic: 'dashboard' } as never);
    await until(() => dash.length === 3, 'dashboard messages');
    expect(dash.map((m) => m.topic)).to.deep.equal(['table', 'chart', 'lag']);
    expect(dash[2]!.payload, 'no change event written, no lag').to.deep.equal([]);
    expect(reports).to.have.length(0);
  });

  it('charts the replication lag of change-event writes and reports it for the last minute', async () => {
    fillLedger(standard);
    await helper.load(sfSyncStatus as never, flow());
    const reports = collect<Msg>('reports');
    const dash = collect<Msg>('dash');
    const metrics = runtimeContext().metrics;
    for (const lagMs of [400, 900, 2_600]) {
      const w = written(5, 1);
      (w.s2s.write as { lagMs?: number }).lagMs = lagMs;
      metrics.observe(writeSampleOf(w)!);
    }
    metrics.observe(writeSampleOf(written(5, 1))!);
    helper.getNode('st').receive({ topic: 'dashboard' } as never);
    await until(() => dash.length === 3, 'dashboard messages');
    const points = dash[2]!.payload as Array<{ series: string; x: number; y: number }>;
    expect(new Set(points.map((p) => p.series))).to.deep.equal(new Set(['lag (max)', 'lag (median)']));
    expect(Math.max(...points.filter((p) => p.series === 'lag (max)').map((p) => p.y))).to.equal(2.6);
    helper.getNode('st').receive({ topic: 'status' } as never);
    await until(() => reports.length === 1, 'a report');
    expect((reports[0]!.payload as StatusReport).live!.lastMinute.lag).to.deep.equal({ writes: 3, p50Ms: 900, maxMs: 2_600, lastMs: 2_600 });
  });

  it('reports the writes every sf-upsert-out records in the shared runtime context, not the messages it is fed', async () => {
    fillLedger(standard);
    await helper.load(sfSyncStatus as never, flow());
    const reports = collect<Msg>('reports');
    const node = helper.getNode('st');
    const metrics = runtimeContext().metrics;
    // What the writers of this Node-RED recorded (the built nodes and this test share one context).
    metrics.observe(writeSampleOf(written(200, 1))!);
    metrics.observe(writeSampleOf(written(50, 2))!);
    // A write message wired into the status node is tallied for its run, not counted a second time.
    node.receive(written(10, 1) as never);
    await pause(200);
    expect(reports, 'write messages are tallied, not answered').to.have.length(0);
    node.receive({ topic: 'status' } as never);
    await until(() => reports.length === 1, 'a report');
    const r = reports[0]!.payload as StatusReport;
    expect(r.totals.apiCalls).to.equal(3);
    expect(r.objects[0]!.apiCalls).to.equal(3);
    expect(r.live).to.deep.include({ writes: 2, records: 250, apiCalls: 3 });
    expect(r.live!.lastMinute.records).to.equal(250);
    expect(r.live!.lastMinute.recordsPerSecond).to.be.greaterThan(0);
  });

  it('counts only the writes of the org pair and object it filters on', async () => {
    fillLedger(standard);
    await helper.load(sfSyncStatus as never, flow({ object: 'Account' }));
    const reports = collect<Msg>('reports');
    const metrics = runtimeContext().metrics;
    metrics.observe(writeSampleOf(written(20, 1))!);
    const contacts = written(7, 5);
    contacts.s2s.object = 'Contact';
    for (const r of contacts.payload) Object.assign(r, { object: 'Contact', targetObject: 'Contact' });
    metrics.observe(writeSampleOf(contacts)!);
    helper.getNode('st').receive({ topic: 'status' } as never);
    await until(() => reports.length === 1, 'a report');
    expect((reports[0]!.payload as StatusReport).live).to.deep.include({ writes: 1, records: 20, apiCalls: 1 });
  });

  it('sends one sync report on output 3 once every batch of a run is written, on the message that started the run', async () => {
    await helper.load(sfSyncStatus as never, flow());
    const reports = collect<Msg>('reports');
    const runs = collect<Msg & { statusCode?: number; _msgid?: string; res?: unknown }>('runs');
    const node = helper.getNode('st');
    const res = { marker: 'the HTTP response of the request' };
    const batch = (n: number) => written(n, 1, { _msgid: 'm1', res });
    // sf-collect's run summary: two batches of Accounts, 250 records, 7 calls on the source.
    node.receive({ _msgid: 'm1', res, payload: { runId: 'r1', object: 'Account', objects: { Account: 250 }, records: 250, batches: 2, apiCalls: 7, missingRootIds: [] } } as never);
    node.receive(batch(200) as never);
    await pause(100);
    expect(runs, 'not before the last batch').to.have.length(0);
    node.receive(batch(50) as never);
    await until(() => runs.length === 1, 'the sync report');
    const report = runs[0]!;
    expect(report).to.include({ topic: 'sync report', statusCode: 200, _msgid: 'm1' });
    expect(report.res).to.deep.equal(res);
    expect(report.payload).to.deep.include({ status: 'done', runId: 'r1', batches: 2, apiCalls: { source: 7, target: 2 } });
    expect((report.payload as { totals: Record<string, number> }).totals).to.include({ collected: 250, written: 250, created: 250, filtered: 0 });
    // Messages of a run are tallied, never answered with the status table.
    expect(reports).to.have.length(0);
    // A late message of the reported run changes nothing.
    node.receive(batch(1) as never);
    await pause(100);
    expect(runs).to.have.length(1);
  });

  it('reports a run that does not finish within the run timeout as still running (504)', async () => {
    await helper.load(sfSyncStatus as never, flow({ runTimeout: '1' }));
    const runs = collect<Msg & { statusCode?: number }>('runs');
    helper.getNode('st').receive(written(5, 1) as never);
    await until(() => runs.length === 1, 'the still-running report', 5_000);
    expect(runs[0]).to.include({ statusCode: 504 });
    expect(runs[0]!.payload).to.include({ status: 'still running', runId: 'r1', batches: null });
  });

  it('fails through Catch when a filter connection is not there', async () => {
    await helper.load(sfSyncStatus as never, flow({ targetConnection: 'gone' }));
    const caught = collect<Msg>('caught');
    helper.getNode('st').receive({ payload: 1 } as never);
    await until(() => caught.length === 1, 'a caught error');
    expect(caught[0]!.error!.message).to.match(/sf-sync-status.errors.no-connection$/);
  });

  it('stops its schedule and releases the ledger when closed', async () => {
    await helper.load(sfSyncStatus as never, flow({ interval: '5' }));
    const dash = collect<Msg>('dash');
    // The node runs from the built bundle, with its own ledger registry: closing shows as SQLite
    // removing the write-ahead log when its last connection to the file closes.
    expect(existsSync(`${ledgerPath}-wal`)).to.equal(true);
    await helper.unload();
    expect(existsSync(`${ledgerPath}-wal`)).to.equal(false);
    await pause(1500);
    expect(dash).to.have.length(0);
  });

  describe('with connections as filters', () => {
    let emulator: Emulator;
    before(async () => {
      emulator = await startTestEmulator([testOrgSpec('alpha'), testOrgSpec('beta')]);
    });
    after(() => emulator.stop());

    const conn = (id: string, org: string) => ({
      id, type: 'sf-connection', z: 'tab', name: org, environment: 'custom', domain: emulator.org(org).instanceUrl, apiVersion: '62.0',
      authFlow: 'client-credentials', clientId: `cid-${org}`, callOptionsClient: 'OrgBridge', apiBudgetPercent: '80',
    });

    it('logs a filter connection in once to learn its org Id, and reports only that pair', async () => {
      const alpha = emulator.org('alpha').orgId;
      const beta = emulator.org('beta').orgId;
      fillLedger((ledger, now) => {
        ledger.addSyncCounts(alpha, beta, [{ object: 'Account', field: RECORD_LEVEL, synced: 5 }], now - HOUR);
        ledger.addSyncCounts(beta, alpha, [{ object: 'Account', field: RECORD_LEVEL, synced: 7 }], now - HOUR);
      });
      await helper.load([sfConnection, sfSyncStatus] as never, flow({ sourceConnection: 'connA', targetConnection: 'connB' }, [conn('connA', 'alpha'), conn('connB', 'beta')]), {
        connA: { clientSecret: 'secret-alpha' }, connB: { clientSecret: 'secret-beta' },
      });
      const reports = collect<Msg>('reports');
      helper.getNode('st').receive({ payload: 1 } as never);
      await until(() => reports.length === 1, 'a report');
      const r = reports[0]!.payload as StatusReport;
      expect(r.filter).to.deep.equal({ sourceOrg: alpha, targetOrg: beta });
      // Names of logged-in connections stand in for orgs the ledger has no name for.
      expect(r.objects.map((o) => [o.sourceName, o.targetName, o.synced])).to.deep.equal([['alpha', 'beta', 5]]);
      // Logging in is not an API call; nothing else was asked of either org.
      expect(emulator.org('alpha').limits.counts().total).to.equal(0);
      expect(emulator.org('beta').limits.counts().total).to.equal(0);
    });

    it('answers topic runtime with the snapshot of the shared runtime context, and keeps it in global context as orgbridge', async () => {
      await helper.load([sfConnection, sfSyncStatus] as never, flow({}, [conn('connA', 'alpha')]), { connA: { clientSecret: 'a-secret-value' } });
      const reports = collect<Msg>('reports');
      runtimeContext().metrics.observe(writeSampleOf(written(3, 1))!);
      helper.getNode('st').receive({ topic: 'runtime' } as never);
      await until(() => reports.length === 1, 'the snapshot');
      const snap = reports[0]!.payload as { connections: Array<{ id: string; name: string }>; metrics: { writes: number }; acks: { open: number }; retries: unknown[]; sources: unknown[] };
      expect(snap.connections.map((c) => [c.id, c.name])).to.deep.equal([['connA', 'alpha']]);
      expect(snap.metrics.writes).to.equal(1);
      expect(snap.acks.open).to.equal(0);
      expect(snap.retries).to.deep.equal([]);
      expect(JSON.stringify(snap), 'no secret in the snapshot').not.to.include('a-secret-value');
      // The same snapshot, as plain JSON, for function nodes and dashboards.
      const global = helper.getNode('st').context().global;
      await until(() => (global.get('orgbridge') as { metrics?: { writes: number } } | undefined)?.metrics?.writes === 1, 'the snapshot in global context', 4_000);
      const stored = global.get('orgbridge') as object;
      expect(JSON.parse(JSON.stringify(stored))).to.deep.equal(stored);
    });
  });
});
