/**
 * sf-collect engine benchmark: a whole object with its children, collected in dependency order
 * from an emulator org over real HTTP with unmodified jsforce, through OrgConnection.
 *
 *   BENCH_ACCOUNTS   accounts generated (default 10,000), in hierarchies up to 4 deep,
 *                    with 3 contacts and 2 opportunities each on average
 *   BENCH_BATCH      records per emitted batch (default 200)
 *
 * Figures: records per second, API calls per 1,000 records, and memory. The emulator holds the
 * org's data in the same process, so peak RSS includes it (and the emulator's own garbage); the
 * "retained heap" column is the most heap the run kept on top of what the org already held,
 * sampled after a forced GC about 20 times a run (run with --expose-gc, as `npm run bench` does):
 * what a Node-RED process would carry for the collection itself. It includes the consumer's
 * order check (a set of referenced parent Ids).
 */
import { generateOrgData, startEmulator } from '../emulator/index.js';
import type { Org } from '../emulator/org.js';
import { collect, type CollectSummary } from '../lib/collect/collector.js';
import { planCollection, type CollectionRequest } from '../lib/collect/plan.js';
import { previewCollection } from '../lib/collect/preview.js';
import { OrgConnection } from '../lib/connection/org-connection.js';
import { OrgApi } from '../lib/salesforce/org-api.js';
import { API_VERSION, BENCH_LOGIN, benchOrgSpec, fmtInt, gc, intEnv, machineSummary, mb, peakRss, printTable, unsetProxyEnv } from './support.js';

unsetProxyEnv();

const ACCOUNTS = intEnv('BENCH_ACCOUNTS', 10_000);
const BATCH = intEnv('BENCH_BATCH', 200);

interface Row {
  what: string;
  records: number;
  seconds: number;
  calls: number;
  heap: number;
  note: string;
  /** Process peak RSS once this row was measured. */
  rss?: number;
}

function orgConnection(org: Org): OrgConnection {
  const user = [...org.users.values()].find((u) => u.integration)!;
  const session = org.sessions.issue(user.id, BENCH_LOGIN.clientId);
  return new OrgConnection(
    { name: 'bench', environment: 'custom', domain: org.instanceUrl, instanceUrl: org.instanceUrl, apiVersion: API_VERSION, authFlow: 'access-token', callOptionsClient: 'Bench', apiBudgetPercent: 100 },
    { accessToken: session.accessToken },
  );
}

/** Runs one collection, consuming batches without keeping them, and checks parents-first order. */
async function measure(conn: OrgConnection, org: Org, request: CollectionRequest, options: { holdRecords?: number } = {}): Promise<Omit<Row, 'what'> & { summary: CollectSummary }> {
  const plan = await planCollection(request, (name) => new OrgApi(conn).describe(name));
  gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  let heapPeak = heapBefore;
  org.limits.resetCounts();
  // Parents referenced so far: a record that shows up after something referenced it came too late.
  // (Its Ids are the only thing this check keeps; the heap column includes them.)
  const referenced = new Set<string>();
  let outOfOrder = 0;
  let gcMs = 0;
  const t0 = performance.now();
  const gen = collect(conn, plan, { batchSize: BATCH, ...options });
  let summary: CollectSummary;
  for (;;) {
    const next = await gen.next();
    if (next.done) {
      summary = next.value;
      break;
    }
    // Collected garbage first (about 20 times a run), so the figure is what the run retains.
    const every = Math.max(1, Math.ceil(next.value.parts.count / 20));
    if (next.value.parts.index % every === 0) {
      const g0 = performance.now();
      gc?.();
      heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
      gcMs += performance.now() - g0;
    }
    for (const r of next.value.records) for (const ref of r.references) if (!ref.deferred) referenced.add(ref.id);
    for (const r of next.value.records) if (referenced.has(r.sourceId)) outOfOrder++;
  }
  // The forced collections are the bench's, not the run's.
  const seconds = (performance.now() - t0 - gcMs) / 1000;
  if (outOfOrder) throw new Error(`${outOfOrder} records came in the same batch as, or after, a record that references them`);
  const calls = org.limits.counts().total;
  if (calls !== summary.apiCalls) throw new Error(`the run counted ${summary.apiCalls} calls, the org ${calls}`);
  return { records: summary.emitted, seconds, calls, heap: heapPeak - heapBefore, note: '', rss: peakRss(), summary };
}

async function main(): Promise<void> {
  const emulator = await startEmulator({ orgs: [benchOrgSpec()] });
  const org = emulator.org('bench');
  try {
    const gen = generateOrgData(org, { seed: 42, accounts: ACCOUNTS, contactsPerAccount: 3, opportunitiesPerAccount: 2, hierarchyDepth: 4 });
    console.log(`sf-collect benchmark: ${fmtInt(gen.accounts)} accounts, ${fmtInt(gen.contacts)} contacts, ${fmtInt(gen.opportunities)} opportunities (${fmtInt(gen.total)} records, hierarchies ${gen.maxDepth} deep); batches of ${BATCH}`);
    console.log(machineSummary());
    const conn = orgConnection(org);
    await conn.run((c) => c.identity());
    gc?.();
    const rssBefore = process.memoryUsage().rss;
    const rows: Row[] = [];
    const children = ['Contacts', 'Opportunities'];

    const whole = await measure(conn, org, { rootObject: 'Account', all: true, depth: 1, parents: true, children });
    rows.push({ what: 'whole Account object + children (re-read by level)', ...whole, note: `${whole.summary.levels} levels, ${fmtInt(whole.summary.batches)} batches` });

    const roots = org.snapshot('Account').filter((r) => !r.ParentId).slice(0, 50).map((r) => r.Id as string);
    const trees = await measure(conn, org, { rootObject: 'Account', ids: roots, depth: 4, children: ['ChildAccounts', 'Contacts', 'Account.Opportunities'] });
    rows.push({ what: `50 hierarchies by Id, depth 4, child accounts + children`, ...trees, note: `${fmtInt(trees.summary.byObject.Account ?? 0)} accounts, ${trees.summary.levels} levels` });

    const leaves = org.snapshot('Account').filter((r) => r.ParentId).slice(-200).map((r) => r.Id as string);
    const climb = await measure(conn, org, { rootObject: 'Account', ids: leaves, depth: 5 });
    rows.push({ what: '200 leaf accounts by Id, parents to depth 5', ...climb, note: `${climb.summary.levels} levels` });

    const plan = await planCollection({ rootObject: 'Account', all: true, depth: 1, parents: true, children }, (name) => new OrgApi(conn).describe(name));
    org.limits.resetCounts();
    let t0 = performance.now();
    const discovery = await previewCollection(conn, plan);
    rows.push({ what: 'preview of the whole-object run (discovery, Ids only)', records: discovery.totalRecords, seconds: (performance.now() - t0) / 1000, calls: discovery.apiCalls, heap: 0, rss: peakRss(), note: discovery.method });
    const countPlan = await planCollection({ rootObject: 'Account', all: true, depth: 1, parents: false, children }, (name) => new OrgApi(conn).describe(name));
    org.limits.resetCounts();
    t0 = performance.now();
    const counted = await previewCollection(conn, countPlan);
    rows.push({ what: 'preview, no parents followed (SELECT COUNT())', records: counted.totalRecords, seconds: (performance.now() - t0) / 1000, calls: counted.apiCalls, heap: 0, rss: peakRss(), note: counted.method });

    // Last, since it is the one that holds every row: peak RSS before it is the streaming runs'.
    const held = await measure(conn, org, { rootObject: 'Account', all: true, depth: 1, parents: true, children }, { holdRecords: 1_000_000 });
    rows.push({ what: 'whole object again, every row held (holdRecords 1M)', ...held, note: 'one read per record; memory grows with the run' });

    printTable(
      ['what', 'records', 'seconds', 'records/s', 'API calls', 'calls/1k records', 'retained heap', 'peak RSS so far', 'note'],
      rows.map((r) => [
        r.what,
        fmtInt(r.records),
        r.seconds.toFixed(2),
        fmtInt(r.records / r.seconds),
        fmtInt(r.calls),
        (r.calls / (r.records / 1000)).toFixed(1),
        r.heap ? mb(r.heap) : '',
        mb(r.rss ?? 0),
        r.note,
      ]),
    );
    console.log('');
    console.log(`RSS with the org loaded: ${mb(rssBefore)}; peak RSS: ${mb(peakRss())}`);
    conn.close();
  } finally {
    await emulator.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
