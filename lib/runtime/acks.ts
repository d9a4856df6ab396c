/**
 * Acknowledgements: how a source learns that a batch it sent is done with. Every batch a source
 * emits carries handles (`msg.s2s.ack`); whoever finishes with the batch settles them: the writer
 * once every record is durably written, skipped as unchanged or dead-lettered (`settled`), a node
 * that fails the batch as a whole (`failed`), or the source itself when nobody answers in time
 * (`released`). Sources keep a window of unsettled batches and wait for room, so memory is bounded
 * by the window, not by the run, and a change-capture source moves its checkpoint only past
 * batches that were settled.
 */

export type AckOutcome = 'settled' | 'failed' | 'released';

export interface AckSettlement {
  outcome: AckOutcome;
  /** Why, for failed and released batches. */
  reason?: string;
  at: number;
}

type Listener = (handle: string, settlement: AckSettlement) => void;

interface Pending {
  owner: string;
  issuedAt: number;
  listener: Listener;
}

/** Every unsettled handle of the process, whoever issued it. Settling is idempotent: the first wins. */
export class AckRegistry {
  private readonly pending = new Map<string, Pending>();
  private seq = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** A new handle for `owner` (a source node or run); `listener` hears when it is settled. */
  issue(owner: string, listener: Listener): string {
    const handle = `${owner}#${++this.seq}`;
    this.pending.set(handle, { owner, issuedAt: this.now(), listener });
    return handle;
  }

  /** Settles one handle; false when it is unknown or settled already (a second copy of the batch). */
  settle(handle: string, outcome: AckOutcome, reason?: string): boolean {
    const p = this.pending.get(handle);
    if (!p) return false;
    this.pending.delete(handle);
    p.listener(handle, { outcome, ...(reason ? { reason } : {}), at: this.now() });
    return true;
  }

  /** Settles every handle of a message's `msg.s2s.ack`; how many were still open. */
  settleAll(handles: readonly unknown[] | undefined, outcome: AckOutcome, reason?: string): number {
    let n = 0;
    for (const h of handles ?? []) if (typeof h === 'string' && this.settle(h, outcome, reason)) n++;
    return n;
  }

  /** Handles still open, of one owner or of everyone. */
  open(owner?: string): number {
    if (owner === undefined) return this.pending.size;
    let n = 0;
    for (const p of this.pending.values()) if (p.owner === owner) n++;
    return n;
  }

  /** When the oldest open handle was issued (for liveness and dashboards), or undefined. */
  oldest(owner?: string): number | undefined {
    let at: number | undefined;
    for (const p of this.pending.values()) if ((owner === undefined || p.owner === owner) && (at === undefined || p.issuedAt < at)) at = p.issuedAt;
    return at;
  }
}

export interface AckWindowOptions {
  /** Batches that may be unsettled at once. */
  size: number;
  /** A batch nobody settles within this long is released (its slot freed), and said so. */
  timeoutMs: number;
  /** Called for each settlement, in the order they happen. */
  onSettled?: (handle: string, settlement: AckSettlement) => void;
  now?: () => number;
}

/**
 * A source's window of unsettled batches. `acquire()` waits for a free slot and gives the handle
 * for the next batch; slots come back as batches are settled, or as their time runs out.
 */
export class AckWindow {
  private readonly open = new Map<string, NodeJS.Timeout>();
  private readonly waiting: Array<() => void> = [];
  private closed = false;
  /** What happened to the batches of this window so far. */
  readonly counts = { settled: 0, failed: 0, released: 0 };

  constructor(
    private readonly registry: AckRegistry,
    private readonly owner: string,
    private readonly options: AckWindowOptions,
  ) {
    if (!Number.isInteger(options.size) || options.size < 1) throw new RangeError('the ack window needs a size of at least 1');
  }

  /** Unsettled batches now. */
  get inFlight(): number {
    return this.open.size;
  }

  /** Waits for room (or the signal), then issues the handle of the next batch. */
  async acquire(signal?: AbortSignal): Promise<string> {
    if (this.closed) throw new Error('the ack window is closed');
    while (this.open.size >= this.options.size) {
      if (this.closed) throw new Error('the ack window is closed');
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => reject(signal!.reason instanceof Error ? signal!.reason : new Error('aborted'));
        if (signal?.aborted) return onAbort();
        signal?.addEventListener('abort', onAbort, { once: true });
        this.waiting.push(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        });
      });
    }
    if (this.closed) throw new Error('the ack window is closed');
    const handle = this.registry.issue(this.owner, (h, s) => this.settled(h, s));
    const timer = setTimeout(() => this.registry.settle(handle, 'released', `not acknowledged within ${Math.round(this.options.timeoutMs / 1000)} s`), this.options.timeoutMs);
    timer.unref?.();
    this.open.set(handle, timer);
    return handle;
  }

  /** Resolves once every batch of the window is settled (or released). */
  async drain(signal?: AbortSignal): Promise<void> {
    while (this.open.size > 0) {
      if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  /** Releases every open batch and wakes every waiter (the source is stopping). */
  close(reason = 'the source stopped'): void {
    this.closed = true;
    for (const handle of [...this.open.keys()]) this.registry.settle(handle, 'released', reason);
    for (const wake of this.waiting.splice(0)) wake();
  }

  private settled(handle: string, s: AckSettlement): void {
    const timer = this.open.get(handle);
    if (timer) clearTimeout(timer);
    this.open.delete(handle);
    this.counts[s.outcome]++;
    this.options.onSettled?.(handle, s);
    // Everyone waiting re-checks: a slot is free, or the window drained.
    for (const wake of this.waiting.splice(0)) wake();
  }
}
