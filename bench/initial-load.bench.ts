/**
 * Initial load through Node-RED on the Bulk API path: the shipped example flow "11 Initial load
 * of a whole org" (sf-bulk-query reading Account, Contact and Opportunity → the three mappings →
 * sf-upsert-out, Bulk API 2.0 writes from 2,000 records a batch → sync status) deployed in a real
 * embedded Node-RED 4 with the built nodes from dist/ and an SQLite ledger on disk, loading a
 * generated source org into the demo subsidiary's empty schema. The data are those of
 * bench/sync.bench.ts (same generator and seed), so the two benchmarks compare the REST and the
 * Bulk path on the same records.
 *
 *   BENCH_ACCOUNTS  accounts generated into the hq org (default 10,000, about 60,000 records in
 *                   all; 166,000 makes about a million)
 *   BENCH_HEAP_AT   write a heap snapshot of the Node-RED process the first time its heap in use
 *                   passes this many MB (to BENCH_HEAP_FILE, or a name Node picks), during the
 *                   run named by BENCH_HEAP_RUN (default the first load)
 *
 * Two runs: the first load (everything created) and a second load of the same data (everything
 * read again, nothing written). Peak RSS of the Node-RED process is printed as the load passes
 * 100,000, 500,000 and 1,000,000 records written, to show whether memory grows with the run.
 * The Account mapping runs without the template's partner filter, so that every record is written.
 * Needs the build: `npm run build` first.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { writeHeapSnapshot } from 'node:v8';
import path from 'node:path';
import { MAPPING_TEMPLATES } from '../lib/mapping/index.js';
import { benchConnection, control, emulatorChild, settled, startEmulatorChild, type Embed, type EmulatorInfo, type FlowNode } from './node-red-support.js';
import { fmtInt, gc, intEnv, machineSummary, mb, peakRss, printTable, unsetProxyEnv } from './support.js';

unsetProxyEnv();

const ACCOUNTS = intEnv('BENCH_ACCOUNTS', 10_000);
const ROOT = path.resolve(__dirname, '..');
const EXAMPLE = path.join(ROOT, 'examples', '11 Initial load of a whole org.json');
const MILESTONES = [100_000, 500_000, 1_000_000];
const heapAt = intEnv('BENCH_HEAP_AT', 0);

interface LoadSummary {
  finished: boolean;
  written: number;
  total: number;
  failedBatches: number;
  objects: Array<{ object: string; path: string; count: number }>;
}

function benchFlow(info: EmulatorInfo): FlowNode[] {
  const nodes = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as FlowNode[];
  const tab = String(nodes.find((n) => n.z)!.z);
  const account = { ...MAPPING_TEMPLATES.Account, filter: undefined };
  return [
    { id: tab, type: 'tab', label: 'initial load bench' },
    ...nodes
      .filter((n) => n.type !== 'tab')
      .map((n): FlowNode => {
        if (n.type === 'sf-connection') return benchConnection(n, info);
        if (n.id === 'ex11-map-account') return { ...n, mapping: JSON.stringify(account) };
        return n;
      }),
  ];
}

async function main(): Promise<void> {
  if (!existsSync(path.join(ROOT, 'dist', 'nodes', 'sf-bulk-query.js'))) throw new Error('dist/nodes is missing: run npm run build first');
  const embed = (await import(path.join(ROOT, 'scripts', 'demo', 'node-red-embed.mjs'))) as Embed;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orgbridge-load-bench-'));
  let emulator: ChildProcess | undefined;
  let nodeRed: Awaited<ReturnType<Embed['startNodeRed']>> | undefined;
  const warnings: string[] = [];
  try {
    const started = await startEmulatorChild(__filename, ROOT);
    emulator = started.child;
    const { info } = started;
    const g = info.generated;
    console.log(`initial load bench (example 11 in Node-RED, Bulk API 2.0): ${fmtInt(g.accounts)} accounts, ${fmtInt(g.contacts)} contacts, ${fmtInt(g.opportunities)} opportunities (${fmtInt(g.total)} records, hierarchies ${g.maxDepth} deep)`);
    console.log(machineSummary());
    nodeRed = await embed.startNodeRed({ repoRoot: ROOT, userDir: path.join(dir, 'node-red'), port: 0, credentialSecret: 'bench', log: (line) => warnings.push(line) });
    await embed.deployFlows(nodeRed.url, benchFlow(info));
    await embed.waitForConnections(nodeRed.RED, ['sf-conn-hq', 'sf-conn-subsidiary']);
    await settled(info, 'subsidiary');
    const RED = nodeRed.RED;
    const summaries: LoadSummary[] = [];
    let written = 0;
    RED.nodes.getNode('ex11-progress')!.on('input', (msg) => {
      if (msg.topic === 'summary') summaries.push(msg.payload as LoadSummary);
      else written = Math.max(written, (msg.payload as { written?: number }).written ?? 0);
    });

    const rows: string[][] = [];
    const rssBefore = process.memoryUsage().rss;
    const load = async (what: string) => {
      await control(info, 'DELETE', '/orgs/hq/api-calls');
      await control(info, 'DELETE', '/orgs/subsidiary/api-calls');
      gc?.();
      const before = summaries.length;
      written = 0;
      let peak = 0;
      let heapPeak = 0;
      const marks: string[] = [];
      let heapTaken = what !== (process.env.BENCH_HEAP_RUN ?? 'first load (all created)');
      const probe = setInterval(() => {
        const m = process.memoryUsage();
        peak = Math.max(peak, m.rss);
        heapPeak = Math.max(heapPeak, m.heapUsed);
        if (heapAt && !heapTaken && m.heapUsed >= heapAt * 1024 * 1024) {
          heapTaken = true;
          console.log(`heap snapshot at ${mb(m.heapUsed)} heap, ${fmtInt(written)} written: ${writeHeapSnapshot(process.env.BENCH_HEAP_FILE)}`);
        }
        while (marks.length < MILESTONES.length && written >= MILESTONES[marks.length]!) marks.push(`${fmtInt(MILESTONES[marks.length]!)}: ${mb(peak)}`);
      }, 50);
      const t0 = performance.now();
      RED.nodes.getNode('ex11-start')!.receive({});
      while (summaries.length === before) await new Promise((r) => setTimeout(r, 50));
      const seconds = (performance.now() - t0) / 1000;
      clearInterval(probe);
      // The generator makes about, not exactly, the records asked for: the last figure is at the end.
      marks.push(`end: ${mb(peak)}`);
      const s = summaries[before]!;
      if (!s.finished || s.failedBatches || s.written !== g.total) throw new Error(`${what}: ${JSON.stringify(s)}`);
      const src = (await control<{ total: number }>(info, 'GET', '/orgs/hq/api-calls')).total;
      const tgt = (await control<{ total: number }>(info, 'GET', '/orgs/subsidiary/api-calls')).total;
      rows.push([
        what, fmtInt(s.total), seconds.toFixed(2), fmtInt(s.total / seconds), fmtInt(src), fmtInt(tgt), ((src / s.total) * 1000).toFixed(2), ((tgt / s.total) * 1000).toFixed(2),
        mb(peak), mb(heapPeak), marks.join(', ') || '-', s.objects.map((o) => `${o.object} ${o.path}`).join(', '),
      ]);
      // A long run's figures as soon as they are known, in case a later one does not finish.
      console.log(`${what}: ${rows[rows.length - 1]!.slice(1, 11).join(' | ')}`);
    };
    await load('first load (all created)');
    const accounts = await control<unknown[]>(info, 'GET', '/orgs/subsidiary/snapshot/Account?fields=Id');
    if (accounts.length !== g.accounts) throw new Error(`the subsidiary holds ${accounts.length} accounts, not ${g.accounts}`);
    await load('second load (nothing to write)');

    printTable(['run', 'records', 'seconds', 'records/s', 'source calls', 'target calls', 'source per 1,000', 'target per 1,000', 'peak RSS', 'peak heap', 'RSS at written', 'read path'], rows);
    console.log('');
    console.log(`Node-RED process: RSS ${mb(rssBefore)} when deployed, peak ${mb(peakRss())} (the emulator and its data are in another process)`);
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
