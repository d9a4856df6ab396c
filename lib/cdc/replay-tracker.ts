/**
 * Which replay id a subscription may resume from. Events are received in replay order and handed
 * on in batches; a batch is done once its writer acknowledged it. The checkpoint is the highest
 * replay id such that every event received up to it is done: a later batch written first never
 * moves it past an earlier one still in flight, so a restart replays everything not yet written.
 */
export class ReplayTracker {
  /** Received and not yet passed by the checkpoint, in replay order. */
  private readonly pending: number[] = [];
  private head = 0;
  private readonly done = new Set<number>();
  private readonly commitTimes = new Map<number, number>();

  constructor(private point: number) {}

  /** The replay id it is safe to resume after. */
  get checkpoint(): number {
    return this.point;
  }

  /** Events received and not yet behind the checkpoint. */
  get open(): number {
    return this.pending.length - this.head;
  }

  /** Whether an event is new: not behind the checkpoint and not received already. */
  isNew(replayId: number): boolean {
    if (replayId <= this.point) return false;
    for (let i = this.pending.length - 1; i >= this.head; i--) {
      const p = this.pending[i]!;
      if (p === replayId) return false;
      if (p < replayId) return true;
    }
    return true;
  }

  /** Notes an event as received (replay ids arrive in increasing order). */
  received(replayId: number, commitTimestamp = 0): void {
    if (!this.isNew(replayId)) return;
    this.pending.push(replayId);
    this.commitTimes.set(replayId, commitTimestamp);
  }

  /**
   * Marks events done; returns the new checkpoint and the commit time of the event at it when it
   * moved, else undefined.
   */
  finish(replayIds: Iterable<number>): { replayId: number; commitTimestamp: number } | undefined {
    for (const id of replayIds) if (id > this.point) this.done.add(id);
    let moved = false;
    while (this.head < this.pending.length && this.done.has(this.pending[this.head]!)) {
      const id = this.pending[this.head++]!;
      this.done.delete(id);
      this.point = id;
      moved = true;
    }
    if (this.head > 1024 && this.head * 2 > this.pending.length) {
      this.pending.splice(0, this.head);
      this.head = 0;
    }
    if (!moved) return undefined;
    const commitTimestamp = this.commitTimes.get(this.point) ?? 0;
    // In insertion order, which is replay order: stop at the first one still ahead.
    for (const id of this.commitTimes.keys()) {
      if (id > this.point) break;
      this.commitTimes.delete(id);
    }
    return { replayId: this.point, commitTimestamp };
  }
}
