import { expect } from 'chai';
import path from 'node:path';
import { Ledger, MAX_HISTORY_BUCKETS, uptimeOf } from '../../../lib/ledger/index.js';
import { HOUR, MINUTE, sample, tempDir } from './helpers.js';

const ORG = '00D000000000001AAA';
const NOW = Date.UTC(2025, 0, 6, 12, 0, 0);

describe('uptime and history from availability samples', () => {
  let ledger: Ledger;
  let cleanup: () => void;
  beforeEach(() => {
    const t = tempDir();
    cleanup = t.cleanup;
    ledger = Ledger.open(path.join(t.dir, 'ledger.sqlite'));
  });
  afterEach(() => {
    ledger.close();
    cleanup();
  });

  const lastHour = { from: NOW - HOUR, to: NOW };

  it('weights each sample by how long it held: 45 min available then 15 min unavailable is 0.75', () => {
    ledger.recordSample(sample(ORG, NOW - 60 * MINUTE, 'available'));
    ledger.recordSample(sample(ORG, NOW - 15 * MINUTE, 'unavailable'));
    expect(ledger.uptime(ORG, lastHour)).to.deep.equal({ up: 0.75, available: 0.75, degraded: 0, unavailable: 0.25, samples: 2, knownMs: HOUR, coverage: 1 });
  });

  it('counts degraded time as up but reports it apart', () => {
    ledger.recordSamples([
      sample(ORG, NOW - 60 * MINUTE, 'available'),
      sample(ORG, NOW - 30 * MINUTE, 'degraded'),
      sample(ORG, NOW - 18 * MINUTE, 'available'),
      sample(ORG, NOW - 6 * MINUTE, 'unavailable'),
    ]);
    const u = ledger.uptime(ORG, lastHour);
    expect(u.up).to.be.closeTo(0.9, 1e-12);
    expect(u.available).to.be.closeTo(0.7, 1e-12);
    expect(u.degraded).to.be.closeTo(0.2, 1e-12);
    expect(u.unavailable).to.be.closeTo(0.1, 1e-12);
  });

  it('opens the window with the status in force before it, and counts only samples inside it', () => {
    ledger.recordSample(sample(ORG, NOW - 3 * HOUR, 'unavailable'));
    ledger.recordSample(sample(ORG, NOW - 20 * MINUTE, 'available'));
    expect(ledger.uptime(ORG, lastHour)).to.deep.include({ available: 1 / 3, unavailable: 2 / 3, samples: 1, coverage: 1 });
  });

  it('leaves time no sample speaks for out of the fractions, and says how much that is', () => {
    ledger.recordSample(sample(ORG, NOW - 30 * MINUTE, 'available'));
    expect(ledger.uptime(ORG, lastHour)).to.deep.include({ up: 1, available: 1, coverage: 0.5, knownMs: 30 * MINUTE });
    // With a hold limit, a sample stops counting when nothing checked for a while (Node-RED stopped).
    expect(ledger.uptime(ORG, { ...lastHour, maxHoldMs: 10 * MINUTE })).to.deep.include({ up: 1, coverage: 10 / 60 });
  });

  it('reports nothing known as null, not as 0 % uptime', () => {
    expect(ledger.uptime(ORG, lastHour)).to.deep.equal({ up: null, available: null, degraded: null, unavailable: null, samples: 0, knownMs: 0, coverage: 0 });
  });

  it('keeps orgs apart', () => {
    ledger.recordSample(sample(ORG, NOW - HOUR, 'available'));
    ledger.recordSample(sample('00D000000000002AAA', NOW - HOUR, 'unavailable', { orgName: 'beta' }));
    expect(ledger.uptime(ORG, lastHour).up).to.equal(1);
    expect(ledger.uptime('00D000000000002AAA', lastHour).up).to.equal(0);
  });

  it('buckets history for trend charts, splitting a status across bucket edges', () => {
    ledger.recordSamples([
      sample(ORG, NOW - 60 * MINUTE, 'available', { latencyMs: 10, apiUsed: 100 }),
      sample(ORG, NOW - 50 * MINUTE, 'available', { latencyMs: 30, apiUsed: 120 }),
      sample(ORG, NOW - 40 * MINUTE, 'unavailable'),
      sample(ORG, NOW - 10 * MINUTE, 'degraded', { latencyMs: 800, apiUsed: 190 }),
    ]);
    const buckets = ledger.history(ORG, { ...lastHour, bucketMs: 20 * MINUTE });
    expect(buckets).to.have.length(3);
    expect(buckets.map((b) => b.start)).to.deep.equal([NOW - 60 * MINUTE, NOW - 40 * MINUTE, NOW - 20 * MINUTE]);
    expect(buckets[0]).to.deep.include({ available: 1, unavailable: 0, samples: 2, avgLatencyMs: 20, maxApiUsed: 120 });
    expect(buckets[1]).to.deep.include({ available: 0, unavailable: 1, samples: 1, avgLatencyMs: null, maxApiUsed: null });
    expect(buckets[2]).to.deep.include({ up: 0.5, degraded: 0.5, unavailable: 0.5, samples: 1, avgLatencyMs: 800, maxApiUsed: 190 });
  });

  it('gives a shorter last bucket when the window does not divide evenly, and refuses absurd bucket counts', () => {
    ledger.recordSample(sample(ORG, NOW - HOUR, 'available'));
    const buckets = ledger.history(ORG, { from: NOW - 50 * MINUTE, to: NOW, bucketMs: 20 * MINUTE });
    expect(buckets.map((b) => (b.end - b.start) / MINUTE)).to.deep.equal([20, 20, 10]);
    expect(buckets.every((b) => b.up === 1 && b.coverage === 1)).to.equal(true);
    expect(() => ledger.history(ORG, { from: 0, to: NOW, bucketMs: MINUTE })).to.throw(RangeError, new RegExp(`at most ${MAX_HISTORY_BUCKETS}`));
    expect(() => ledger.history(ORG, { ...lastHour, bucketMs: 0 })).to.throw(RangeError);
    expect(() => ledger.uptime(ORG, { from: NOW, to: NOW - 1 })).to.throw(RangeError, /ends .* before it starts/);
  });

  it('answers several windows from one read with the same figures as one window at a time', () => {
    ledger.recordSamples([sample(ORG, NOW - 3 * HOUR, 'unavailable'), sample(ORG, NOW - 90 * MINUTE, 'degraded'), sample(ORG, NOW - 20 * MINUTE, 'available')]);
    const windows = [lastHour, { from: NOW - 2 * HOUR, to: NOW }, { from: NOW - 4 * HOUR, to: NOW - HOUR, maxHoldMs: HOUR }];
    expect(ledger.uptimes(ORG, windows)).to.deep.equal(windows.map((w) => ledger.uptime(ORG, w)));
    expect(ledger.uptimes(ORG, [])).to.deep.equal([]);
  });

  it('agrees with the pure math on a week of minute samples', () => {
    const points = Array.from({ length: 7 * 24 * 60 }, (_, i) => sample(ORG, NOW - 7 * 24 * HOUR + i * MINUTE, i % 100 === 0 ? 'unavailable' : i % 50 === 0 ? 'degraded' : 'available'));
    ledger.recordSamples(points);
    const window = { from: NOW - 7 * 24 * HOUR, to: NOW };
    const fromSql = ledger.uptime(ORG, window);
    expect(fromSql).to.deep.equal(uptimeOf(points, window));
    expect(fromSql.samples).to.equal(10_080);
    expect(fromSql.unavailable).to.be.closeTo(101 / 10_080, 1e-12);
    expect(ledger.history(ORG, { ...window, bucketMs: 24 * HOUR }).reduce((n, b) => n + b.samples, 0)).to.equal(10_080);
  });
});
