import { expect } from 'chai';
import type { Ledger } from '../../../lib/ledger/index.js';
import { buildStatusReport, LiveMetrics, windowOf } from '../../../lib/status/index.js';
import { filledLedger, HOUR, NOW, OTHER, SRC, T0, TGT, TRICKY } from './fixture.js';

describe('status report from the ledger', () => {
  let ledger: Ledger;
  let cleanup: () => void;
  beforeEach(() => ({ ledger, cleanup } = filledLedger()));
  afterEach(() => cleanup());

  it('starts the window on the hour and refuses a window that is not a positive number of hours', () => {
    expect(windowOf({ now: NOW })).to.deep.equal({ from: T0 - 24 * HOUR, to: NOW, hours: 24 });
    expect(windowOf({ now: NOW, hours: 1 })).to.deep.equal({ from: T0 - HOUR, to: NOW, hours: 1 });
    expect(() => windowOf({ now: NOW, hours: 0 })).to.throw(RangeError);
    expect(() => windowOf({ now: NOW, hours: Number.NaN })).to.throw(RangeError);
  });

  it('totals the window: records of every org pair and object, nothing older, rate over the window', () => {
    const r = buildStatusReport(ledger, { now: NOW });
    expect(r.generatedAt).to.equal(NOW);
    expect(r.totals).to.include({ synced: 10 + 5 + 3 + 7, skipped: 2, failed: 1, deadLettered: 1 + 2, processed: 31, successPercent: 87.1 });
    const seconds = (NOW - (T0 - 24 * HOUR)) / 1000;
    expect(r.totals.recordsPerSecond).to.be.closeTo(31 / seconds, 0.001);
    // 001A, 001B, 003C, 003D and the old 001Z are still open; the resolved 001R is not.
    expect(r.totals.deadLettersOpen).to.equal(5);
    expect(r.totals.apiCalls).to.equal(null);
    expect(r.live).to.equal(null);
  });

  it('has one row per org pair and target object, with names from the ledger (or the org Id)', () => {
    const r = buildStatusReport(ledger, { now: NOW });
    expect(r.objects.map((o) => [o.sourceName, o.targetName, o.object, o.synced, o.skipped, o.failed, o.deadLettered])).to.deep.equal([
      ['HQ', 'Subsidiary', 'Account', 15, 2, 1, 1],
      ['HQ', 'Subsidiary', 'Contact', 3, 0, 0, 2],
      ['HQ', OTHER, 'Account', 7, 0, 0, 0],
    ]);
    const named = buildStatusReport(ledger, { now: NOW, names: new Map([[OTHER, 'Sandbox']]) });
    expect(named.objects[2]!.targetName).to.equal('Sandbox');
    expect(r.objects[0]).to.include({ processed: 19, successPercent: 89.5 });
    expect(r.orgs.map((o) => [o.name, o.apiUsed, o.apiLimit])).to.deep.equal([['HQ', 1200, 100_000], ['Subsidiary', 300, 50_000], [OTHER, null, null]]);
  });

  it('has per-field rows, and the newest still-open error of each field and object', () => {
    const r = buildStatusReport(ledger, { now: NOW });
    const fields = r.fields.map((f) => [f.object, f.field, f.synced, f.skipped, f.deadLettered, f.lastError?.code ?? null]);
    expect(fields).to.deep.equal([
      ['Account', 'Name', 13, 2, 1, 'INVALID_FIELD'],
      // The resolved FIELD_CUSTOM_VALIDATION_EXCEPTION is newer, but no longer holds.
      ['Account', 'Phone', 5, 0, 1, 'INVALID_FIELD'],
      ['Contact', 'Email', 3, 0, 2, 'INVALID_EMAIL_ADDRESS'],
    ]);
    const name = r.fields[0]!.lastError!;
    expect(name).to.deep.equal({ code: 'INVALID_FIELD', message: TRICKY, category: 'permanent', status: 'open', at: T0 - 90 * 60_000, letters: 2 });
    // The object's last error is its newest letter, whatever fields it blamed (003D blamed none).
    expect(r.objects[1]!.lastError).to.include({ code: 'UNABLE_TO_LOCK_ROW', category: 'transient', letters: 2 });
    expect(r.objects[2]!.lastError).to.equal(null);
    // The Fax error and counts are 30 hours old: outside the window, so no row.
    expect(r.fields.some((f) => f.field === 'Fax')).to.equal(false);
    expect(buildStatusReport(ledger, { now: NOW, hours: 48 }).fields.find((f) => f.field === 'Fax')?.lastError?.code).to.equal('OLD');
  });

  it('filters by source, target and target object', () => {
    const toTgt = buildStatusReport(ledger, { now: NOW, targetOrg: TGT });
    expect(toTgt.objects.map((o) => o.object)).to.deep.equal(['Account', 'Contact']);
    expect(toTgt.totals.synced).to.equal(18);
    expect(toTgt.filter).to.deep.equal({ targetOrg: TGT });
    const contacts = buildStatusReport(ledger, { now: NOW, sourceOrg: SRC, object: 'Contact' });
    expect(contacts.objects).to.have.length(1);
    expect(contacts.fields.map((f) => f.field)).to.deep.equal(['Email']);
    expect(contacts.totals.deadLettersOpen).to.equal(2);
    expect(buildStatusReport(ledger, { now: NOW, sourceOrg: OTHER }).objects).to.deep.equal([]);
  });

  it('shows objects that only have errors, with zero counts', () => {
    ledger.addDeadLetters([{
      sourceOrg: SRC, sourceId: '006X', targetOrg: TGT, object: 'Opportunity', targetObject: 'Opportunity', operation: 'upsert',
      record: {}, errorCode: 'REQUIRED_FIELD_MISSING', message: 'StageName missing', category: 'permanent', fields: ['StageName'], attempts: 1,
    }], NOW - 60_000);
    const r = buildStatusReport(ledger, { now: NOW, object: 'Opportunity' });
    expect(r.objects.map((o) => [o.object, o.processed, o.successPercent, o.lastError?.code])).to.deep.equal([['Opportunity', 0, null, 'REQUIRED_FIELD_MISSING']]);
    expect(r.fields.map((f) => [f.field, f.processed, f.lastError?.code])).to.deep.equal([['StageName', 0, 'REQUIRED_FIELD_MISSING']]);
  });

  it('adds API calls and the last minute from observed writes', () => {
    let clock = NOW;
    const live = new LiveMetrics(() => clock);
    live.observe({ records: 200, apiCalls: 2, durationMs: 1000, sourceOrg: SRC, targetOrg: TGT, object: 'Account' });
    clock += 30_000;
    live.observe({ records: 10, apiCalls: 1, durationMs: 500, sourceOrg: SRC, targetOrg: TGT, object: 'Contact' });
    const r = buildStatusReport(ledger, { now: clock, live });
    expect(r.totals.apiCalls).to.equal(3);
    expect(r.objects.map((o) => [o.object, o.targetOrg, o.apiCalls])).to.deep.equal([['Account', TGT, 2], ['Contact', TGT, 1], ['Account', OTHER, null]]);
    expect(r.live).to.deep.include({ writes: 2, records: 210, apiCalls: 3 });
    expect(r.live!.lastMinute).to.include({ records: 210, recordsPerSecond: 7, writeRecordsPerSecond: 140 });
  });
});
