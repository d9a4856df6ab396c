import { expect } from 'chai';
import { durationText, LivenessTransitions, type SubscriptionLiveness } from '../../../lib/health/index.js';

const T0 = Date.UTC(2025, 0, 6, 12, 0, 0);
const S = 1000;
const MIN = 60 * S;

describe('subscription liveness transitions', () => {
  const scope = { connection: 'conn-hq', orgId: '00D000000000001AAA', orgName: 'HQ' };
  const sub = (verdict: SubscriptionLiveness['verdict'], over: Partial<SubscriptionLiveness> = {}): SubscriptionLiveness => ({
    nodeId: 'cdc', nodeName: 'HQ changes', channel: '/data/AccountChangeEvent', state: verdict === 'down' ? 'down' : 'connected', verdict,
    lastEventAt: null, lastPollAt: T0, subscribedAt: T0, silentForMs: verdict === 'down' ? null : 16 * MIN, sinceLastPollMs: verdict === 'down' ? null : 10 * S, ...over,
  });

  it('tells once when a subscription turns silent and once when it is live again; live and down alone say nothing', () => {
    const t = new LivenessTransitions();
    const seen = (verdict: SubscriptionLiveness['verdict'], at: number) => t.observe(scope, [sub(verdict)], at).map((x) => `${x.previous}>${x.verdict}`);
    expect(seen('live', T0)).to.deep.equal([]);
    expect(seen('down', T0 + 1)).to.deep.equal([]);
    expect(seen('live', T0 + 2)).to.deep.equal([]);
    expect(seen('silent', T0 + 3)).to.deep.equal(['live>silent']);
    expect(seen('silent', T0 + 4), 'still silent: no repeat').to.deep.equal([]);
    expect(seen('stalled', T0 + 5)).to.deep.equal(['silent>stalled']);
    expect(seen('down', T0 + 6), 'leaving the problem, even for down').to.deep.equal(['stalled>down']);
    expect(seen('silent', T0 + 7)).to.deep.equal(['down>silent']);
    expect(seen('live', T0 + 8)).to.deep.equal(['silent>live']);
  });

  it('carries the org, the node, the channel, a severity and a reason', () => {
    const t = new LivenessTransitions();
    const [silent] = t.observe(scope, [sub('silent')], T0);
    expect(silent).to.deep.equal({
      type: 'subscription', connection: 'conn-hq', orgId: '00D000000000001AAA', orgName: 'HQ', nodeId: 'cdc', nodeName: 'HQ changes',
      channel: '/data/AccountChangeEvent', verdict: 'silent', previous: 'unknown', severity: 'warning',
      reason: 'no change event on /data/AccountChangeEvent for 16 min, though HQ answers its long polls', silentForMs: 16 * MIN, sinceLastPollMs: 10 * S, at: T0,
    });
    const [live] = t.observe(scope, [sub('live', { silentForMs: S })], T0 + MIN);
    expect(live).to.include({ verdict: 'live', previous: 'silent', severity: 'info', reason: 'change events arrive on /data/AccountChangeEvent again' });
  });

  it('keeps each connection and each channel apart, and forgets subscriptions no longer reported', () => {
    const t = new LivenessTransitions();
    const other = { ...scope, connection: 'conn-sub', orgName: 'Subsidiary' };
    expect(t.observe(scope, [sub('silent'), sub('live', { channel: '/data/ContactChangeEvent' })], T0).map((x) => x.channel)).to.deep.equal(['/data/AccountChangeEvent']);
    expect(t.observe(other, [sub('silent')], T0), 'the same node id on another connection').to.have.length(1);
    expect(t.observe(scope, [], T0 + 1), 'removed: no message').to.deep.equal([]);
    expect(t.observe(scope, [sub('silent')], T0 + 2).map((x) => x.previous), 'deployed again: new').to.deep.equal(['unknown']);
  });
});

describe('durationText', () => {
  it('rounds to the unit that reads at a glance', () => {
    expect([0, 45 * S, 89 * S, 90 * S, 16 * MIN + 20 * S, 89 * MIN, 90 * MIN, 47 * 60 * MIN, 48 * 60 * MIN].map(durationText)).to.deep.equal([
      '0 s', '45 s', '89 s', '2 min', '16 min', '89 min', '2 h', '47 h', '2 d',
    ]);
  });
});
