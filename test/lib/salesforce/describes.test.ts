import { expect } from 'chai';
import type { DescribeSObjectResult } from 'jsforce';
import type { Emulator } from '../../../emulator/index.js';
import { OrgConnection } from '../../../lib/connection/org-connection.js';
import { DESCRIBE_TTL_MS, DescribeCache, describeCacheOf, type GlobalObject } from '../../../lib/salesforce/describes.js';
import { OrgCallError } from '../../../lib/salesforce/errors.js';
import { OrgApi } from '../../../lib/salesforce/org-api.js';
import { PASSWORD, settingsFor } from '../../support/connection.js';
import { restoreOrgs, startTestEmulator } from '../../support/emulator.js';
import { failure } from '../../support/failure.js';

const DESCRIBE = 'GET /sobjects/{type}/describe';
const GLOBAL = 'GET /sobjects';
const noWait = async () => undefined;

describe('describes through OrgApi', () => {
  let emulator: Emulator;
  let oc: OrgConnection;
  const calls = (endpoint: string) => emulator.org('alpha').limits.counts().byEndpoint[endpoint] ?? 0;
  const view = () => new OrgApi(oc, { sleep: noWait });

  before(async () => {
    emulator = await startTestEmulator();
  });
  after(() => emulator.stop());
  beforeEach(async () => {
    await restoreOrgs(emulator);
    oc = new OrgConnection(settingsFor(emulator), PASSWORD);
  });
  afterEach(() => oc.close());

  it('describes an object once for every view of the same connection, however they spell it', async () => {
    const views = [view(), view(), view()];
    const [a, b, c] = await Promise.all(views.map((v) => v.describe('Account')));
    expect(a!.name).to.equal('Account');
    expect(b).to.equal(a);
    expect(c).to.equal(a);
    expect(await views[0]!.describe('account')).to.equal(a);
    expect(await view().describeIfExists('ACCOUNT')).to.equal(a);
    expect(calls(DESCRIBE)).to.equal(1);
    // The call is counted once, by the view that made it.
    expect(views.map((v) => v.calls).reduce((x, y) => x + y, 0)).to.equal(1);
    // Another object is another call.
    expect((await views[1]!.describe('Contact')).name).to.equal('Contact');
    expect(calls(DESCRIBE)).to.equal(2);
  });

  it('lists the objects once for every view', async () => {
    const [one, two] = await Promise.all([view().objects(), view().objects()]);
    expect(one.map((o) => o.name)).to.include.members(['Account', 'Contact', 'Opportunity']);
    expect(two).to.equal(one);
    expect(await view().objects()).to.equal(one);
    expect(calls(GLOBAL)).to.equal(1);
  });

  it('starts afresh for a new OrgConnection (a redeployed connection)', async () => {
    await view().describe('Account');
    await view().objects();
    const next = new OrgConnection(settingsFor(emulator), PASSWORD);
    try {
      const api = new OrgApi(next, { sleep: noWait });
      await api.describe('Account');
      await api.objects();
      expect(api.calls).to.equal(2);
      expect(describeCacheOf(next)).to.not.equal(describeCacheOf(oc));
    } finally {
      next.close();
    }
    expect(calls(DESCRIBE)).to.equal(2);
    expect(calls(GLOBAL)).to.equal(2);
  });

  it('does not end another view\'s wait for a shared describe when one view is aborted', async () => {
    await oc.connection();
    // The first try fails, so the fetch waits to retry (the read policy's 500 ms) when the view aborts.
    emulator.org('alpha').faults.add({ path: '/describe', count: 1, action: { type: 'error', status: 503, errorCode: 'SERVER_UNAVAILABLE', message: 'a moment' } });
    const controller = new AbortController();
    const closing = new OrgApi(oc, { signal: controller.signal });
    const first = closing.describe('Opportunity');
    const other = view().describe('Opportunity');
    setTimeout(() => controller.abort(new Error('the node closed')), 100);
    expect((await other).name).to.equal('Opportunity');
    // The aborted view's own caller still gets the answer it asked for; its next call is refused.
    expect((await first).name).to.equal('Opportunity');
    expect((await failure(closing.describe('Contact'))).message).to.equal('the node closed');
    expect(calls(DESCRIBE)).to.equal(1);
    emulator.org('alpha').faults.clear();
  });

  it('remembers that an object does not exist; describe() says so with code NOT_FOUND', async () => {
    const api = view();
    expect(await api.describeIfExists('Nope__c')).to.equal(null);
    expect(await view().describeIfExists('nope__c')).to.equal(null);
    const err = (await failure(api.describe('Nope__c'))) as OrgCallError;
    expect(err).to.be.instanceOf(OrgCallError);
    expect(err.code).to.equal('NOT_FOUND');
    expect(err.transient).to.equal(false);
    expect(err.message).to.equal('describing Nope__c: the org has no object Nope__c (or this user cannot see it)');
    // One call for all three asks: the answer "no such object" is cached like any other.
    expect(calls(DESCRIBE)).to.equal(1);
    expect(api.calls).to.equal(1);
  });

  it('forgets a failed describe, so the next ask tries again', async () => {
    const api = view();
    await oc.connection();
    await emulator.orgDown('alpha');
    const err = (await failure(api.describe('Account'))) as OrgCallError;
    expect(err).to.be.instanceOf(OrgCallError);
    expect(err).to.include({ kind: 'network', transient: true });
    const listErr = (await failure(api.objects())) as OrgCallError;
    expect(listErr.message).to.match(/^listing the objects: Cannot reach/);
    await emulator.orgUp('alpha');
    const d = await api.describe('Account');
    expect(d.name).to.equal('Account');
    expect((await api.objects()).length).to.be.greaterThan(0);
    expect(calls(DESCRIBE)).to.equal(1);
    expect(calls(GLOBAL)).to.equal(1);
  });

  it('forgets one object or everything on invalidate', async () => {
    const api = view();
    const account = await api.describe('Account');
    const contact = await api.describe('Contact');
    const list = await api.objects();
    view().invalidateDescribes('ACCOUNT');
    const account2 = await api.describe('Account');
    expect(account2).to.not.equal(account);
    expect(account2).to.deep.equal(account);
    expect(await api.describe('Contact')).to.equal(contact);
    expect(await api.objects()).to.equal(list);
    expect([calls(DESCRIBE), calls(GLOBAL)]).to.deep.equal([3, 1]);

    api.invalidateDescribes();
    expect(await api.describe('Contact')).to.not.equal(contact);
    expect(await api.describe('Account')).to.not.equal(account2);
    expect(await api.objects()).to.not.equal(list);
    expect([calls(DESCRIBE), calls(GLOBAL)]).to.deep.equal([5, 2]);
  });

  it('sees a field added in Setup once invalidated', async () => {
    const api = view();
    const before = await api.describe('Account');
    expect(before.fields.map((f) => f.name)).to.not.include('Added__c');
    emulator.org('alpha').schema.apply({ fields: { Account: [{ name: 'Added__c', type: 'string', label: 'Added', length: 20, nillable: true, createable: true, updateable: true, custom: true }] } });
    expect((await api.describe('Account')).fields.map((f) => f.name)).to.not.include('Added__c');
    api.invalidateDescribes('Account');
    expect((await api.describe('Account')).fields.map((f) => f.name)).to.include('Added__c');
  });
});

describe('DescribeCache', () => {
  const describeOf = (name: string, n: number) => ({ name, n }) as unknown as DescribeSObjectResult;

  it('keeps a describe for its TTL and asks again after it, on its own clock', async () => {
    let now = 1_000_000;
    const cache = new DescribeCache(1000, () => now);
    let fetches = 0;
    const fetch = async () => describeOf('Account', ++fetches);
    const first = await cache.object('Account', fetch);
    now += 1000;
    expect(await cache.object('account', fetch)).to.equal(first);
    now += 1;
    const second = await cache.object('Account', fetch);
    expect(second).to.not.equal(first);
    expect(fetches).to.equal(2);
    now += 999;
    expect(await cache.object('Account', fetch)).to.equal(second);
    expect(fetches).to.equal(2);
  });

  it('keeps the object list for its TTL too', async () => {
    let now = 5_000;
    const cache = new DescribeCache(1000, () => now);
    let fetches = 0;
    const fetch = async () => [{ name: `List${++fetches}` } as GlobalObject];
    const first = await cache.list(fetch);
    now += 1000;
    expect(await cache.list(fetch)).to.equal(first);
    now += 1;
    expect((await cache.list(fetch))[0]!.name).to.equal('List2');
    expect(fetches).to.equal(2);
  });

  it('shares one fetch between concurrent asks and drops it when it fails', async () => {
    const cache = new DescribeCache();
    let fetches = 0;
    let fail = true;
    const fetch = () => {
      fetches++;
      return fail ? Promise.reject(new Error('org down')) : Promise.resolve(describeOf('Account', fetches));
    };
    const asks = [cache.object('Account', fetch), cache.object('Account', fetch)];
    for (const ask of asks) expect((await failure(ask)).message).to.equal('org down');
    expect(fetches).to.equal(1);
    fail = false;
    expect(await cache.object('Account', fetch)).to.deep.equal(describeOf('Account', 2));
    expect(fetches).to.equal(2);

    fail = true;
    let listFetches = 0;
    const list = () => {
      listFetches++;
      return fail ? Promise.reject(new Error('org down')) : Promise.resolve([] as GlobalObject[]);
    };
    await failure(cache.list(list));
    fail = false;
    expect(await cache.list(list)).to.deep.equal([]);
    expect(listFetches).to.equal(2);
  });

  it('does not let a failure of a forgotten fetch evict the fetch that replaced it', async () => {
    const cache = new DescribeCache();
    let rejectOld!: (err: Error) => void;
    const old = new Promise<DescribeSObjectResult | null>((_, reject) => (rejectOld = reject));
    const oldAsk = cache.object('Account', () => old);
    cache.invalidate('Account');
    const fresh = describeOf('Account', 2);
    expect(await cache.object('Account', async () => fresh)).to.equal(fresh);
    rejectOld(new Error('late failure'));
    await failure(oldAsk);
    let fetched = false;
    expect(await cache.object('Account', async () => ((fetched = true), describeOf('Account', 3)))).to.equal(fresh);
    expect(fetched).to.equal(false);
  });

  it('remembers null (no such object) like any answer', async () => {
    const cache = new DescribeCache();
    let fetches = 0;
    const fetch = async () => (fetches++, null);
    expect(await cache.object('Nope__c', fetch)).to.equal(null);
    expect(await cache.object('NOPE__C', fetch)).to.equal(null);
    expect(fetches).to.equal(1);
  });

  it('invalidates one object (any spelling) or everything', async () => {
    const cache = new DescribeCache();
    let fetches = 0;
    const fetch = (name: string) => async () => describeOf(name, ++fetches);
    const listFetch = async () => [{ name: `L${++fetches}` } as GlobalObject];
    await cache.object('Account', fetch('Account'));
    await cache.object('Contact', fetch('Contact'));
    await cache.list(listFetch);
    cache.invalidate('aCCount');
    await cache.object('Account', fetch('Account'));
    await cache.object('Contact', fetch('Contact'));
    await cache.list(listFetch);
    expect(fetches).to.equal(4);
    cache.invalidate();
    await cache.object('Account', fetch('Account'));
    await cache.object('Contact', fetch('Contact'));
    await cache.list(listFetch);
    expect(fetches).to.equal(7);
  });

  it('believes a describe for five minutes by default', () => {
    expect(DESCRIBE_TTL_MS).to.equal(5 * 60_000);
  });
});
