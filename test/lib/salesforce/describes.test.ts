import { expect } from 'chai';
import type { DescribeSObjectResult } from 'jsforce';
import type { Emulator } from '../../../emulator/index.js';
import { OrgConnection } from '../../../lib/connection/org-connection.js';
import { DescribeCache } from '../../../lib/salesforce/describes.js';
import { OrgApi } from '../../../lib/salesforce/org-api.js';
import { PASSWORD, settingsFor } from '../../support/connection.js';
import { restoreOrgs, startTestEmulator, testOrgSpec } from '../../support/emulator.js';
import { failure } from '../../support/failure.js';

describe('describes: one cache per connection', () => {
  let emulator: Emulator;
  const conns: OrgConnection[] = [];
  const connection = () => {
    const c = new OrgConnection(settingsFor(emulator), PASSWORD);
    conns.push(c);
    return c;
  };
  const describeCalls = () => Object.entries(emulator.org('alpha').limits.counts().byEndpoint).filter(([k]) => /describe|sobjects/.test(k)).reduce((n, [, v]) => n + v, 0);

  before(async () => {
    emulator = await startTestEmulator([testOrgSpec('alpha')]);
  });
  after(() => emulator.stop());
  beforeEach(async () => {
    await restoreOrgs(emulator);
    emulator.org('alpha').limits.resetCounts();
  });
  afterEach(() => {
    for (const c of conns.splice(0)) c.close();
  });

  it('asks each object once for every view of one connection, and afresh for a new connection', async () => {
    const org = connection();
    const views = [new OrgApi(org), new OrgApi(org), new OrgApi(org)];
    const described = await Promise.all(views.map((v) => v.describe('Account')));
    expect(described.map((d) => d.name)).to.deep.equal(['Account', 'Account', 'Account']);
    await views[0]!.describe('account');
    expect(describeCalls()).to.equal(1);
    // Only the view that asked paid for the call.
    expect(views.map((v) => v.calls)).to.deep.equal([1, 0, 0]);
    await new OrgApi(connection()).describe('Account');
    expect(describeCalls()).to.equal(2);
  });

  it('remembers an object the org lacks: null from describeIfExists, NOT_FOUND from describe', async () => {
    const a = new OrgApi(connection());
    expect(await a.describeIfExists('Nope__c')).to.equal(null);
    const err = await failure(a.describe('Nope__c'));
    expect(err).to.include({ name: 'OrgCallError', code: 'NOT_FOUND' });
    expect(err.message).to.match(/^describing Nope__c: the org has no object Nope__c/);
    expect(describeCalls()).to.equal(1);
  });

  it('forgets a failed describe, so the next ask tries again', async () => {
    const org = connection();
    await org.connection();
    emulator.org('alpha').faults.add({ path: '/describe', count: 100, action: { type: 'error', status: 400, errorCode: 'INVALID_TYPE', message: 'not now' } });
    const a = new OrgApi(org);
    expect(await failure(a.describe('Contact'))).to.include({ code: 'INVALID_TYPE' });
    emulator.org('alpha').faults.clear();
    expect((await a.describe('Contact')).name).to.equal('Contact');
  });

  it('lists the objects once, and reads again what was invalidated', async () => {
    const a = new OrgApi(connection());
    const first = await a.objects();
    expect(first.map((o) => o.name)).to.include.members(['Account', 'Contact']);
    await a.objects();
    await a.describe('Account');
    await a.describe('Contact');
    expect(describeCalls()).to.equal(3);
    a.invalidateDescribes('Account');
    await a.describe('Account');
    await a.describe('Contact');
    expect(describeCalls()).to.equal(4);
    a.invalidateDescribes();
    await a.objects();
    await a.describe('Contact');
    expect(describeCalls()).to.equal(6);
  });

  it('believes an answer for its TTL only', async () => {
    let now = 1_000_000;
    const cache = new DescribeCache(1000, () => now);
    let fetched = 0;
    const fetch = async () => {
      fetched++;
      return { name: 'Account' } as DescribeSObjectResult;
    };
    await cache.object('Account', fetch);
    now += 999;
    await cache.object('ACCOUNT', fetch);
    expect(fetched).to.equal(1);
    now += 2;
    await cache.object('Account', fetch);
    expect(fetched).to.equal(2);
    let listed = 0;
    const list = async () => [{ name: `L${++listed}` }] as never;
    await cache.list(list);
    now += 500;
    await cache.list(list);
    now += 1100;
    expect((await cache.list(list))[0]).to.deep.equal({ name: 'L2' });
  });
});
