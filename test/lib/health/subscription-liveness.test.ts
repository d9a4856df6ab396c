import { expect } from 'chai';
import { stallAfterMs, subscriptionLiveness, type SubscriptionLiveness } from '../../../lib/health/index.js';
import type { SourceState } from '../../../lib/runtime/context.js';

const T0 = Date.UTC(2025, 0, 6, 12, 0, 0);
const S = 1000;
const MIN = 60 * S;

/** A channel as CdcSource.channelStates() reports it: connected since T0, polled and nothing received. */
const channel = (over: Record<string, unknown> = {}) => ({
  channel: '/data/AccountChangeEvent', state: 'connected', checkpoint: -1, open: 0, lastEventAt: null, lastPollAt: T0, subscribedAt: T0, pollTimeoutMs: 110_000, catchingUp: false, ...over,
});

const cdcSource = (id: string, connection: string, channels: unknown[], over: Partial<SourceState> = {}): SourceState => ({
  id, name: `${id} changes`, kind: 'sf-cdc-in', state: 'listening', inFlight: 0, settled: 0, failed: 0, released: 0, lastBatchAt: null,
  detail: { connection, orgId: '00D000000000001AAA', counts: {}, channels }, ...over,
});

const verdicts = (list: SubscriptionLiveness[]) => list.map((s) => [s.nodeId, s.channel, s.verdict]);

describe('subscription liveness', () => {
  it('finds the sf-cdc-in channels of one connection only, each with its node', () => {
    const sources = [
      cdcSource('hq', 'conn-hq', [channel(), channel({ channel: '/data/ContactChangeEvent' })]),
      cdcSource('sub', 'conn-sub', [channel()]),
      { ...cdcSource('collect', 'conn-hq', [channel()]), kind: 'sf-collect' },
    ];
    const list = subscriptionLiveness(sources, { connection: 'conn-hq', now: T0 + S, silentAfterS: 60 });
    expect(verdicts(list)).to.deep.equal([
      ['hq', '/data/AccountChangeEvent', 'live'],
      ['hq', '/data/ContactChangeEvent', 'live'],
    ]);
    expect(list[0]).to.deep.equal({
      nodeId: 'hq', nodeName: 'hq changes', channel: '/data/AccountChangeEvent', state: 'connected', verdict: 'live',
      lastEventAt: null, lastPollAt: T0, subscribedAt: T0, silentForMs: S, sinceLastPollMs: S,
    });
  });

  it('is silent once no event came for longer than the limit, counted from the subscribe when none ever came', () => {
    const never = [cdcSource('hq', 'c', [channel({ lastPollAt: T0 + 5 * MIN })])];
    const at = (ms: number) => subscriptionLiveness(never, { connection: 'c', now: T0 + ms, silentAfterS: 300 })[0]!;
    expect(at(5 * MIN).verdict, 'exactly at the limit').to.equal('live');
    expect(at(5 * MIN + S)).to.include({ verdict: 'silent', silentForMs: 5 * MIN + S, sinceLastPollMs: S });

    // The last event counts when it is later than the subscribe.
    const heard = [cdcSource('hq', 'c', [channel({ lastEventAt: T0 + 10 * MIN, lastPollAt: T0 + 14 * MIN })])];
    expect(subscriptionLiveness(heard, { connection: 'c', now: T0 + 14 * MIN, silentAfterS: 300 })[0]).to.include({ verdict: 'live', silentForMs: 4 * MIN });
    expect(subscriptionLiveness(heard, { connection: 'c', now: T0 + 16 * MIN, silentAfterS: 300 })[0]).to.include({ verdict: 'silent', silentForMs: 6 * MIN });

    // An event of an earlier subscription does not shorten the silence of a new one.
    const resubscribed = [cdcSource('hq', 'c', [channel({ lastEventAt: T0, subscribedAt: T0 + 10 * MIN, lastPollAt: T0 + 14 * MIN })])];
    expect(subscriptionLiveness(resubscribed, { connection: 'c', now: T0 + 14 * MIN, silentAfterS: 300 })[0]).to.include({ verdict: 'live', silentForMs: 4 * MIN });
  });

  it('never calls a subscription silent without a limit', () => {
    const quiet = [cdcSource('hq', 'c', [channel({ lastPollAt: T0 + 3 * 3600 * S })])];
    expect(subscriptionLiveness(quiet, { connection: 'c', now: T0 + 3 * 3600 * S, silentAfterS: 0 })[0]).to.include({ verdict: 'live', silentForMs: 3 * 3600 * S });
  });

  it('is stalled when no long poll came back for twice the advised timeout, at least a minute, whatever the silence limit', () => {
    expect(stallAfterMs(110_000)).to.equal(220_000);
    expect(stallAfterMs(null), 'Salesforce\'s timeout until the org has advised one').to.equal(220_000);
    expect(stallAfterMs(1000), 'a short test timeout').to.equal(MIN);

    const polled = (lastPollAt: number, pollTimeoutMs: number | null = 110_000) => [cdcSource('hq', 'c', [channel({ lastPollAt, pollTimeoutMs, lastEventAt: T0 })])];
    const verdict = (sources: SourceState[], now: number, silentAfterS = 0) => subscriptionLiveness(sources, { connection: 'c', now, silentAfterS })[0]!;
    expect(verdict(polled(T0 + MIN), T0 + MIN + 220 * S).verdict).to.equal('live');
    expect(verdict(polled(T0 + MIN), T0 + MIN + 221 * S)).to.include({ verdict: 'stalled', sinceLastPollMs: 221 * S });
    expect(verdict(polled(T0 + MIN), T0 + MIN + 221 * S, 60).verdict, 'stalled explains the silence').to.equal('stalled');
    expect(verdict(polled(T0, 1000), T0 + 30 * S).verdict).to.equal('live');
    // A subscribe without any poll since counts as the last exchange.
    expect(verdict([cdcSource('hq', 'c', [channel({ lastPollAt: null })])], T0 + 221 * S).verdict).to.equal('stalled');
    const custom = subscriptionLiveness(polled(T0), { connection: 'c', now: T0 + 11 * S, silentAfterS: 0, stalledAfterMs: 10 * S })[0]!;
    expect(custom.verdict).to.equal('stalled');
  });

  it('is down whenever the channel is not connected, with no silence figures', () => {
    const states = ['connecting', 'down', 'renewing', 'stopped'];
    const sources = [cdcSource('hq', 'c', states.map((state, i) => channel({ channel: `/data/C${i}`, state })))];
    const list = subscriptionLiveness(sources, { connection: 'c', now: T0 + 3600 * S, silentAfterS: 60 });
    expect(list.map((s) => [s.state, s.verdict, s.silentForMs, s.sinceLastPollMs])).to.deep.equal(states.map((s) => [s, 'down', null, null]));
  });

  it('leaves out what it cannot read: a source without channels, channels of an unknown shape', () => {
    const sources = [
      cdcSource('a', 'c', []),
      { ...cdcSource('b', 'c', []), detail: { connection: 'c' } },
      cdcSource('d', 'c', [null, 'x', { channel: 1 }, channel({ lastEventAt: 'soon', lastPollAt: T0 })]),
    ];
    const list = subscriptionLiveness(sources, { connection: 'c', now: T0 + S, silentAfterS: 60 });
    expect(list.map((s) => [s.nodeId, s.lastEventAt])).to.deep.equal([['d', null]]);
  });
});
