/**
 * A historical backfill (Backfill) against the emulator: ranges of CreatedDate read oldest
 * first, every record in exactly one range, the watermark kept for the hand-over, a stopped
 * backfill going on with the range it stood in, and each range counted against the ledger.
 */
import { expect } from 'chai';
import type { Emulator } from '../../../emulator/index.js';
import { generateOrgData } from '../../../emulator/index.js';
import { Backfill, BACKFILL_WATERMARK, type BackfillOptions } from '../../../lib/bulk/backfill.js';
import { readCondition } from '../../../lib/bulk/read-filter.js';
import { OrgConnection } from '../../../lib/connection/org-connection.js';
import { Ledger } from '../../../lib/ledger/index.js';
import { AckRegistry } from '../../../lib/runtime/acks.js';
import { OrgApi } from '../../../lib/salesforce/org-api.js';
import type { BatchMeta, SyncRecord } from '../../../lib/sync/types.js';
import { PASSWORD, settingsFor } from '../../support/connection.js';
import { restoreOrgs, startTestEmulator } from '../../support/emulator.js';

interface Sent {
  records: SyncRecord[];
  meta: BatchMeta;
  ack?: string[];
}

describe('a historical backfill by date ranges (Backfill)', function () {
  this.timeout(60_000);
  let emulator: Emulator;
  let ledger: Ledger;
  let acks: AckRegistry;
  let orgId: string;
  let total: number;
  const orgs: OrgConnection[] = [];

  before(async () => {
    emulator = await startTestEmulator();
  });
  after(() => emulator.stop());
  beforeEach(async () => {
    await restoreOrgs(emulator);
    const org = emulator.org('alpha');
    // Created over the three years before 2025-01-01, children at random dates of their own.
    const r = generateOrgData(org, { seed: 11, accounts: 400, baseDate: '2025-01-01' });
    total = r.accounts + r.contacts + r.opportunities;
    orgId = org.orgId;
    ledger = Ledger.open(':memory:');
    acks = new AckRegistry();
  });
  afterEach(() => {
    for (const o of orgs.splice(0)) o.close();
    ledger.close();
  });

  /** A writer stand-in: maps every record it is given (except `skip`) into a target, then acknowledges. */
  const writer = (sent: Sent[], skip = new Set<string>()) => (b: Sent) => {
    sent.push(b);
    ledger.mapIds(b.records.filter((r) => !skip.has(r.sourceId)).map((r) => ({ sourceOrg: orgId, sourceId: r.sourceId, targetOrg: '00Dtarget', targetObject: r.object, targetId: `t${r.sourceId}` })));
    acks.settleAll(b.ack, 'settled');
  };

  function backfill(send: (b: Sent) => void, over: Partial<BackfillOptions> = {}) {
    const org = new OrgConnection(settingsFor(emulator), PASSWORD);
    orgs.push(org);
    return new Backfill({
      api: new OrgApi(org), ledger, acks, owner: 'backfill-test', objects: ['Account', 'Contact', 'Opportunity'], checkpointName: 'history', threshold: 400,
      batchSize: 250, inFlight: 3, ackTimeoutMs: 60_000, acked: true, bulk: { pageSize: 500, pollMs: 5, sleep: async () => undefined },
      dateField: 'CreatedDate', unit: 'year', check: true, fingerprint: 'f1',
      where: (range) => (_object, fieldType) => readCondition({ dateField: 'CreatedDate', from: range.from, to: range.to }, undefined, fieldType),
      send, ...over,
    });
  }

  let created: Map<string, number>;
  /** When each record was created, as the source says (sync records carry writable fields only). */
  beforeEach(async () => {
    const org = new OrgConnection(settingsFor(emulator), PASSWORD);
    orgs.push(org);
    const api = new OrgApi(org);
    created = new Map();
    for (const object of ['Account', 'Contact', 'Opportunity']) {
      for await (const page of api.pages<{ Id: string; CreatedDate: string }>(`SELECT Id, CreatedDate FROM ${object}`, 'test')) {
        for (const r of page.records) created.set(r.Id, Date.parse(r.CreatedDate.replace(/([+-]\d{2})(\d{2})$/, '$1:$2')));
      }
    }
  });
  const createdOf = (r: SyncRecord) => created.get(r.sourceId)!;

  it('reads every record once, range by range oldest first, and keeps the finished watermark with its start time', async () => {
    const sent: Sent[] = [];
    const ranges: Array<{ from: string; to?: string }> = [];
    const before = Date.now();
    const summary = await backfill(writer(sent), { onRange: (r) => ranges.push({ from: r.from, to: r.to }) }).run();
    // Starts at the oldest record (to the second), cut at the years up to now, the last one open.
    const oldest = Math.min(...created.values());
    expect(Date.parse(ranges[0]!.from)).to.equal(Math.floor(oldest / 1000) * 1000);
    const years = ranges.slice(1).map((r) => r.from);
    expect(years[0]).to.equal(`${Number(ranges[0]!.from.slice(0, 4)) + 1}-01-01`);
    expect(years[years.length - 1]).to.equal(`${new Date().getUTCFullYear()}-01-01`);
    expect(ranges[ranges.length - 1]!.to).to.equal(undefined);
    const ids = sent.flatMap((b) => b.records.map((r) => r.sourceId));
    expect(ids.length).to.equal(total);
    expect(new Set(ids).size, 'no record twice').to.equal(total);
    // Each record came in the batches of its own range, and the ranges in date order.
    let rangeOfBatch = 0;
    for (const b of sent) {
      for (const r of b.records) {
        const at = createdOf(r);
        while (ranges[rangeOfBatch]!.to && at >= Date.parse(`${ranges[rangeOfBatch]!.to}T00:00:00Z`)) rangeOfBatch++;
        expect(at, `${r.sourceId} not before its range`).to.be.at.least(Date.parse(ranges[rangeOfBatch]!.from.length === 10 ? `${ranges[rangeOfBatch]!.from}T00:00:00Z` : ranges[rangeOfBatch]!.from));
      }
    }
    expect(summary).to.include({ finished: true, stopped: false, written: total, total, missing: 0, watermark: null });
    expect(summary.ranges.every((r) => r.checks!.every((c) => c.missing === 0 && c.inTarget === c.source))).to.equal(true);
    expect(summary.ranges.flatMap((r) => r.checks!).reduce((n, c) => n + c.source, 0)).to.equal(total);
    const state = Backfill.state(ledger, orgId, 'history');
    expect(state?.finished).to.equal(true);
    expect(state!.startedAt).to.be.within(before, Date.now());
    // A finished backfill run again reads nothing.
    const again: Sent[] = [];
    const rerun = await backfill(writer(again)).run();
    expect(again.length).to.equal(0);
    expect(rerun).to.include({ finished: true, written: total });
  });

  it('stopped in its third range, goes on with that range and never sends the earlier ranges again', async () => {
    const first: Sent[] = [];
    let third = 0;
    const run: Backfill = backfill((b) => {
      writer(first)(b);
      if (b.meta.object === 'Contact' && third > 0) run.stop();
    }, { onRange: (r) => { if (r.index === 2) third++; } });
    const stopped = await run.run();
    expect(stopped).to.include({ finished: false, stopped: true });
    const watermark = ledger.bulkCheckpoint(orgId, BACKFILL_WATERMARK, 'history');
    expect(watermark?.locator, 'the third range is next').to.equal(stopped.watermark);
    const rangesDone = stopped.ranges.filter((r) => r.finished);
    expect(rangesDone.length).to.equal(2);
    const second: Sent[] = [];
    const resumedRanges: number[] = [];
    const summary = await backfill(writer(second), { onRange: (r) => resumedRanges.push(r.index) }).run();
    expect(resumedRanges[0]).to.equal(2);
    expect(summary).to.include({ finished: true, total, missing: 0 });
    const earlier = new Set(first.filter((b) => createdOf(b.records[0]!) < Date.parse(`${stopped.watermark}T00:00:00Z`)).flatMap((b) => b.records.map((r) => r.sourceId)));
    expect(earlier.size).to.be.greaterThan(0);
    expect(second.flatMap((b) => b.records).filter((r) => earlier.has(r.sourceId)), 'earlier ranges not read again').to.have.length(0);
    const all = new Set([...first, ...second].flatMap((b) => b.records.map((r) => r.sourceId)));
    expect(all.size, 'every record once at least').to.equal(total);
    // The accounts of the third range were written before the stop: its resumed read skips them.
    expect(second.some((b) => b.meta.object === 'Account' && b.records.some((r) => createdOf(r) < Date.parse(`${stopped.watermark}T00:00:00Z`))), 'no account of an earlier range').to.equal(false);
  });

  it('names the records of a range that are neither in the target nor dead-lettered', async () => {
    const sent: Sent[] = [];
    const skipped = new Set<string>();
    // The writer leaves out the first three contacts it is given, and dead-letters one more.
    const send = (b: Sent) => {
      if (b.meta.object === 'Contact' && skipped.size < 4) {
        for (const r of b.records.slice(0, 4 - skipped.size)) skipped.add(r.sourceId);
        const letter = [...skipped][3];
        if (letter) {
          ledger.addDeadLetters([{ sourceOrg: orgId, sourceId: letter, targetOrg: '00Dtarget', object: 'Contact', targetObject: 'Contact', operation: 'upsert', record: {}, errorCode: 'REQUIRED_FIELD_MISSING', message: 'LastName', category: 'permanent', fields: [], attempts: 1 } as never]);
        }
      }
      writer(sent, skipped)(b);
    };
    const summary = await backfill(send).run();
    expect(summary.finished).to.equal(true);
    expect(summary.missing).to.equal(3);
    const contactChecks = summary.ranges.flatMap((r) => r.checks!).filter((c) => c.object === 'Contact');
    expect(contactChecks.reduce((n, c) => n + c.missing, 0)).to.equal(3);
    expect(contactChecks.reduce((n, c) => n + c.deadLettered, 0)).to.equal(1);
  });

  it('starts over when told to, and when the backfill it finds is of another query', async () => {
    await backfill(writer([])).run();
    const restarted: Sent[] = [];
    await backfill(writer(restarted), { restart: true }).run();
    expect(restarted.flatMap((b) => b.records)).to.have.length(total);
    const changed: Sent[] = [];
    await backfill(writer(changed), { fingerprint: 'f2', unit: 'quarter' }).run();
    expect(changed.flatMap((b) => b.records)).to.have.length(total);
  });
});
