import { expect } from 'chai';
import { DEMO_CREDENTIALS, startDemoEmulator } from '../../emulator/data/demo-orgs.js';
import type { Emulator } from '../../emulator/index.js';
import { MAPPING_TEMPLATES, mappingHash, mappingTemplate, type Mapping, type RejectedRecord } from '../../lib/mapping/index.js';
import type { SyncRecord } from '../../lib/sync/types.js';
import { builtNode, collect, helper, until } from '../support/node-red.js';

// jsforce would send even loopback traffic through a proxy.
for (const k of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY']) delete process.env[k];

const sfConnection = builtNode('sf-connection');
const sfMapFields = builtNode('sf-map-fields');

interface Msg {
  topic?: string;
  payload: unknown;
  s2s?: { target?: { orgId: string; name: string }; filtered?: number; batchId?: string; source?: { orgId: string; name: string }; object?: string };
  error?: { message: string };
}

type Spied = { args: unknown[][]; thisValues: unknown[]; lastCall: { args: unknown[] } };
type Status = { fill: string; shape: string; text: string };



/** What a spied Node method was called with by one node (the spies sit on Node.prototype). */
function callsOf(id: string, method: 'error' | 'warn' | 'status'): unknown[][] {
  const node = helper.getNode(id) as unknown as Record<string, Spied>;
  const spy = node[method]!;
  return spy.args.filter((_a, i) => spy.thisValues[i] === node);
}

const lastStatus = (id: string) => callsOf(id, 'status').at(-1)?.[0] as Status | undefined;

let counter = 0;
/** An 18-character HQ Account Id, unique per call. */
const hqId = () => `001Do${String(++counter).padStart(10, '0')}AAA`;

describe('sf-map-fields node', () => {
  let emulator: Emulator;
  let hqOrgId: string;
  let subsidiaryOrgId: string;

  before(async () => {
    emulator = await startDemoEmulator();
    hqOrgId = emulator.org('hq').orgId;
    subsidiaryOrgId = emulator.org('subsidiary').orgId;
  });
  after(() => emulator.stop());
  beforeEach((done) => {
    helper.settings({} as never);
    helper.startServer(done);
  });
  afterEach(async () => {
    await emulator.orgUp('subsidiary');
    await helper.unload();
    await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
  });

  const conn = (id: string, org: 'hq' | 'subsidiary') => ({
    id, type: 'sf-connection', z: 'tab', name: org, environment: 'custom', domain: emulator.org(org).instanceUrl, apiVersion: '62.0',
    authFlow: 'client-credentials', clientId: DEMO_CREDENTIALS[org].clientId, callOptionsClient: 'OrgBridge', apiBudgetPercent: '80',
  });
  const creds = { connHq: { clientSecret: DEMO_CREDENTIALS.hq.clientSecret }, connSub: { clientSecret: DEMO_CREDENTIALS.subsidiary.clientSecret } };
  const flow = (node: Record<string, unknown>, tab: Record<string, unknown> = {}) => [
    { id: 'tab', type: 'tab', ...tab },
    conn('connHq', 'hq'),
    conn('connSub', 'subsidiary'),
    { id: 'map', type: 'sf-map-fields', z: 'tab', name: '', source: 'connHq', target: 'connSub', mapping: '', template: '', wires: [['mapped'], ['rejected']], ...node },
    { id: 'mapped', type: 'helper', z: 'tab' },
    { id: 'rejected', type: 'helper', z: 'tab' },
    { id: 'catcher', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];

  let mapped: Msg[];
  let rejected: Msg[];
  let caught: Msg[];
  async function load(node: Record<string, unknown>, tab: Record<string, unknown> = {}) {
    await helper.load([sfConnection, sfMapFields] as never, flow(node, tab) as never, creds);
    mapped = collect<Msg>('mapped');
    rejected = collect<Msg>('rejected');
    caught = collect<Msg>('caught');
  }
  const withMapping = (m: Mapping) => ({ mapping: JSON.stringify(m) });

  /** Sends one batch and waits for it on output 1 (or fails with what Catch caught). */
  async function send(payload: unknown, extra: Record<string, unknown> = {}): Promise<Msg> {
    const before = mapped.length;
    const caughtBefore = caught.length;
    helper.getNode('map').receive({ payload, ...extra } as never);
    await until(() => mapped.length > before || caught.length > caughtBefore, 'a mapped batch');
    if (mapped.length === before) throw new Error(`caught: ${caught.at(-1)!.error!.message}`);
    return mapped.at(-1)!;
  }

  /** Sends one message that must fail, and returns the message Catch got. */
  async function fail(payload: unknown): Promise<string> {
    const before = caught.length;
    helper.getNode('map').receive({ payload } as never);
    await until(() => caught.length > before, 'a caught error');
    return caught.at(-1)!.error!.message;
  }

  function account(fields: SyncRecord['fields'], parentId?: string): SyncRecord {
    return {
      object: 'Account',
      sourceId: hqId(),
      operation: 'upsert',
      fields: { Name: `Acme ${counter}`, ...fields },
      references: parentId ? [{ field: 'ParentId', id: parentId, object: 'Account' }] : [],
      origin: { orgId: hqOrgId, via: 'manual' },
    };
  }

  it('maps HQ accounts with the Account template: value maps, Industry default, match by HQ_Id__c, ParentId by external Id, stamped', async () => {
    await load({ template: 'Account' });
    const parent = account({ Customer_Tier__c: 'Gold', Industry: 'Banking', Key_Account__c: true, Region__c: 'EMEA' });
    const child = account({ Customer_Tier__c: 'Silver', Industry: 'Quantum Computing', Rating: 'Warm' }, parent.sourceId);
    const partner = account({ Type: 'Technology Partner' });
    const s2s = { source: { orgId: hqOrgId, name: 'hq' }, object: 'Account', batchId: 'b1', runId: 'r1', level: 0, last: true };
    const out = await send([parent, child, partner], { s2s, topic: 'accounts' });

    const records = out.payload as SyncRecord[];
    expect(records.map((r) => r.sourceId)).to.deep.equal([parent.sourceId, child.sourceId]);
    const [p, c] = records as [SyncRecord, SyncRecord];
    expect(p.target!.fields).to.include({ Name: parent.fields.Name, Service_Level__c: 'Platinum', Industry: 'Financial Services', Rating: 'Hot', Site: 'HQ EMEA' });
    expect(c.target!.fields).to.include({ Service_Level__c: 'Standard', Industry: 'Other', Rating: 'Warm' });
    expect(p.target!.match).to.deep.equal({ by: 'externalId', field: 'HQ_Id__c', value: parent.sourceId });
    expect(c.target!.references).to.deep.equal([
      { field: 'ParentId', relationshipName: 'Parent', object: 'Account', sourceId: parent.sourceId, externalId: { field: 'HQ_Id__c', value: parent.sourceId }, nillable: true },
    ]);
    const stamp = { name: 'Account: HQ to subsidiary', version: '1.0.0', hash: mappingHash(MAPPING_TEMPLATES.Account) };
    for (const r of records) expect(r.target!.mapping).to.deep.equal(stamp);
    // The input records are left alone: mapped ones are copies.
    expect(parent).to.not.have.property('target');

    expect(out.topic).to.equal('accounts');
    expect(out.s2s).to.deep.include({ ...s2s, target: { orgId: subsidiaryOrgId, name: 'subsidiary' }, filtered: 1 });
    expect(rejected).to.have.length(0);
    expect(lastStatus('map')).to.deep.equal({ fill: 'green', shape: 'dot', text: 'sf-map-fields.status.counts' });
  });

  it('sends records it cannot map to output 2 with a reason per field, and the rest on output 1', async () => {
    await load({ template: 'Account' });
    const good = account({ Customer_Tier__c: 'Bronze' });
    const bad = account({ Customer_Tier__c: 'Diamond', Phone: '0'.repeat(60) });
    const out = await send([good, bad]);
    expect((out.payload as SyncRecord[]).map((r) => r.sourceId)).to.deep.equal([good.sourceId]);
    await until(() => rejected.length === 1, 'the rejected records');
    const r = rejected[0]!;
    const entries = r.payload as RejectedRecord[];
    expect(entries).to.have.length(1);
    expect(entries[0]!.record).to.deep.equal(bad);
    expect(entries[0]!.problems.map((x) => [x.field, x.code])).to.have.deep.members([
      ['Phone', 'STRING_TOO_LONG'],
      ['Service_Level__c', 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST'],
    ]);
    expect(entries[0]!.problems.find((x) => x.field === 'Service_Level__c')!.message).to.contain('"Diamond"');
    expect(r.s2s!.target).to.deep.equal({ orgId: subsidiaryOrgId, name: 'subsidiary' });
    expect(lastStatus('map')).to.include({ fill: 'yellow', text: 'sf-map-fields.status.counts' });
  });

  it('passes records of other objects through untouched, in their place, and empty batches as they are', async () => {
    await load({ template: 'Account' });
    const contact: SyncRecord = {
      object: 'Contact', sourceId: '003Do0000000000001AA', operation: 'upsert', fields: { LastName: 'Keep' }, references: [], origin: { orgId: hqOrgId, via: 'manual' },
    };
    const a = account({});
    const out = await send([contact, a]);
    const records = out.payload as SyncRecord[];
    expect(records[0]).to.equal(contact);
    expect(records[1]!.sourceId).to.equal(a.sourceId);
    expect(records[1]!.target!.object).to.equal('Account');

    const empty = await send([], { s2s: { batchId: 'empty', last: true } });
    expect(empty.payload).to.deep.equal([]);
    expect(empty.s2s).to.include({ batchId: 'empty', last: true });
    expect(rejected).to.have.length(0);
  });

  it('refuses a malformed mapping at deploy, naming the problem, and fails every message through Catch', async () => {
    const broken = { ...mappingTemplate('Account'), version: 'one', fields: [{ target: 'Name' }] };
    await load(withMapping(broken as unknown as Mapping));
    const errors = callsOf('map', 'error').map((a) => String(a[0]));
    expect(errors).to.have.length(1);
    expect(errors[0]).to.match(/^Invalid mapping "Account: HQ to subsidiary"/);
    expect(errors[0]).to.contain('version');
    expect(errors[0]).to.contain('fields[0]');
    expect(lastStatus('map')).to.deep.equal({ fill: 'red', shape: 'dot', text: 'sf-map-fields.status.invalid' });
    const message = await fail([account({})]);
    expect(message).to.equal(`Error: ${errors[0]}`);
    expect(mapped).to.have.length(0);
  });

  it('refuses JSON that does not parse, and a node without a mapping', async () => {
    await load({ mapping: '{"format": "orgbridge-mapping/1",' });
    expect(String(callsOf('map', 'error')[0]?.[0])).to.match(/not valid JSON/);
    expect(await fail([])).to.match(/not valid JSON/);
    await helper.unload();
    await load({ mapping: '', template: '' });
    expect(await fail([account({})])).to.match(/no mapping/);
  });

  it('refuses a mapping naming a field the target does not have, with the field named', async () => {
    const m = mappingTemplate('Account');
    m.fields.push({ target: 'Loyalty_Points__c', source: 'NumberOfEmployees' });
    await load(withMapping(m));
    await until(() => lastStatus('map')?.fill === 'red', 'a red status');
    const errors = callsOf('map', 'error').map((a) => String(a[0]));
    expect(errors.join('\n')).to.contain('Loyalty_Points__c').and.to.contain('fields[');
    const message = await fail([account({})]);
    expect(message).to.contain('Account has no field "Loyalty_Points__c" in the target org');
  });

  it('evaluates $env, $record and the org bindings in expressions', async () => {
    const m: Mapping = {
      format: 'orgbridge-mapping/1',
      name: 'Env test',
      version: '2.0.0',
      source: { object: 'Account' },
      target: { object: 'Account' },
      match: { by: 'externalId', field: 'HQ_Id__c' },
      fields: [
        { target: 'Name', expression: "Name & ' (' & $env('SYNC_SUFFIX') & ')'" },
        { target: 'Description', expression: "$record.operation & ' from ' & $sourceOrg.name & ' to ' & $targetOrg.name" },
      ],
    };
    await load(withMapping(m), { env: [{ name: 'SYNC_SUFFIX', value: 'EU', type: 'str' }] });
    const a = account({ Name: 'Acme' });
    const out = await send([a]);
    expect((out.payload as SyncRecord[])[0]!.target!.fields).to.deep.equal({ Name: 'Acme (EU)', Description: 'upsert from hq to subsidiary' });
    expect(out.s2s).to.deep.include({ source: { orgId: hqOrgId, name: 'hq' }, object: 'Account', target: { orgId: subsidiaryOrgId, name: 'subsidiary' } });
  });

  it('fails a payload that is not a batch of sync records', async () => {
    await load({ template: 'Account' });
    expect(await fail('not records')).to.equal('Error: sf-map-fields.errors.not-batch: msg.payload must be an array of sync records (what sf-collect and sf-map-fields send), not a string');
    expect(await fail([{ object: 'Account' }])).to.equal('Error: sf-map-fields.errors.not-batch: msg.payload[0].sourceId is required');
    const record = { object: 'Account', sourceId: '001000000000001AAA', fields: {}, references: [], origin: { orgId: '', via: 'manual' } };
    expect(await fail([record, { ...record, operation: 'merge' }])).to.match(/msg\.payload\[0\]\.operation is required$/);
    expect(await fail([{ ...record, operation: 'merge' }])).to.match(/msg\.payload\[0\]\.operation must be one of "upsert", "delete", "undelete" \(got "merge"\)$/);
  });

  it('waits for an org that is down at deploy and compiles when a message arrives after it is back', async () => {
    await emulator.orgDown('subsidiary');
    await load({ template: 'Account' });
    // The connection's own state shows while it lasts: the subsidiary is unreachable.
    await until(() => lastStatus('map')?.text === 's2s.connection.unavailable', 'the unavailable status');
    expect(callsOf('map', 'error')).to.deep.equal([]);
    expect(await fail([account({})])).to.equal('Error: sf-map-fields.errors.not-compiled');
    await emulator.orgUp('subsidiary');
    const out = await send([account({ Customer_Tier__c: 'Gold' })]);
    expect((out.payload as SyncRecord[])[0]!.target!.fields.Service_Level__c).to.equal('Platinum');
  });

  it('maps one batch at a time in arrival order, yielding to the event loop during a large one', async () => {
    await load({ template: 'Account' });
    const big = Array.from({ length: 3000 }, (_v, i) => account({ Customer_Tier__c: 'Gold', Region__c: i % 2 ? 'EMEA' : 'APAC', Key_Account__c: i % 3 === 0 }));
    const small = [account({ Customer_Tier__c: 'Silver' })];
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    try {
      helper.getNode('map').receive({ payload: big, topic: 'big' } as never);
      helper.getNode('map').receive({ payload: small, topic: 'small' } as never);
      await until(() => mapped.length === 2, 'both batches', 50_000);
    } finally {
      clearInterval(timer);
    }
    expect(mapped.map((m) => [m.topic, (m.payload as SyncRecord[]).length])).to.deep.equal([['big', 3000], ['small', 1]]);
    expect(ticks, 'timer ticks while mapping').to.be.greaterThan(0);
  });

  it('logs compile warnings once', async () => {
    const m = mappingTemplate('Account');
    m.fields.push({ target: 'VAT_Number__c', source: 'AccountNumber' });
    await load(withMapping(m));
    await until(() => lastStatus('map')?.text === 'sf-map-fields.status.ready', 'the ready status');
    await send([account({ AccountNumber: 'DE123' })]);
    await send([account({ AccountNumber: 'DE456' })]);
    const warnings = callsOf('map', 'warn').map((a) => String(a[0]));
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.contain('VAT_Number__c takes 20');
  });

  describe('admin endpoints', () => {
    beforeEach(() => load({ template: 'Account' }));

    it('suggests same-name field mappings with their type fit', async () => {
      const res = await helper.request().post('/sf-map-fields/suggest')
        .send({ source: 'connHq', target: 'connSub', sourceObject: 'Account', targetObject: 'Account' }).expect(200);
      const byTarget = new Map((res.body as Array<{ target: string; source: string; matchedBy: string; compatibility: string }>).map((x) => [x.target, x]));
      expect(byTarget.get('Name')).to.include({ source: 'Name', matchedBy: 'name', compatibility: 'ok' });
      expect(byTarget.get('Industry')).to.include({ source: 'Industry', matchedBy: 'name', compatibility: 'warning' });
      expect(byTarget.has('HQ_Id__c')).to.equal(false);
    });

    it('checks a mapping against both orgs: problems, warnings, or the stamp', async () => {
      const ok = await helper.request().post('/sf-map-fields/check').send({ source: 'connHq', target: 'connSub', mapping: MAPPING_TEMPLATES.Account }).expect(200);
      expect(ok.body).to.deep.include({ ok: true, problems: [], warnings: [] });
      expect(ok.body.stamp).to.deep.equal({ name: 'Account: HQ to subsidiary', version: '1.0.0', hash: mappingHash(MAPPING_TEMPLATES.Account) });
      const m = mappingTemplate('Account');
      m.fields.push({ target: 'Loyalty_Points__c', source: 'Name' }, { target: 'VAT_Number__c', source: 'AccountNumber' });
      const bad = await helper.request().post('/sf-map-fields/check').send({ source: 'connHq', target: 'connSub', mapping: JSON.stringify(m) }).expect(200);
      expect(bad.body.ok).to.equal(false);
      expect(bad.body.problems.join('\n')).to.contain('Loyalty_Points__c');
      expect(bad.body.warnings.join('\n')).to.contain('VAT_Number__c');
      const malformed = await helper.request().post('/sf-map-fields/check').send({ source: 'connHq', target: 'connSub', mapping: '{"format":"orgbridge-mapping/1"}' }).expect(200);
      expect(malformed.body.ok).to.equal(false);
      expect(malformed.body.problems.length).to.be.greaterThan(0);
    });

    it('serves the templates', async () => {
      const res = await helper.request().get('/sf-map-fields/templates').expect(200);
      expect(Object.keys(res.body)).to.deep.equal(['Account', 'Contact', 'Opportunity']);
      expect(res.body.Account).to.deep.equal(JSON.parse(JSON.stringify(MAPPING_TEMPLATES.Account)));
    });
  });
});
