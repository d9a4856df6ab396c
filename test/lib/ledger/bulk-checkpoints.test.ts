import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Ledger } from '../../../lib/ledger/index.js';

describe('Ledger bulk read checkpoints (schemas v5 and v6)', () => {
  it('keeps where a bulk read stands per org, object and name across reopening, replaced as it moves', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 's2s-bulk-')), 'ledger.sqlite');
    let ledger = Ledger.open(file);
    expect(ledger.schemaVersion).to.be.at.least(6);
    const first = { orgId: '00D1', object: 'Account', name: '', jobId: '750A', locator: '', records: 0, lastId: null, startedAt: 100 };
    ledger.saveBulkCheckpoint(first, 101);
    ledger.saveBulkCheckpoint({ ...first, locator: 'MjAwMA', records: 2000, lastId: '001000000000002AAA', queryHash: 'ab12' }, 102);
    ledger.saveBulkCheckpoint({ ...first, name: 'to-eu', jobId: '750B' }, 103);
    ledger.close();
    ledger = Ledger.open(file);
    try {
      expect(ledger.bulkCheckpoint('00D1', 'Account')).to.deep.equal({
        orgId: '00D1', object: 'Account', name: '', jobId: '750A', locator: 'MjAwMA', records: 2000, lastId: '001000000000002AAA', startedAt: 100, updatedAt: 102, queryHash: 'ab12',
      });
      expect(ledger.bulkCheckpoint('00D1', 'Account', 'to-eu')?.queryHash, 'none given').to.equal('');
      expect(ledger.bulkCheckpoint('00D1', 'Account', 'to-eu')?.jobId).to.equal('750B');
      expect(ledger.bulkCheckpoint('00D1', 'Contact')).to.equal(undefined);
      // Every page written: the locator is null until the read is cleared.
      ledger.saveBulkCheckpoint({ ...first, locator: null, records: 5000 }, 104);
      expect(ledger.bulkCheckpoint('00D1', 'Account')).to.include({ locator: null, records: 5000 });
      expect(ledger.clearBulkCheckpoint('00D1', 'Account')).to.equal(true);
      expect(ledger.bulkCheckpoint('00D1', 'Account')).to.equal(undefined);
      expect(ledger.clearBulkCheckpoint('00D1', 'Account')).to.equal(false);
    } finally {
      ledger.close();
    }
  });
});
