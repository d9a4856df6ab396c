import { expect } from 'chai';
import { codeOf, forCatch } from '../../../nodes/shared/errors.js';
import { SerialQueue } from '../../../nodes/shared/queue.js';

/** A job whose work finishes when the test says so. */
interface Job {
  id: string;
  release: () => void;
  finished: Promise<void>;
}

function job(id: string): Job {
  let release!: () => void;
  const finished = new Promise<void>((r) => (release = r));
  return { id, release, finished };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('node toolkit', () => {
  describe('SerialQueue', () => {
    function queue(maxWaiting: number) {
      const started: string[] = [];
      const dropped: Array<[string, string, number]> = [];
      const failures: unknown[] = [];
      const q = new SerialQueue<Job>({
        maxWaiting,
        work: async (j) => {
          started.push(j.id);
          if (j.id === 'throws') throw new Error('bug');
          await j.finished;
        },
        drop: (j, why, waiting) => void dropped.push([j.id, why, waiting]),
        failed: (err) => failures.push(err),
      });
      return { q, started, dropped, failures };
    }

    it('runs one job at a time in arrival order', async () => {
      const { q, started } = queue(5);
      const [a, b, c] = [job('a'), job('b'), job('c')];
      q.push(a);
      q.push(b);
      q.push(c);
      await tick();
      expect(started).to.deep.equal(['a']);
      expect(q.length).to.equal(2);
      a.release();
      await tick();
      await tick();
      expect(started).to.deep.equal(['a', 'b']);
      b.release();
      c.release();
      await tick();
      await tick();
      expect(started).to.deep.equal(['a', 'b', 'c']);
      await tick();
      expect(q.busy).to.equal(false);
      expect(q.length).to.equal(0);
    });

    it('refuses a job as busy once maxWaiting jobs wait, naming how many', async () => {
      const { q, dropped } = queue(1);
      const [a, b, c] = [job('a'), job('b'), job('c')];
      q.push(a);
      q.push(b);
      q.push(c);
      expect(dropped).to.deep.equal([['c', 'busy', 1]]);
      a.release();
      b.release();
    });

    it('on close drops the waiting jobs, waits for the running one, and refuses later ones', async () => {
      const { q, dropped, started } = queue(5);
      const [a, b] = [job('a'), job('b')];
      q.push(a);
      q.push(b);
      let closed = false;
      const closing = q.close(5000).then(() => (closed = true));
      expect(dropped).to.deep.equal([['b', 'closing', 1]]);
      await tick();
      expect(closed, 'waits for the running job').to.equal(false);
      a.release();
      await closing;
      expect(started).to.deep.equal(['a']);
      q.push(job('late'));
      expect(dropped.at(-1)).to.deep.equal(['late', 'closing', 0]);
    });

    it('stops waiting for the running job after waitMs', async () => {
      const { q } = queue(1);
      const stuck = job('stuck');
      q.push(stuck);
      let closed = false;
      await Promise.race([q.close(20).then(() => (closed = true)), new Promise((r) => setTimeout(r, 2000))]);
      expect(closed).to.equal(true);
      stuck.release();
    });

    it('reports a job whose work throws, and goes on with the next', async () => {
      const { q, started, failures } = queue(5);
      const next = job('next');
      q.push(job('throws'));
      q.push(next);
      await tick();
      await tick();
      expect(failures.map((e) => (e as Error).message)).to.deep.equal(['bug']);
      expect(started).to.deep.equal(['throws', 'next']);
      next.release();
    });
  });

  describe('errors for Catch', () => {
    it('keeps the message and the code as its own property, leads with a phrase, and carries no cause', () => {
      const inner = Object.assign(new Error('reading Account records: Cannot reach x'), { code: 'ECONNREFUSED', kind: 'network' });
      const err = forCatch(Object.assign(new Error('wrapper', { cause: inner }), { code: 'ECONNREFUSED' }), 'Collection failed');
      expect(err.message).to.equal('Collection failed: wrapper');
      expect(Object.prototype.hasOwnProperty.call(err, 'code')).to.equal(true);
      expect(err.code).to.equal('ECONNREFUSED');
      expect(err).to.not.have.property('cause');
      expect(forCatch('plain text').message).to.equal('plain text');
      expect(codeOf(forCatch('plain text'))).to.equal(undefined);
    });
  });
});
