/**
 * Bulk API 2.0 benchmark: N accounts loaded through an ingest job and read back through a query
 * job, over real HTTP with unmodified jsforce. Every record takes the org's validated write path
 * (coercion, required fields, unique external Id, system fields, CDC hand-off).
 *
 *   BENCH_RECORDS   accounts to load and query (default 1,000,000)
 *   BENCH_PAGE      maxRecords per results page when paging by hand (default 50,000)
 *
 * The jsforce client runs in the same process as the emulator, so figures include the client's
 * own cost (building and sending the CSV, parsing result CSV) on the same event loop.
 */
import { startEmulator } from '../emulator/index.js';
import { API_VERSION, benchConnection, benchOrgSpec, fmtInt, gc, intEnv, mb, peakRss, printTable, unsetProxyEnv } from './support.js';

unsetProxyEnv();

const RECORDS = intEnv('BENCH_RECORDS', 1_000_000);
const PAGE = intEnv('BENCH_PAGE', 50_000);
/** Poll timeout large enough for any N; jsforce's 30 s default is meant for small jobs. */
const POLL_TIMEOUT_MS = 60 * 60 * 1000;

interface Row {
  what: string;
  count: number;
  seconds: number;
  note?: string;
}

const rows: Row[] = [];

const spec = benchOrgSpec({
  schema: {
    fields: {
      Account: [
        {
          name: 'Ext__c', type: 'string', label: 'Ext', length: 40, externalId: true, idLookup: true, unique: true,
          nillable: true, createable: true, updateable: true, custom: true,
        },
      ],
    },
  },
});

const INDUSTRIES = ['Banking', 'Energy', 'Retail', 'Technology', 'Healthcare'];

function buildCsv(n: number): string {
  const parts: string[] = ['Name,Ext__c,Industry,NumberOfEmployees,Phone\n'];
  for (let i = 0; i < n; i++) {
    parts.push(`Account ${i},EXT-${i},${INDUSTRIES[i % INDUSTRIES.length]},${(i % 5000) + 1},555-${String(i % 10000).padStart(4, '0')}\n`);
  }
  return parts.join('');
}

function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

async function main(): Promise<void> {
  const emulator = await startEmulator({ orgs: [spec] });
  const org = emulator.org('bench');
  const conn = benchConnection(org, { callOptionsClient: 'Bench' });
  console.log(`Bulk API 2.0 benchmark: ${fmtInt(RECORDS)} accounts, results paged by ${fmtInt(PAGE)}`);
  try {
    // --- ingest ---
    let csv: string | undefined = buildCsv(RECORDS);
    const uploadBytes = Buffer.byteLength(csv);
    const job = conn.bulk2.createJob({ object: 'Account', operation: 'insert' });
    let t0 = performance.now();
    await job.open();
    await job.uploadData(csv);
    const uploaded = performance.now();
    await job.close();
    csv = undefined;
    await job.poll(250, POLL_TIMEOUT_MS);
    const ingestSeconds = (performance.now() - t0) / 1000;
    const info = await job.check();
    if (info.numberRecordsProcessed !== RECORDS || info.numberRecordsFailed !== 0) {
      throw new Error(`ingest processed ${info.numberRecordsProcessed} with ${info.numberRecordsFailed} failures`);
    }
    rows.push({
      what: 'ingest job: open, upload, process (jsforce, CSV text)',
      count: RECORDS,
      seconds: ingestSeconds,
      note: `upload ${mb(uploadBytes)} in ${((uploaded - t0) / 1000).toFixed(1)} s; server processing ${(info.totalProcessingTime / 1000).toFixed(1)} s`,
    });

    t0 = performance.now();
    const ok = (await job.getSuccessfulResults(true)) as unknown as string;
    const failed = (await job.getFailedResults(true)) as unknown as string;
    const okLines = countLines(ok) - 1;
    if (okLines !== RECORDS || countLines(failed) !== 1) throw new Error(`results: ${okLines} successes, ${countLines(failed) - 1} failures`);
    rows.push({ what: 'ingest results: successfulResults + failedResults (raw CSV)', count: okLines, seconds: (performance.now() - t0) / 1000, note: mb(Buffer.byteLength(ok)) });
    gc?.();
    const heapAfterIngest = process.memoryUsage().heapUsed;

    // --- query, paged by hand with maxRecords ---
    t0 = performance.now();
    const created = await conn.requestPost<{ id: string }>('/jobs/query', { operation: 'query', query: 'SELECT Id, Name, Ext__c, Industry, NumberOfEmployees FROM Account' });
    const qjob = conn.bulk2.job('query', { id: created.id });
    await qjob.poll(100, POLL_TIMEOUT_MS);
    const ready = performance.now();
    let received = 0;
    let pages = 0;
    let locator = '';
    do {
      const url = `${org.instanceUrl}/services/data/v${API_VERSION}/jobs/query/${created.id}/results?maxRecords=${PAGE}${locator ? `&locator=${locator}` : ''}`;
      const res = await fetch(url, { headers: { Authorization: `Bearer ${conn.accessToken}`, Accept: 'text/csv' } });
      if (res.status !== 200) throw new Error(`results page: HTTP ${res.status} ${await res.text()}`);
      const text = await res.text();
      received += countLines(text) - 1;
      pages++;
      locator = res.headers.get('sforce-locator') ?? 'null';
    } while (locator !== 'null');
    if (received !== RECORDS) throw new Error(`query returned ${received} rows`);
    rows.push({
      what: `query job: create, run, ${pages} pages of ${fmtInt(PAGE)} (raw CSV)`,
      count: received,
      seconds: (performance.now() - t0) / 1000,
      note: `job ready after ${((ready - t0) / 1000).toFixed(1)} s`,
    });

    // --- query through jsforce's own bulk2.query (one page, parsed into records) ---
    t0 = performance.now();
    let parsed = 0;
    for await (const _ of await conn.bulk2.query('SELECT Id, Name, Ext__c FROM Account', { pollInterval: 100, pollTimeout: POLL_TIMEOUT_MS })) {
      void _;
      parsed++;
    }
    if (parsed !== RECORDS) throw new Error(`bulk2.query returned ${parsed} rows`);
    rows.push({ what: 'bulk2.query (jsforce, one page, records parsed)', count: parsed, seconds: (performance.now() - t0) / 1000 });

    gc?.();
    const mem = process.memoryUsage();
    printRows();
    console.log('');
    console.log(`heap after ingest (after gc): ${mb(heapAfterIngest)}; heap now: ${mb(mem.heapUsed)}; RSS now: ${mb(mem.rss)}`);
    console.log(`peak RSS (process.resourceUsage().maxRSS): ${mb(peakRss())}`);
    console.log(`API calls counted by the org: ${fmtInt(org.limits.counts().total)}; DailyBulkApiBatches used: ${org.limits.usedOf('DailyBulkApiBatches')}`);
  } finally {
    await emulator.stop();
  }
}

function printRows(): void {
  printTable(
    ['what', 'records', 'seconds', 'records/s', 'note'],
    rows.map((r) => [r.what, fmtInt(r.count), r.seconds.toFixed(2), fmtInt(r.count / r.seconds), r.note ?? '']),
  );
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
