/**
 * Mapping benchmark: what `sf-map-fields` costs per record. Maps HQ-style Account records with
 * the Account template (field copies, two value maps, a condition, an expression, a filter and a
 * self-reference) compiled against the demo orgs' real describes, through plain jsonata 2.0.6
 * (the version Node-RED pins).
 *
 *   BENCH_RECORDS   records per run (default 10,000)
 *   BENCH_RUNS      timed runs per figure, after one warm-up; the median is shown (default 5)
 *
 * Records are varied from the 30 demo HQ accounts: every HQ industry (most map, the rest fall to
 * the default), ~5% partners (filtered out) and ~1% with a tier the subsidiary has no level for
 * (rejected), so every path of the engine is in the figures.
 */
import { performance } from 'node:perf_hooks';
import { Connection } from 'jsforce';
import { startDemoEmulator } from '../emulator/data/demo-orgs.js';
import { Random } from '../emulator/data/generator.js';
import type { Emulator } from '../emulator/index.js';
import { applyMapping, compileMapping, MAPPING_TEMPLATES, type CompiledMapping, type Mapping, type ObjectDescribe } from '../lib/mapping/index.js';
import { jsonataEvaluator } from '../lib/mapping/jsonata-evaluator.js';
import { readBatch } from '../lib/sync/envelope.js';
import type { SyncRecord } from '../lib/sync/types.js';
import { API_VERSION, fmtInt, gc, intEnv, machineSummary, percentile, printTable, unsetProxyEnv } from './support.js';

unsetProxyEnv();

const RECORDS = intEnv('BENCH_RECORDS', 10_000);
const RUNS = intEnv('BENCH_RUNS', 5);

interface Row {
  what: string;
  records: number;
  ms: number;
  /** Measured per-batch times of 1,000 records (p50 / max), where batches were timed one by one. */
  perThousand?: string;
  note: string;
}

const rows: Row[] = [];

function connect(emulator: Emulator, orgName: string): Connection {
  const org = emulator.org(orgName);
  const user = [...org.users.values()].find((u) => u.integration)!;
  const session = org.sessions.issue(user.id, [...org.apps.keys()][0]!);
  return new Connection({ instanceUrl: org.instanceUrl, accessToken: session.accessToken, version: API_VERSION });
}

function syncRecord(id: string, fields: SyncRecord['fields'], changedFields?: string[]): SyncRecord {
  return {
    object: 'Account', sourceId: id, operation: 'upsert', fields, references: [],
    origin: { orgId: '00DDo0000000001AAA', via: changedFields ? 'cdc' : 'bulk' }, ...(changedFields ? { changedFields } : {}),
  };
}

/** `count` whole Account records varied from the demo HQ rows. */
function makeRecords(base: Array<Record<string, unknown>>, industries: string[], count: number): SyncRecord[] {
  const rng = new Random(20250101);
  const ids: string[] = [];
  return Array.from({ length: count }, (_, i) => {
    const row = base[i % base.length]!;
    const id = `001Bn${String(i).padStart(10, '0')}AAA`;
    const tier = rng.chance(0.01) ? 'Diamond' : rng.pick(['Gold', 'Silver', 'Bronze']);
    const fields: SyncRecord['fields'] = {};
    for (const [k, v] of Object.entries(row)) if (k !== 'attributes' && k !== 'Id') fields[k] = v as SyncRecord['fields'][string];
    Object.assign(fields, {
      Name: `${String(row.Name)} ${i}`,
      Industry: rng.pick(industries),
      Customer_Tier__c: tier,
      Key_Account__c: rng.chance(0.1),
      Type: rng.chance(0.05) ? 'Technology Partner' : rng.pick(['Customer - Direct', 'Customer - Channel', 'Prospect']),
      ParentId: ids.length && rng.chance(0.7) ? rng.pick(ids) : null,
      NumberOfEmployees: rng.between(10, 90_000),
      AnnualRevenue: rng.between(1, 9_000) * 1_000_000.5,
    });
    ids.push(id);
    return syncRecord(id, fields);
  });
}

/** CDC-style updates: three changed fields each, the rest absent. */
function partialRecords(whole: SyncRecord[]): SyncRecord[] {
  return whole.map((r) => {
    const changed = ['Phone', 'Industry', 'Customer_Tier__c'];
    return syncRecord(r.sourceId, Object.fromEntries(changed.map((k) => [k, r.fields[k] ?? null])), changed);
  });
}

async function median(fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    gc?.();
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return percentile(times, 50);
}

async function timeMapping(what: string, compiled: CompiledMapping, records: SyncRecord[], note = ''): Promise<void> {
  const result = await applyMapping(compiled, records);
  const counts = `${fmtInt(result.mapped.length)} mapped, ${fmtInt(result.rejected.length)} rejected, ${fmtInt(result.filtered.length)} filtered`;
  const ms = await median(() => applyMapping(compiled, records));
  rows.push({ what, records: records.length, ms, note: note ? `${counts}; ${note}` : counts });
}

async function main(): Promise<void> {
  console.log(`map-fields bench: ${fmtInt(RECORDS)} Account records, median of ${RUNS} runs after a warm-up`);
  console.log(`${machineSummary()}${gc ? '' : ' (run with --expose-gc for steadier figures)'}`);
  const emulator = await startDemoEmulator();
  let hqAccount: ObjectDescribe;
  let subAccount: ObjectDescribe;
  let base: Array<Record<string, unknown>>;
  try {
    const hq = connect(emulator, 'hq');
    hqAccount = (await hq.describe('Account')) as ObjectDescribe;
    subAccount = (await connect(emulator, 'subsidiary').describe('Account')) as ObjectDescribe;
    const names = hqAccount.fields.filter((f) => f.type !== 'address' && f.type !== 'location').map((f) => f.name);
    base = (await hq.query(`SELECT ${names.join(', ')} FROM Account`)).records as Array<Record<string, unknown>>;
  } finally {
    await emulator.stop();
  }

  const evaluator = jsonataEvaluator();
  const opts = { sourceDescribe: hqAccount, targetDescribe: subAccount, evaluator };
  const compileMs = await median(async () => compileMapping(MAPPING_TEMPLATES.Account, opts));
  const compiled = compileMapping(MAPPING_TEMPLATES.Account, opts);

  const industries = (hqAccount.fields.find((f) => f.name === 'Industry')!.picklistValues ?? []).map((p) => p.value);
  const records = makeRecords(base, industries, RECORDS);

  await timeMapping('Account template, one batch', compiled, records, 'whole records');

  const batchTimes: number[] = [];
  const batches = Math.ceil(records.length / 1000);
  await median(async () => {
    for (let b = 0; b < batches; b++) await applyMapping(compiled, records.slice(b * 1000, (b + 1) * 1000));
  });
  for (let b = 0; b < batches; b++) {
    const slice = records.slice(b * 1000, (b + 1) * 1000);
    const t0 = performance.now();
    await applyMapping(compiled, slice);
    batchTimes.push(performance.now() - t0);
  }
  batchTimes.sort((a, b) => a - b);
  rows.push({
    what: 'Account template, batches of 1,000',
    records: records.length,
    ms: batchTimes.reduce((a, b) => a + b, 0),
    perThousand: `${percentile(batchTimes, 50).toFixed(1)} / ${batchTimes[batchTimes.length - 1]!.toFixed(1)}`,
    note: `${batches} calls of 1,000 (the node's usual batch); p50 / max per call`,
  });

  const noExpressions: Mapping = {
    ...MAPPING_TEMPLATES.Account,
    filter: undefined,
    fields: MAPPING_TEMPLATES.Account.fields.filter((f) => f.expression === undefined && f.condition === undefined),
  };
  await timeMapping('copies and value maps only', compileMapping(noExpressions, opts), records, 'template without filter, condition or expression');

  await timeMapping('CDC updates, 3 changed fields', compiled, partialRecords(records), 'absent fields left out');

  // What every node pays before it maps or writes: the envelope check, batches of 200 as sf-collect sends them.
  const meta = { source: { orgId: '00DDo0000000001AAA', name: 'HQ' }, object: 'Account', batchId: 'b', runId: 'r', level: 0, last: false };
  const check = (level: 'records' | 'keyed') => () => {
    for (let b = 0; b < records.length; b += 200) readBatch({ payload: records.slice(b, b + 200), s2s: meta }, level);
  };
  rows.push({ what: 'envelope check, whole records', records: records.length, ms: await median(async () => check('records')()), note: 'readBatch(records), batches of 200 (sf-map-fields)' });
  rows.push({ what: 'envelope check, ledger keys only', records: records.length, ms: await median(async () => check('keyed')()), note: 'readBatch(keyed), batches of 200 (sf-upsert-out)' });

  printTable(
    ['figure', 'records', 'total ms', 'records/s', 'µs/record', 'ms per 1,000', 'note'],
    [
      ['compile Account template', '1', compileMs.toFixed(2), '', '', '', 'against real describes, once per deploy'],
      ...rows.map((r) => [
        r.what, fmtInt(r.records), r.ms.toFixed(1), fmtInt((r.records / r.ms) * 1000), ((r.ms * 1000) / r.records).toFixed(1),
        r.perThousand ?? ((r.ms * 1000) / r.records).toFixed(1), r.note,
      ]),
    ],
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
