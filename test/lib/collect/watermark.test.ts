import { expect } from 'chai';
import { collectAll, hqConnection, plan, startDemoEmulator, type Emulator } from './helpers.js';
import type { OrgConnection } from '../../../lib/connection/org-connection.js';
import { Ledger } from '../../../lib/ledger/index.js';
import { CHANGES_WATERMARK, OVERLAP_MS, chooseRead, clearWatermark, collectionFingerprint, saveWatermark } from '../../../lib/collect/watermark.js';

type Tx = { update(o: string, id: string, f: Record<string, unknown>): void; insert(o: string, f: Record<string, unknown>): string; delete(id: string): string };

describe('changes-only collections (watermark)', () => {
  let emulator: Emulator;
  let conn: OrgConnection;
  let ledger: Ledger;
  before(async () => {
    emulator = await startDemoEmulator();
  });
  after(() => emulator.stop());
  beforeEach(() => {
    emulator.org('hq').reset();
    conn = hqConnection(emulator);
    ledger = Ledger.open(':memory:');
  });
  afterEach(() => {
    conn.close();
    ledger.close();
  });

  const edit = (fn: (tx: Tx) => void) => {
    const org = emulator.org('hq');
    org.transaction({ userId: [...org.users.values()][0]!.id, api: 'ui', apiVersion: '65.0' }, fn as never);
  };

  it('reads everything the first time, after a selection change or when asked, and changes since the watermark otherwise', async () => {
    const p = await plan(conn, { rootObject: 'Account', all: true, depth: 1, children: ['Contacts'] });
    const orgId = emulator.org('hq').orgId;
    expect(chooseRead(ledger, orgId, 'node-1', p, { changes: true })).to.deep.include({ reason: 'first run' });
    expect(chooseRead(ledger, orgId, 'node-1', p, { changes: false })).to.deep.include({ reason: 'full read configured' });
    const byIds = await plan(conn, { rootObject: 'Account', ids: [emulator.org('hq').snapshot('Account')[0]!.Id as string], depth: 1 });
    expect(chooseRead(ledger, orgId, 'node-1', byIds, { changes: true })).to.deep.include({ reason: 'records by Id' });

    const started = Date.parse('2026-06-01T12:00:30.700Z');
    saveWatermark(ledger, orgId, 'node-1', collectionFingerprint(p), started);
    const choice = chooseRead(ledger, orgId, 'node-1', p, { changes: true });
    // A minute before the run began, whole seconds, rounded down.
    expect(choice).to.deep.equal({ since: '2026-06-01T11:59:30Z', reason: 'changes', fingerprint: collectionFingerprint(p) });
    expect(Date.parse(choice.since!)).to.be.at.most(started - OVERLAP_MS);
    expect(chooseRead(ledger, orgId, 'node-1', p, { changes: true, full: true })).to.deep.include({ reason: 'full read asked' });
    // Another node, or the same node reading another selection, has no watermark of its own yet.
    expect(chooseRead(ledger, orgId, 'node-2', p, { changes: true })).to.deep.include({ reason: 'first run' });
    const deeper = await plan(conn, { rootObject: 'Account', all: true, depth: 1, children: ['Contacts', 'Opportunities'] });
    expect(collectionFingerprint(deeper)).to.not.equal(collectionFingerprint(p));
    expect(chooseRead(ledger, orgId, 'node-1', deeper, { changes: true })).to.deep.include({ reason: 'selection changed' });
    expect(ledger.bulkCheckpoint(orgId, CHANGES_WATERMARK, 'node-1')).to.include({ startedAt: started });
    clearWatermark(ledger, orgId, 'node-1');
    expect(chooseRead(ledger, orgId, 'node-1', p, { changes: true })).to.deep.include({ reason: 'first run' });
  });

  it('collects only what changed since: edited roots with their parents, changed children of unchanged roots, and deletes last', async () => {
    const org = emulator.org('hq');
    const p = await plan(conn, { rootObject: 'Account', all: true, depth: 1, children: ['Contacts', 'Opportunities'] });
    const since = new Date(org.clock.now() - 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const withParent = org.snapshot('Account').find((a) => a.ParentId)!;
    const quiet = org.snapshot('Account').find((a) => a.Id !== withParent.Id && a.Id !== withParent.ParentId && org.snapshot('Contact').some((c) => c.AccountId === a.Id))!;
    const contact = org.snapshot('Contact').find((c) => c.AccountId === quiet.Id)!;
    const doomed = org.snapshot('Opportunity').find((o) => o.AccountId !== withParent.Id)!;
    edit((tx) => {
      tx.update('Account', withParent.Id as string, { Description: 'edited' });
      tx.update('Contact', contact.Id as string, { Title: 'Edited' });
      tx.delete(doomed.Id as string);
    });

    const full = await collectAll(conn, p);
    const changes = await collectAll(conn, p, { since });
    const upserts = changes.batches.flatMap((b) => b.records.filter((r) => r.operation === 'upsert').map((r) => r.sourceId)).sort();
    expect(upserts).to.deep.equal([withParent.Id, withParent.ParentId, contact.Id].sort());
    expect(changes.summary.deleted).to.deep.equal({ Opportunity: 1 });
    const last = changes.batches.at(-1)!;
    expect(last.meta.last).to.equal(true);
    expect(last.records).to.deep.equal([{ object: 'Opportunity', sourceId: doomed.Id, operation: 'delete', fields: {}, references: [], origin: { orgId: org.orgId, via: 'collect', changedAt: last.records[0]!.origin.changedAt } }]);
    expect(changes.batches.map((b) => b.parts.count)).to.deep.equal(changes.batches.map(() => changes.batches.length));
    // The records it carries are the full read's records, field for field.
    const byId = new Map(full.batches.flatMap((b) => b.records).map((r) => [r.sourceId, r]));
    for (const r of changes.batches.flatMap((b) => b.records).filter((x) => x.operation === 'upsert')) expect(r).to.deep.equal(byId.get(r.sourceId));
    // Roots, two children semi-joins, and the deletes of three objects, and one query for the parent.
    expect(changes.summary.apiCalls).to.equal(7);
    expect(full.summary.deleted).to.deep.equal({});
  });
});
