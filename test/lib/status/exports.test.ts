import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import type { Ledger } from '../../../lib/ledger/index.js';
import {
  STATUS_CSV_COLUMNS, buildStatusReport, chartPoints, csvFilename, deadLettersCsv, statusCsv, tableRows,
} from '../../../lib/status/index.js';
import { filledLedger, HOUR, MINUTE, NOW, OTHER, T0, TGT, TRICKY } from './fixture.js';

describe('status exports: CSV and dashboard shapes', () => {
  let ledger: Ledger;
  let cleanup: () => void;
  beforeEach(() => ({ ledger, cleanup } = filledLedger()));
  afterEach(() => cleanup());

  describe('status CSV', () => {
    it('has the documented header, and each object row followed by its field rows', () => {
      const csv = statusCsv(buildStatusReport(ledger, { now: NOW }));
      const rows = parse(csv, { columns: true }) as Array<Record<string, string>>;
      expect(csv.split('\n')[0]).to.equal(STATUS_CSV_COLUMNS.join(','));
      expect(rows.map((r) => [r.level, r.targetName, r.object, r.field, r.synced])).to.deep.equal([
        ['object', 'Subsidiary', 'Account', '', '15'],
        ['field', 'Subsidiary', 'Account', 'Name', '13'],
        ['field', 'Subsidiary', 'Account', 'Phone', '5'],
        ['object', 'Subsidiary', 'Contact', '', '3'],
        ['field', 'Subsidiary', 'Contact', 'Email', '3'],
        ['object', OTHER, 'Account', '', '7'],
      ]);
      expect(rows[0]).to.include({ sourceName: 'HQ', processed: '19', successPercent: '89.5', apiCalls: '', windowFrom: new Date(T0 - 24 * HOUR).toISOString(), windowTo: new Date(NOW).toISOString() });
      expect(rows[5]).to.include({ lastErrorCode: '', successPercent: '100' });
    });

    it('quotes commas, quotes and line breaks so the error message survives a round trip', () => {
      const csv = statusCsv(buildStatusReport(ledger, { now: NOW }));
      expect(csv).to.contain('"Phone: bad, ""value""\nsee line 2"');
      const rows = parse(csv, { columns: true }) as Array<Record<string, string>>;
      const name = rows.find((r) => r.field === 'Name')!;
      expect(name).to.include({
        lastErrorCode: 'INVALID_FIELD', lastErrorMessage: TRICKY, lastErrorCategory: 'permanent', lastErrorStatus: 'open',
        lastErrorAt: new Date(T0 - 90 * MINUTE).toISOString(), lastErrorLetters: '2',
      });
    });

    it('is a header alone when nothing was synced', () => {
      expect(statusCsv(buildStatusReport(ledger, { now: NOW, object: 'Nothing' }))).to.equal(`${STATUS_CSV_COLUMNS.join(',')}\n`);
    });
  });

  describe('dead letters CSV', () => {
    it('exports the letters of the window, whatever their status, with the record as JSON', () => {
      const rows = parse(deadLettersCsv(ledger, { now: NOW }), { columns: true }) as Array<Record<string, string>>;
      expect(rows.map((r) => [r.sourceId, r.status]).sort()).to.deep.equal([['001A', 'open'], ['001B', 'open'], ['001R', 'resolved'], ['003C', 'open'], ['003D', 'open']]);
      const b = rows.find((r) => r.sourceId === '001B')!;
      expect(b).to.include({ message: TRICKY, fields: 'Name;Phone', targetObject: 'Account' });
      expect(JSON.parse(b.record!)).to.deep.equal({ sourceId: '001B' });
    });

    it('filters by target object and org', () => {
      const contacts = parse(deadLettersCsv(ledger, { now: NOW, object: 'Contact', targetOrg: TGT }), { columns: true }) as Array<Record<string, string>>;
      expect(contacts.map((r) => r.sourceId).sort()).to.deep.equal(['003C', '003D']);
      expect(deadLettersCsv(ledger, { now: NOW, targetOrg: OTHER }).trim().split('\n')).to.have.length(1);
    });
  });

  it('names CSV files by kind and time', () => {
    expect(csvFilename('sync-status', NOW)).to.equal('sync-status-20250106-1220Z.csv');
    expect(csvFilename('dead-letters', NOW)).to.equal('dead-letters-20250106-1220Z.csv');
  });

  describe('dashboard shapes', () => {
    it('gives ui-table one flat row per org pair and object', () => {
      const rows = tableRows(buildStatusReport(ledger, { now: NOW }));
      expect(rows).to.have.length(3);
      for (const row of rows) for (const v of Object.values(row)) expect(v === null || typeof v !== 'object', JSON.stringify(row)).to.equal(true);
      expect(rows[1]).to.deep.equal({
        source: 'HQ', target: 'Subsidiary', object: 'Contact', synced: 3, skipped: 0, failed: 0, deadLettered: 2, successPercent: 60,
        recordsPerSecond: rows[1]!.recordsPerSecond, apiCalls: null, lastError: 'UNABLE_TO_LOCK_ROW: locked',
        lastErrorAt: new Date(T0 - HOUR + 10 * MINUTE).toISOString(),
      });
    });

    it('gives ui-chart synced and failed points per object and hour, zero for quiet hours', () => {
      const points = chartPoints(ledger, { now: NOW });
      const hours = 25; // from 12:00 yesterday to the current hour, 12:00 today
      expect(points).to.have.length(2 * 2 * hours);
      expect([...new Set(points.map((p) => p.series))]).to.deep.equal(['Account synced', 'Account failed', 'Contact synced', 'Contact failed']);
      const at = (series: string, x: number) => points.find((p) => p.series === series && p.x === x)?.y;
      // Both org pairs add up: 10 to Subsidiary and (an hour later) 7 to the other org.
      expect(at('Account synced', T0 - 2 * HOUR)).to.equal(10);
      expect(at('Account failed', T0 - 2 * HOUR)).to.equal(2);
      expect(at('Account synced', T0 - HOUR)).to.equal(7);
      expect(at('Account synced', T0)).to.equal(5);
      expect(at('Contact failed', T0 - HOUR)).to.equal(2);
      expect(at('Account synced', T0 - 5 * HOUR)).to.equal(0);
      expect(points.every((p) => (p.x - (T0 - 24 * HOUR)) % HOUR === 0 && p.x <= T0)).to.equal(true);
      const toTgtOnly = chartPoints(ledger, { now: NOW, targetOrg: TGT, object: 'Account' });
      expect(toTgtOnly).to.have.length(2 * hours);
      expect(toTgtOnly.find((p) => p.series === 'Account synced' && p.x === T0 - HOUR)?.y).to.equal(0);
    });
  });
});
