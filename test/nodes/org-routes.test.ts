import { expect } from 'chai';
import { DEMO_CREDENTIALS, startDemoEmulator, type Emulator } from '../../emulator/index.js';
import { builtNode, helper } from '../support/node-red.js';

const sfConnection = builtNode('sf-connection');

interface Field {
  name: string;
  type: string;
  referenceTo: string[];
  relationshipName: string | null;
  externalId: boolean;
  picklistValues: Array<{ value: string }>;
  [k: string]: unknown;
}

/** The object and describe endpoints every editor uses (registered by sf-connection). */
describe('editor org routes (/sf-connection/objects, /sf-connection/describe)', function () {
  this.timeout(30_000);
  let emulator: Emulator;

  before(async () => {
    emulator = await startDemoEmulator();
  });
  after(() => emulator.stop());
  beforeEach(async () => {
    for (const org of emulator.orgs.values()) org.reset();
    await new Promise<void>((resolve) => helper.startServer(() => resolve()));
    const conn = (id: string, org: 'hq' | 'subsidiary') => ({
      id, type: 'sf-connection', name: org, environment: 'custom', domain: emulator.org(org).instanceUrl, apiVersion: '62.0',
      authFlow: 'client-credentials', clientId: DEMO_CREDENTIALS[org].clientId, callOptionsClient: 'OrgBridge', apiBudgetPercent: '100',
    });
    await helper.load(sfConnection as never, [conn('connHq', 'hq'), conn('connSub', 'subsidiary')] as never, {
      connHq: { clientSecret: DEMO_CREDENTIALS.hq.clientSecret }, connSub: { clientSecret: DEMO_CREDENTIALS.subsidiary.clientSecret },
    });
  });
  afterEach(async () => {
    await helper.unload();
    await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
  });

  const calls = (org: string) => emulator.org(org).limits.counts();

  it('lists the objects of a deployed connection in one shape, sorted by label', async () => {
    const res = await helper.request().get('/sf-connection/objects').query({ connection: 'connSub' }).expect(200);
    const objects = (res.body as { objects: Array<Record<string, unknown>> }).objects;
    expect(objects.map((o) => o.name)).to.include.members(['Account', 'Contact', 'Engagement__c']);
    expect(objects.find((o) => o.name === 'Account')).to.deep.equal({
      name: 'Account', label: 'Account', custom: false, keyPrefix: '001', queryable: true, createable: true, updateable: true,
    });
    const labels = objects.map((o) => String(o.label));
    expect(labels).to.deep.equal([...labels].sort((a, b) => a.localeCompare(b)));
  });

  it('describes an object: fields with types, picklists, lookups and external Ids, and its child relationships', async () => {
    const res = await helper.request().get('/sf-connection/describe').query({ connection: 'connSub', object: 'Account' }).expect(200);
    expect(res.body).to.include({ name: 'Account', label: 'Account', keyPrefix: '001' });
    const fields = new Map((res.body.fields as Field[]).map((f) => [f.name, f]));
    expect(fields.get('HQ_Id__c')).to.include({ type: 'string', length: 18, externalId: true, createable: true, updateable: true, nillable: true });
    expect(fields.get('Service_Level__c')!.picklistValues.map((p) => p.value)).to.deep.equal(['Platinum', 'Standard', 'Basic']);
    expect(fields.get('ParentId')).to.deep.include({ type: 'reference', referenceTo: ['Account'], relationshipName: 'Parent' });
    expect(res.body.children).to.deep.include({ relationshipName: 'Contacts', childSObject: 'Contact', field: 'AccountId' });
  });

  it('asks each object of an org once, however often the editors ask, until refresh=true', async () => {
    const before = calls('hq').total;
    for (let i = 0; i < 3; i++) await helper.request().get('/sf-connection/describe').query({ connection: 'connHq', object: 'Contact' }).expect(200);
    await helper.request().get('/sf-connection/objects').query({ connection: 'connHq' }).expect(200);
    await helper.request().get('/sf-connection/objects').query({ connection: 'connHq' }).expect(200);
    // One describe and one object list (the login is OAuth, not an API call).
    expect(calls('hq').total - before).to.equal(2);
    await helper.request().get('/sf-connection/describe').query({ connection: 'connHq', object: 'Contact', refresh: 'true' }).expect(200);
    await helper.request().get('/sf-connection/objects').query({ connection: 'connHq', refresh: 'true' }).expect(200);
    expect(calls('hq').total - before).to.equal(4);
  });

  it('answers mistakes as JSON with what to do: no connection, undeployed, bad or unknown object', async () => {
    const none = await helper.request().get('/sf-connection/objects').expect(400);
    expect(none.body.error).to.equal('s2s.errors.choose-connection');
    const undeployed = await helper.request().get('/sf-connection/objects').query({ connection: 'not-deployed' }).expect(400);
    expect(undeployed.body.error).to.equal('s2s.errors.deploy-connection');
    const noObject = await helper.request().get('/sf-connection/describe').query({ connection: 'connHq' }).expect(400);
    expect(noObject.body.error).to.equal('s2s.errors.choose-object');
    const badName = await helper.request().get('/sf-connection/describe').query({ connection: 'connHq', object: 'Account WHERE' }).expect(400);
    expect(badName.body.error).to.match(/^object: 'Account WHERE' is not an API name/);
    const unknown = await helper.request().get('/sf-connection/describe').query({ connection: 'connSub', object: 'Nope__c' }).expect(404);
    expect(unknown.body.error).to.equal('s2s.errors.no-object');
    expect(unknown.headers['content-type']).to.match(/json/);
  });

  it('answers an org that cannot be reached with 502 and the reason, not a stack trace', async () => {
    await emulator.orgDown('hq');
    try {
      const res = await helper.request().get('/sf-connection/objects').query({ connection: 'connHq' }).expect(502);
      expect(res.body.error).to.match(/Cannot reach .*connection refused/);
      expect(JSON.stringify(res.body)).to.not.match(/\bat .*\.js:\d+/);
    } finally {
      await emulator.orgUp('hq');
    }
  });
});
