import { expect } from 'chai';
import type { NodeAPI } from 'node-red';
import { codeOf, forCatch, localizedError } from '../../../nodes/shared/errors.js';
import { SerialQueue } from '../../../nodes/shared/queue.js';

/** A promise with its resolve in hand. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Lets every pending promise callback run. */
const settle = () => new Promise<void>((r) => setImmediate(r));

/** A queue whose jobs finish when the test says so, recording what happened. */
function harness(maxWaiting: number) {
  const gates = new Map<string, ReturnType<typeof deferred>>();
  const log: string[] = [];
  const dropped: Array<[string, 'busy' | 'closing', number]> = [];
  const failures: unknown[] = [];
  let running = 0;
  let mostRunning = 0;
  const queue = new SerialQueue<string>({
    maxWaiting,
    work: async (job) => {
      running++;
      mostRunning = Math.max(mostRunning, running);
      log.push(`start ${job}`);
      const gate = deferred();
      gates.set(job, gate);
      await gate.promise;
      log.push(`end ${job}`);
      running--;
    },
    drop: (job, why, waiting) => {
      dropped.push([job, why, waiting]);
    },
    failed: (err) => failures.push(err),
  });
  const finish = async (job: string) => {
    await settle();
    const gate = gates.get(job);
    if (!gate) throw new Error(`${job} has not started`);
    gate.resolve();
    await settle();
  };
  return { queue, log, dropped, failures, finish, mostRunning: () => mostRunning };
}

describe('SerialQueue', () => {
  it('runs one job at a time, in arrival order', async () => {
    const h = harness(10);
    for (const job of ['a', 'b', 'c']) h.queue.push(job);
    await settle();
    expect(h.log).to.deep.equal(['start a']);
    expect(h.queue.busy).to.equal(true);
    expect(h.queue.length).to.equal(2);
    await h.finish('a');
    expect(h.log).to.deep.equal(['start a', 'end a', 'start b']);
    await h.finish('b');
    await h.finish('c');
    expect(h.log).to.deep.equal(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(h.mostRunning()).to.equal(1);
    expect(h.queue.busy).to.equal(false);
    expect(h.queue.length).to.equal(0);
    expect(h.dropped).to.deep.equal([]);
    // Idle again: the next job starts at once.
    h.queue.push('d');
    await settle();
    expect(h.log.at(-1)).to.equal('start d');
  });

  it('keeps maxWaiting jobs waiting and drops the next as busy, with the waiting count', async () => {
    const h = harness(2);
    for (const job of ['a', 'b', 'c', 'd', 'e']) h.queue.push(job);
    expect(h.dropped).to.deep.equal([['d', 'busy', 2], ['e', 'busy', 2]]);
    expect(h.queue.length).to.equal(2);
    await h.finish('a');
    // One place freed: the next push waits instead of being dropped.
    h.queue.push('f');
    expect(h.dropped).to.have.length(2);
    await h.finish('b');
    await h.finish('c');
    await h.finish('f');
    expect(h.log.filter((l) => l.startsWith('start'))).to.deep.equal(['start a', 'start b', 'start c', 'start f']);
  });

  it('with maxWaiting 0 runs one job and refuses any other while it runs', async () => {
    const h = harness(0);
    h.queue.push('a');
    h.queue.push('b');
    expect(h.dropped).to.deep.equal([['b', 'busy', 0]]);
    await h.finish('a');
    h.queue.push('c');
    await settle();
    expect(h.log).to.deep.equal(['start a', 'end a', 'start c']);
  });

  it('on close drops the waiting jobs as closing and waits for the running one', async () => {
    const h = harness(5);
    for (const job of ['a', 'b', 'c']) h.queue.push(job);
    await settle();
    let closed = false;
    const closing = h.queue.close(10 * 60_000).then(() => (closed = true));
    expect(h.dropped).to.deep.equal([['b', 'closing', 2], ['c', 'closing', 2]]);
    expect(h.queue.length).to.equal(0);
    await settle();
    expect(closed).to.equal(false);
    await h.finish('a');
    await closing;
    expect(closed).to.equal(true);
    // Nothing that was waiting ran after the close.
    expect(h.log).to.deep.equal(['start a', 'end a']);
  });

  it('does not wait beyond waitMs for a job that does not finish', async () => {
    const h = harness(1);
    h.queue.push('stuck');
    await settle();
    let closed = false;
    await h.queue.close(5).then(() => (closed = true));
    expect(closed).to.equal(true);
    expect(h.log).to.deep.equal(['start stuck']);
    expect(h.queue.busy).to.equal(true);
  });

  it('waits for drop handlers that return a promise, within waitMs', async () => {
    const filed: string[] = [];
    const gate = deferred();
    const queue = new SerialQueue<string>({
      maxWaiting: 3,
      work: () => gate.promise,
      drop: async (job) => {
        await settle();
        filed.push(job);
      },
    });
    queue.push('a');
    queue.push('b');
    gate.resolve();
    await queue.close(10 * 60_000);
    expect(filed).to.deep.equal(['b']);
  });

  it('drops a job pushed after close as closing, without running it', async () => {
    const h = harness(3);
    await h.queue.close(0);
    h.queue.push('late');
    h.queue.push('later');
    await settle();
    expect(h.dropped).to.deep.equal([['late', 'closing', 0], ['later', 'closing', 0]]);
    expect(h.log).to.deep.equal([]);
    expect(h.queue.busy).to.equal(false);
  });

  it('hands a failing job to failed and carries on with the next', async () => {
    const failures: unknown[] = [];
    const done: string[] = [];
    const boom = new Error('bug in work');
    const queue = new SerialQueue<string>({
      maxWaiting: 5,
      work: async (job) => {
        if (job.startsWith('bad')) throw boom;
        done.push(job);
      },
      drop: () => undefined,
      failed: (err) => failures.push(err),
    });
    for (const job of ['bad 1', 'good', 'bad 2', 'also good']) queue.push(job);
    while (queue.busy) await settle();
    expect(failures).to.deep.equal([boom, boom]);
    expect(done).to.deep.equal(['good', 'also good']);
  });

  it('survives a failing job without a failed handler', async () => {
    const done: string[] = [];
    const queue = new SerialQueue<string>({
      maxWaiting: 5,
      work: async (job) => {
        if (job === 'bad') throw new Error('bug');
        done.push(job);
      },
      drop: () => undefined,
    });
    queue.push('bad');
    queue.push('good');
    while (queue.busy) await settle();
    expect(done).to.deep.equal(['good']);
  });
});

describe('Catch errors (forCatch, localizedError)', () => {
  it('keeps the message and the code as an own property, and no cause', () => {
    const source = Object.assign(new Error('Cannot reach hq.my.salesforce.com', { cause: new Error('ECONNREFUSED') }), { code: 'ECONNREFUSED', kind: 'network', transient: true });
    const err = forCatch(source);
    expect(err).to.be.instanceOf(Error);
    expect(err).to.not.equal(source);
    expect(err.message).to.equal('Cannot reach hq.my.salesforce.com');
    expect(Object.getOwnPropertyDescriptor(err, 'code')?.value).to.equal('ECONNREFUSED');
    expect(err).to.not.have.property('cause');
    expect(err).to.not.have.property('kind');
    expect(err).to.not.have.property('transient');
    // As a Catch node copies it: own enumerable properties.
    expect({ ...err }).to.deep.equal({ code: 'ECONNREFUSED' });
  });

  it('leads with a phrase when given one', () => {
    const err = forCatch(Object.assign(new Error('msg.payload[0].sourceId is required'), { code: 'INVALID_BATCH' }), 'Not a batch');
    expect(err.message).to.equal('Not a batch: msg.payload[0].sourceId is required');
    expect(err.code).to.equal('INVALID_BATCH');
  });

  it('takes anything thrown, and leaves out a code that is not a non-empty string', () => {
    expect(forCatch('plain text').message).to.equal('plain text');
    expect(forCatch('plain text')).to.not.have.property('code');
    expect(forCatch(42, 'Failed').message).to.equal('Failed: 42');
    expect(forCatch(undefined).message).to.equal('undefined');
    expect(forCatch(Object.assign(new Error('x'), { code: 503 }))).to.not.have.property('code');
    expect(forCatch(Object.assign(new Error('x'), { code: '' }))).to.not.have.property('code');
    expect(codeOf({ code: 'API_BUDGET_EXCEEDED' })).to.equal('API_BUDGET_EXCEEDED');
    expect(codeOf(null)).to.equal(undefined);
    expect(codeOf(undefined)).to.equal(undefined);
    expect(codeOf({ errorCode: 'INVALID_FIELD' })).to.equal(undefined);
  });

  it('words an error from the message catalog, with a code when given', () => {
    const asked: Array<[string, unknown]> = [];
    const RED = { _: (key: string, args: unknown) => (asked.push([key, args]), `text of ${key}`) } as unknown as NodeAPI;
    const err = localizedError(RED, 'sf-collect.errors.failed', { reason: 'x' }, 'CLOSED');
    expect(err.message).to.equal('text of sf-collect.errors.failed');
    expect(err.code).to.equal('CLOSED');
    expect(asked).to.deep.equal([['sf-collect.errors.failed', { reason: 'x' }]]);
    expect(localizedError(RED, 'k')).to.not.have.property('code');
    expect(asked[1]).to.deep.equal(['k', {}]);
  });
});
