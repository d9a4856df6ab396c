/**
 * Emulator benchmark: how fast an org fills with generated data, and how fast unmodified jsforce
 * reads and writes it over real HTTP. The sync benchmarks that come later must be limited by the
 * sync engine, never by the emulator, so these figures are the ceiling they run under.
 *
 *   BENCH_ACCOUNTS   accounts to generate (default 1,000,000)
 *   BENCH_REQUESTS   requests per HTTP figure (default 2,000)
 *   BENCH_CONCURRENCY  requests in flight for the throughput figure (default 8)
 *
 * The jsforce client runs in the same process as the emulator, so HTTP figures include the
 * client's own cost; a real sync has the same client.
 */
import os from 'node:os';
import { startEmulator } from '../emulator/index.js';
import { text } from '../emulator/schema/field-builders.js';
import { externalIdValue, generateOrgData, Random } from '../emulator/data/index.js';
import { benchConnection, benchOrgSpec, fmtInt, fmtMs, gc, intEnv, machineSummary, mb, peakRss, percentile, printTable, timeCalls, unsetProxyEnv } from './support.js';

unsetProxyEnv();

const ACCOUNTS = intEnv('BENCH_ACCOUNTS', 1_000_000);
const REQUESTS = intEnv('BENCH_REQUESTS', 2000);
const CONCURRENCY = intEnv('BENCH_CONCURRENCY', 8);
const WRITE_CALLS = 50;
const WRITE_BATCH = 200;

interface Row {
  what: string;
  count: number;
  unit: string;
  seconds: number;
  p50?: number;
  p95?: number;
  note?: string;
}

const rows: Row[] = [];

async function measure(what: string, count: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  const { seconds, latencies } = await timeCalls(count, fn, concurrency);
  rows.push({
    what,
    count,
    unit: 'req',
    seconds,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    ...(concurrency > 1 ? { note: `${concurrency} in flight` } : {}),
  });
  process.stdout.write(`  ${what}: ${fmtInt(count / seconds)} req/s\n`);
}

function printRows(): void {
  printTable(
    ['figure', 'count', 'rate', 'p50 ms', 'p95 ms', 'note'],
    rows.map((r) => [r.what, fmtInt(r.count), `${fmtInt(r.count / r.seconds)} ${r.unit}/s`, fmtMs(r.p50), fmtMs(r.p95), r.note ?? '']),
  );
}

const spec = benchOrgSpec({
  schema: { fields: { Account: [text('Ext_Id__c', 20, { label: 'Ext Id', externalId: true, unique: true })] } },
});

async function main(): Promise<void> {
  console.log(`emulator bench: ${fmtInt(ACCOUNTS)} accounts, ${fmtInt(REQUESTS)} requests per HTTP figure`);
  // Other work on the machine skews every figure here; the load average says how much there was.
  console.log(`${machineSummary()}, ${mb(os.totalmem())} RAM, load average ${os.loadavg()[0]!.toFixed(2)}`);

  const emulator = await startEmulator({ orgs: [spec] });
  try {
    const org = emulator.org('bench');
    gc?.();
    const heapBefore = process.memoryUsage().heapUsed;

    const gen = generateOrgData(org, {
      seed: 42,
      accounts: ACCOUNTS,
      contactsPerAccount: 0,
      opportunitiesPerAccount: 0,
      hierarchyDepth: 5,
      onBatch: ({ accounts }) => {
        if (accounts % 250_000 === 0) process.stdout.write(`  generated ${fmtInt(accounts)} accounts\n`);
      },
    });
    rows.push({ what: 'generate + load accounts', count: gen.accounts, unit: 'rec', seconds: gen.totalMs / 1000, note: `depth ${gen.maxDepth}` });
    rows.push({ what: 'load accounts (bulkLoad alone)', count: gen.accounts, unit: 'rec', seconds: gen.loadMs / 1000 });
    gc?.();
    const heapData = process.memoryUsage().heapUsed - heapBefore;
    console.log(`  loaded ${fmtInt(gen.accounts)} accounts in ${(gen.totalMs / 1000).toFixed(1)} s; heap held by the org: ${mb(heapData)} (${fmtInt(heapData / gen.accounts)} bytes/account)`);

    const table = org.data.table('Account')!;
    const rng = new Random(7);
    const sample = Array.from({ length: REQUESTS }, () => {
      const ext = externalIdValue('Account', 1 + rng.int(ACCOUNTS));
      const rec = table.lookup('Ext_Id__c', ext)[0];
      if (!rec) throw new Error(`no account with Ext_Id__c ${ext}`);
      return { id: rec.Id, ext, name: rec.Name };
    });

    const conn = benchConnection(org);

    const expectOne = (res: { totalSize: number; records: Array<Record<string, unknown>> }, name: unknown) => {
      if (res.totalSize !== 1 || res.records[0]?.Name !== name) throw new Error(`expected one record named ${String(name)}, got ${JSON.stringify(res).slice(0, 300)}`);
    };
    const byId = async (i: number) => {
      const s = sample[i % sample.length]!;
      expectOne(await conn.query(`SELECT Id, Name FROM Account WHERE Id = '${s.id}'`), s.name);
    };
    const byExt = async (i: number) => {
      const s = sample[i % sample.length]!;
      expectOne(await conn.query(`SELECT Id, Name FROM Account WHERE Ext_Id__c = '${s.ext}'`), s.name);
    };
    const retrieve = async (i: number) => {
      const s = sample[i % sample.length]!;
      const r = (await conn.sobject('Account').retrieve(s.id)) as unknown as Record<string, unknown>;
      if (r.Id !== s.id) throw new Error(`retrieve returned ${String(r.Id)} for ${s.id}`);
    };

    console.log('HTTP through jsforce:');
    // Warm up JIT and sockets, and let the collector settle after the load, before anything is timed.
    await timeCalls(Math.min(500, REQUESTS), async (i) => {
      await byId(i);
      await byExt(i);
      await retrieve(i);
    });
    gc?.();
    await measure('query by Id', REQUESTS, 1, byId);
    await measure('query by external Id', REQUESTS, 1, byExt);
    await measure('retrieve by Id', REQUESTS, 1, retrieve);
    await measure('query by Id', REQUESTS, CONCURRENCY, byId);
    await measure('query by external Id', REQUESTS, CONCURRENCY, byExt);

    let serial = 0;
    const batch = () =>
      Array.from({ length: WRITE_BATCH }, () => {
        serial++;
        return { Name: `Bench Write ${serial}`, Ext_Id__c: `BW-${serial}`, Industry: 'Technology', BillingCity: 'Chicago' };
      });
    {
      const { seconds, latencies } = await timeCalls(WRITE_CALLS, async () => {
        const results = await conn.sobject('Account').create(batch());
        const failed = results.filter((r) => !r.success);
        if (failed.length) throw new Error(`create failed: ${JSON.stringify(failed[0]).slice(0, 300)}`);
      });
      rows.push({ what: `collections create (${WRITE_BATCH}/call)`, count: WRITE_CALLS * WRITE_BATCH, unit: 'rec', seconds, p50: percentile(latencies, 50), p95: percentile(latencies, 95), note: 'latency per call' });
      process.stdout.write(`  collections create: ${fmtInt((WRITE_CALLS * WRITE_BATCH) / seconds)} rec/s\n`);
    }
    try {
      serial = 0;
      const { seconds, latencies } = await timeCalls(WRITE_CALLS, async () => {
        const results = await conn.sobject('Account').upsert(batch(), 'Ext_Id__c');
        const failed = results.filter((r) => !r.success);
        if (failed.length) throw new Error(`upsert failed: ${JSON.stringify(failed[0]).slice(0, 300)}`);
      });
      rows.push({ what: `collections upsert by ext Id (${WRITE_BATCH}/call)`, count: WRITE_CALLS * WRITE_BATCH, unit: 'rec', seconds, p50: percentile(latencies, 50), p95: percentile(latencies, 95), note: 'updates; latency per call' });
      process.stdout.write(`  collections upsert: ${fmtInt((WRITE_CALLS * WRITE_BATCH) / seconds)} rec/s\n`);
    } catch (err) {
      console.log(`  collections upsert: not measured (${(err as Error).message.slice(0, 200)})`);
    }

    printRows();
    gc?.();
    const mem = process.memoryUsage();
    console.log('');
    console.log(`peak RSS ${mb(peakRss())}, heap used ${mb(mem.heapUsed)} of ${mb(mem.heapTotal)}, org data ${mb(heapData)} for ${fmtInt(ACCOUNTS)} accounts`);
  } finally {
    await emulator.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
