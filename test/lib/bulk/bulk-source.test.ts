/**
 * A bulk read as a source (BulkSource) against the emulator: batches within the acknowledgement
 * window, the checkpoint in the ledger moved only past fully written pages, a read stopped
 * mid-way going on with the same job, and a failed batch holding the checkpoint.
 */
import { expect } from 'chai';
import { bulkLoad } from '../../../emulator/data/bulk-load.js';
import type { Emulator } from '../../../emulator/index.js';
import { BulkSource, type BulkSourceOptions } from '../../../lib/bulk/bulk-source.js';
import { OrgConnection } from '../../../lib/connection/org-connection.js';
import { Ledger } from '../../../lib/ledger/index.js';
import { AckRegistry } from '../../../lib/runtime/acks.js';
import { OrgApi } from '../../../lib/salesforce/org-api.js';
import type { BatchMeta, SyncRecord } from '../../../lib/sync/types.js';
import { PASSWORD, settingsFor } from '../../support/connection.js';
import { restoreOrgs, startTestEmulator } from '../../support/emulator.js';

const ROWS = 5_000;

interface Sent {
  records: SyncRecord[];
  meta: BatchMeta;
  ack?: string[];
}

describe('a bulk read as a source of batches (BulkSource)', function () {
  this.timeout(30_000);
  let emulator: Emulator;
  let ledger: Ledger;
  let acks: AckRegistry;
  const orgs: OrgConnection[] = [];

  before(async () => {
    emulator = await startTestEmulator();
  });
  after(() => emulator.stop());
  beforeEach(async () => {
    await restoreOrgs(emulator);
    bulkLoad(emulator.org('alpha'), 'Account', Array.from({ length: ROWS }, (_, i) => ({ Name: `Bulk ${i}` })));
    ledger = Ledger.open(':memory:');
    acks = new AckRegistry();
  });
  afterEach(() => {
    for (const o of orgs.splice(0)) o.close();
    ledger.close();
  });

  function source(sent: Sent[], over: Partial<BulkSourceOptions> = {}) {
    const org = new OrgConnection(settingsFor(emulator), PASSWORD);
    orgs.push(org);
    return new BulkSource({
      api: new OrgApi(org), ledger, acks, owner: 'bulk-test', object: 'Account', checkpointName: '', batchSize: 200, inFlight: 4, ackTimeoutMs: 60_000,
      acked: true, bulk: { pageSize: 2_000, pollMs: 5, sleep: async () => undefined }, send: (b) => sent.push(b), ...over,
    });
  }
  const checkpoint = () => ledger.bulkCheckpoint(emulator.org('alpha').orgId, 'Account');

  it('sends every record once in batches, never more than In flight unwritten, and clears its checkpoint when done', async () => {
    const sent: Sent[] = [];
    let peak = 0;
    // The "writer": settles each batch a moment after it arrives, as sf-upsert-out would.
    const s = source(sent, {
      send: (b) => {
        sent.push(b);
        peak = Math.max(peak, s.window.inFlight);
        setTimeout(() => acks.settleAll(b.ack, 'settled'), 2);
      },
    });
    const result = await s.run();
    const ids = sent.flatMap((b) => b.records.map((r) => r.sourceId));
    expect(ids).to.have.length(ROWS);
    expect(new Set(ids).size).to.equal(ROWS);
    expect(sent.every((b) => b.records.length <= 200 && b.records.every((r) => r.origin.via === 'bulk'))).to.equal(true);
    expect(peak).to.be.at.most(4);
    expect(result).to.include({ finished: true, sent: ROWS, written: ROWS, total: ROWS, resumedAt: 0, failedBatches: 0 });
    expect(checkpoint(), 'cleared once every page is written').to.equal(undefined);
  });

  it('stopped mid-way, goes on with the same job from the first page not fully written', async () => {
    const sent: Sent[] = [];
    const first = source(sent, {
      send: (b) => {
        sent.push(b);
        // Batches 1 to 13 are written (page 1 whole, page 2 in part); then the process stops.
        if (sent.length <= 13) acks.settleAll(b.ack, 'settled');
        if (sent.length === 14) setTimeout(() => first.stop(), 0);
      },
    });
    const stopped = await first.run();
    expect(stopped.finished).to.equal(false);
    expect(checkpoint()).to.include({ records: 2_000, jobId: stopped.jobId });
    const again: Sent[] = [];
    const second = source(again, { send: (b) => { again.push(b); acks.settleAll(b.ack, 'settled'); } });
    const result = await second.run();
    expect(result).to.include({ jobId: stopped.jobId, resumedAt: 2_000, sent: ROWS - 2_000, written: ROWS, finished: true });
    const all = new Set([...sent.slice(0, 10), ...again].flatMap((b) => b.records.map((r) => r.sourceId)));
    expect(all.size, 'every record, the written page not again').to.equal(ROWS);
  });

  it('holds the checkpoint before a page whose batch failed, and reads that page again next time', async () => {
    const sent: Sent[] = [];
    const s = source(sent, { send: (b) => { sent.push(b); acks.settleAll(b.ack, sent.length === 15 ? 'failed' : 'settled'); } });
    const result = await s.run();
    expect(result).to.include({ finished: false, failedBatches: 1 });
    // Batch 15 is on page 2: the read may resume only after page 1.
    expect(checkpoint()).to.include({ records: 2_000 });
    const again: Sent[] = [];
    const next = await source(again, { send: (b) => { again.push(b); acks.settleAll(b.ack, 'settled'); } }).run();
    expect(next).to.include({ resumedAt: 2_000, finished: true });
    expect(checkpoint()).to.equal(undefined);
  });

  it('reads through REST query pages in Id order when told to, and a stopped REST read goes on after the last Id written', async () => {
    const sent: Sent[] = [];
    const first = source(sent, {
      path: 'rest',
      send: (b) => {
        sent.push(b);
        if (sent.length <= 13) acks.settleAll(b.ack, 'settled');
        if (sent.length === 14) setTimeout(() => first.stop(), 0);
      },
    });
    const stopped = await first.run();
    expect(stopped).to.include({ finished: false, jobId: 'rest', total: ROWS });
    const saved = checkpoint()!;
    // Each REST batch is a resume point: 13 of 200 written, mid-way through the second page.
    expect(saved.records).to.equal(2_600);
    const written = sent.slice(0, 13).flatMap((b) => b.records.map((r) => r.sourceId));
    expect(saved.locator, 'the last Id written').to.equal(written.at(-1));
    const again: Sent[] = [];
    const result = await source(again, { path: 'rest', send: (b) => { again.push(b); acks.settleAll(b.ack, 'settled'); } }).run();
    expect(result).to.include({ resumedAt: 2_600, sent: ROWS - 2_600, written: ROWS, total: ROWS, finished: true });
    const resumed = again.flatMap((b) => b.records.map((r) => r.sourceId));
    expect(resumed.filter((id) => written.includes(id)), 'no record written before again').to.deep.equal([]);
    expect(new Set([...written, ...resumed]).size).to.equal(ROWS);
    expect(again.every((b) => b.records.every((r) => r.origin.via === 'bulk' && r.fields.Name !== undefined))).to.equal(true);
    expect(checkpoint()).to.equal(undefined);
  });

  it('does not go on with the checkpoint of another query: a changed filter reads anew', async () => {
    const sent: Sent[] = [];
    const first = source(sent, {
      send: (b) => {
        sent.push(b);
        if (sent.length <= 10) acks.settleAll(b.ack, 'settled');
        if (sent.length === 11) setTimeout(() => first.stop(), 0);
      },
    });
    await first.run();
    expect(checkpoint()).to.include({ records: 2_000 });
    const again: Sent[] = [];
    const result = await source(again, { where: "Name LIKE 'Bulk 1%'", send: (b) => { again.push(b); acks.settleAll(b.ack, 'settled'); } }).run();
    const expected = Array.from({ length: ROWS }, (_, i) => `Bulk ${i}`).filter((n) => n.startsWith('Bulk 1')).length;
    expect(result).to.include({ resumedAt: 0, sent: expected, finished: true });
    expect(again.flatMap((b) => b.records).every((r) => String(r.fields.Name).startsWith('Bulk 1'))).to.equal(true);
  });

  it('reads only the fields asked for, or every field but those left out, and names a field to leave out that does not exist', async () => {
    const sent: Sent[] = [];
    await source(sent, { exclude: ['Industry', 'Phone'], send: (b) => { sent.push(b); acks.settleAll(b.ack, 'settled'); } }).run();
    const fields = Object.keys(sent[0]!.records[0]!.fields);
    expect(fields).to.include('Name').and.not.include('Industry').and.not.include('Phone');
    const only: Sent[] = [];
    await source(only, { include: ['Name'], send: (b) => { only.push(b); acks.settleAll(b.ack, 'settled'); } }).run();
    expect(Object.keys(only[0]!.records[0]!.fields)).to.include('Name').and.not.include('Phone');
    let error: Error | undefined;
    await source([], { exclude: ['Phonee'] }).run().catch((e: Error) => (error = e));
    expect(error?.message).to.contain("Account has no field 'Phonee'");
  });
});
