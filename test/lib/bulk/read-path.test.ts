import { expect } from 'chai';
import { bulkLoad } from '../../../emulator/data/bulk-load.js';
import type { Emulator } from '../../../emulator/index.js';
import { progressFigures } from '../../../lib/bulk/progress.js';
import { chooseReadPath } from '../../../lib/bulk/read-path.js';
import { OrgConnection } from '../../../lib/connection/org-connection.js';
import { OrgApi } from '../../../lib/salesforce/org-api.js';
import { PASSWORD, settingsFor } from '../../support/connection.js';
import { restoreOrgs, startTestEmulator } from '../../support/emulator.js';

describe('REST or Bulk for a read (chooseReadPath)', () => {
  let emulator: Emulator;
  let oc: OrgConnection;
  before(async () => {
    emulator = await startTestEmulator();
  });
  after(() => emulator.stop());
  beforeEach(async () => {
    await restoreOrgs(emulator);
    bulkLoad(emulator.org('alpha'), 'Account', Array.from({ length: 1_200 }, (_, i) => ({ Name: `Acc ${i}`, Industry: i % 3 ? 'Energy' : 'Retail' })));
    oc = new OrgConnection(settingsFor(emulator), PASSWORD);
  });
  afterEach(() => oc.close());

  it('counts the records in one call and chooses Bulk from the threshold on', async () => {
    const api = new OrgApi(oc);
    expect(await chooseReadPath(api, 'Account', { threshold: 1_000 })).to.deep.equal({ path: 'bulk', count: 1_200, threshold: 1_000 });
    expect(await chooseReadPath(api, 'Account', { threshold: 1_000, where: "Industry = 'Retail'" })).to.deep.equal({ path: 'rest', count: 400, threshold: 1_000 });
    expect((await chooseReadPath(api, 'Account', { threshold: 0, where: "Industry = 'None'" })).path, 'threshold 0: always Bulk').to.equal('bulk');
    expect((await chooseReadPath(api, 'Account')).path, 'the default threshold').to.equal('rest');
    expect(api.calls).to.equal(4);
    await chooseReadPath(api, 'Account', { threshold: -1 }).then(() => expect.fail('a negative threshold'), (e: Error) => expect(e.message).to.match(/whole number of records/));
  });
});

describe('progress of a long read (progressFigures)', () => {
  it('gives the share written, the rate of this run and the time left at it', () => {
    expect(progressFigures({ written: 3_000, total: 10_000, resumedAt: 1_000 }, 0, 4_000)).to.deep.equal({ written: 3_000, total: 10_000, percent: 30, perSecond: 500, etaMs: 14_000 });
    expect(progressFigures({ written: 0, total: 0, resumedAt: 0 }, 0, 0)).to.deep.equal({ written: 0, total: 0, percent: null, perSecond: 0, etaMs: null });
    expect(progressFigures({ written: 10_000, total: 10_000, resumedAt: 10_000 }, 0, 1_000)).to.include({ percent: 100, etaMs: 0 });
  });
});
