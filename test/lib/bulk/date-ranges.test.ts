import { expect } from 'chai';
import { dateRanges, nextUnit, unitStart } from '../../../lib/bulk/date-ranges.js';

describe('backfill date ranges', () => {
  const now = new Date('2025-03-14T10:00:00Z');

  it('cuts by month oldest first, the first from the exact start, the last open', () => {
    expect(dateRanges('2024-11-20T08:30:00Z', 'month', { now })).to.deep.equal([
      { from: '2024-11-20T08:30:00Z', to: '2024-12-01' },
      { from: '2024-12-01', to: '2025-01-01' },
      { from: '2025-01-01', to: '2025-02-01' },
      { from: '2025-02-01', to: '2025-03-01' },
      { from: '2025-03-01' },
    ]);
  });

  it('ends the last range at the end given', () => {
    expect(dateRanges('2024-01-01', 'quarter', { end: '2024-08-15', now })).to.deep.equal([
      { from: '2024-01-01', to: '2024-04-01' },
      { from: '2024-04-01', to: '2024-07-01' },
      { from: '2024-07-01', to: '2024-08-15' },
    ]);
    expect(dateRanges('2024-01-01', 'year', { end: '2025-01-01', now })).to.deep.equal([{ from: '2024-01-01', to: '2025-01-01' }]);
  });

  it('weeks begin on Monday, and each unit steps to the next', () => {
    // 2025-03-14 is a Friday.
    expect(unitStart(now, 'week').toISOString()).to.equal('2025-03-10T00:00:00.000Z');
    expect(unitStart(now, 'quarter').toISOString()).to.equal('2025-01-01T00:00:00.000Z');
    expect(nextUnit(new Date('2024-12-30T00:00:00Z'), 'week').toISOString()).to.equal('2025-01-06T00:00:00.000Z');
    expect(nextUnit(new Date('2024-12-31T00:00:00Z'), 'day').toISOString()).to.equal('2025-01-01T00:00:00.000Z');
    expect(dateRanges('2025-03-12', 'day', { now }).map((r) => r.from)).to.deep.equal(['2025-03-12', '2025-03-13', '2025-03-14']);
  });

  it('names a start that is not a date, an end before the start, and too many ranges', () => {
    expect(() => dateRanges('LAST_N_DAYS:3', 'month', { now })).to.throw(/the backfill start 'LAST_N_DAYS:3' is not a date/);
    expect(() => dateRanges('2025-01-01', 'month', { end: '2024-01-01', now })).to.throw(/ends \(2024-01-01\) before it starts/);
    expect(() => dateRanges('1900-01-01', 'day', { now })).to.throw(/more than 5000 ranges; choose a larger unit/);
  });
});
