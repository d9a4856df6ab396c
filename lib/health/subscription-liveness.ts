/**
 * Whether the change-capture subscriptions of one connection still receive anything. An org can
 * answer every health check and its Streaming API every long poll while no change event reaches
 * the subscriber (a channel that is no longer fed, an org-side stall): only the subscriber's own
 * timestamps show that. This reads them from what sf-cdc-in reports to the runtime context.
 */
import type { SourceState } from '../runtime/context.js';

/**
 * - live: connected, and an event arrived within the silence limit (or none is set)
 * - silent: connected and polling, but no event for longer than the limit
 * - stalled: connected, but no long poll has come back for much longer than the org holds one
 * - down: not connected (connecting, retrying, renewing the session, stopped)
 */
export type LivenessVerdict = 'live' | 'silent' | 'stalled' | 'down';

export interface SubscriptionLiveness {
  /** The sf-cdc-in node's id and name. */
  nodeId: string;
  nodeName: string;
  channel: string;
  /** The channel's own state, as sf-cdc-in reports it. */
  state: string;
  verdict: LivenessVerdict;
  lastEventAt: number | null;
  lastPollAt: number | null;
  subscribedAt: number | null;
  /** How long a connected subscription has gone without an event (since subscribing, if none came); null when not connected. */
  silentForMs: number | null;
  /** How long since the last successful long poll (or the subscribe); null when not connected. */
  sinceLastPollMs: number | null;
}

export interface LivenessOptions {
  /** The sf-connection config node id whose subscriptions are wanted. */
  connection: string;
  now: number;
  /** Seconds without an event after which a connected subscription is silent; 0 or less: never. */
  silentAfterS: number;
  /** No successful long poll for this long makes it stalled; by default see stallAfterMs(). */
  stalledAfterMs?: number;
}

/** What Salesforce advises as its long-poll timeout, for a subscription that has not been told yet. */
export const DEFAULT_POLL_TIMEOUT_MS = 110_000;
/**
 * A stall is never called sooner than this: sf-cdc-in refreshes its report every few seconds, and
 * a short poll timeout (a test org) must not turn that lag into alarms.
 */
export const MIN_STALL_MS = 60_000;

/** Twice the poll timeout the org advised: one poll may be lost and retried before it counts. */
export function stallAfterMs(pollTimeoutMs: number | null): number {
  return Math.max(MIN_STALL_MS, 2 * (pollTimeoutMs ?? DEFAULT_POLL_TIMEOUT_MS));
}

interface ReportedChannel {
  channel: string;
  state: string;
  lastEventAt: number | null;
  lastPollAt: number | null;
  subscribedAt: number | null;
  pollTimeoutMs: number | null;
}

/** Every channel of every sf-cdc-in on `options.connection`, in the order reported, with its verdict. */
export function subscriptionLiveness(sources: readonly SourceState[], options: LivenessOptions): SubscriptionLiveness[] {
  return sources
    .filter((s) => s.kind === 'sf-cdc-in' && s.detail?.connection === options.connection)
    .flatMap((s) => reportedChannels(s.detail?.channels).map((c) => assess(s, c, options)));
}

function assess(source: SourceState, c: ReportedChannel, o: LivenessOptions): SubscriptionLiveness {
  const base = { nodeId: source.id, nodeName: source.name, channel: c.channel, state: c.state, lastEventAt: c.lastEventAt, lastPollAt: c.lastPollAt, subscribedAt: c.subscribedAt };
  if (c.state !== 'connected') return { ...base, verdict: 'down', silentForMs: null, sinceLastPollMs: null };
  // Before the first event (or poll) of this subscription, silence counts from the subscribe.
  const silentSince = latest(c.lastEventAt, c.subscribedAt);
  const polledSince = latest(c.lastPollAt, c.subscribedAt);
  const silentForMs = silentSince === null ? null : Math.max(0, o.now - silentSince);
  const sinceLastPollMs = polledSince === null ? null : Math.max(0, o.now - polledSince);
  const stalled = sinceLastPollMs !== null && sinceLastPollMs > (o.stalledAfterMs ?? stallAfterMs(c.pollTimeoutMs));
  const silent = o.silentAfterS > 0 && silentForMs !== null && silentForMs > o.silentAfterS * 1000;
  // A poll that does not come back explains the silence: stalled says more than silent.
  const verdict: LivenessVerdict = stalled ? 'stalled' : silent ? 'silent' : 'live';
  return { ...base, verdict, silentForMs, sinceLastPollMs };
}

function latest(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}

/** detail.channels as sf-cdc-in reports it; anything unrecognisable is left out rather than guessed at. */
function reportedChannels(raw: unknown): ReportedChannel[] {
  if (!Array.isArray(raw)) return [];
  const time = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  return raw.flatMap((c: Record<string, unknown> | null) =>
    c && typeof c.channel === 'string' && typeof c.state === 'string'
      ? [{ channel: c.channel, state: c.state, lastEventAt: time(c.lastEventAt), lastPollAt: time(c.lastPollAt), subscribedAt: time(c.subscribedAt), pollTimeoutMs: time(c.pollTimeoutMs) }]
      : [],
  );
}

/** The subscriptions that need someone to look: silent or stalled. */
export function livenessProblems(list: readonly SubscriptionLiveness[]): SubscriptionLiveness[] {
  return list.filter((s) => isProblem(s.verdict));
}

export function isProblem(verdict: LivenessVerdict | 'unknown'): boolean {
  return verdict === 'silent' || verdict === 'stalled';
}
