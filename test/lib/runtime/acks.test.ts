import { expect } from 'chai';
import { AckRegistry, AckWindow, type AckSettlement } from '../../../lib/runtime/acks.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('acknowledgements', () => {
  describe('AckRegistry', () => {
    it('tells the issuer once, for the first settlement of a handle, and ignores a second copy', () => {
      const acks = new AckRegistry();
      const heard: Array<[string, AckSettlement]> = [];
      const h = acks.issue('src', (handle, s) => heard.push([handle, s]));
      expect(acks.open('src')).to.equal(1);
      expect(acks.settle(h, 'settled')).to.equal(true);
      expect(acks.settle(h, 'failed', 'late copy')).to.equal(false);
      expect(heard).to.have.length(1);
      expect(heard[0]![0]).to.equal(h);
      expect(heard[0]![1].outcome).to.equal('settled');
      expect(acks.open()).to.equal(0);
    });

    it('settles every handle a message carries and skips what is not a handle', () => {
      const acks = new AckRegistry();
      const a = acks.issue('a', () => undefined);
      const b = acks.issue('b', () => undefined);
      expect(acks.settleAll([a, 42, b, 'unknown'], 'failed', 'mapping failed')).to.equal(2);
      expect(acks.settleAll(undefined, 'settled')).to.equal(0);
      expect(acks.open()).to.equal(0);
    });

    it('counts open handles per owner and knows the oldest', () => {
      let now = 1000;
      const acks = new AckRegistry(() => now);
      acks.issue('a', () => undefined);
      now = 2000;
      const b = acks.issue('b', () => undefined);
      expect(acks.open('a')).to.equal(1);
      expect(acks.open('b')).to.equal(1);
      expect(acks.oldest()).to.equal(1000);
      expect(acks.oldest('b')).to.equal(2000);
      acks.settle(b, 'settled');
      expect(acks.oldest('b')).to.equal(undefined);
    });
  });

  describe('AckWindow', () => {
    it('gives at most `size` handles until one is settled', async () => {
      const acks = new AckRegistry();
      const w = new AckWindow(acks, 'src', { size: 2, timeoutMs: 60_000 });
      const h1 = await w.acquire();
      await w.acquire();
      let third: string | undefined;
      void w.acquire().then((h) => (third = h));
      await tick();
      expect(third, 'no third slot while two are open').to.equal(undefined);
      expect(w.inFlight).to.equal(2);
      acks.settle(h1, 'settled');
      await tick();
      expect(third).to.be.a('string');
      expect(w.counts).to.deep.equal({ settled: 1, failed: 0, released: 0 });
      w.close();
    });

    it('frees the slot of a batch nobody settles once its time runs out, and says why', async () => {
      const acks = new AckRegistry();
      const seen: AckSettlement[] = [];
      const w = new AckWindow(acks, 'src', { size: 1, timeoutMs: 30, onSettled: (_h, s) => seen.push(s) });
      await w.acquire();
      const second = await w.acquire();
      expect(second).to.be.a('string');
      expect(seen.map((s) => s.outcome)).to.deep.equal(['released']);
      expect(seen[0]!.reason).to.match(/not acknowledged within/);
      expect(w.counts.released).to.equal(1);
      w.close();
    });

    it('counts failed batches apart from settled ones', async () => {
      const acks = new AckRegistry();
      const w = new AckWindow(acks, 'src', { size: 3, timeoutMs: 60_000 });
      const a = await w.acquire();
      const b = await w.acquire();
      acks.settle(a, 'failed', 'the mapping failed');
      acks.settle(b, 'settled');
      expect(w.counts).to.deep.equal({ settled: 1, failed: 1, released: 0 });
      w.close();
    });

    it('stops waiting when the signal aborts', async () => {
      const w = new AckWindow(new AckRegistry(), 'src', { size: 1, timeoutMs: 60_000 });
      await w.acquire();
      const ctl = new AbortController();
      const waiting = w.acquire(ctl.signal);
      ctl.abort(new Error('the node was closed'));
      let err: Error | undefined;
      await waiting.catch((e: Error) => (err = e));
      expect(err?.message).to.equal('the node was closed');
      w.close();
    });

    it('drains once every batch is settled, and close releases the rest', async () => {
      const acks = new AckRegistry();
      const w = new AckWindow(acks, 'src', { size: 4, timeoutMs: 60_000 });
      const a = await w.acquire();
      await w.acquire();
      let drained = false;
      void w.drain().then(() => (drained = true));
      acks.settle(a, 'settled');
      await tick();
      expect(drained).to.equal(false);
      w.close('stopping');
      await tick();
      expect(drained).to.equal(true);
      expect(w.counts).to.deep.equal({ settled: 1, failed: 0, released: 1 });
      expect(acks.open()).to.equal(0);
      let err: Error | undefined;
      await w.acquire().then(() => undefined, (e: Error) => (err = e));
      expect(err?.message, 'a closed window hands out no more handles').to.match(/closed/);
    });

    it('refuses a window of no size', () => {
      expect(() => new AckWindow(new AckRegistry(), 'src', { size: 0, timeoutMs: 1 })).to.throw(/at least 1/);
    });
  });
});
