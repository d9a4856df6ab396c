import { createPublicKey, createSign, createVerify, X509Certificate } from 'node:crypto';
import { expect } from 'chai';
import { Connection } from 'jsforce';
import {
  bulkLoad,
  DEMO_CREDENTIALS,
  demoJwtKeys,
  demoOrgSpecs,
  externalIdValue,
  generateOrgData,
  hqDemoId,
  startDemoEmulator,
} from '../../emulator/data/index.js';
import type { Emulator } from '../../emulator/index.js';
import { Org, type OrgSpec } from '../../emulator/org.js';
import { text } from '../../emulator/schema/field-builders.js';
import type { StoredRecord } from '../../emulator/store/types.js';
import { Clock } from '../../emulator/util/clock.js';
import { isValidId } from '../../emulator/util/ids.js';
import { API_VERSION } from '../support/emulator.js';

function genSpec(name = 'gen'): OrgSpec {
  return {
    name,
    users: [
      { username: `admin@${name}.test`, password: 'admin-pass-1', firstName: 'Ada', lastName: 'Admin' },
      { username: `integration@${name}.test`, password: 'integration-pass-1', lastName: 'Integration', integration: true },
    ],
    apps: [],
    schema: {
      fields: {
        Account: [text('Ext_Id__c', 20, { label: 'Ext Id', externalId: true, unique: true })],
        Contact: [text('Ext_Id__c', 20, { label: 'Ext Id', externalId: true, unique: true })],
      },
    },
  };
}

function newOrg(name = 'gen'): Org {
  const clock = new Clock();
  clock.set(Date.parse('2025-03-01T10:00:00Z'), true);
  return new Org(genSpec(name), clock);
}

function live(org: Org, object: string): StoredRecord[] {
  return org.snapshot(object);
}

/** Levels of the deepest account hierarchy; throws on a cycle or a dangling ParentId. */
function hierarchyDepth(accounts: StoredRecord[]): number {
  const byId = new Map(accounts.map((a) => [a.Id, a]));
  let deepest = 0;
  for (const a of accounts) {
    let depth = 1;
    const seen = new Set([a.Id]);
    let parentId = a.ParentId as string | null;
    while (parentId) {
      const parent = byId.get(parentId);
      if (!parent) throw new Error(`${a.Id} points at missing parent ${parentId}`);
      if (seen.has(parent.Id)) throw new Error(`cycle through ${parent.Id}`);
      seen.add(parent.Id);
      depth++;
      parentId = parent.ParentId as string | null;
    }
    deepest = Math.max(deepest, depth);
  }
  return deepest;
}

describe('emulator data: generator', () => {
  const options = { seed: 1234, accounts: 3000, contactsPerAccount: 2, opportunitiesPerAccount: 1.5, hierarchyDepth: 5 };

  it('is deterministic: same seed, same records and counts, whatever the batch size', () => {
    const a = newOrg();
    const b = newOrg();
    const ra = generateOrgData(a, { ...options, batchSize: 250 });
    const rb = generateOrgData(b, { ...options, batchSize: 1000 });
    expect([ra.accounts, ra.contacts, ra.opportunities]).to.deep.equal([rb.accounts, rb.contacts, rb.opportunities]);
    for (const object of ['Account', 'Contact', 'Opportunity']) {
      expect(live(a, object).slice(0, 200)).to.deep.equal(live(b, object).slice(0, 200));
      expect(live(a, object).length).to.equal(live(b, object).length);
    }
  });

  it('gives different data for a different seed', () => {
    const a = newOrg();
    const b = newOrg();
    generateOrgData(a, options);
    generateOrgData(b, { ...options, seed: 4321 });
    const names = (org: Org) => live(org, 'Account').slice(0, 50).map((r) => r.Name);
    expect(names(a)).to.not.deep.equal(names(b));
  });

  it('builds hierarchies of the requested depth, without cycles, and children that point at existing records', () => {
    const org = newOrg();
    const result = generateOrgData(org, options);
    const accounts = live(org, 'Account');
    expect(accounts).to.have.length(3000);
    expect(result.maxDepth).to.equal(5);
    expect(hierarchyDepth(accounts)).to.equal(5);
    const roots = accounts.filter((a) => a.ParentId === null).length;
    expect(roots).to.be.within(150, 600);

    const accountIds = new Set(accounts.map((a) => a.Id));
    const contacts = live(org, 'Contact');
    const opportunities = live(org, 'Opportunity');
    expect(contacts.length).to.equal(result.contacts);
    expect(contacts.length).to.be.within(4000, 8000);
    expect(opportunities.length).to.equal(result.opportunities);
    for (const r of [...contacts, ...opportunities]) expect(accountIds.has(r.AccountId as string), `${r.Id} -> ${String(r.AccountId)}`).to.equal(true);
  });

  it('caps the depth and keeps small sets at the requested depth too', () => {
    const flat = newOrg();
    generateOrgData(flat, { seed: 1, accounts: 200, hierarchyDepth: 1, contactsPerAccount: 0, opportunitiesPerAccount: 0 });
    expect(live(flat, 'Account').every((a) => a.ParentId === null)).to.equal(true);
    const small = newOrg();
    generateOrgData(small, { seed: 1, accounts: 12, hierarchyDepth: 4, contactsPerAccount: 0, opportunitiesPerAccount: 0 });
    expect(hierarchyDepth(live(small, 'Account'))).to.equal(4);
  });

  it('produces realistic values and external Ids that can be looked up', () => {
    const org = newOrg();
    generateOrgData(org, { seed: 9, accounts: 500, contactsPerAccount: 2, opportunitiesPerAccount: 2, hierarchyDepth: 3 });
    const account = org.data.table('Account')!.lookup('Ext_Id__c', externalIdValue('Account', 17))[0]!;
    expect(account).to.not.equal(undefined);
    expect(account.Name).to.be.a('string').and.not.equal('');
    expect(account.Phone).to.match(/^\+\d/);
    expect(account.Website).to.match(/^https:\/\/www\./);
    expect(account.BillingCountry).to.be.a('string');
    expect(account.CreatedDate).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000\+0000$/);
    expect(account.OwnerId).to.equal([...org.users.values()][0]!.id);
    // A lookup by external Id is case-insensitive unless the field says otherwise.
    expect(org.data.table('Account')!.lookup('Ext_Id__c', 'acc-000000017')[0]?.Id).to.equal(account.Id);

    const contact = live(org, 'Contact')[0]!;
    expect(contact.Email).to.match(/^[a-z]+\.[a-z]+\d*@[a-z0-9]+\./);
    expect(contact.Name).to.equal(`${contact.FirstName as string} ${contact.LastName as string}`);
    const opportunities = live(org, 'Opportunity');
    const stages = new Set(opportunities.map((o) => o.StageName));
    expect(stages.size).to.be.greaterThan(4);
    for (const o of opportunities) {
      expect(o.IsClosed).to.equal(/^Closed/.test(o.StageName as string));
      expect(o.IsWon).to.equal(o.StageName === 'Closed Won');
      expect(o.CloseDate).to.match(/^(2024|2025)-\d{2}-\d{2}$/);
    }
  });
});

describe('emulator data: bulkLoad', () => {
  it('fills Ids, system fields and defaults, and keeps the indexes', () => {
    const org = newOrg();
    const admin = [...org.users.values()][0]!;
    const [id] = bulkLoad(org, 'Account', [{ Name: 'Acme', Ext_Id__c: 'X-1' }]);
    expect(isValidId(id)).to.equal(true);
    expect(id!.startsWith('001')).to.equal(true);
    const r = org.data.table('Account')!.get(id!)!;
    expect(r.CreatedDate).to.equal('2025-03-01T10:00:00.000+0000');
    expect(r.LastModifiedDate).to.equal(r.CreatedDate);
    expect(r.SystemModstamp).to.equal(r.CreatedDate);
    expect([r.CreatedById, r.LastModifiedById, r.OwnerId]).to.deep.equal([admin.id, admin.id, admin.id]);
    expect(r.IsDeleted).to.equal(false);
    expect(r.Industry).to.equal(null);
    expect(r.Phone).to.equal(null);
    expect(org.data.table('Account')!.lookup('Ext_Id__c', 'x-1').map((x) => x.Id)).to.deep.equal([id]);
    expect([...org.data.table('Account')!.scan()]).to.have.length(1);
  });

  it('keeps values the rows give, derives names and stage flags, and refuses unknown fields', () => {
    const org = newOrg();
    const owner = [...org.users.values()][1]!.id;
    const [accountId] = bulkLoad(org, 'Account', [
      { Name: 'Parent Co', OwnerId: owner, CreatedDate: '2020-01-02T03:04:05.000+0000' },
    ]);
    const account = org.data.table('Account')!.get(accountId!)!;
    expect(account.OwnerId).to.equal(owner);
    expect(account.CreatedDate).to.equal('2020-01-02T03:04:05.000+0000');
    expect(account.LastModifiedDate).to.equal('2020-01-02T03:04:05.000+0000');

    const [contactId] = bulkLoad(org, 'Contact', [{ FirstName: 'Grace', LastName: 'Hopper', AccountId: accountId!, HasOptedOutOfEmail: true }]);
    const contact = org.data.table('Contact')!.get(contactId!)!;
    expect(contact.Name).to.equal('Grace Hopper');
    expect(contact.HasOptedOutOfEmail).to.equal(true);
    expect(contact.DoNotCall).to.equal(false);
    expect([...org.data.table('Contact')!.childIds('AccountId', accountId!)]).to.deep.equal([contactId]);

    const [won, open] = bulkLoad(org, 'Opportunity', [
      { Name: 'Won', StageName: 'Closed Won', CloseDate: '2025-01-01', AccountId: accountId! },
      { Name: 'Open', StageName: 'Prospecting', CloseDate: '2025-06-01' },
    ]);
    const t = org.data.table('Opportunity')!;
    expect([t.get(won!)!.IsClosed, t.get(won!)!.IsWon]).to.deep.equal([true, true]);
    expect([t.get(open!)!.IsClosed, t.get(open!)!.IsWon]).to.deep.equal([false, false]);
    expect(t.get(open!)!.Probability).to.equal(10);

    expect(() => bulkLoad(org, 'Account', [{ Name: 'x', Nope__c: 1 }])).to.throw(/no field Nope__c/);
    expect(bulkLoad(org, 'Account', [{ Name: 'y', Nope__c: 1 }], { unknownFields: 'ignore' })).to.have.length(1);
    expect(() => bulkLoad(org, 'Nope__c', [{}])).to.throw(/no object/);
  });

  it('accepts Ids issued beforehand, so children can point at parents of the same batch', () => {
    const org = newOrg();
    const parent = org.ids.next('001');
    const child = org.ids.next('001');
    expect(bulkLoad(org, 'Account', [{ Id: child, Name: 'Child', ParentId: parent }, { Id: parent, Name: 'Parent' }])).to.deep.equal([child, parent]);
    expect([...org.data.table('Account')!.childIds('ParentId', parent)]).to.deep.equal([child]);
    expect(() => bulkLoad(org, 'Account', [{ Id: org.ids.next('003'), Name: 'wrong prefix' }])).to.throw(/not an 18-character Account Id/);
  });
});

describe('emulator data: demo orgs', () => {
  let emulator: Emulator;

  before(async () => {
    emulator = await startDemoEmulator();
  });

  after(async () => {
    await emulator?.stop();
  });

  it('starts hq and subsidiary with users, apps and CDC as specified', () => {
    const hq = emulator.org('hq');
    const sub = emulator.org('subsidiary');
    for (const [org, creds] of [[hq, DEMO_CREDENTIALS.hq], [sub, DEMO_CREDENTIALS.subsidiary]] as const) {
      const admin = org.userByName(creds.admin.username)!;
      const integration = org.userByName(creds.integration.username)!;
      expect(admin.integration).to.not.equal(true);
      expect(integration.integration).to.equal(true);
      const app = org.apps.get(creds.clientId)!;
      expect(app.runAsUsername).to.equal(creds.integration.username);
      expect(app.approvingUsername).to.equal(creds.admin.username);
      expect(app.callbackUrls).to.include('http://127.0.0.1:1880/sf-connection/oauth/callback');
      expect(app.callbackUrls).to.include('http://localhost:1880/sf-connection/oauth/callback');
      expect(app.certificate).to.equal(demoJwtKeys().publicKey);
    }
    expect([...hq.cdcObjects].sort()).to.deep.equal(['Account', 'Contact', 'Opportunity']);
  });

  it('gives the two orgs schemas that differ the way real orgs do', () => {
    const hq = emulator.org('hq').schema;
    const sub = emulator.org('subsidiary').schema;
    const hqId = sub.object('Account')!.field('HQ_Id__c')!;
    expect(hqId).to.include({ type: 'string', length: 18, externalId: true, unique: true });
    for (const o of ['Contact', 'Opportunity', 'Engagement__c']) expect(sub.object(o)!.field('HQ_Id__c')?.externalId, o).to.equal(true);
    expect(hq.object('Account')!.field('HQ_Id__c')).to.equal(undefined);

    const values = (f: { picklistValues?: Array<{ value: string }> } | undefined) => (f?.picklistValues ?? []).map((p) => p.value);
    expect(values(hq.object('Account')!.field('Customer_Tier__c'))).to.deep.equal(['Gold', 'Silver', 'Bronze']);
    expect(sub.object('Account')!.field('Customer_Tier__c')).to.equal(undefined);
    const level = sub.object('Account')!.field('Service_Level__c')!;
    expect(values(level)).to.deep.equal(['Platinum', 'Standard', 'Basic']);
    expect(level.restrictedPicklist).to.equal(true);

    const hqIndustry = hq.object('Account')!.field('Industry')!;
    const subIndustry = sub.object('Account')!.field('Industry')!;
    expect(values(hqIndustry)).to.include.members(['Banking', 'Insurance', 'Technology']);
    expect(values(subIndustry)).to.not.include('Banking');
    expect(values(subIndustry).length).to.be.lessThan(values(hqIndustry).length);
    expect(subIndustry.restrictedPicklist).to.equal(true);

    expect(hq.object('Contact')!.field('Preferred_Channel__c')?.type).to.equal('picklist');
    expect(hq.object('Opportunity')!.field('Contract_Term_Months__c')?.type).to.equal('int');
    expect(sub.object('Opportunity')!.field('Term_Months__c')?.type).to.equal('int');
    expect(hq.object('Project__c')!.field('Account__c')).to.include({ type: 'reference', relationshipOrder: 0, cascadeDelete: true });
    expect(sub.object('Project__c')).to.equal(undefined);
    expect(hq.object('Engagement__c')).to.equal(undefined);
  });

  it('seeds hq with a realistic data set and hierarchies three to five levels deep', () => {
    const hq = emulator.org('hq');
    const accounts = hq.snapshot('Account');
    expect(accounts.length).to.equal(30);
    expect(hierarchyDepth(accounts)).to.equal(5);
    const ids = new Set(accounts.map((a) => a.Id));
    const contacts = hq.snapshot('Contact');
    const opportunities = hq.snapshot('Opportunity');
    expect(contacts.length).to.be.within(40, 80);
    expect(opportunities.length).to.be.within(20, 50);
    for (const r of [...contacts, ...opportunities]) expect(ids.has(r.AccountId as string)).to.equal(true);
    expect(new Set(opportunities.map((o) => o.StageName)).size).to.be.greaterThan(5);
    expect(hq.snapshot('Lead').length).to.be.greaterThan(3);
    expect(hq.snapshot('Case').length).to.be.greaterThan(3);
    const projects = hq.snapshot('Project__c');
    expect(projects.length).to.be.greaterThan(5);
    for (const p of projects) expect(ids.has(p.Account__c as string)).to.equal(true);
    expect(accounts.every((a) => ['Gold', 'Silver', 'Bronze'].includes(a.Customer_Tier__c as string))).to.equal(true);
  });

  it('seeds the subsidiary with records that link to hq and records of its own', () => {
    const hq = emulator.org('hq');
    const sub = emulator.org('subsidiary');
    const accounts = sub.snapshot('Account');
    const linked = accounts.filter((a) => a.HQ_Id__c);
    expect(linked.length).to.be.within(2, accounts.length - 2);
    for (const a of linked) {
      const source = hq.data.table('Account')!.get(a.HQ_Id__c as string);
      expect(source, `${String(a.Name)} -> ${String(a.HQ_Id__c)}`).to.not.equal(undefined);
    }
    expect(hq.data.table('Account')!.get(hqDemoId('001', 7))!.Name).to.equal('Altura EMEA');
    const linkedContacts = sub.snapshot('Contact').filter((c) => c.HQ_Id__c);
    expect(linkedContacts.length).to.be.greaterThan(0);
    for (const c of linkedContacts) {
      const source = hq.data.table('Contact')!.get(c.HQ_Id__c as string)!;
      expect(source.LastName).to.equal(c.LastName);
    }
    for (const o of sub.snapshot('Opportunity').filter((x) => x.HQ_Id__c)) {
      expect(hq.data.table('Opportunity')!.get(o.HQ_Id__c as string)!.Name).to.equal(o.Name);
    }
    expect(sub.snapshot('Engagement__c').length).to.be.greaterThan(0);
    expect(sub.data.table('Account')!.lookup('HQ_Id__c', linked[0]!.HQ_Id__c ?? null)[0]!.Id).to.equal(linked[0]!.Id);
  });

  it('seeds again, identically, after a reset', () => {
    const hq = emulator.org('hq');
    const before = hq.snapshot('Account').map((a) => [a.Id, a.Name, a.ParentId]);
    hq.reset();
    expect(hq.snapshot('Account').map((a) => [a.Id, a.Name, a.ParentId])).to.deep.equal(before);
  });

  it('serves the demo data to jsforce, with users that can log in', async () => {
    const creds = DEMO_CREDENTIALS.hq;
    const conn = new Connection({
      loginUrl: emulator.loginUrl,
      version: API_VERSION,
      oauth2: { loginUrl: emulator.loginUrl, clientId: creds.clientId, clientSecret: creds.clientSecret },
    });
    await conn.login(creds.integration.username, creds.integration.password);
    const res = await conn.query<{ Name: string; Parent: { Name: string } | null }>(
      "SELECT Name, Parent.Name FROM Account WHERE Name = 'Altura San Francisco Plant'",
    );
    expect(res.records.map((r) => [r.Name, r.Parent?.Name])).to.deep.equal([['Altura San Francisco Plant', 'Altura West']]);
  });

  it('lets the demo key pair sign JWTs that the app certificate verifies, also in the JWT bearer flow', async () => {
    const keys = demoJwtKeys();
    const payload = Buffer.from('header.claims');
    const signature = createSign('RSA-SHA256').update(payload).sign(keys.privateKey);
    expect(createVerify('RSA-SHA256').update(payload).verify(emulator.org('hq').apps.get(DEMO_CREDENTIALS.hq.clientId)!.certificate!, signature)).to.equal(true);
    expect(createVerify('RSA-SHA256').update(Buffer.from('tampered')).verify(keys.publicKey, signature)).to.equal(false);
    // The shipped certificate carries the same key.
    expect(new X509Certificate(keys.certificate).publicKey.export({ type: 'spki', format: 'pem' })).to.equal(
      createPublicKey(keys.publicKey).export({ type: 'spki', format: 'pem' }),
    );

    const creds = DEMO_CREDENTIALS.subsidiary;
    const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const input = `${enc({ alg: 'RS256' })}.${enc({ iss: creds.clientId, sub: creds.integration.username, aud: emulator.loginUrl, exp: Math.floor(Date.now() / 1000) + 300 })}`;
    const assertion = `${input}.${createSign('RSA-SHA256').update(input).sign(keys.privateKey).toString('base64url')}`;
    const res = await fetch(`${emulator.loginUrl}/services/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }),
    });
    const token = (await res.json()) as { access_token?: string; instance_url?: string };
    expect(res.status, JSON.stringify(token)).to.equal(200);
    const conn = new Connection({ instanceUrl: token.instance_url!, accessToken: token.access_token!, version: API_VERSION });
    const engagements = await conn.query("SELECT Name FROM Engagement__c WHERE Stage__c = 'Active'");
    expect(engagements.totalSize).to.equal(1);
  });

  it('builds specs with fixed ports and extra callbacks on request', () => {
    const [hq, sub] = demoOrgSpecs({ orgPorts: [18701, 18702], nodeRedPort: 1990, extraCallbackUrls: ['https://red.example.com/cb'] });
    expect([hq!.port, sub!.port]).to.deep.equal([18701, 18702]);
    expect(hq!.apps[0]!.callbackUrls).to.deep.equal([
      'http://127.0.0.1:1990/sf-connection/oauth/callback',
      'http://localhost:1990/sf-connection/oauth/callback',
      'https://red.example.com/cb',
    ]);
  });
});
