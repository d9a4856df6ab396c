import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Ledger } from '../../../lib/ledger/index.js';

describe('Ledger change capture checkpoints (schema v3)', () => {
  it('keeps a checkpoint per org, channel and name across reopening, moving only forward', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 's2s-cdc-')), 'ledger.sqlite');
    let ledger = Ledger.open(file);
    expect(ledger.schemaVersion).to.be.at.least(3);
    ledger.moveCdcCheckpoint({ orgId: '00D1', channel: '/data/AccountChangeEvent', name: '', replayId: 10, committedAt: 1000 }, 5);
    ledger.moveCdcCheckpoint({ orgId: '00D1', channel: '/data/AccountChangeEvent', name: '', replayId: 7, committedAt: 700 }, 6);
    ledger.moveCdcCheckpoint({ orgId: '00D1', channel: '/data/AccountChangeEvent', name: 'to-eu', replayId: 3, committedAt: 300 }, 6);
    ledger.close();
    ledger = Ledger.open(file);
    try {
      expect(ledger.cdcCheckpoint('00D1', '/data/AccountChangeEvent')).to.deep.equal({
        orgId: '00D1', channel: '/data/AccountChangeEvent', name: '', replayId: 10, committedAt: 1000, updatedAt: 5,
      });
      expect(ledger.cdcCheckpoint('00D1', '/data/AccountChangeEvent', 'to-eu')?.replayId).to.equal(3);
      expect(ledger.cdcCheckpoint('00D2', '/data/AccountChangeEvent')).to.equal(undefined);
      expect(ledger.clearCdcCheckpoint('00D1', '/data/AccountChangeEvent')).to.equal(true);
      ledger.moveCdcCheckpoint({ orgId: '00D1', channel: '/data/AccountChangeEvent', name: '', replayId: 2, committedAt: 20 }, 9);
      expect(ledger.cdcCheckpoint('00D1', '/data/AccountChangeEvent')?.replayId, 'a cleared checkpoint starts again').to.equal(2);
    } finally {
      ledger.close();
    }
  });
});
