/**
 * A durable Streaming API (CometD) subscription to one channel of one org, on jsforce's faye
 * client: it resumes from the last replay id it delivered after every re-handshake, renews the
 * session and subscribes again when the org says the token is no longer valid, retries with
 * backoff while the org cannot be reached, and tells apart a replay id the org no longer retains
 * (the caller has to catch up another way) from failures worth retrying.
 */
import type { Connection } from 'jsforce';
import { StreamingExtension } from 'jsforce/api/streaming';
import type { OrgConnection } from '../connection/org-connection.js';

export type StreamState = 'connecting' | 'connected' | 'down' | 'renewing' | 'stopped';

export interface StreamSubscriptionOptions {
  channel: string;
  /** -1 for new events only, -2 for every retained event, or the replay id to resume after. */
  replayFrom: number;
  /** Each event's `data` (`{schema, payload, event: {replayId}}`), in replay order. */
  onEvent: (data: unknown) => void;
  onState?: (state: StreamState, reason?: string) => void;
  /** The org refused the replay id: it no longer retains it (older than its retention, or reset). */
  onReplayExpired?: (replayId: number, message: string) => void;
  /** A failure that retrying will not mend (the channel does not exist, CDC is off for it). */
  onFatal?: (message: string) => void;
  /** Waits between retries, ms (default 1 s doubling to 60 s). */
  retry?: { baseMs: number; maxMs: number };
  now?: () => number;
}

interface FayeSubscription extends PromiseLike<void> {
  cancel(): void;
}
interface FayeClient {
  subscribe(channel: string, listener: (data: unknown) => void): FayeSubscription;
  disconnect(): PromiseLike<void> | void;
  on(event: 'transport:down' | 'transport:up', listener: () => void): void;
}

const EXPIRED_REPLAY = /replayId \{(-?\d+)\} you provided was invalid/i;
const NO_CHANNEL = /does not exist|not.*enabled|Unknown channel|403::.*[Dd]enied/;

/** What a faye error says, whatever shape it comes in. */
function messageOf(err: unknown): string {
  if (typeof err === 'string') return err;
  const e = err as { message?: unknown; error?: unknown } | undefined;
  return String(e?.message ?? e?.error ?? err);
}

export class StreamSubscription {
  /** Replay id of the last event delivered (the one to resume after), or where it started. */
  lastReplayId: number;
  /** When the last event arrived, and the last long poll came back successfully (ms), or null. */
  lastEventAt: number | null = null;
  lastPollAt: number | null = null;
  /**
   * When the current subscription was confirmed (each new subscribe after a login, renewal or
   * retry; not faye's own re-handshakes), or null: where silence counts from before any event.
   */
  subscribedAt: number | null = null;
  /** How long the org holds a long poll open (its advice, 110 s on Salesforce), once it has said. */
  pollTimeoutMs: number | null = null;
  state: StreamState = 'stopped';
  private client?: FayeClient;
  private stopped = true;
  private attempt = 0;
  private timer?: NodeJS.Timeout;
  /** Bumped on every (re)start, so callbacks of a replaced client are ignored. */
  private generation = 0;
  private readonly now: () => number;

  constructor(
    private readonly org: OrgConnection,
    private readonly options: StreamSubscriptionOptions,
  ) {
    this.lastReplayId = options.replayFrom;
    this.now = options.now ?? Date.now;
  }

  /** Starts (or restarts) the subscription; resolves once subscribed, or once a retry is scheduled. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    this.setState('stopped');
    await this.drop();
  }

  private setState(state: StreamState, reason?: string): void {
    if (this.state === state && !reason) return;
    this.state = state;
    this.options.onState?.(state, reason);
  }

  private async drop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    // A client whose session was revoked may never answer its disconnect: do not wait for it long.
    await Promise.race([Promise.resolve(client.disconnect()).then(() => undefined, () => undefined), new Promise((r) => setTimeout(r, 2000).unref?.())]);
  }

  private async connect(): Promise<void> {
    const gen = ++this.generation;
    await this.drop();
    if (this.stopped) return;
    this.setState('connecting');
    let conn: Connection;
    try {
      conn = await this.org.connection();
    } catch (err) {
      if (gen === this.generation) this.retryLater(`login failed: ${this.org.mask(messageOf(err))}`);
      return;
    }
    if (gen !== this.generation || this.stopped) return;
    const replay = new StreamingExtension.Replay(this.options.channel, this.lastReplayId);
    const current = () => gen === this.generation && !this.stopped;
    const auth = new StreamingExtension.AuthFailure(() => {
      // The org no longer accepts the token: log in again and resume from the last event delivered.
      if (current()) void this.renew('the session is no longer valid');
    });
    const liveness = {
      incoming: (message: { channel?: string; successful?: boolean; advice?: { timeout?: unknown } }, callback: (m: unknown) => void) => {
        // The advice is repeated only when it changes: kept, it tells how long a poll may take.
        if (current() && typeof message.advice?.timeout === 'number' && message.advice.timeout > 0) this.pollTimeoutMs = message.advice.timeout;
        if (current() && message.channel === '/meta/connect' && message.successful) {
          this.lastPollAt = this.now();
          if (this.state !== 'connected') this.setState('connected');
        }
        callback(message);
      },
    };
    const client = conn.streaming.createClient([replay, auth, liveness] as never) as unknown as FayeClient;
    this.client = client;
    client.on('transport:down', () => {
      if (current()) this.setState('down', 'the org cannot be reached; retrying');
    });
    client.on('transport:up', () => {
      if (current()) this.setState('connected');
    });
    try {
      await client.subscribe(this.options.channel, (data) => {
        if (!current()) return;
        const id = (data as { event?: { replayId?: unknown } }).event?.replayId;
        if (typeof id === 'number') {
          this.lastReplayId = id;
          // faye re-subscribes by itself after a re-handshake: from here, not from the start.
          replay.setReplay(String(id));
        }
        this.lastEventAt = this.now();
        this.options.onEvent(data);
      });
    } catch (err) {
      if (!current()) return;
      const message = messageOf(err);
      const expired = EXPIRED_REPLAY.exec(message);
      if (expired) {
        await this.drop();
        this.setState('stopped', message);
        this.stopped = true;
        this.options.onReplayExpired?.(Number(expired[1]), message);
        return;
      }
      if (NO_CHANNEL.test(message) && !/401/.test(message)) {
        await this.drop();
        this.stopped = true;
        this.setState('stopped', message);
        this.options.onFatal?.(message);
        return;
      }
      this.retryLater(`subscribing to ${this.options.channel} failed: ${this.org.mask(message)}`);
      return;
    }
    this.attempt = 0;
    this.subscribedAt = this.now();
    this.setState('connected');
  }

  private async renew(reason: string): Promise<void> {
    this.setState('renewing', reason);
    // Forget the session: the next connection() logs in again.
    this.org.reset();
    await this.connect();
  }

  private retryLater(reason: string): void {
    if (this.stopped) return;
    const { baseMs, maxMs } = this.options.retry ?? { baseMs: 1000, maxMs: 60_000 };
    const wait = Math.min(maxMs, baseMs * 2 ** this.attempt++);
    this.setState('down', `${reason}; trying again in ${Math.round(wait / 1000)} s`);
    void this.drop();
    this.timer = setTimeout(() => void this.connect(), wait);
    this.timer.unref?.();
  }
}
