/**
 * A bulk read of several objects (BulkRun) against the emulator: objects in order, each one's
 * path chosen by its count, every batch of an object written before the next begins, and a run
 * stopped half-way resumed where it stood, skipping the objects already read.
 */
import { expect } from 'chai';
import type { Emulator } from '../../../emulator/index.js';
import { generateOrgData } from '../../../emulator/index.js';
import { BulkRun, fieldsFor, type BulkRunOptions } from '../../../lib/bulk/bulk-run.js';
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

describe('a bulk read of several objects (BulkRun)', function () {
  this.timeout(60_000);
  let emulator: Emulator;
  let ledger: Ledger;
  let acks: AckRegistry;
  let counts: { accounts: number; contacts: number; opportunities: number };
  const orgs: OrgConnection[] = [];

  before(async () => {
    emulator = await startTestEmulator();
  });
  after(() => emulator.stop());
  beforeEach(async () => {
    await restoreOrgs(emulator);
    const org = emulator.org('alpha');
    const r = generateOrgData(org, { seed: 7, accounts: 1_000 });
    counts = { accounts: r.accounts, contacts: r.contacts, opportunities: r.opportunities };
    ledger = Ledger.open(':memory:');
    acks = new AckRegistry();
  });
  afterEach(() => {
    for (const o of orgs.splice(0)) o.close();
    ledger.close();
  });

  function run(sent: Sent[], over: Partial<BulkRunOptions> = {}) {
    const org = new OrgConnection(settingsFor(emulator), PASSWORD);
    orgs.push(org);
    return new BulkRun({
      api: new OrgApi(org), ledger, acks, owner: 'run-test', objects: ['Account', 'Contact', 'Opportunity'], checkpointName: 'load', threshold: 1_500,
      batchSize: 500, inFlight: 3, ackTimeoutMs: 60_000, acked: true, bulk: { pageSize: 1_000, pollMs: 5, sleep: async () => undefined },
      send: (b) => { sent.push(b); acks.settleAll(b.ack, 'settled'); }, ...over,
    });
  }

  it('reads the objects in order, each by the path its count calls for, and clears the checkpoints at the end', async () => {
    const sent: Sent[] = [];
    const starts: Array<{ object: string; path: string; count: number }> = [];
    const summary = await run(sent, { onObject: (s) => starts.push({ object: s.object, path: s.path, count: s.count }) }).run();
    expect(starts.map((s) => s.object)).to.deep.equal(['Account', 'Contact', 'Opportunity']);
    const total = sent.reduce((n, b) => n + b.records.length, 0);
    expect(summary).to.include({ finished: true, stopped: false, sent: total, written: total, total, resumedAt: 0 });
    // Objects at or above the threshold go through a Bulk API job, smaller ones through REST.
    for (const s of starts) expect(s.path, s.object).to.equal(s.count >= 1_500 ? 'bulk' : 'rest');
    expect(starts.some((s) => s.path === 'bulk') && starts.some((s) => s.path === 'rest'), 'both paths tried').to.equal(true);
    // Every batch of an object comes before any of the next.
    const order = sent.map((b) => b.meta.object);
    expect(order.lastIndexOf('Account')).to.be.below(order.indexOf('Contact'));
    expect(order.lastIndexOf('Contact')).to.be.below(order.indexOf('Opportunity'));
    expect(summary.objects.map((o) => o.written)).to.deep.equal(starts.map((s) => s.count));
    expect(summary.apiCalls).to.be.greaterThan(0);
    for (const object of ['Account', 'Contact', 'Opportunity']) expect(ledger.bulkCheckpoint(emulator.org('alpha').orgId, object, 'load'), object).to.equal(undefined);
  });

  it('stopped while reading contacts, goes on with the contacts and skips the accounts already read', async () => {
    const sent: Sent[] = [];
    let contactBatches = 0;
    const first = run(sent, {
      send: (b) => {
        sent.push(b);
        if (b.meta.object === 'Contact' && ++contactBatches === 3) {
          setTimeout(() => first.stop(), 0);
          return;
        }
        if (contactBatches < 3) acks.settleAll(b.ack, 'settled');
      },
    });
    const stopped = await first.run();
    expect(stopped).to.include({ finished: false, stopped: true });
    const orgId = emulator.org('alpha').orgId;
    expect(BulkRun.pending(ledger, orgId, ['Account', 'Contact', 'Opportunity'], 'load')).to.equal(true);
    expect(ledger.bulkCheckpoint(orgId, 'Account', 'load')).to.include({ locator: null });
    expect(ledger.bulkCheckpoint(orgId, 'Contact', 'load')).to.include({ records: 1_000 });

    const again: Sent[] = [];
    const summary = await run(again).run();
    expect(summary.finished).to.equal(true);
    expect(again.some((b) => b.meta.object === 'Account'), 'the accounts are not read again').to.equal(false);
    const contactsFirst = sent.filter((b) => b.meta.object === 'Contact').slice(0, 2).flatMap((b) => b.records.map((r) => r.sourceId));
    const contactsAgain = again.filter((b) => b.meta.object === 'Contact').flatMap((b) => b.records.map((r) => r.sourceId));
    expect(contactsAgain.filter((id) => contactsFirst.includes(id)), 'no contact of the written page again').to.deep.equal([]);
    expect(new Set([...contactsFirst, ...contactsAgain]).size).to.equal(counts.contacts);
    expect(again.filter((b) => b.meta.object === 'Opportunity').reduce((n, b) => n + b.records.length, 0)).to.equal(counts.opportunities);
    expect(summary.resumedAt, 'the accounts and the first contact page').to.equal(counts.accounts + 1_000);
    expect(summary.written).to.equal(counts.accounts + counts.contacts + counts.opportunities);
  });

  it('gives each object the fields listed for it: qualified names for that object, plain names for every object that has them', () => {
    const has = (fields: string[]) => (f: string) => fields.includes(f);
    expect(fieldsFor('Contact', ['Email', 'Account.Industry', 'Contact.Title'], has(['Email', 'Title']))).to.deep.equal(['Email', 'Title']);
    expect(fieldsFor('Account', ['Email', 'Account.Industry'], has(['Industry', 'Name']))).to.deep.equal(['Industry']);
    expect(fieldsFor('Opportunity', ['Email'], has(['Name']))).to.equal(undefined);
    expect(fieldsFor('Account', [], has([]))).to.equal(undefined);
  });
});
