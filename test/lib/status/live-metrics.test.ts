import { expect } from 'chai';
import { LiveMetrics, writeSampleOf } from '../../../lib/status/index.js';

describe('live write metrics', () => {
  it('reads the write metrics sf-upsert-out puts on msg.s2s.write, and nothing else', () => {
    const write = { records: 3, apiCalls: 2, resends: 4, created: 1, updated: 1, unchanged: 1, deleted: 0, failed: 0, deadLettered: 0, deferredReferences: 0, completedReferences: 0, recoveredCreates: 0, durationMs: 120 };
    const flat = {
      s2s: { source: { orgId: 'SRC', name: 'HQ' }, target: { orgId: 'TGT', name: 'Sub' }, object: 'Account', write },
      payload: [{ object: 'Account', sourceId: '001', targetObject: 'Account__c', outcome: 'created', attempts: 1 }],
    };
    expect(writeSampleOf(flat)).to.deep.equal({ records: 3, apiCalls: 2, durationMs: 120, sourceOrg: 'SRC', targetOrg: 'TGT', object: 'Account__c' });
    expect(writeSampleOf({ s2s: { object: 'Contact', write: { ...write, records: 5, apiCalls: 1 } } })).to.deep.equal({
      records: 5, apiCalls: 1, durationMs: 120, sourceOrg: undefined, targetOrg: undefined, object: 'Contact',
    });
    expect(writeSampleOf({ payload: 'x' })).to.equal(undefined);
    // Shapes no node produces are not guessed at: a nested counts object, or no record count.
    expect(writeSampleOf({ s2s: { write: { apiCalls: 1, counts: { created: 4, failed: 1 }, durationMs: 50 } } })).to.equal(undefined);
    expect(writeSampleOf({ s2s: { write: { note: 'none' } } })).to.equal(undefined);
    expect(writeSampleOf({ s2s: { write: { apiCalls: -1, records: 'many' } } })).to.equal(undefined);
  });

  it('keeps totals since start and a rolling last minute', () => {
    let now = 1_000_000;
    const live = new LiveMetrics(() => now);
    live.observe({ records: 100, apiCalls: 1, durationMs: 2000, sourceOrg: 'S', targetOrg: 'T', object: 'Account' });
    now += 50_000;
    live.observe({ records: 20, apiCalls: 1, durationMs: 0, sourceOrg: 'S', targetOrg: 'T', object: 'Account' });
    now += 20_000; // the first write is now 70 s old
    const s = live.snapshot();
    expect(s).to.include({ since: 1_000_000, writes: 2, records: 120, apiCalls: 2, lastWriteAt: 1_050_000 });
    expect(s.lastMinute).to.deep.equal({ writes: 1, records: 20, apiCalls: 1, recordsPerSecond: 0.333, writeRecordsPerSecond: null, lag: null });
    expect(s.byObject).to.deep.equal([{ sourceOrg: 'S', targetOrg: 'T', object: 'Account', writes: 2, records: 120, apiCalls: 2 }]);
    live.reset();
    expect(live.snapshot()).to.include({ writes: 0, apiCalls: 0, since: now });
  });

  it('counts a write that names no target org for any target of its source and object', () => {
    const live = new LiveMetrics(() => 0);
    live.observe({ records: 5, apiCalls: 1, durationMs: 10, sourceOrg: 'S', targetOrg: 'T', object: 'Account' });
    live.observe({ records: 5, apiCalls: 3, durationMs: 10, sourceOrg: 'S', object: 'Account' });
    expect(live.use('S', 'T', 'Account')).to.include({ apiCalls: 4, records: 10, writes: 2 });
    expect(live.use('S', 'U', 'Account')).to.include({ apiCalls: 3 });
    expect(live.use('S', 'T', 'Contact')).to.equal(undefined);
  });

  it('summarises the replication lag of change-event writes for the minute and charts it per 10 seconds for 15 minutes', () => {
    let now = 10_000_000;
    const live = new LiveMetrics(() => now);
    const write = { records: 1, apiCalls: 1, resends: 0, created: 1, updated: 0, unchanged: 0, deleted: 0, failed: 0, deadLettered: 0, deferredReferences: 0, completedReferences: 0, recoveredCreates: 0, durationMs: 5 };
    expect(writeSampleOf({ s2s: { object: 'Contact', write: { ...write, lagMs: 750 } } })).to.include({ lagMs: 750 });
    live.observe({ records: 1, apiCalls: 1, durationMs: 5, lagMs: 3_000 });
    now += 16 * 60_000; // past the chart's 15 minutes
    live.observe({ records: 1, apiCalls: 1, durationMs: 5, lagMs: 200 });
    live.observe({ records: 1, apiCalls: 1, durationMs: 5, lagMs: 600 });
    live.observe({ records: 1, apiCalls: 1, durationMs: 5 });
    now += 10_000;
    live.observe({ records: 1, apiCalls: 1, durationMs: 5, lagMs: 1_000 });
    expect(live.snapshot().lastMinute.lag).to.deep.equal({ writes: 3, p50Ms: 600, maxMs: 1_000, lastMs: 1_000 });
    const points = live.lagPoints();
    const max = points.filter((p) => p.series === 'lag (max)');
    expect(max.map((p) => p.y)).to.deep.equal([0.6, 1]);
    expect(max[1]!.x - max[0]!.x).to.equal(10_000);
    expect(points.filter((p) => p.series === 'lag (median)').map((p) => p.y)).to.deep.equal([0.4, 1]);
    now += 2 * 60_000;
    expect(live.snapshot().lastMinute.lag).to.equal(null);
  });
});
