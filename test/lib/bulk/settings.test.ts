import { expect } from 'chai';
import { bulkSettings, runRequest } from '../../../lib/bulk/settings.js';
import { DEFAULT_BULK_THRESHOLD } from '../../../lib/bulk/read-path.js';

describe('bulk read settings', () => {
  it('takes the dialog as typed: objects in order without repeats, field lists, path and threshold', () => {
    const { settings, problems } = bulkSettings({
      objects: 'Account, Contact\nOpportunity, Account', include: 'Name, Contact.Email', queryAll: 'true', path: 'rest', threshold: '5000', checkpointName: ' initial ',
    });
    expect(problems).to.deep.equal([]);
    expect(settings).to.deep.include({ objects: ['Account', 'Contact', 'Opportunity'], include: ['Name', 'Contact.Email'], exclude: [], queryAll: true, path: 'rest', threshold: 5000, checkpointName: 'initial' });
    expect(bulkSettings({ objects: 'Account' }).settings).to.deep.include({ path: 'auto', threshold: DEFAULT_BULK_THRESHOLD, queryAll: false, checkpointName: '' });
  });

  it('takes a backfill: by month of CreatedDate unless told, checked, and its span as dates only', () => {
    expect(bulkSettings({ objects: 'Account', mode: 'backfill' })).to.deep.include({ problems: [] });
    expect(bulkSettings({ objects: 'Account', mode: 'backfill' }).settings).to.deep.include({ mode: 'backfill', rangeUnit: 'month', check: true });
    expect(bulkSettings({ objects: 'Account', mode: 'backfill' }).settings.filter.dateField).to.equal('CreatedDate');
    expect(bulkSettings({ objects: 'Account', mode: 'backfill', rangeUnit: 'week', check: false, dateField: 'CloseDate__c' }).settings).to.deep.include({ rangeUnit: 'week', check: false });
    expect(bulkSettings({ objects: 'Account' }).settings).to.deep.include({ mode: 'load' });
    expect(bulkSettings({ objects: 'Account', mode: 'history', rangeUnit: 'fortnight' }).problems).to.deep.equal([
      "Mode: 'history' is neither load (one read) nor backfill (by date ranges)",
      "Ranges: 'fortnight' is none of day, week, month, quarter, year",
    ]);
    // A literal is a fine filter, and no start for ranges.
    expect(bulkSettings({ objects: 'Account', mode: 'backfill', from: 'LAST_N_MONTHS:3' }).problems).to.deep.equal(["Backfill: the backfill start 'LAST_N_MONTHS:3' is not a date (YYYY-MM-DD or an ISO datetime)"]);
    expect(bulkSettings({ objects: 'Account', mode: 'backfill', from: '2025-01-01', to: '2024-01-01' }).problems[0]).to.match(/ends \(2024-01-01\) before it starts/);
    const { settings } = bulkSettings({ objects: 'Account', mode: 'backfill' });
    expect(() => runRequest(settings, { from: 'YESTERDAY' })).to.throw(/msg.payload: the backfill start 'YESTERDAY' is not a date/);
    expect(runRequest(settings, { from: '2024-01-01' })).to.include({ from: '2024-01-01' });
  });

  it('names every problem of a bad dialog at once', () => {
    const { problems } = bulkSettings({
      objects: 'Account, 1Bad', include: 'Name', exclude: 'Phone; x', from: '2024-01-01', path: 'fast', threshold: '-3',
    });
    expect(problems).to.deep.equal([
      "Objects: '1Bad' is not an object API name",
      "Fields: 'Phone;' is not a field API name (Phone, or Contact.Phone for one object's)",
      'Fields: give either the fields to read or the fields to leave out, not both',
      'Date range: choose the date field the range is on, e.g. CreatedDate',
      "Read through: 'fast' is none of auto, bulk and rest",
      "Bulk from: '-3' is not a number of records (0 or more; 0 reads every object through Bulk)",
    ]);
    expect(bulkSettings({}).problems[0]).to.match(/^Objects: name at least one object/);
    expect(bulkSettings({ objects: 'Account', dateField: 'CreatedDate', from: 'next tuesday' }).problems).to.have.length(1).and.to.satisfy((p: string[]) => p[0]!.startsWith('Date range: '));
  });

  it('takes a date range, placeholder values and a restart from the message, and refuses what it does not know', () => {
    const { settings } = bulkSettings({ objects: 'Account', where: 'Industry = :industry', dateField: 'CreatedDate' });
    expect(runRequest(settings, { params: { industry: 'Energy' }, from: '2024-01-01', to: '2024-02-01', restart: true }))
      .to.deep.equal({ params: { industry: 'Energy' }, from: '2024-01-01', to: '2024-02-01', restart: true });
    expect(() => runRequest(settings, { params: { industry: 'Energy' }, where: 'Id != null' })).to.throw(/msg\.payload\.where is not something a bulk read takes/);
    expect(() => runRequest(settings, {})).to.throw(/the WHERE uses :industry, and msg\.payload\.params has no 'industry'/);
    expect(() => runRequest(settings, { params: ['Energy'] })).to.throw(/msg\.payload\.params must be an object/);
    expect(() => runRequest(settings, { params: { industry: 'x' }, from: 20240101 })).to.throw(/msg\.payload\.from must be a date text/);
    expect(() => runRequest(settings, { params: { industry: 'x' }, from: 'soon' })).to.throw(/^msg\.payload: /);
  });

  it('starts a plain read on any trigger payload, and refuses a range where the node has no date field', () => {
    const { settings } = bulkSettings({ objects: 'Account' });
    expect(runRequest(settings, 1764790000000)).to.deep.equal({ params: undefined, from: undefined, to: undefined, restart: false });
    expect(runRequest(settings, '')).to.deep.include({ restart: false });
    expect(() => runRequest(settings, { from: '2024-01-01' })).to.throw(/the node has no date field to apply it to/);
  });
});
