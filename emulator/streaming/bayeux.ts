/**
 * A small Bayeux (CometD) long-polling server with Salesforce's semantics.
 *
 * Why not faye's own server (faye.NodeAdapter / Server with extensions)? Faye's engine delivers a
 * published message to every subscriber of a channel from the moment of publication and queues it
 * per client; Salesforce instead gives each subscription its own position in a retained log
 * (replay -1, -2 or "after N", with a 400 for an expired N), validates the OAuth token on every
 * connect and handshake with its own error wordings and advice, forgets clients after 40 s on a
 * settable timer, and must answer a batched `advice.timeout:0` connect at once with the events
 * before the connect reply. Every one of those would need to reach into faye's private engine
 * state (its client and subscription tables, its connection timers, its message ordering). A
 * cursor per subscription over the shared event log does all of it in a few hundred lines, needs
 * no per-client copies of events, and gives exactly-once delivery across reconnects for free.
 */
import { randomBytes } from 'node:crypto';
import type { EventLog, StreamEvent } from './event-log.js';

export interface BayeuxSettings {
  /** How long a connect is held when nothing is pending (real: 110 s). */
  connectTimeoutMs: number;
  /** A client that sends no connect for this long after a reply is forgotten (real: 40 s). */
  clientIdleTimeoutMs: number;
  /** Events per connect reply; the client reconnects at once for the rest. */
  maxEventsPerResponse: number;
}

export interface BayeuxHost {
  readonly log: EventLog;
  readonly settings: BayeuxSettings;
  /** Whether the OAuth token is still a live session of the org. */
  isAuthenticated(token: string): boolean;
  /** `undefined` when the channel may be subscribed to, else the error text after `400::`. */
  checkChannel(channel: string): string | undefined;
}

/** One HTTP request's worth of Bayeux messages and the way to answer it. */
export interface BayeuxExchange {
  token: string | undefined;
  respond(status: number, body: string): void;
  /** Called when the client goes away before the answer was written. */
  onAbort(listener: () => void): void;
  /** False once the connection is gone, even if the abort has not been reported yet. */
  isOpen(): boolean;
}

type Message = Record<string, unknown>;

interface HeldConnect {
  message: Message;
  /** Replies to the other messages of the same batch, sent with the connect reply. */
  replies: string[];
  exchange: BayeuxExchange;
  timer?: NodeJS.Timeout;
  wake?: NodeJS.Immediate;
  done: boolean;
}

interface Client {
  id: string;
  /** Channel → replay id of the last event delivered (or the starting point). */
  subscriptions: Map<string, number>;
  held?: HeldConnect;
  idleTimer?: NodeJS.Timeout;
  /** The connect timeout this client was last advised of; advice is repeated only when it changes. */
  advisedTimeout?: number;
}

const REPLAY_INVALID = (id: unknown) =>
  `400::The replayId {${String(id)}} you provided was invalid.  Please provide a valid ID, -2 to replay all events, or -1 to replay only new events.`;

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Bayeux client ids look like `41kdiuvgig2tfxdh9weakuiwyh` on real orgs. */
function newClientId(): string {
  const n = BigInt(`0x${randomBytes(17).toString('hex')}`);
  return n.toString(36).slice(0, 27).padStart(27, '0');
}

export class BayeuxEngine {
  private readonly clients = new Map<string, Client>();
  private stopped = false;

  constructor(private readonly host: BayeuxHost) {}

  get clientCount(): number {
    return this.clients.size;
  }

  /** Subscribers per channel and held connects, for the control API. */
  stats(): { clients: number; heldConnects: number; subscriptions: Record<string, number> } {
    const subscriptions: Record<string, number> = {};
    let held = 0;
    for (const c of this.clients.values()) {
      if (c.held && !c.held.done) held++;
      for (const ch of c.subscriptions.keys()) subscriptions[ch] = (subscriptions[ch] ?? 0) + 1;
    }
    return { clients: this.clients.size, heldConnects: held, subscriptions };
  }

  handle(messages: Message[], exchange: BayeuxExchange): void {
    if (this.stopped) {
      exchange.respond(503, '[]');
      return;
    }
    if (!exchange.token) {
      // A real org answers an unauthenticated request with this bare message (no channel, no id).
      exchange.respond(401, JSON.stringify([{ error: '401::Request requires authentication', successful: false }]));
      return;
    }
    const replies: string[] = [];
    let connect: Message | undefined;
    for (const m of messages) {
      const channel = str(m.channel);
      if (channel === '/meta/connect') {
        // Only one connect per batch makes sense; an earlier one is answered like a timed-out poll.
        if (connect) replies.push(JSON.stringify(this.connectReply(connect, this.clients.get(str(connect.clientId) ?? ''))));
        connect = m;
        continue;
      }
      replies.push(JSON.stringify(this.dispatch(m, channel, exchange.token)));
    }
    if (connect) this.connect(connect, replies, exchange);
    else exchange.respond(200, `[${replies.join(',')}]`);
  }

  private dispatch(m: Message, channel: string | undefined, token: string): Message {
    switch (channel) {
      case '/meta/handshake':
        return this.handshake(m, token);
      case '/meta/subscribe':
        return this.subscribe(m, token);
      case '/meta/unsubscribe':
        return this.unsubscribe(m);
      case '/meta/disconnect':
        return this.disconnect(m);
      case undefined:
        return { id: m.id, successful: false, error: '400::Channel name not specified' };
      default:
        // Streaming API clients cannot publish over CometD; events are published through the REST API.
        return { channel, id: m.id, clientId: m.clientId, successful: false, error: '403::Publish denied' };
    }
  }

  private handshake(m: Message, token: string): Message {
    if (!this.host.isAuthenticated(token)) {
      return {
        ext: { sfdc: { failureReason: '401::Authentication invalid' }, replay: true, 'payload.format': true },
        advice: { reconnect: 'none' },
        channel: '/meta/handshake',
        id: m.id,
        error: '403::Handshake denied',
        successful: false,
      };
    }
    const types = m.supportedConnectionTypes;
    if (Array.isArray(types) && !types.includes('long-polling')) {
      return { channel: '/meta/handshake', id: m.id, successful: false, error: `400::Invalid connection type ${types.join(',')}` };
    }
    const client: Client = { id: newClientId(), subscriptions: new Map() };
    this.clients.set(client.id, client);
    this.startIdle(client);
    return {
      ext: { replay: true, 'payload.format': true },
      minimumVersion: '1.0',
      clientId: client.id,
      supportedConnectionTypes: ['long-polling'],
      channel: '/meta/handshake',
      id: m.id,
      version: '1.0',
      successful: true,
    };
  }

  private unknownClient(channel: string, m: Message): Message {
    return { advice: { interval: 0, reconnect: 'handshake' }, channel, id: m.id, error: '403::Unknown client', successful: false };
  }

  private authInvalid(client: Client, m: Message): Message {
    return { clientId: client.id, advice: { reconnect: 'none', interval: 0 }, channel: '/meta/connect', id: m.id, error: '401::Authentication invalid', successful: false };
  }

  private subscribe(m: Message, token: string): Message {
    const client = this.clients.get(str(m.clientId) ?? '');
    if (!client) return this.unknownClient('/meta/subscribe', m);
    const subscription = m.subscription;
    const fail = (error: string): Message => ({ clientId: client.id, channel: '/meta/subscribe', id: m.id, subscription, error, successful: false });
    if (!this.host.isAuthenticated(token)) return fail('401::Authentication invalid');
    if (typeof subscription !== 'string' || !subscription) return fail('400::Channel name not specified');
    if (!subscription.startsWith('/')) return fail("400::Channel subscriptions must start with a leading '/'");
    const channelError = this.host.checkChannel(subscription);
    if (channelError) return fail(`400::${channelError}`);
    const replayMap = (m.ext as { replay?: Record<string, unknown> } | undefined)?.replay;
    const requested = replayMap && typeof replayMap === 'object' ? replayMap[subscription] : undefined;
    const log = this.host.log;
    let cursor: number;
    if (requested === undefined || requested === null) {
      cursor = log.lastReplayId;
    } else {
      const n = typeof requested === 'number' ? requested : typeof requested === 'string' && /^-?\d+$/.test(requested) ? Number(requested) : NaN;
      if (n === -1) cursor = log.lastReplayId;
      else if (n === -2) cursor = 0;
      else if (Number.isSafeInteger(n) && n > 0 && log.isRetained(n)) cursor = n;
      else return fail(REPLAY_INVALID(requested));
    }
    client.subscriptions.set(subscription, cursor);
    if (client.held && this.hasPending(client)) this.wake(client);
    return { clientId: client.id, channel: '/meta/subscribe', id: m.id, subscription, successful: true };
  }

  private unsubscribe(m: Message): Message {
    const client = this.clients.get(str(m.clientId) ?? '');
    if (!client) return this.unknownClient('/meta/unsubscribe', m);
    const subscription = m.subscription;
    if (typeof subscription === 'string') client.subscriptions.delete(subscription);
    return { clientId: client.id, channel: '/meta/unsubscribe', id: m.id, subscription, successful: true };
  }

  private disconnect(m: Message): Message {
    const client = this.clients.get(str(m.clientId) ?? '');
    if (!client) return this.unknownClient('/meta/disconnect', m);
    this.forget(client);
    // Release the client's long poll now, so that its socket does not hang until the timeout.
    if (client.held) this.finish(client.held, JSON.stringify(this.connectReply(client.held.message, client)));
    return { clientId: client.id, channel: '/meta/disconnect', id: m.id, successful: true };
  }

  private connect(m: Message, replies: string[], exchange: BayeuxExchange): void {
    const client = this.clients.get(str(m.clientId) ?? '');
    if (!client) {
      exchange.respond(200, `[${[...replies, JSON.stringify(this.unknownClient('/meta/connect', m))].join(',')}]`);
      return;
    }
    if (!this.host.isAuthenticated(exchange.token ?? '')) {
      this.forget(client);
      exchange.respond(200, `[${[...replies, JSON.stringify(this.authInvalid(client, m))].join(',')}]`);
      return;
    }
    // A newer connect supersedes one still held (the client gave up on it).
    if (client.held) this.complete(client, client.held);
    clearTimeout(client.idleTimer);
    client.idleTimer = undefined;
    const held: HeldConnect = { message: m, replies, exchange, done: false };
    client.held = held;
    const advice = m.advice as { timeout?: unknown } | undefined;
    // The first connect carries the advice back at once; `timeout: 0` means the client has other
    // messages waiting behind this poll (faye's batching), so it must not be held either.
    if (advice?.timeout === 0 || client.advisedTimeout === undefined || this.hasPending(client)) {
      this.complete(client, held);
      return;
    }
    held.timer = setTimeout(() => this.complete(client, held), this.host.settings.connectTimeoutMs);
    exchange.onAbort(() => {
      if (held.done) return;
      held.done = true;
      clearTimeout(held.timer);
      if (held.wake) clearImmediate(held.wake);
      if (client.held === held) {
        client.held = undefined;
        if (this.clients.get(client.id) === client) this.startIdle(client);
      }
    });
  }

  /** Answers a held connect with whatever is pending for the client, then starts its idle clock. */
  private complete(client: Client, held: HeldConnect): void {
    if (held.done) return;
    if (!held.exchange.isOpen()) {
      // Events drained into a dead socket would be lost: leave them for the client's next poll.
      held.done = true;
      clearTimeout(held.timer);
      if (client.held === held) client.held = undefined;
      if (this.clients.get(client.id) === client) this.startIdle(client);
      return;
    }
    if (this.clients.get(client.id) !== client) {
      this.finish(held, JSON.stringify(this.unknownClient('/meta/connect', held.message)));
      return;
    }
    if (!this.host.isAuthenticated(held.exchange.token ?? '')) {
      this.forget(client);
      this.finish(held, JSON.stringify(this.authInvalid(client, held.message)));
      return;
    }
    const events = this.drain(client);
    if (client.held === held) client.held = undefined;
    this.finish(held, [...events, JSON.stringify(this.connectReply(held.message, client))].join(','));
    this.startIdle(client);
  }

  private finish(held: HeldConnect, tail: string): void {
    if (held.done) return;
    held.done = true;
    clearTimeout(held.timer);
    if (held.wake) clearImmediate(held.wake);
    held.exchange.respond(200, `[${[...held.replies, tail].join(',')}]`);
  }

  private connectReply(m: Message, client: Client | undefined): Message {
    if (!client) return this.unknownClient('/meta/connect', m);
    const reply: Message = { clientId: client.id, channel: '/meta/connect', id: m.id, successful: true };
    const timeout = this.host.settings.connectTimeoutMs;
    if (client.advisedTimeout !== timeout) {
      reply.advice = { interval: 0, timeout, reconnect: 'retry' };
      client.advisedTimeout = timeout;
    }
    return reply;
  }

  private hasPending(client: Client): boolean {
    for (const [ch, cursor] of client.subscriptions) if (this.host.log.hasAfter(ch, cursor)) return true;
    return false;
  }

  /** The client's next events across its subscriptions, in replay order, advancing each cursor. */
  private drain(client: Client): string[] {
    const limit = this.host.settings.maxEventsPerResponse;
    const picked: Array<{ e: StreamEvent; channel: string }> = [];
    for (const [channel, cursor] of client.subscriptions) {
      for (const e of this.host.log.after(channel, cursor, limit)) picked.push({ e, channel });
    }
    if (client.subscriptions.size > 1) picked.sort((a, b) => a.e.replayId - b.e.replayId);
    if (picked.length > limit) picked.length = limit;
    const out: string[] = [];
    for (const { e, channel } of picked) {
      if ((client.subscriptions.get(channel) ?? Infinity) < e.replayId) client.subscriptions.set(channel, e.replayId);
      out.push(`{"channel":${JSON.stringify(channel)},"data":${e.dataJson}}`);
    }
    return out;
  }

  /** Called after events were appended to the log: wakes the held connects that want them. */
  notify(e: StreamEvent): void {
    for (const client of this.clients.values()) {
      const held = client.held;
      if (!held || held.done || held.wake) continue;
      if (e.channels.some((ch) => client.subscriptions.has(ch))) this.wake(client);
    }
  }

  private wake(client: Client): void {
    const held = client.held;
    if (!held || held.done || held.wake) return;
    // Deferred so that every event of one transaction goes out in the same reply.
    held.wake = setImmediate(() => {
      held.wake = undefined;
      this.complete(client, held);
    });
  }

  private startIdle(client: Client): void {
    clearTimeout(client.idleTimer);
    client.idleTimer = setTimeout(() => {
      if (!client.held || client.held.done) this.forget(client);
    }, this.host.settings.clientIdleTimeoutMs);
    client.idleTimer.unref();
  }

  private forget(client: Client): void {
    clearTimeout(client.idleTimer);
    client.idleTimer = undefined;
    if (this.clients.get(client.id) === client) this.clients.delete(client.id);
  }

  /** Forgets every client; held connects are answered with `403::Unknown client` so they re-handshake now. */
  dropAll(): number {
    const all = [...this.clients.values()];
    for (const c of all) this.forget(c);
    for (const c of all) if (c.held) this.complete(c, c.held);
    return all.length;
  }

  /**
   * Org reset (`stop` false): every client is dropped and told so. Emulator stop: timers are
   * cleared and nothing more is written, since the sockets are about to be destroyed.
   */
  close(stop = false): void {
    if (!stop) {
      this.dropAll();
      return;
    }
    this.stopped = true;
    for (const c of this.clients.values()) {
      clearTimeout(c.idleTimer);
      const held = c.held;
      if (held && !held.done) {
        held.done = true;
        clearTimeout(held.timer);
        if (held.wake) clearImmediate(held.wake);
      }
    }
    this.clients.clear();
  }
}
