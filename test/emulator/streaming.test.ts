import { expect } from 'chai';
import { request } from 'node:http';
import { Connection } from 'jsforce';
import { StreamingExtension } from 'jsforce/api/streaming';
import type { Emulator, ObjectDef } from '../../emulator/index.js';
import { checkbox, currency, customObjectFields, datetime, id, reference, text } from '../../emulator/schema/field-builders.js';
import { API_VERSION, connectDirect, control, startTestEmulator, testOrgSpec } from '../support/emulator.js';

interface Header {
  entityName: string;
  recordIds: string[];
  changeType: string;
  changeOrigin: string;
  transactionKey: string;
  sequenceNumber: number;
  commitTimestamp: number;
  commitNumber: number;
  commitUser: string;
  changedFields: string[];
  nulledFields: string[];
  diffFields: string[];
}

interface StreamMessage {
  schema: string;
  payload: Record<string, unknown> & { ChangeEventHeader: Header };
  event: { replayId: number; EventUuid?: string };
}

/** The parts of a faye client the tests use (jsforce's bundled typings omit disconnect). */
interface FayeClient {
  subscribe(channel: string, listener: (m: StreamMessage) => void): PromiseLike<void>;
  disconnect(): PromiseLike<void> | undefined;
}

const WAIT_MS = 15_000;

/** Collects what a subscription receives; waits are bounded, never timed. */
class Inbox {
  readonly items: StreamMessage[] = [];
  private waiters: Array<() => void> = [];

  readonly listener = (m: StreamMessage): void => {
    this.items.push(m);
    for (const w of this.waiters) w();
  };

  async waitFor(count: number, what = 'events'): Promise<StreamMessage[]> {
    if (this.items.length >= count) return this.items.slice(0, count);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`waited for ${count} ${what}, got ${this.items.length}: ${JSON.stringify(this.items.map(summary))}`)), WAIT_MS);
      const check = () => {
        if (this.items.length < count) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve();
      };
      this.waiters.push(check);
    });
    return this.items.slice(0, count);
  }

  /** Waits for an event that satisfies `pred`; everything received up to it is returned. */
  async waitUntil(pred: (m: StreamMessage) => boolean): Promise<StreamMessage[]> {
    for (let n = 1; ; n++) {
      const got = await this.waitFor(n);
      if (pred(got[n - 1]!)) return got;
    }
  }
}

function summary(m: StreamMessage): string {
  const h = m.payload.ChangeEventHeader;
  return h ? `${m.event.replayId}:${h.entityName}:${h.changeType}:${h.recordIds.join('|')}` : `${m.event.replayId}`;
}

function header(m: StreamMessage): Header {
  return m.payload.ChangeEventHeader;
}

/** Body fields of a change event (everything but the header). */
function body(m: StreamMessage): Record<string, unknown> {
  const { ChangeEventHeader: _h, ...rest } = m.payload;
  return rest;
}

/** A raw CometD exchange, for the wire-level checks jsforce hides. */
async function bayeux(emulator: Emulator, token: string | undefined, messages: unknown[], version = API_VERSION): Promise<{ status: number; body: Array<Record<string, unknown>> }> {
  const res = await fetch(`${emulator.org('alpha').instanceUrl}/cometd/${version}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `OAuth ${token}` } : {}) },
    body: JSON.stringify(messages),
  });
  return { status: res.status, body: (await res.json()) as Array<Record<string, unknown>> };
}

const orderPlaced: ObjectDef = {
  name: 'Order_Placed__e',
  label: 'Order Placed',
  labelPlural: 'Order Placed',
  keyPrefix: 'e01',
  custom: true,
  isPlatformEvent: true,
  fields: [
    id('Event ID'),
    text('ReplayId', 255, { readOnly: true, label: 'Replay ID' }),
    datetime('CreatedDate', { system: true, label: 'Created Date' }),
    reference('CreatedById', ['User'], 'CreatedBy', { system: true, label: 'Created By ID' }),
    text('EventUuid', 36, { readOnly: true, label: 'Event UUID' }),
    text('Order_Number__c', 20, { required: true, label: 'Order Number' }),
    currency('Amount__c', 16, 2, { label: 'Amount' }),
    checkbox('Rush__c', { label: 'Rush' }),
  ],
};

const widget: ObjectDef = {
  name: 'Widget__c',
  label: 'Widget',
  labelPlural: 'Widgets',
  keyPrefix: 'a07',
  custom: true,
  fields: [...customObjectFields('Widget'), text('Color__c', 20, { label: 'Color' })],
};

describe('emulator streaming: CDC, CometD and platform events (jsforce conn.streaming)', function () {
  let emulator: Emulator;
  let conn: Connection;
  let clients: FayeClient[] = [];

  before(async () => {
    emulator = await startTestEmulator([
      testOrgSpec('alpha', { cdcObjects: ['Account', 'Contact', 'Widget__c'], schema: { objects: [orderPlaced, widget] } }),
    ]);
    // Short polls keep the tests quick; the real 110 s would only make waits longer.
    await control(emulator, 'POST', '/streaming/settings', { connectTimeoutMs: 2000 });
  });
  after(() => emulator.stop());

  beforeEach(async () => {
    await control(emulator, 'POST', '/reset');
    conn = connectDirect(emulator, 'alpha');
  });

  afterEach(async () => {
    const closing = clients.map(
      (c) =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 3000);
          const done = () => {
            clearTimeout(timer);
            resolve();
          };
          const p = c.disconnect();
          if (p) p.then(done, done);
          else done();
        }),
    );
    clients = [];
    await Promise.all(closing);
  });

  function streamClient(c: Connection, extensions: unknown[] = []): FayeClient {
    const client = c.streaming.createClient(extensions) as unknown as FayeClient;
    clients.push(client);
    return client;
  }

  /** A client subscribed to `channel` from `replayId`, with its inbox. */
  async function subscribe(channel: string, replayId: number | null = -1, c: Connection = conn): Promise<{ client: FayeClient; inbox: Inbox }> {
    const client = streamClient(c, replayId === null ? [] : [new StreamingExtension.Replay(channel, replayId)]);
    const inbox = new Inbox();
    await client.subscribe(channel, inbox.listener);
    return { client, inbox };
  }

  describe('change events', () => {
    it('delivers CREATE, UPDATE and DELETE with the real header and body', async () => {
      const { inbox } = await subscribe('/data/AccountChangeEvent');
      const created = (await conn.sobject('Account').create({ Name: 'Acme', BillingStreet: '1 Main St', BillingCity: 'Paris', Phone: '555-0100' })) as { id: string };
      await conn.sobject('Account').update({ Id: created.id, BillingCity: 'Lyon', Phone: null });
      await conn.sobject('Account').destroy(created.id);
      const [c, u, d] = await inbox.waitFor(3);

      const ch = header(c!);
      expect(ch).to.include({ entityName: 'Account', changeType: 'CREATE', changeOrigin: `com/salesforce/api/rest/${API_VERSION}`, sequenceNumber: 1 });
      expect(ch.recordIds).to.deep.equal([created.id]);
      expect(ch.changedFields).to.deep.equal([]);
      expect(ch.diffFields).to.deep.equal([]);
      expect(ch.commitUser).to.match(/^005\w{15}$/);
      expect(ch.transactionKey).to.be.a('string').and.not.equal('');
      expect(ch.commitTimestamp).to.be.a('number');
      const cb = body(c!);
      expect(cb).to.include({ Name: 'Acme', Phone: '555-0100' });
      expect(cb.BillingAddress).to.deep.equal({ Street: '1 Main St', City: 'Paris' });
      expect(cb.CreatedDate).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(cb).to.include.keys('OwnerId', 'CreatedById', 'LastModifiedDate', 'LastModifiedById');
      for (const never of ['Id', 'IsDeleted', 'SystemModstamp', 'BillingCity', 'BillingStreet', 'Type', 'LastViewedDate']) expect(cb).to.not.have.property(never);
      expect(c!.schema).to.be.a('string').with.length.above(10);
      expect(c!.event.replayId).to.be.a('number');

      const uh = header(u!);
      expect(uh.changeType).to.equal('UPDATE');
      expect(uh.changedFields).to.have.members(['BillingAddress.City', 'Phone', 'LastModifiedDate']);
      expect(uh.nulledFields).to.deep.equal(['Phone']);
      expect(body(u!)).to.have.all.keys('BillingAddress', 'Phone', 'LastModifiedDate');
      expect(body(u!).BillingAddress).to.deep.equal({ City: 'Lyon' });
      expect(body(u!).Phone).to.equal(null);
      expect(uh.commitNumber).to.be.above(ch.commitNumber);
      expect(u!.schema).to.equal(c!.schema);

      expect(header(d!).changeType).to.equal('DELETE');
      expect(body(d!)).to.deep.equal({});
      expect([c, u, d].map((m) => m!.event.replayId)).to.satisfy((ids: number[]) => ids[0]! < ids[1]! && ids[1]! < ids[2]!);
    });

    it('nests the Contact Name and names its parts in changedFields; UNDELETE carries every field', async () => {
      const { inbox } = await subscribe('/data/ContactChangeEvent');
      const created = (await conn.sobject('Contact').create({ FirstName: 'Ada', LastName: 'Lovelace', MailingCity: 'London' })) as { id: string };
      await conn.sobject('Contact').update({ Id: created.id, LastName: 'Byron' });
      await conn.sobject('Contact').destroy(created.id);
      await control(emulator, 'POST', '/orgs/alpha/undelete', { ids: [created.id] });
      const [c, u, , un] = await inbox.waitFor(4);
      expect(body(c!).Name).to.deep.equal({ FirstName: 'Ada', LastName: 'Lovelace' });
      expect(body(c!).MailingAddress).to.deep.equal({ City: 'London' });
      expect(body(c!)).to.not.have.any.keys('FirstName', 'LastName', 'MailingCity');
      expect(header(u!).changedFields).to.have.members(['Name.LastName', 'LastModifiedDate']);
      expect(body(u!).Name).to.deep.equal({ LastName: 'Byron' });
      expect(header(un!).changeType).to.equal('UNDELETE');
      expect(body(un!).Name).to.deep.equal({ FirstName: 'Ada', LastName: 'Byron' });
      expect(body(un!)).to.include.keys('CreatedDate', 'OwnerId', 'LastModifiedDate');
    });

    it('puts the Sforce-Call-Options client into changeOrigin', async () => {
      const { inbox } = await subscribe('/data/ChangeEvents');
      const tagged = connectDirect(emulator, 'alpha', { callOptions: { client: 'OrgBridge' } });
      await tagged.sobject('Account').create({ Name: 'Tagged' });
      const [m] = await inbox.waitFor(1);
      expect(header(m!).changeOrigin).to.equal(`com/salesforce/api/rest/${API_VERSION};client=OrgBridge`);
    });

    it('numbers the changes of one transaction and merges identical ones into one event', async () => {
      const { inbox } = await subscribe('/data/ChangeEvents');
      const accounts = (await conn.sobject('Account').create([{ Name: 'A1' }, { Name: 'A2' }, { Name: 'A3' }], { allOrNone: true })) as Array<{ id: string }>;
      const first = await inbox.waitFor(3);
      const keys = new Set(first.map((m) => header(m).transactionKey));
      expect(keys.size).to.equal(1);
      expect(first.map((m) => header(m).sequenceNumber)).to.deep.equal([1, 2, 3]);
      expect(new Set(first.map((m) => header(m).commitNumber)).size).to.equal(1);

      await conn.sobject('Account').update(accounts.map((a) => ({ Id: a.id, Industry: 'Energy' })), { allOrNone: true });
      const [merged] = (await inbox.waitFor(4)).slice(3);
      expect(header(merged!).changeType).to.equal('UPDATE');
      expect(header(merged!).recordIds).to.have.members(accounts.map((a) => a.id));
      expect(body(merged!)).to.include({ Industry: 'Energy' });

      // A create and an update of the same record in one transaction is one CREATE with the final data.
      await conn.requestPost(`/services/data/v${API_VERSION}/composite`, {
        allOrNone: true,
        compositeRequest: [
          { method: 'POST', url: `/services/data/v${API_VERSION}/sobjects/Account`, referenceId: 'a', body: { Name: 'Draft' } },
          { method: 'PATCH', url: `/services/data/v${API_VERSION}/sobjects/Account/@{a.id}`, referenceId: 'b', body: { Name: 'Final' } },
        ],
      });
      const [net] = (await inbox.waitFor(5)).slice(4);
      expect(header(net!).changeType).to.equal('CREATE');
      expect(body(net!).Name).to.equal('Final');
    });

    it('publishes only objects selected for CDC, switchable through the control API, with custom object channels', async () => {
      const all = await subscribe('/data/ChangeEvents');
      const widgets = await subscribe('/data/Widget__ChangeEvent');
      await conn.sobject('Opportunity').create({ Name: 'Deal', StageName: 'Prospecting', CloseDate: '2030-01-01' });
      const w = (await conn.sobject('Widget__c').create({ Name: 'W1', Color__c: 'red' })) as { id: string };
      const [wm] = await widgets.inbox.waitFor(1);
      expect(header(wm!)).to.include({ entityName: 'Widget__c', changeType: 'CREATE' });
      expect(header(wm!).recordIds).to.deep.equal([w.id]);
      expect(body(wm!)).to.include({ Color__c: 'red' });
      const before = await all.inbox.waitUntil((m) => header(m).entityName === 'Widget__c');
      expect(before.map((m) => header(m).entityName)).to.deep.equal(['Widget__c']);

      const enabled = await control(emulator, 'POST', '/orgs/alpha/streaming/cdc', { objects: ['opportunity'], enabled: true });
      expect((enabled.body as { cdcObjects: string[] }).cdcObjects).to.include('Opportunity');
      await conn.sobject('Opportunity').create({ Name: 'Deal 2', StageName: 'Prospecting', CloseDate: '2030-01-01' });
      const later = await all.inbox.waitFor(2);
      expect(header(later[1]!).entityName).to.equal('Opportunity');

      await control(emulator, 'POST', '/orgs/alpha/streaming/cdc', { objects: ['Account'], enabled: false });
      await conn.sobject('Account').create({ Name: 'Silent' });
      await conn.sobject('Widget__c').create({ Name: 'W2' });
      const after = await all.inbox.waitFor(3);
      expect(header(after[2]!).entityName).to.equal('Widget__c');
    });

    it('turns the changes beyond the overflow threshold of a transaction into GAP_OVERFLOW events', async () => {
      await control(emulator, 'POST', '/orgs/alpha/streaming/settings', { overflowThreshold: 2 });
      const { inbox } = await subscribe('/data/ChangeEvents');
      await conn.sobject('Account').create([{ Name: 'O1' }, { Name: 'O2' }, { Name: 'O3' }, { Name: 'O4' }], { allOrNone: true });
      const got = await inbox.waitFor(3);
      expect(got.map((m) => header(m).changeType)).to.deep.equal(['CREATE', 'CREATE', 'GAP_OVERFLOW']);
      expect(body(got[2]!)).to.deep.equal({});
    });
  });

  describe('replay', () => {
    it('a client that disconnects and resumes from its last replay id gets every missed event exactly once', async () => {
      const channel = '/data/AccountChangeEvent';
      const first = await subscribe(channel);
      for (const n of [1, 2, 3]) await conn.sobject('Account').create({ Name: `Before ${n}` });
      const seen = await first.inbox.waitFor(3);
      const last = seen[2]!.event.replayId;
      await first.client.disconnect();

      await conn.sobject('Account').create([{ Name: 'Missed 1' }, { Name: 'Missed 2' }], { allOrNone: true });
      await conn.sobject('Contact').create({ LastName: 'Other channel' });
      await conn.sobject('Account').create({ Name: 'Missed 3' });

      const second = await subscribe(channel, last);
      await conn.sobject('Account').create({ Name: 'Live' });
      const got = await second.inbox.waitUntil((m) => body(m).Name === 'Live');
      expect(got.map((m) => body(m).Name)).to.deep.equal(['Missed 1', 'Missed 2', 'Missed 3', 'Live']);
      const ids = got.map((m) => m.event.replayId);
      expect(ids.every((id, i) => id > last && (i === 0 || id > ids[i - 1]!))).to.equal(true);
    });

    it('-2 replays every retained event and -1 only new ones', async () => {
      for (const n of [1, 2]) await conn.sobject('Account').create({ Name: `Old ${n}` });
      await conn.sobject('Contact').create({ LastName: 'Old contact' });
      const everything = await subscribe('/data/ChangeEvents', -2);
      const fresh = await subscribe('/data/ChangeEvents', -1);
      await conn.sobject('Account').create({ Name: 'New' });
      const all = await everything.inbox.waitUntil((m) => body(m).Name === 'New');
      expect(all.map((m) => header(m).entityName)).to.deep.equal(['Account', 'Account', 'Contact', 'Account']);
      const news = await fresh.inbox.waitUntil((m) => body(m).Name === 'New');
      expect(news).to.have.length(1);
    });

    it('refuses an expired replay id with the real error once the retention window has passed', async () => {
      const { inbox } = await subscribe('/data/AccountChangeEvent');
      await conn.sobject('Account').create({ Name: 'Soon gone' });
      const [m] = await inbox.waitFor(1);
      const replayId = m!.event.replayId;

      await control(emulator, 'POST', '/clock', { advanceMs: 73 * 60 * 60 * 1000 });
      // The old session has expired with the clock too.
      conn = connectDirect(emulator, 'alpha');
      const stats = (await control(emulator, 'GET', '/orgs/alpha/streaming')).body as { retainedEvents: number };
      expect(stats.retainedEvents).to.equal(0);
      const err = await failedSubscription('/data/AccountChangeEvent', replayId);
      expect(err).to.include(
        `The replayId {${replayId}} you provided was invalid.  Please provide a valid ID, -2 to replay all events, or -1 to replay only new events.`,
      );
    });

    it('honours a shorter retention window set through the control API, and rejects unknown ids', async () => {
      await control(emulator, 'POST', '/orgs/alpha/streaming/retention', { hours: 1 });
      await conn.sobject('Account').create({ Name: 'Kept briefly' });
      await control(emulator, 'POST', '/clock', { advanceMs: 2 * 60 * 60 * 1000 });
      conn = connectDirect(emulator, 'alpha');
      const replay = await subscribe('/data/AccountChangeEvent', -2);
      await conn.sobject('Account').create({ Name: 'After' });
      const got = await replay.inbox.waitUntil((m) => body(m).Name === 'After');
      expect(got).to.have.length(1);
      expect(await failedSubscription('/data/AccountChangeEvent', 999_999)).to.include('The replayId {999999} you provided was invalid.');
    });

    async function failedSubscription(channel: string, replayId: number): Promise<string> {
      const client = streamClient(conn, [new StreamingExtension.Replay(channel, replayId)]);
      try {
        await client.subscribe(channel, () => undefined);
      } catch (err) {
        return String((err as { message?: string }).message ?? err);
      }
      throw new Error('expected the subscription to fail');
    }
  });

  describe('sessions and authentication', () => {
    it('a dropped client re-handshakes, re-subscribes by itself and misses nothing', async () => {
      const { inbox } = await subscribe('/data/AccountChangeEvent');
      await conn.sobject('Account').create({ Name: 'Before drop' });
      await inbox.waitFor(1);
      const dropped = await control(emulator, 'POST', '/orgs/alpha/streaming/drop-clients');
      expect((dropped.body as { dropped: number }).dropped).to.equal(1);
      await conn.sobject('Account').create({ Name: 'During re-handshake' });
      await conn.sobject('Account').create({ Name: 'After drop' });
      const got = await inbox.waitUntil((m) => body(m).Name === 'After drop');
      expect(got.map((m) => body(m).Name)).to.deep.equal(['Before drop', 'During re-handshake', 'After drop']);
      const stats = (await control(emulator, 'GET', '/orgs/alpha/streaming')).body as { clients: number; subscriptions: Record<string, number> };
      expect(stats.clients).to.equal(1);
      expect(stats.subscriptions).to.deep.equal({ '/data/AccountChangeEvent': 1 });
    });

    it('an org reset drops every client and the retained events', async () => {
      await subscribe('/data/AccountChangeEvent');
      await conn.sobject('Account').create({ Name: 'Gone with the reset' });
      const before = (await control(emulator, 'GET', '/orgs/alpha/streaming')).body as { clients: number; retainedEvents: number };
      expect(before).to.include({ clients: 1, retainedEvents: 1 });
      await control(emulator, 'POST', '/orgs/alpha/reset');
      const after = (await control(emulator, 'GET', '/orgs/alpha/streaming')).body as { clients: number; heldConnects: number; retainedEvents: number; lastReplayId: number };
      expect(after).to.include({ clients: 0, heldConnects: 0, retainedEvents: 0, lastReplayId: 0 });
    });

    it('a revoked token makes the next connect fail with 401::Authentication invalid (AuthFailure fires)', async () => {
      let failure: ((m: Record<string, unknown>) => void) | undefined;
      const failed = new Promise<Record<string, unknown>>((resolve) => (failure = resolve));
      const client = streamClient(conn, [new StreamingExtension.AuthFailure((m: Record<string, unknown>) => failure!(m))]);
      await client.subscribe('/data/AccountChangeEvent', () => undefined);
      await control(emulator, 'POST', '/orgs/alpha/sessions/expire');
      const m = await failed;
      expect(m).to.include({ channel: '/meta/connect', error: '401::Authentication invalid', successful: false });
      expect(m.advice).to.deep.equal({ reconnect: 'none', interval: 0 });
    });

    it('a handshake with a bad token is denied (AuthFailure fires)', async () => {
      const bad = new Connection({ instanceUrl: emulator.org('alpha').instanceUrl, accessToken: `${emulator.org('alpha').orgId}!bogus`, version: API_VERSION });
      const failed = new Promise<Record<string, unknown>>((resolve) => {
        const client = streamClient(bad, [new StreamingExtension.AuthFailure((m: Record<string, unknown>) => resolve(m))]);
        void client.subscribe('/data/AccountChangeEvent', () => undefined);
      });
      const m = await failed;
      expect(m).to.include({ channel: '/meta/handshake', error: '403::Handshake denied', successful: false });
      expect((m.ext as { sfdc: unknown }).sfdc).to.deep.equal({ failureReason: '401::Authentication invalid' });
    });
  });

  describe('gap events and platform events', () => {
    it('delivers gap and overflow events triggered through the control API', async () => {
      const { inbox } = await subscribe('/data/ChangeEvents');
      const acc = (await conn.sobject('Account').create({ Name: 'Gappy' })) as { id: string };
      await control(emulator, 'POST', '/orgs/alpha/streaming/gap', { object: 'Account', ids: [acc.id], changeType: 'UPDATE' });
      await control(emulator, 'POST', '/orgs/alpha/streaming/overflow', { objects: ['Account', 'Contact'] });
      const [, gap, o1, o2] = await inbox.waitFor(4);
      expect(header(gap!)).to.include({ entityName: 'Account', changeType: 'GAP_UPDATE', sequenceNumber: 1 });
      expect(header(gap!).recordIds).to.deep.equal([acc.id]);
      expect(body(gap!)).to.deep.equal({});
      expect([o1, o2].map((m) => [header(m!).entityName, header(m!).changeType])).to.deep.equal([
        ['Account', 'GAP_OVERFLOW'],
        ['Contact', 'GAP_OVERFLOW'],
      ]);
      expect(body(o1!)).to.deep.equal({});
      expect(header(o1!).recordIds).to.deep.equal(['000000000000000AAA']);
    });

    it('publishes a platform event through the REST API and delivers it with replay ids', async () => {
      const live = await subscribe('/event/Order_Placed__e');
      const res = (await conn.sobject('Order_Placed__e').create({ Order_Number__c: 'O-1', Amount__c: 12.5 })) as { id: string; success: boolean; errors: unknown[] };
      expect(res.id).to.match(/^e00\w{15}$/);
      expect(res).to.include({ success: true });
      expect(res.errors).to.deep.equal([]);
      const [m] = await live.inbox.waitFor(1);
      expect(m!.payload).to.include({ Order_Number__c: 'O-1', Amount__c: 12.5, Rush__c: false });
      expect(m!.payload.CreatedById).to.match(/^005/);
      expect(m!.payload.CreatedDate).to.match(/Z$/);
      expect(m!.payload.EventUuid).to.be.a('string');
      expect(m!.event.replayId).to.be.a('number');

      await conn.sobject('Order_Placed__e').create({ Order_Number__c: 'O-2' });
      const replayed = await subscribe('/event/Order_Placed__e', m!.event.replayId);
      const [again] = await replayed.inbox.waitFor(1);
      expect(again!.payload.Order_Number__c).to.equal('O-2');

      const missing = await conn
        .sobject('Order_Placed__e')
        .create({ Amount__c: 1 })
        .then(
          () => undefined,
          (e: { errorCode?: string }) => e,
        );
      expect(missing?.errorCode).to.equal('REQUIRED_FIELD_MISSING');
      // Ordinary creates still reach the record handler.
      const acc = (await conn.sobject('Account').create({ Name: 'Still a record' })) as { id: string };
      expect(acc.id).to.match(/^001/);
    });

    it('refuses channels that do not exist', async () => {
      const client = streamClient(conn);
      const err = await Promise.resolve(client.subscribe('/data/NopeChangeEvent', () => undefined)).then(
        () => 'subscribed',
        (e: { message?: string }) => String(e.message),
      );
      expect(err).to.include('The channel you requested to subscribe to does not exist {/data/NopeChangeEvent}');
    });
  });

  describe('CometD wire protocol', () => {
    let token: string;
    beforeEach(() => {
      token = conn.accessToken!;
    });

    async function handshake(): Promise<string> {
      const { body } = await bayeux(emulator, token, [{ channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['websocket', 'long-polling'], id: '1' }]);
      return body[0]!.clientId as string;
    }

    it('rejects the WebSocket probe, an unauthenticated request and an unsupported version', async () => {
      // fetch refuses to send Upgrade, so the probe goes through node:http as faye's would.
      const probeStatus = await new Promise<number | undefined>((resolve, reject) => {
        const req = request(`${emulator.org('alpha').instanceUrl}/cometd/${API_VERSION}`, {
          headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' },
        });
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode);
        });
        req.on('upgrade', () => reject(new Error('the server upgraded to WebSocket')));
        req.on('error', reject);
        req.end();
      });
      expect(probeStatus).to.equal(400);
      const anon = await bayeux(emulator, undefined, [{ channel: '/meta/handshake', version: '1.0', id: '1' }]);
      expect(anon.status).to.equal(401);
      expect(anon.body).to.deep.equal([{ error: '401::Request requires authentication', successful: false }]);
      const old = await bayeux(emulator, token, [{ channel: '/meta/handshake', version: '1.0', id: '1' }], '19.0');
      expect(old.status).to.equal(400);
    });

    it('handshakes with replay support and long polling only, then answers the first connect with advice', async () => {
      const hs = await bayeux(emulator, token, [{ channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['websocket', 'long-polling'], id: '1' }]);
      expect(hs.body[0]).to.include({ channel: '/meta/handshake', successful: true, version: '1.0', minimumVersion: '1.0', id: '1' });
      expect(hs.body[0]!.supportedConnectionTypes).to.deep.equal(['long-polling']);
      expect(hs.body[0]!.ext).to.deep.equal({ replay: true, 'payload.format': true });
      const clientId = hs.body[0]!.clientId as string;
      const first = await bayeux(emulator, token, [{ channel: '/meta/connect', clientId, connectionType: 'long-polling', id: '2' }]);
      expect(first.body).to.deep.equal([{ clientId, channel: '/meta/connect', id: '2', successful: true, advice: { interval: 0, timeout: 2000, reconnect: 'retry' } }]);
    });

    it('answers a batched advice.timeout:0 connect at once, events before the connect reply', async () => {
      await conn.sobject('Account').create({ Name: 'Waiting' });
      const clientId = await handshake();
      await bayeux(emulator, token, [{ channel: '/meta/connect', clientId, connectionType: 'long-polling', id: '2' }]);
      const batch = await bayeux(emulator, token, [
        { channel: '/meta/connect', clientId, connectionType: 'long-polling', id: '3', advice: { timeout: 0 } },
        { channel: '/meta/subscribe', clientId, subscription: '/data/AccountChangeEvent', id: '4', ext: { replay: { '/data/AccountChangeEvent': -2 } } },
      ]);
      expect(batch.body.map((m) => m.channel)).to.deep.equal(['/meta/subscribe', '/data/AccountChangeEvent', '/meta/connect']);
      expect(batch.body[0]).to.include({ successful: true, subscription: '/data/AccountChangeEvent', id: '4' });
      expect((batch.body[1]!.data as StreamMessage).payload.Name).to.equal('Waiting');
      expect(batch.body[2]).to.include({ id: '3', successful: true });
    });

    it('holds a connect until an event arrives, without blocking other requests', async () => {
      const clientId = await handshake();
      await bayeux(emulator, token, [{ channel: '/meta/connect', clientId, connectionType: 'long-polling', id: '2' }]);
      await bayeux(emulator, token, [{ channel: '/meta/subscribe', clientId, subscription: '/data/AccountChangeEvent', id: '3' }]);
      const held = bayeux(emulator, token, [{ channel: '/meta/connect', clientId, connectionType: 'long-polling', id: '4' }]);
      // A REST write made while the poll is held: it must complete, and wake the poll.
      await conn.sobject('Account').create({ Name: 'Wake up' });
      const res = await held;
      expect(res.body.map((m) => m.channel)).to.deep.equal(['/data/AccountChangeEvent', '/meta/connect']);
    });

    it('unsubscribe stops delivery and disconnect releases a held connect', async () => {
      const clientId = await handshake();
      await bayeux(emulator, token, [{ channel: '/meta/connect', clientId, connectionType: 'long-polling', id: '2' }]);
      await bayeux(emulator, token, [{ channel: '/meta/subscribe', clientId, subscription: '/data/AccountChangeEvent', id: '3' }]);
      const unsub = await bayeux(emulator, token, [{ channel: '/meta/unsubscribe', clientId, subscription: '/data/AccountChangeEvent', id: '4' }]);
      expect(unsub.body[0]).to.include({ channel: '/meta/unsubscribe', successful: true });
      await conn.sobject('Account').create({ Name: 'Nobody listens' });
      const held = bayeux(emulator, token, [{ channel: '/meta/connect', clientId, connectionType: 'long-polling', id: '5' }]);
      const bye = await bayeux(emulator, token, [{ channel: '/meta/disconnect', clientId, id: '6' }]);
      expect(bye.body[0]).to.include({ channel: '/meta/disconnect', successful: true });
      expect((await held).body.map((m) => m.channel)).to.deep.equal(['/meta/connect']);
      const gone = await bayeux(emulator, token, [{ channel: '/meta/connect', clientId, connectionType: 'long-polling', id: '7' }]);
      expect(gone.body[0]).to.include({ error: '403::Unknown client' });
    });

    it('forgets idle clients (403::Unknown client with handshake advice) and reports stats', async () => {
      await control(emulator, 'POST', '/orgs/alpha/streaming/settings', { clientIdleTimeoutMs: 100 });
      try {
        const clientId = await handshake();
        expect(((await control(emulator, 'GET', '/orgs/alpha/streaming')).body as { clients: number }).clients).to.equal(1);
        await new Promise((r) => setTimeout(r, 300));
        const res = await bayeux(emulator, token, [{ channel: '/meta/connect', clientId, connectionType: 'long-polling', id: '2' }]);
        expect(res.body).to.deep.equal([{ advice: { interval: 0, reconnect: 'handshake' }, channel: '/meta/connect', id: '2', error: '403::Unknown client', successful: false }]);
      } finally {
        await control(emulator, 'POST', '/orgs/alpha/streaming/settings', { clientIdleTimeoutMs: 40_000 });
      }
    });
  });
});
