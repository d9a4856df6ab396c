import { expect } from 'chai';
import { RuntimeContext, runtimeContext } from '../../../lib/runtime/context.js';
import { AckWindow } from '../../../lib/runtime/acks.js';

describe('shared runtime context', () => {
  it('is one instance per process, whichever copy of the module asks', async () => {
    const again = await import(`../../../lib/runtime/context.js?copy=${Date.now()}`) as typeof import('../../../lib/runtime/context.js');
    expect(again.runtimeContext()).to.equal(runtimeContext());
  });

  it('snapshots sources, open acknowledgements, retries and metrics as plain JSON', async () => {
    const ctx = new RuntimeContext(() => 5000);
    const w = new AckWindow(ctx.acks, 'collect-1', { size: 2, timeoutMs: 60_000 });
    await w.acquire();
    ctx.reportSource({ id: 'collect-1', name: 'Accounts', kind: 'sf-collect', state: 'running', inFlight: 1, settled: 0, failed: 0, released: 0, lastBatchAt: 4000, detail: { checkpoint: 'x' } });
    ctx.retries.set('k', {
      targetOrg: '00D2', object: 'Account', records: 3, sourceIds: ['001a'], attempt: 2, maxAttempts: 5, nextTryAt: 6000,
      lastError: { code: 'UNABLE_TO_LOCK_ROW', message: 'locked' },
    });
    ctx.metrics.observe({ records: 10, apiCalls: 1, durationMs: 50, sourceOrg: '00D1', targetOrg: '00D2', object: 'Account' });
    const snap = ctx.snapshot();
    expect(JSON.parse(JSON.stringify(snap))).to.deep.equal(snap);
    expect(snap.acks).to.deep.equal({ open: 1, oldestAt: 5000 });
    expect(snap.sources.map((s) => [s.id, s.state, s.detail])).to.deep.equal([['collect-1', 'running', { checkpoint: 'x' }]]);
    expect(snap.retries.map((r) => [r.object, r.attempt, r.lastError.code])).to.deep.equal([['Account', 2, 'UNABLE_TO_LOCK_ROW']]);
    expect(snap.metrics).to.deep.include({ writes: 1, records: 10, apiCalls: 1 });
    // The snapshot is a copy: changing it changes nothing inside.
    snap.sources[0]!.detail!.checkpoint = 'changed';
    expect(ctx.source('collect-1')!.detail).to.deep.equal({ checkpoint: 'x' });
    ctx.forgetSource('collect-1');
    ctx.retries.clear('k');
    w.close();
    expect(ctx.snapshot()).to.deep.include({ sources: [], retries: [], acks: { open: 0, oldestAt: null } });
  });
});
