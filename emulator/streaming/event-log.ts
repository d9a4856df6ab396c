/**
 * The retained events of one org, with replay ids. One replay-id sequence per org serves every
 * channel: a CDC event carries the same replay id on `/data/ChangeEvents` and on its entity
 * channel, as on a real org, so a client can resume either subscription from the id it last saw.
 */

/** One published event: the Bayeux `data` member, serialised once for every subscriber. */
export interface StreamEvent {
  replayId: number;
  /** Emulator-clock time of publication; retention is judged on it. */
  publishedAt: number;
  /** Every channel the event is delivered on. */
  channels: string[];
  /** `JSON.stringify({schema, payload, event})`. */
  dataJson: string;
}

/** Events of one channel in replay order; purged from the front, compacted now and then. */
class ChannelLog {
  events: StreamEvent[] = [];
  start = 0;

  get size(): number {
    return this.events.length - this.start;
  }

  push(e: StreamEvent): void {
    this.events.push(e);
  }

  purge(cutoff: number): void {
    while (this.start < this.events.length && this.events[this.start]!.publishedAt < cutoff) this.start++;
    // Shifting element by element would make a purge of many events quadratic.
    if (this.start > 1024 && this.start * 2 > this.events.length) {
      this.events = this.events.slice(this.start);
      this.start = 0;
    }
  }

  /** Index of the first retained event whose replay id is greater than `replayId`. */
  firstAfter(replayId: number): number {
    let lo = this.start;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.events[mid]!.replayId <= replayId) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Up to `limit` events after `replayId`. */
  after(replayId: number, limit: number): StreamEvent[] {
    const from = this.firstAfter(replayId);
    return this.events.slice(from, Math.min(this.events.length, from + limit));
  }

  hasAfter(replayId: number): boolean {
    return this.firstAfter(replayId) < this.events.length;
  }

  contains(replayId: number): boolean {
    const i = this.firstAfter(replayId - 1);
    return i < this.events.length && this.events[i]!.replayId === replayId;
  }

  clear(): void {
    this.events = [];
    this.start = 0;
  }
}

export class EventLog {
  private readonly all = new ChannelLog();
  private readonly byChannel = new Map<string, ChannelLog>();
  private nextReplayId = 1;

  constructor(
    private readonly now: () => number,
    public retentionMs: number,
  ) {}

  /** The newest replay id handed out (0 before the first event): where `-1` subscriptions start. */
  get lastReplayId(): number {
    return this.nextReplayId - 1;
  }

  get size(): number {
    this.purge();
    return this.all.size;
  }

  append(channels: string[], data: { schema: string; payload: unknown; event: Record<string, unknown> }): StreamEvent {
    this.purge();
    const replayId = this.nextReplayId++;
    data.event.replayId = replayId;
    const e: StreamEvent = { replayId, publishedAt: this.now(), channels, dataJson: JSON.stringify(data) };
    this.all.push(e);
    for (const c of channels) {
      let log = this.byChannel.get(c);
      if (!log) this.byChannel.set(c, (log = new ChannelLog()));
      log.push(e);
    }
    return e;
  }

  /** Whether a subscription may resume after this id: only an id still retained is valid. */
  isRetained(replayId: number): boolean {
    this.purge();
    return this.all.contains(replayId);
  }

  after(channel: string, replayId: number, limit: number): StreamEvent[] {
    this.purge();
    return this.byChannel.get(channel)?.after(replayId, limit) ?? [];
  }

  hasAfter(channel: string, replayId: number): boolean {
    this.purge();
    return this.byChannel.get(channel)?.hasAfter(replayId) ?? false;
  }

  /** Retained events per channel, for the stats endpoint. */
  channelSizes(): Record<string, number> {
    this.purge();
    const out: Record<string, number> = {};
    for (const [c, log] of this.byChannel) if (log.size) out[c] = log.size;
    return out;
  }

  purge(): void {
    const cutoff = this.now() - this.retentionMs;
    this.all.purge(cutoff);
    for (const log of this.byChannel.values()) log.purge(cutoff);
  }

  clear(): void {
    this.all.clear();
    this.byChannel.clear();
    this.nextReplayId = 1;
  }
}
