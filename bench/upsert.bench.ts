/**
 * sf-upsert-out's engine (lib/upsert RecordWriter) writing hand-made SyncRecords into an emulator
 * org over real HTTP with sObject Collections, with a ledger on disk:
 *
 *   BENCH_ACCOUNTS       accounts (default 10,000); one in ten is a parent, the rest its children
 *   BENCH_CONTACTS       contacts, each pointing at an account (default 30,000)
 *   BENCH_OPPORTUNITIES  opportunities, each pointing at an account (default 20,000)
 *   BENCH_BATCH          records per write() call, as a flow would hand them over (default 2,000)
 *   BENCH_IN_FLIGHT      collections calls in flight (default 2)
 *   BENCH_BULK_FROM      records of one object and level from which Bulk API 2.0 jobs write them
 *                        (unset: collections calls only); with BENCH_BATCH=10000 and
 *                        BENCH_BULK_FROM=2000 the same data goes the Bulk path
 *
 * Accounts are matched by external Id; contacts point at their account by the account's external
 * Id, opportunities by the account's source Id (resolved through the ledger's Id map). The rerun
 * sends the same records again: every one should be skipped by its field hashes, with no call.
 * Writer and emulator share one process and event loop, so figures include both sides' CPU.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmulator } from '../emulator/index.js';
import { OrgConnection } from '../lib/connection/org-connection.js';
import { Ledger } from '../lib/ledger/index.js';
import type { FieldValue, SyncRecord, TargetReference } from '../lib/sync/types.js';
import { addMetrics, emptyMetrics, RecordWriter, type WriteMetrics } from '../lib/upsert/index.js';
import { API_VERSION, BENCH_LOGIN, BENCH_SECRETS, benchOrgSpec, fmtInt, gc, intEnv, machineSummary, mb, peakRss, printTable, unsetProxyEnv } from './support.js';

unsetProxyEnv();

const ACCOUNTS = intEnv('BENCH_ACCOUNTS', 10_000);
const CONTACTS = intEnv('BENCH_CONTACTS', 30_000);
const OPPORTUNITIES = intEnv('BENCH_OPPORTUNITIES', 20_000);
const BATCH = intEnv('BENCH_BATCH', 2_000);
const BULK_FROM = intEnv('BENCH_BULK_FROM', 0);
const IN_FLIGHT = intEnv('BENCH_IN_FLIGHT', 2);

const SOURCE_ORG = '00D5e000000BNCHAAA';
const EXT = {
  name: 'Ext__c', type: 'string' as const, label: 'Ext', length: 40, externalId: true, idLookup: true, unique: true,
  nillable: true, createable: true, updateable: true, custom: true,
};
const INDUSTRIES = ['Banking', 'Energy', 'Retail', 'Technology', 'Healthcare'];
const STAGES = ['Prospecting', 'Qualification', 'Closed Won'];

function sourceId(prefix: string, n: number): string {
  return `${prefix}5e${String(n).padStart(10, '0')}BNC`;
}

function record(object: string, id: string, ext: string | undefined, fields: Record<string, FieldValue>, references: TargetReference[]): SyncRecord {
  return {
    object, sourceId: id, operation: 'upsert', fields, references: references.map((r) => ({ field: r.field, id: r.sourceId, object: r.object })),
    origin: { orgId: SOURCE_ORG, via: 'bulk' },
    target: {
      object, match: ext ? { by: 'externalId', field: 'Ext__c', value: ext } : { by: 'ledger' }, fields, references,
      mapping: { name: 'bench', version: '1', hash: 'bench' },
    },
  };
}

function accountRef(n: number, byExternalId: boolean): TargetReference {
  return {
    field: 'AccountId', relationshipName: 'Account', object: 'Account', sourceId: sourceId('001', n), nillable: true,
    ...(byExternalId ? { externalId: { field: 'Ext__c', value: `A-${n}` } } : {}),
  };
}

function buildRecords(): SyncRecord[] {
  const out: SyncRecord[] = [];
  for (let i = 0; i < ACCOUNTS; i++) {
    const parent = i % 10 === 0 ? undefined : i - (i % 10);
    const refs: TargetReference[] = parent === undefined ? [] : [{ field: 'ParentId', relationshipName: 'Parent', object: 'Account', sourceId: sourceId('001', parent), nillable: true, externalId: { field: 'Ext__c', value: `A-${parent}` } }];
    out.push(record('Account', sourceId('001', i), `A-${i}`, { Name: `Account ${i}`, Industry: INDUSTRIES[i % INDUSTRIES.length]!, NumberOfEmployees: (i % 5000) + 1 }, refs));
  }
  for (let i = 0; i < CONTACTS; i++) {
    out.push(record('Contact', sourceId('003', i), `C-${i}`, { FirstName: 'Ada', LastName: `Contact ${i}`, Email: `c${i}@example.com` }, [accountRef(i % ACCOUNTS, true)]));
  }
  for (let i = 0; i < OPPORTUNITIES; i++) {
    out.push(record('Opportunity', sourceId('006', i), `O-${i}`, { Name: `Deal ${i}`, StageName: STAGES[i % STAGES.length]!, CloseDate: '2025-06-30', Amount: 1000 + (i % 97) }, [accountRef(i % ACCOUNTS, false)]));
  }
  return out;
}

interface Phase {
  what: string;
  records: number;
  seconds: number;
  metrics: WriteMetrics;
  orgCalls: number;
}

async function writeAll(writer: RecordWriter, records: SyncRecord[]): Promise<{ seconds: number; metrics: WriteMetrics }> {
  const metrics = emptyMetrics();
  const t0 = performance.now();
  for (let i = 0; i < records.length; i += BATCH) {
    const report = await writer.writeWithReport(records.slice(i, i + BATCH));
    addMetrics(metrics, report.metrics);
    const bad = report.results.find((r) => r.outcome === 'failed' || r.outcome === 'dead-lettered');
    if (bad) throw new Error(`${bad.object} ${bad.sourceId}: ${bad.outcome} ${bad.error?.code}: ${bad.error?.message}`);
  }
  return { seconds: (performance.now() - t0) / 1000, metrics };
}

async function main(): Promise<void> {
  const emulator = await startEmulator({ orgs: [benchOrgSpec({ schema: { fields: { Account: [EXT], Contact: [EXT], Opportunity: [EXT] } } })] });
  const org = emulator.org('bench');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orgbridge-upsert-bench-'));
  const ledger = Ledger.open(path.join(dir, 'ledger.sqlite'));
  const target = new OrgConnection(
    { name: 'bench', environment: 'custom', domain: emulator.loginUrl, apiVersion: API_VERSION, authFlow: 'password', clientId: BENCH_LOGIN.clientId, username: BENCH_LOGIN.username, callOptionsClient: 'OrgBridgeBench', apiBudgetPercent: 100 },
    { ...BENCH_SECRETS },
  );
  const total = ACCOUNTS + CONTACTS + OPPORTUNITIES;
  console.log(`RecordWriter benchmark: ${fmtInt(ACCOUNTS)} accounts + ${fmtInt(CONTACTS)} contacts + ${fmtInt(OPPORTUNITIES)} opportunities, write() of ${fmtInt(BATCH)}, ${IN_FLIGHT} calls in flight`);
  console.log(machineSummary());
  const phases: Phase[] = [];
  try {
    await target.connection();
    const writer = new RecordWriter({ target, ledger, sourceOrgId: SOURCE_ORG, targetOrgId: org.orgId, maxInFlight: IN_FLIGHT, bulkThreshold: BULK_FROM });
    let records: SyncRecord[] | undefined = buildRecords();
    gc?.();

    org.limits.resetCounts();
    const first = await writeAll(writer, records);
    phases.push({ what: 'first write (all created)', records: total, ...first, orgCalls: org.limits.counts().total });
    const counts = ['Account', 'Contact', 'Opportunity'].map((o) => org.snapshot(o).length);
    if (counts.join() !== [ACCOUNTS, CONTACTS, OPPORTUNITIES].join()) throw new Error(`the org holds ${counts.join('/')} records`);
    const peakAfterWrite = peakRss();

    org.limits.resetCounts();
    const rerun = await writeAll(writer, records);
    phases.push({ what: 'rerun (all unchanged)', records: total, ...rerun, orgCalls: org.limits.counts().total });
    if (rerun.metrics.unchanged !== total) throw new Error(`rerun: ${rerun.metrics.unchanged} of ${total} unchanged`);

    // One field changed on every tenth record: only those are sent.
    for (let i = 0; i < records.length; i += 10) records[i]!.target!.fields.Description = 'changed';
    org.limits.resetCounts();
    const partial = await writeAll(writer, records);
    phases.push({ what: 'rerun with every tenth record changed', records: total, ...partial, orgCalls: org.limits.counts().total });
    records = undefined;

    printTable(
      ['phase', 'records', 'seconds', 'records/s', 'API calls', 'calls per 1,000', 'note'],
      phases.map((p) => [
        p.what, fmtInt(p.records), p.seconds.toFixed(2), fmtInt(p.records / p.seconds), fmtInt(p.metrics.apiCalls),
        (p.metrics.apiCalls / (p.records / 1000)).toFixed(2),
        `created ${fmtInt(p.metrics.created)}, updated ${fmtInt(p.metrics.updated)}, unchanged ${fmtInt(p.metrics.unchanged)}; org counted ${fmtInt(p.orgCalls)} calls`,
      ]),
    );
    console.log('');
    console.log(`peak RSS after the first write: ${mb(peakAfterWrite)}; peak RSS overall: ${mb(peakRss())}`);
    console.log(`ledger file: ${mb(fs.statSync(path.join(dir, 'ledger.sqlite')).size)} (+ WAL ${mb(fs.existsSync(path.join(dir, 'ledger.sqlite-wal')) ? fs.statSync(path.join(dir, 'ledger.sqlite-wal')).size : 0)}); peak calls in flight: ${writer.peakInFlight}`);
  } finally {
    target.close();
    ledger.close();
    fs.rmSync(dir, { recursive: true, force: true });
    await emulator.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
