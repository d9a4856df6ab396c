import { expect } from 'chai';
import { MAPPING_TEMPLATES, compileMapping, mapBatch, mappedMeta } from '../../../lib/mapping/index.js';
import { jsonataEvaluator } from '../../../lib/mapping/jsonata-evaluator.js';
import { EnvelopeError, readBatch, readMeta, sourceOrgsOf, writeMetricsOf } from '../../../lib/sync/envelope.js';
import type { SyncRecord } from '../../../lib/sync/types.js';
import { emptyMetrics } from '../../../lib/upsert/types.js';
import { collectAll, hqConnection, idOf, plan, startDemoEmulator, type Emulator } from '../collect/helpers.js';
import { loadDescribes } from '../mapping/support.js';

const record = (over: Partial<SyncRecord> = {}): SyncRecord => ({
  object: 'Account', sourceId: '001000000000001AAA', operation: 'upsert', fields: { Name: 'Acme' }, references: [], origin: { orgId: '00D000000000001AAA', via: 'manual' }, ...over,
});

/** The problems an envelope error gives, or fails when there is none. */
function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(EnvelopeError);
    expect((err as EnvelopeError).code).to.equal('INVALID_BATCH');
    return (err as EnvelopeError).problems;
  }
  throw new Error('expected an EnvelopeError');
}

describe('the message envelope', () => {
  it('refuses a payload that is not a batch, saying what it got', () => {
    expect(problems(() => readBatch({ payload: 'hello' }, 'records'))).to.deep.equal(['msg.payload must be an array of sync records (what sf-collect and sf-map-fields send), not a string']);
    expect(problems(() => readBatch({ payload: { records: [] } }, 'keyed'))[0]).to.match(/not an object$/);
    expect(problems(() => readBatch({}, 'keyed'))[0]).to.match(/not nothing$/);
  });

  it('checks whole records for a mapper, with the path of the first problem', () => {
    expect(readBatch({ payload: [record(), record({ sourceId: '001000000000002AAA', operation: 'delete' })] }, 'records').records).to.have.length(2);
    expect(problems(() => readBatch({ payload: [record(), { ...record(), sourceId: undefined }] }, 'records'))).to.deep.equal(['msg.payload[1].sourceId is required']);
    expect(problems(() => readBatch({ payload: [record({ operation: 'merge' as never })] }, 'records'))).to.deep.equal(['msg.payload[0].operation must be one of "upsert", "delete", "undelete" (got "merge")']);
    expect(problems(() => readBatch({ payload: [record({ fields: { Name: { nested: 1 } as never } })] }, 'records'))[0]).to.match(/^msg\.payload\[0\]\.fields\.Name must be /);
    expect(problems(() => readBatch({ payload: [record({ references: [{ field: 'ParentId', object: 'Account' } as never] })] }, 'records'))).to.deep.equal(['msg.payload[0].references[0].id is required']);
    expect(problems(() => readBatch({ payload: [record({ object: '' })] }, 'records'))).to.deep.equal(['msg.payload[0].object must not be empty']);
  });

  it('asks only for the ledger key of each record for a writer: the rest is that record\'s own failure', () => {
    const loose = [{ object: 'Account', sourceId: '001000000000001AAA' }, { object: 'Account', sourceId: '001000000000002AAA', operation: 'undelete', fields: 'x' }];
    expect(readBatch({ payload: loose }, 'keyed').records).to.have.length(2);
    expect(problems(() => readBatch({ payload: [...loose, { Name: 'no key' }] }, 'keyed'))).to.deep.equal(['msg.payload[2].object is required']);
  });

  it('checks msg.s2s where present, and takes a batch without it', () => {
    expect(readBatch({ payload: [] }, 'records').meta).to.equal(undefined);
    expect(readMeta({ source: { orgId: '00D1', name: 'HQ' }, runId: 'r', level: 2, last: false })).to.deep.include({ level: 2 });
    expect(problems(() => readMeta({ level: 1.5 }))).to.deep.equal(['msg.s2s.level must be an integer']);
    expect(problems(() => readMeta({ source: { name: 'HQ' } }))).to.deep.equal(['msg.s2s.source.orgId is required']);
    expect(problems(() => readMeta('batch 1'))).to.deep.equal(['msg.s2s must be an object']);
  });

  it('tells each record\'s source org: its own origin first, else the batch\'s', () => {
    const batch = readBatch({ payload: [record(), record({ origin: { orgId: '', via: 'manual' } })], s2s: { source: { orgId: '00DBATCH', name: 'HQ' } } }, 'keyed');
    expect(sourceOrgsOf(batch)).to.deep.equal(['00D000000000001AAA', '00DBATCH']);
    const orphan = readBatch({ payload: [record({ origin: undefined as never })] }, 'keyed');
    expect(problems(() => sourceOrgsOf(orphan))).to.deep.equal(['msg.payload[0] (001000000000001AAA) has no source org: set origin.orgId on the record or msg.s2s.source.orgId']);
  });

  it('reads the write figures sf-upsert-out makes, and no other shape', () => {
    const write = { ...emptyMetrics(), records: 3, apiCalls: 1, created: 3, durationMs: 12.5 };
    expect(writeMetricsOf({ s2s: { write } })).to.deep.equal(write);
    expect(writeMetricsOf({ s2s: {} })).to.equal(undefined);
    expect(writeMetricsOf({ s2s: { write: { counts: { created: 3 } } } })).to.equal(undefined);
    expect(writeMetricsOf({ s2s: { write: { ...write, apiCalls: -1 } } })).to.equal(undefined);
  });

  describe('fits what the engine sends', () => {
    let emulator: Emulator;
    before(async () => {
      emulator = await startDemoEmulator();
    });
    after(() => emulator.stop());

    it('takes the collector\'s batches, and the mapper\'s output of them, as whole sync records', async () => {
      const conn = hqConnection(emulator);
      try {
        const leaf = await idOf(conn, 'Account', 'Altura San Francisco Plant');
        const run = await collectAll(conn, await plan(conn, { rootObject: 'Account', ids: [leaf], depth: 5, children: ['Contacts', 'Opportunities'] }));
        expect(run.batches.length).to.be.greaterThan(1);
        const d = await loadDescribes();
        const evaluator = jsonataEvaluator({});
        const compiled = compileMapping(MAPPING_TEMPLATES.Account, { sourceDescribe: d.hq.Account, targetDescribe: d.subsidiary.Account, evaluator, parentDescribes: { Account: d.subsidiary.Account } });
        let mappedAccounts = 0;
        for (const b of run.batches) {
          const read = readBatch({ payload: b.records, s2s: b.meta }, 'records');
          expect(read.records).to.have.length(b.records.length);
          const mapped = await mapBatch(compiled, read.records);
          mappedAccounts += mapped.mapped;
          const meta = mappedMeta(read.meta, { source: b.meta.source, target: { orgId: '00DSUB', name: 'Subsidiary' }, object: 'Account', batchId: 'x', filtered: mapped.filtered });
          expect(readBatch({ payload: mapped.records, s2s: meta }, 'records').records).to.have.length(mapped.records.length);
        }
        // The leaf and its four parent accounts, each now with a target side.
        expect(mappedAccounts).to.equal(5);
      } finally {
        conn.close();
      }
    });
  });
});
