/**
 * A node's inbox: one job at a time in arrival order (Node-RED hands a node its next message
 * without waiting for done()), a bounded number waiting, the next refused as busy, and on close the
 * waiting jobs dropped and the current one given a while to finish.
 */
export interface SerialQueueOptions<J> {
  /** Jobs that may wait behind the running one; one more is refused. */
  maxWaiting: number;
  /** Does one job; a throw is the job's own business (handle it in `work`), the queue only logs it. */
  work(job: J): Promise<void>;
  /** A job that never ran: refused as busy, or still waiting when the node closed. */
  drop(job: J, why: 'busy' | 'closing', waiting: number): void | Promise<void>;
  /** An unexpected failure of `work` itself (a bug), for node.error. */
  failed?(err: unknown): void;
}

export class SerialQueue<J> {
  private readonly waiting: J[] = [];
  private current?: Promise<void>;
  private closed = false;

  constructor(private readonly options: SerialQueueOptions<J>) {}

  /** Jobs waiting behind the running one. */
  get length(): number {
    return this.waiting.length;
  }

  get busy(): boolean {
    return !!this.current;
  }

  /** Takes a job: runs it now, queues it, or drops it as busy (or closing). */
  push(job: J): void {
    if (this.closed) {
      void this.options.drop(job, 'closing', this.waiting.length);
      return;
    }
    if (!this.current) {
      this.start(job);
      return;
    }
    if (this.waiting.length >= this.options.maxWaiting) {
      void this.options.drop(job, 'busy', this.waiting.length);
      return;
    }
    this.waiting.push(job);
  }

  /**
   * Stops taking jobs, drops the waiting ones, and resolves once the running job has finished or
   * `waitMs` has passed, whichever is first (a node must let Node-RED close within its timeout).
   */
  async close(waitMs: number): Promise<void> {
    this.closed = true;
    const dropped = this.waiting.splice(0).map((job, i, all) => this.options.drop(job, 'closing', all.length));
    const current = this.current;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)));
    try {
      await Promise.race([Promise.all([current, ...dropped]).then(() => undefined), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private start(job: J): void {
    this.current = this.options
      .work(job)
      .catch((err: unknown) => this.options.failed?.(err))
      .finally(() => {
        this.current = undefined;
        const next = this.waiting.shift();
        if (next !== undefined && !this.closed) this.start(next);
      });
  }
}
