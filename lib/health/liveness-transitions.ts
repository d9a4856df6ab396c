/**
 * Turns each check's subscription verdicts into changes worth telling someone about: a
 * subscription becoming silent or stalled, and one such subscription leaving that state (live
 * again, or down, which sf-cdc-in reports itself). A subscription that is simply live or down
 * says nothing, so a deploy does not send one message per channel.
 */
import type { Severity } from '../ledger/index.js';
import { durationText } from './duration-text.js';
import { isProblem, type LivenessVerdict, type SubscriptionLiveness } from './subscription-liveness.js';

/** The org a set of subscriptions belongs to, as the health check knows it. */
export interface LivenessScope {
  /** The sf-connection config node id. */
  connection: string;
  orgId: string;
  orgName: string;
}

export interface LivenessTransition extends LivenessScope {
  /** Tells these apart from org status changes on the same output. */
  type: 'subscription';
  nodeId: string;
  nodeName: string;
  channel: string;
  verdict: LivenessVerdict;
  /** `unknown` for a subscription this tracker had not seen before. */
  previous: LivenessVerdict | 'unknown';
  severity: Severity;
  reason: string;
  silentForMs: number | null;
  sinceLastPollMs: number | null;
  at: number;
}

export class LivenessTransitions {
  /** Per connection, the last verdict of each of its subscriptions (node id and channel). */
  private readonly last = new Map<string, Map<string, LivenessVerdict>>();

  /**
   * Records one check's verdicts for the subscriptions of `scope.connection` and returns the
   * changes; subscriptions no longer reported (node removed) are forgotten without a message.
   */
  observe(scope: LivenessScope, list: readonly SubscriptionLiveness[], at: number): LivenessTransition[] {
    const before = this.last.get(scope.connection) ?? new Map<string, LivenessVerdict>();
    const now = new Map<string, LivenessVerdict>();
    const out: LivenessTransition[] = [];
    for (const s of list) {
      const key = `${s.nodeId}\u0000${s.channel}`;
      const previous = before.get(key) ?? 'unknown';
      now.set(key, s.verdict);
      if (previous === s.verdict || !(isProblem(s.verdict) || isProblem(previous))) continue;
      out.push({
        type: 'subscription', ...scope, nodeId: s.nodeId, nodeName: s.nodeName, channel: s.channel, verdict: s.verdict, previous,
        severity: s.verdict === 'live' ? 'info' : 'warning', reason: reasonOf(s, scope.orgName),
        silentForMs: s.silentForMs, sinceLastPollMs: s.sinceLastPollMs, at,
      });
    }
    this.last.set(scope.connection, now);
    return out;
  }
}

/** Plain words for a verdict (messages and logs; the node status has its own catalog texts). */
export function reasonOf(s: SubscriptionLiveness, orgName: string): string {
  switch (s.verdict) {
    case 'silent':
      return `no change event on ${s.channel} for ${durationText(s.silentForMs ?? 0)}, though ${orgName} answers its long polls`;
    case 'stalled':
      return `no long poll on ${s.channel} has come back from ${orgName} for ${durationText(s.sinceLastPollMs ?? 0)}`;
    case 'down':
      return `${s.channel} is not connected (${s.state})`;
    case 'live':
      return `change events arrive on ${s.channel} again`;
  }
}
