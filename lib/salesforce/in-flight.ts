/** At most `max` tasks run at once; the rest wait their turn in arrival order. */
export class InFlightLimit {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  /** Most tasks that ever ran at once (tests and metrics). */
  peak = 0;

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError('maxInFlight must be a whole number of at least 1');
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    this.peak = Math.max(this.peak, this.running);
    try {
      return await task();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}
