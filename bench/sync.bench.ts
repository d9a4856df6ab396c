/**
 * End-to-end sync benchmark, through Node-RED: the shipped example flow "05 Resync a whole object"
 * (sf-collect, reading on as its batches are acknowledged → Account, Contact and Opportunity mappings in series →
 * sf-upsert-out → sync status and its sync report) deployed in a real embedded Node-RED 4 (the runtime
 * `npm start` uses, scripts/demo/node-red-embed.mjs) with the built nodes from dist/ and an SQLite
 * ledger on disk, resyncing a generated source org into the demo subsidiary's schema.
 *
 *   BENCH_ACCOUNTS  accounts generated into the hq org (default 10,000), in hierarchies up to 4
 *                   deep, with 3 contacts and 2 opportunities each on average (about 30,000 and
 *                   20,000)
 *   BENCH_BATCH     sf-collect's batch size (default 200, as in the example)
 *   BENCH_IN_FLIGHT sf-upsert-out's calls at once (default 2, as in the example)
 *   BENCH_BULK_FROM sf-upsert-out's "Bulk API from" (default: none, REST only, as in the example);
 *                   with BENCH_BATCH at or above it, the writes go through Bulk API 2.0 jobs
 *   BENCH_RUNS      how many of the four runs to make (default 4), e.g. 1 to profile the first
 *   BENCH_KEEP_LEDGER a file to copy the ledger to at the end, to look into
 *
 * Four runs: the first (everything created), a rerun with nothing changed (example 05 reads
 * changes only once a run is written: a few queries), a rerun after 1 % of the accounts were
 * edited in HQ, and a full compare (`msg.payload.full`), which reads and hashes every record.
 *
 * The emulator (both orgs and their data) runs in a child process, so peak RSS is the Node-RED
 * process's own and the two do not share an event loop. API calls are the orgs' own counts
 * (source and target) over the run. The Account mapping runs without the template's partner
 * filter, so that every generated record is written. `bench/map-fields.bench.ts` gives the cost of
 * the mapping alone. Needs the build: `npm run build` first.
 */
import type { ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MAPPING_TEMPLATES } from '../lib/mapping/index.js';
import { runtimeContext } from '../lib/runtime/context.js';
import type { RunReport } from '../lib/sync/run-tally.js';
import { benchConnection, control, emulatorChild, settled, startEmulatorChild, type Embed, type EmulatorInfo, type FlowNode } from './node-red-support.js';
import { fmtInt, gc, intEnv, machineSummary, mb, peakRss, printTable, unsetProxyEnv } from './support.js';

unsetProxyEnv();

const ACCOUNTS = intEnv('BENCH_ACCOUNTS', 10_000);
const BATCH = intEnv('BENCH_BATCH', 200);
const IN_FLIGHT = intEnv('BENCH_IN_FLIGHT', 2);
const BULK_FROM = process.env.BENCH_BULK_FROM ? intEnv('BENCH_BULK_FROM', 2000) : undefined;
const RUNS = intEnv('BENCH_RUNS', 4);
const ROOT = path.resolve(__dirname, '..');
const EXAMPLE = path.join(ROOT, 'examples', '05 Resync a whole object.json');

/** The sync report of example 05's sf-sync-status (its third output), as complete runs have it. */
type SyncReport = RunReport & Required<Pick<RunReport, 'totals' | 'apiCalls' | 'errors'>> & { batches: number };

/** Example 05 against the bench orgs: client-credentials connections, the partner filter off. */
function benchFlow(info: EmulatorInfo): FlowNode[] {
  const nodes = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as FlowNode[];
  const tab = String(nodes.find((n) => n.z)!.z);
  const account = { ...MAPPING_TEMPLATES.Account, filter: undefined };
  return [
    { id: tab, type: 'tab', label: 'sync bench' },
    ...nodes.map((n): FlowNode => {
      if (n.type === 'sf-connection') return benchConnection(n, info);
      if (n.type === 'sf-map-fields' && n.template === 'Account') return { ...n, mapping: JSON.stringify(account) };
      if (n.type === 'sf-collect') return { ...n, batchSize: String(BATCH) };
      if (n.type === 'sf-upsert-out') return { ...n, maxInFlight: String(IN_FLIGHT), ...(BULK_FROM ? { bulkThreshold: String(BULK_FROM) } : {}) };
      return n;
    }),
  ];
}

interface Row {
  what: string;
  seconds: number;
  /** Most batches sf-collect had out and not yet acknowledged by the writer at once. */
  inFlight: number;
  report: SyncReport;
  sourceCalls: number;
  targetCalls: number;
  rss: number;
}

async function main(): Promise<void> {
  if (!existsSync(path.join(ROOT, 'dist', 'nodes', 'sf-collect.js'))) throw new Error('dist/nodes is missing: run npm run build first');
  const embed = (await import(path.join(ROOT, 'scripts', 'demo', 'node-red-embed.mjs'))) as Embed;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orgbridge-sync-bench-'));
  let emulator: ChildProcess | undefined;
  let nodeRed: Awaited<ReturnType<Embed['startNodeRed']>> | undefined;
  const warnings: string[] = [];
  try {
    const started = await startEmulatorChild(__filename, ROOT);
    emulator = started.child;
    const { info } = started;
    const g = info.generated;
    console.log(`sync bench (example 05 in Node-RED): ${fmtInt(g.accounts)} accounts, ${fmtInt(g.contacts)} contacts, ${fmtInt(g.opportunities)} opportunities (${fmtInt(g.total)} records, hierarchies ${g.maxDepth} deep); batches of ${BATCH}, ${IN_FLIGHT} write calls at once, ${BULK_FROM ? `Bulk API 2.0 writes from ${fmtInt(BULK_FROM)} records` : 'REST writes'}`);
    console.log(machineSummary());

    nodeRed = await embed.startNodeRed({ repoRoot: ROOT, userDir: path.join(dir, 'node-red'), port: 0, credentialSecret: 'bench', log: (line) => warnings.push(line) });
    await embed.deployFlows(nodeRed.url, benchFlow(info));
    await embed.waitForConnections(nodeRed.RED, ['sf-conn-hq', 'sf-conn-subsidiary']);
    const RED = nodeRed.RED;
    // The mappers compile against both orgs' describes at deploy: wait until the org counts settle.
    await settled(info, 'subsidiary');

    const reports: SyncReport[] = [];
    RED.nodes.getNode('ex05-report-out')!.on('input', (msg) => reports.push(msg.payload as SyncReport));
    const resync = async (what: string, payload: unknown = ''): Promise<Row> => {
      await control(info, 'DELETE', '/orgs/hq/api-calls');
      await control(info, 'DELETE', '/orgs/subsidiary/api-calls');
      gc?.();
      const before = reports.length;
      // How far reading runs ahead of writing, i.e. how much of the run waits in memory: the
      // batches sf-collect has out unacknowledged, as it reports them to the shared runtime context.
      let inFlight = 0;
      const probe = setInterval(() => {
        inFlight = Math.max(inFlight, runtimeContext().source('ex05-collect')?.inFlight ?? 0);
        const m = process.memoryUsage();
        heapPeak = Math.max(heapPeak, m.heapUsed);
        externalPeak = Math.max(externalPeak, m.external);
      }, 20);
      const t0 = performance.now();
      RED.nodes.getNode('ex05-collect')!.receive({ payload });
      while (reports.length === before) await new Promise((r) => setTimeout(r, 20));
      const seconds = (performance.now() - t0) / 1000;
      clearInterval(probe);
      const report = reports[before]!;
      if (report.status !== 'done') throw new Error(`${what}: ${JSON.stringify(report).slice(0, 2000)}`);
      const sourceCalls = (await control<{ total: number }>(info, 'GET', '/orgs/hq/api-calls')).total;
      const targetCalls = (await control<{ total: number }>(info, 'GET', '/orgs/subsidiary/api-calls')).total;
      return { what, seconds, inFlight, report, sourceCalls, targetCalls, rss: peakRss() };
    };

    const rssBefore = process.memoryUsage().rss;
    let heapPeak = 0;
    let externalPeak = 0;
    const rows = [await resync('first resync (all created)')];
    const first = rows[0]!.report.totals;
    if (first.collected !== g.total || first.created !== g.total) throw new Error(`first run: ${JSON.stringify(first)} of ${g.total} records`);
    const accounts = await control<unknown[]>(info, 'GET', '/orgs/subsidiary/snapshot/Account');
    if (accounts.length !== g.accounts) throw new Error(`the subsidiary holds ${accounts.length} accounts, not ${g.accounts}`);
    if (RUNS > 1) {
      rows.push(await resync('rerun (nothing changed)'));
      const rerun = rows[1]!;
      if (rerun.report.totals.written !== 0 || rerun.targetCalls !== 0) throw new Error(`rerun: ${JSON.stringify(rerun.report.totals)}, ${rerun.targetCalls} calls to the target`);

      // 1 % of the accounts edited in HQ as a person would (one field each).
      const ids = (await control<Array<{ Id: string }>>(info, 'GET', '/orgs/hq/snapshot/Account')).map((a) => a.Id);
      const edited = ids.filter((_id, i) => i % 100 === 0);
      const res = await fetch(`${info.loginUrl}/__emulator__/orgs/hq/edit`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ object: 'Account', records: edited.map((Id) => ({ Id, Description: `edited for the bench ${Date.now()}` })) }),
      });
      if (!res.ok) throw new Error(`editing 1 % of the accounts: HTTP ${res.status}`);
      rows.push(await resync(`1 % of accounts changed (${fmtInt(edited.length)})`));
      const changed = rows[2]!.report.totals;
      if (changed.written !== edited.length) throw new Error(`1 % run: ${JSON.stringify(changed)}, expected ${edited.length} written`);
      rows.push(await resync('full compare (msg.payload.full)', { full: true }));
      const full = rows[3]!;
      if (full.report.totals.unchanged !== g.total || full.targetCalls !== 0) throw new Error(`full compare: ${JSON.stringify(full.report.totals)}, ${full.targetCalls} calls to the target`);
    }

    printTable(
      ['run', 'records', 'seconds', 'records/s', 'source calls', 'target calls', 'calls per 1,000', 'peak RSS', 'batches in flight', 'outcome'],
      rows.map((r) => {
        const t = r.report.totals;
        return [
          r.what, fmtInt(t.collected), r.seconds.toFixed(2), t.collected ? fmtInt(t.collected / r.seconds) : '', fmtInt(r.sourceCalls), fmtInt(r.targetCalls),
          t.collected ? ((r.sourceCalls + r.targetCalls) / (t.collected / 1000)).toFixed(2) : '', mb(r.rss), `${fmtInt(r.inFlight)} of ${fmtInt(r.report.batches)}`,
          `created ${fmtInt(t.created)}, updated ${fmtInt(t.updated)}, unchanged ${fmtInt(t.unchanged)}, dead-lettered ${fmtInt(t.deadLettered)}`,
        ];
      }),
    );
    console.log('');
    console.log(`Node-RED process: RSS ${mb(rssBefore)} when deployed, peak ${mb(peakRss())} (the emulator and its data are in another process); JavaScript heap in use at most ${mb(heapPeak)}, external memory at most ${mb(externalPeak)}`);
    const ledger = path.join(dir, 'node-red', 'orgbridge', 'ledger.sqlite');
    if (existsSync(ledger)) console.log(`ledger: ${mb(statSync(ledger).size)}`);
    // BENCH_KEEP_LEDGER=file keeps a copy of the ledger to look into (sqlite3, dbstat).
    if (existsSync(ledger) && process.env.BENCH_KEEP_LEDGER) copyFileSync(ledger, process.env.BENCH_KEEP_LEDGER);
    console.log('the map-fields step alone: npm run bench map-fields');
    const noise = warnings.filter((w) => !/Projects disabled|Encrypted credentials not found/.test(w));
    if (noise.length) console.log(`\nNode-RED said:\n${noise.join('\n')}`);
  } finally {
    await nodeRed?.stop();
    emulator?.stdin?.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--emulator')) {
  emulatorChild(ACCOUNTS).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
} else {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
