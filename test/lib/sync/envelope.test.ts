import { expect } from 'chai';
import { DEMO_CREDENTIALS } from '../../../emulator/index.js';
import { OrgConnection } from '../../../lib/connection/org-connection.js';
import { compileForOrgs, mapBatch, mappedMeta, MAPPING_TEMPLATES, type CompiledMapping, type ObjectDescribe } from '../../../lib/mapping/index.js';
import { jsonataEvaluator } from '../../../lib/mapping/jsonata-evaluator.js';
import { OrgApi } from '../../../lib/salesforce/org-api.js';
import { WRITE_METRICS_SCHEMA } from '../../../lib/sync/envelope-schema.js';
import { EnvelopeError, readBatch, readMeta, sourceOrgsOf, writeMetricsOf, type RecordCheck } from '../../../lib/sync/envelope.js';
import type { BatchMeta, SyncRecord } from '../../../lib/sync/types.js';
import { addMetrics, emptyMetrics } from '../../../lib/upsert/types.js';
import { collectAll, hqConnection, idOf, plan, startDemoEmulator, type Emulator } from '../collect/helpers.js';

const HQ = '00DHQ0000000001AAA';
const OTHER = '00DOT0000000002AAA';

function rec(over: Record<string, unknown> = {}, n = 1): SyncRecord {
  return {
    object: 'Account',
    sourceId: `001HQ00000000${String(n).padStart(2, '0')}AAA`,
    operation: 'upsert',
    fields: { Name: `Acme ${n}`, NumberOfEmployees: 10, IsPartner: false, Description: null },
    references: [{ field: 'ParentId', id: '001HQ0000000099AAA', object: 'Account' }],
    origin: { orgId: HQ, via: 'collect' },
    ...over,
  } as SyncRecord;
}

const META: BatchMeta = { source: { orgId: HQ, name: 'hq' }, object: 'Account', batchId: 'run-1:0', runId: 'run-1', level: 0, last: true };

/** The problems readBatch names for a message, or [] when it takes it. */
function problems(msg: { payload?: unknown; s2s?: unknown }, level: RecordCheck = 'records'): string[] {
  try {
    readBatch(msg, level);
    return [];
  } catch (err) {
    expect(err).to.be.instanceOf(EnvelopeError);
    const e = err as EnvelopeError;
    expect(e.code).to.equal('INVALID_BATCH');
    expect(e.name).to.equal('EnvelopeError');
    expect(e.message).to.equal(e.problems.join('; '));
    return e.problems;
  }
}

describe('the envelope (readBatch)', () => {
  it('takes a well-formed batch, handing back the records and meta as given', () => {
    const payload = [rec({}, 1), rec({ operation: 'delete', fields: {} }, 2)];
    const s2s = { ...META, ack: ['h1'], filtered: 0 };
    for (const level of ['records', 'keyed'] as const) {
      const batch = readBatch({ payload, s2s }, level);
      expect(batch.records).to.equal(payload);
      expect(batch.meta).to.equal(s2s);
    }
    expect(readBatch({ payload: [] }, 'records')).to.deep.equal({ records: [], meta: undefined });
    expect(readBatch({ payload: [], s2s: null }, 'records').meta).to.equal(undefined);
  });

  it('refuses a payload that is not an array, saying what it got', () => {
    const lead = 'msg.payload must be an array of sync records (what sf-collect and sf-map-fields send), not';
    const cases: Array<[unknown, string]> = [
      ['Acme', 'a string'], [42, 'a number'], [{ records: [] }, 'an object'], [null, 'null'], [undefined, 'nothing'], [true, 'a boolean'],
    ];
    for (const [payload, kind] of cases) {
      for (const level of ['records', 'keyed'] as const) expect(problems({ payload }, level)).to.deep.equal([`${lead} ${kind}`]);
    }
  });

  it('names the defect of a record by its path in the message (records)', () => {
    const { sourceId: _sourceId, ...noSourceId } = rec();
    const cases: Array<[unknown, string]> = [
      [noSourceId, 'msg.payload[1].sourceId is required'],
      [{ ...rec(), object: undefined }, 'msg.payload[1].object is required'],
      [{ ...rec(), fields: undefined }, 'msg.payload[1].fields is required'],
      [{ ...rec(), operation: undefined }, 'msg.payload[1].operation is required'],
      ['001HQ0000000001AAA', 'msg.payload[1] must be an object'],
      [rec({ sourceId: '' }), 'msg.payload[1].sourceId must not be empty'],
      [rec({ sourceId: 1234 }), 'msg.payload[1].sourceId must be a string'],
      [rec({ operation: 'merge' }), 'msg.payload[1].operation must be one of "upsert", "delete", "undelete" (got "merge")'],
      [rec({ fields: [] }), 'msg.payload[1].fields must be an object'],
      [rec({ changedFields: 'Name' }), 'msg.payload[1].changedFields must be an array'],
      [rec({ changedFields: ['Name', 3] }), 'msg.payload[1].changedFields[1] must be a string'],
      [rec({ references: [{ field: 'ParentId' }] }), 'msg.payload[1].references[0].id is required'],
      [rec({ references: [{ field: 'ParentId', id: '001', object: 'Account', deferred: false }] }), 'msg.payload[1].references[0].deferred must be true (got false)'],
      [rec({ origin: { orgId: HQ, via: 'email' } }), 'msg.payload[1].origin.via must be one of "collect", "cdc", "bulk", "manual" (got "email")'],
      [rec({ origin: { orgId: 7 } }), 'msg.payload[1].origin.orgId must be a string'],
      [rec({ target: { object: 'Account', fields: {}, references: [] } }), 'msg.payload[1].target.match is required'],
      [rec({ target: { object: 'Account', match: { by: 'id' }, fields: {}, references: [] } }), 'msg.payload[1].target.match.by must be one of "externalId", "ledger" (got "id")'],
      [
        rec({ target: { object: 'Account', match: { by: 'ledger' }, fields: {}, references: [{ field: 'ParentId', relationshipName: 'Parent', object: 'Account', sourceId: '001', nillable: 'yes' }] } }),
        'msg.payload[1].target.references[0].nillable must be true or false',
      ],
    ];
    for (const [bad, expected] of cases) expect(problems({ payload: [rec({}, 1), bad] }), expected).to.deep.equal([expected]);
    // Change events carry compound fields (an address) as objects: values of any kind pass.
    expect(problems({ payload: [rec({ fields: { BillingAddress: { city: 'Hamburg', country: 'DE' }, Tags: ['a'] } })] })).to.deep.equal([]);
  });

  it('needs only a place in the ledger for each record (keyed): the writer reports the rest per record', () => {
    // Defects a mapper must refuse, a writer takes: each becomes that record's own failed result.
    const writerTakes = [
      rec({ operation: 'merge' }),
      { object: 'Account', sourceId: '001HQ0000000001AAA' },
      rec({ fields: 'Name' }),
      rec({ target: { object: 'Account' } }),
    ];
    for (const r of writerTakes) expect(problems({ payload: [r] }, 'keyed'), JSON.stringify(r)).to.deep.equal([]);
    for (const r of writerTakes) expect(problems({ payload: [r] }, 'records'), JSON.stringify(r)).to.have.length(1);

    const cases: Array<[unknown, string]> = [
      [{ object: 'Account' }, 'msg.payload[0].sourceId is required'],
      [{ sourceId: '001HQ0000000001AAA' }, 'msg.payload[0].object is required'],
      [{ object: '', sourceId: '001HQ0000000001AAA' }, 'msg.payload[0].object must not be empty'],
      [{ object: 'Account', sourceId: '001HQ0000000001AAA', origin: 'hq' }, 'msg.payload[0].origin must be an object'],
      [{ object: 'Account', sourceId: '001HQ0000000001AAA', origin: { orgId: 1 } }, 'msg.payload[0].origin.orgId must be a string or null'],
      [null, 'msg.payload[0] must be an object'],
    ];
    for (const [bad, expected] of cases) expect(problems({ payload: [bad] }, 'keyed'), expected).to.deep.equal([expected]);
  });

  it('checks msg.s2s where present, with the same words', () => {
    const cases: Array<[unknown, string]> = [
      ['run-1', 'msg.s2s must be an object'],
      [[META], 'msg.s2s must be an object'],
      [{ ...META, level: 1.5 }, 'msg.s2s.level must be an integer'],
      [{ ...META, level: '1' }, 'msg.s2s.level must be an integer'],
      [{ ...META, level: -1 }, 'msg.s2s.level must be >= 0'],
      [{ ...META, last: 'yes' }, 'msg.s2s.last must be true or false'],
      [{ ...META, source: { name: 7 } }, 'msg.s2s.source.name must be a string'],
      [{ ...META, target: { orgId: 5 } }, 'msg.s2s.target.orgId must be a string'],
      [{ ...META, runId: 7 }, 'msg.s2s.runId must be a string'],
      [{ ...META, filtered: 2.5 }, 'msg.s2s.filtered must be an integer'],
      [{ ...META, ack: ['h1', 2] }, 'msg.s2s.ack[1] must be a string'],
      [{ ...META, write: { records: 1 } }, 'msg.s2s.write.apiCalls is required'],
      [{ ...META, write: { ...emptyMetrics(), failed: -1 } }, 'msg.s2s.write.failed must be >= 0'],
    ];
    for (const [s2s, expected] of cases) {
      expect(problems({ payload: [rec()], s2s }), expected).to.deep.equal([expected]);
      expect(() => readMeta(s2s), expected).to.throw(EnvelopeError, expected);
    }
    // Every property is optional (a batch built by hand), and other properties are left alone.
    expect(readMeta({})).to.deep.equal({});
    expect(readMeta({ level: 3, custom: { anything: true } })).to.deep.equal({ level: 3, custom: { anything: true } });
    expect(readMeta(undefined)).to.equal(undefined);
    expect(readMeta(null)).to.equal(undefined);
    expect(readMeta({ ...META, write: emptyMetrics() })).to.deep.include({ write: emptyMetrics() });
  });

  it('checks the records before the meta', () => {
    expect(problems({ payload: [{ object: 'Account' }], s2s: { level: 'x' } })).to.deep.equal(['msg.payload[0].sourceId is required']);
  });
});

describe('sourceOrgsOf', () => {
  it('takes each record\'s own origin first, then msg.s2s.source', () => {
    const batch = readBatch({
      payload: [rec({}, 1), rec({ origin: { orgId: OTHER, via: 'cdc' } }, 2), rec({ origin: undefined }, 3), rec({ origin: { orgId: '', via: 'manual' } }, 4)],
      s2s: META,
    }, 'keyed');
    expect(sourceOrgsOf(batch)).to.deep.equal([HQ, OTHER, HQ, HQ]);
    const merged = readBatch({ payload: [rec({ origin: { orgId: OTHER, via: 'cdc' } }, 1), rec({}, 2)], s2s: { ...META, source: { orgId: 'ignored' } } }, 'keyed');
    expect(sourceOrgsOf(merged)).to.deep.equal([OTHER, HQ]);
  });

  it('names the first record without a source org by index and source Id', () => {
    const noOrigin = rec({ origin: undefined }, 2);
    const cases: Array<{ payload: unknown[]; s2s?: unknown }> = [
      { payload: [rec({}, 1), noOrigin] },
      { payload: [rec({}, 1), noOrigin], s2s: { object: 'Account' } },
      { payload: [rec({}, 1), noOrigin], s2s: { source: { orgId: '' } } },
    ];
    for (const msg of cases) {
      const batch = readBatch(msg, 'keyed');
      let err: unknown;
      try {
        sourceOrgsOf(batch);
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(EnvelopeError);
      expect((err as EnvelopeError).code).to.equal('INVALID_BATCH');
      expect((err as EnvelopeError).problems).to.deep.equal([
        `msg.payload[1] (${noOrigin.sourceId}) has no source org: set origin.orgId on the record or msg.s2s.source.orgId`,
      ]);
    }
  });
});

describe('writeMetricsOf', () => {
  it('reads the metrics sf-upsert-out puts on msg.s2s.write', () => {
    const empty = emptyMetrics();
    expect(writeMetricsOf({ s2s: { ...META, write: empty } })).to.equal(empty);
    const total = emptyMetrics();
    addMetrics(total, { ...emptyMetrics(), records: 3, apiCalls: 2, created: 2, updated: 1, durationMs: 12.5 });
    addMetrics(total, { ...emptyMetrics(), records: 1, apiCalls: 1, failed: 1, deadLettered: 1, resends: 2, durationMs: 3 });
    expect(writeMetricsOf({ s2s: { write: total } })).to.deep.equal({ ...emptyMetrics(), records: 4, apiCalls: 3, created: 2, updated: 1, failed: 1, deadLettered: 1, resends: 2, durationMs: 15.5 });
  });

  it('checks every figure WriteMetrics has, and no other', () => {
    const schemaKeys = Object.keys(WRITE_METRICS_SCHEMA.properties).sort();
    // lagMs is the one optional figure: only writes of change events have it.
    expect(schemaKeys).to.deep.equal([...Object.keys(emptyMetrics()), 'lagMs'].sort());
    expect(writeMetricsOf({ s2s: { write: { ...emptyMetrics(), lagMs: 850 } } })?.lagMs).to.equal(850);
    for (const key of schemaKeys) {
      expect(writeMetricsOf({ s2s: { write: { ...emptyMetrics(), [key]: -1 } } }), key).to.equal(undefined);
      expect(writeMetricsOf({ s2s: { write: { ...emptyMetrics(), [key]: '1' } } }), key).to.equal(undefined);
    }
  });

  it('is undefined for a message without metrics or with another shape', () => {
    const others: unknown[] = [
      undefined, null, 'x', {}, { ...META },
      { write: 'done' }, { write: [] }, { write: null },
      { write: { records: 1 } },
      { write: { apiCalls: 1 } },
      { write: { ...emptyMetrics(), records: 1.5 } },
      { write: { ...emptyMetrics(), durationMs: -5 } },
    ];
    for (const s2s of others) expect(writeMetricsOf({ s2s }), JSON.stringify(s2s)).to.equal(undefined);
    expect(writeMetricsOf({})).to.equal(undefined);
  });
});

describe('the envelope matches what the engine produces (demo orgs)', () => {
  let emulator: Emulator;
  let hq: OrgConnection;
  let sub: OrgConnection;
  before(async () => {
    emulator = await startDemoEmulator();
  });
  after(() => emulator.stop());
  beforeEach(() => {
    for (const org of emulator.orgs.values()) org.reset();
    hq = hqConnection(emulator);
    const c = DEMO_CREDENTIALS.subsidiary;
    sub = new OrgConnection(
      {
        name: 'subsidiary', environment: 'custom', domain: emulator.loginUrl, apiVersion: '62.0', authFlow: 'password',
        clientId: c.clientId, username: c.integration.username, callOptionsClient: 'OrgBridgeTest', apiBudgetPercent: 100,
      },
      { clientSecret: c.clientSecret, password: c.integration.password },
    );
  });
  afterEach(() => {
    hq.close();
    sub.close();
  });

  it('takes every batch sf-collect sends, and every batch sf-map-fields makes of them', async () => {
    const root = await idOf(hq, 'Account', 'Altura Industries');
    const p = await plan(hq, { rootObject: 'Account', ids: [root], depth: 5, children: ['ChildAccounts', 'Contacts', 'Account.Opportunities'] });
    const { batches } = await collectAll(hq, p);
    expect(batches.length).to.be.greaterThan(2);
    const objects = new Set(batches.flatMap((b) => b.records.map((r) => r.object)));
    expect([...objects].sort()).to.deep.equal(['Account', 'Contact', 'Opportunity']);

    const evaluator = jsonataEvaluator({ env: { SYNC_REGION: 'EMEA' } });
    const source = new OrgApi(hq);
    const target = new OrgApi(sub);
    const describeSource = { describeIfExists: (o: string) => source.describeIfExists(o) as Promise<ObjectDescribe | null> };
    const describeTarget = { describeIfExists: (o: string) => target.describeIfExists(o) as Promise<ObjectDescribe | null> };
    const mappers: CompiledMapping[] = [];
    for (const name of ['Account', 'Contact', 'Opportunity'] as const) mappers.push(await compileForOrgs(MAPPING_TEMPLATES[name], describeSource, describeTarget, evaluator));
    const targetRef = { orgId: emulator.org('subsidiary').orgId, name: 'subsidiary' };

    let mappedRecords = 0;
    for (const b of batches) {
      // As Node-RED hands it on: a clone of the message.
      const msg = JSON.parse(JSON.stringify({ payload: b.records, s2s: b.meta })) as { payload: SyncRecord[]; s2s: BatchMeta };
      expect(problems(msg, 'records'), `collected batch ${b.meta.batchId}`).to.deep.equal([]);
      const batch = readBatch(msg, 'records');
      expect(sourceOrgsOf(batch).every((o) => o === emulator.org('hq').orgId)).to.equal(true);

      // Mappers in series, one per object, as a flow chains them.
      let records = batch.records;
      let meta: BatchMeta | undefined = batch.meta as BatchMeta;
      for (const m of mappers) {
        const result = await mapBatch(m, records);
        expect(result.rejected, `rejected in ${b.meta.batchId}`).to.deep.equal([]);
        records = result.records;
        meta = mappedMeta(meta, { source: b.meta.source, target: targetRef, object: m.sourceObject, batchId: b.meta.batchId, filtered: result.filtered });
      }
      const mapped = JSON.parse(JSON.stringify({ payload: records, s2s: meta })) as { payload: SyncRecord[]; s2s: BatchMeta };
      expect(problems(mapped, 'records'), `mapped batch ${b.meta.batchId}`).to.deep.equal([]);
      expect(problems(mapped, 'keyed')).to.deep.equal([]);
      for (const r of mapped.payload) expect(r.target, `${r.object} ${r.sourceId} mapped`).to.be.an('object');
      mappedRecords += mapped.payload.length;

      // What sf-upsert-out adds afterwards is read back as well.
      const written = { ...mapped, s2s: { ...mapped.s2s, write: { ...emptyMetrics(), records: mapped.payload.length, apiCalls: 1 } } };
      expect(problems(written)).to.deep.equal([]);
      expect(writeMetricsOf(written)).to.include({ records: mapped.payload.length, apiCalls: 1 });
    }
    expect(mappedRecords).to.be.greaterThan(20);
  });

  it('checks the target side sf-map-fields adds (a damaged one is refused)', async () => {
    const root = await idOf(hq, 'Account', 'Altura Industries');
    const { batches } = await collectAll(hq, await plan(hq, { rootObject: 'Account', ids: [root], depth: 1, parents: false }));
    const m = await compileForOrgs(MAPPING_TEMPLATES.Account, new OrgApi(hq), new OrgApi(sub), jsonataEvaluator({ env: { SYNC_REGION: 'EMEA' } }));
    const { records } = await mapBatch(m, batches[0]!.records);
    const mapped = JSON.parse(JSON.stringify(records)) as SyncRecord[];
    expect(mapped[0]!.target).to.be.an('object');
    expect(problems({ payload: mapped })).to.deep.equal([]);
    const damaged = JSON.parse(JSON.stringify(mapped)) as Array<Record<string, unknown> & { target: Record<string, unknown> }>;
    delete damaged[0]!.target.match;
    expect(problems({ payload: damaged })).to.deep.equal(['msg.payload[0].target.match is required']);
    damaged[0]!.target = { ...mapped[0]!.target!, fields: { Name: ['not', 'a', 'value'] } };
    expect(problems({ payload: damaged })).to.deep.equal(['msg.payload[0].target.fields.Name must be a string, number, boolean or null']);
  });
});
