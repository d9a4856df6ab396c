import { expect } from 'chai';
import { LocatorTracker } from '../../../lib/bulk/locator-tracker.js';

describe('LocatorTracker: where a bulk read may resume', () => {
  it('moves past a page once its last batch is handed out and every batch of it is done', () => {
    const t = new LocatorTracker();
    const a1 = t.handedOut('', 'L2', 500, false);
    const a2 = t.handedOut('', 'L2', 500, false);
    expect(t.done(a1), 'the page has more batches to come').to.equal(undefined);
    const a3 = t.handedOut('', 'L2', 200, true);
    expect(t.done(a2)).to.equal(undefined);
    expect(t.done(a3)).to.deep.equal({ locator: 'L2', records: 1200 });
    expect(t.openPages).to.equal(0);
  });

  it('never moves past an earlier page still in flight, and then past every page done since', () => {
    const t = new LocatorTracker();
    const p1 = t.handedOut('', 'L2', 1000, true);
    const p2 = t.handedOut('L2', 'L3', 1000, true);
    const p3 = t.handedOut('L3', null, 300, true);
    expect(t.done(p3)).to.equal(undefined);
    expect(t.done(p2)).to.equal(undefined);
    expect(t.resumePoint).to.deep.equal({ locator: '', records: 0 });
    expect(t.done(p1)).to.deep.equal({ locator: null, records: 2300 });
  });

  it('starts from a kept resume point', () => {
    const t = new LocatorTracker({ locator: 'L7', records: 14_000 });
    const p = t.handedOut('L7', 'L8', 2000, true);
    expect(t.done(p)).to.deep.equal({ locator: 'L8', records: 16_000 });
  });
});
