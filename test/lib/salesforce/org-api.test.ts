import { expect } from 'chai';
import { bulkLoad } from '../../../emulator/data/index.js';
import type { Emulator, ObjectDef } from '../../../emulator/index.js';
import { apiUsageOf } from '../../../lib/connection/api-usage.js';
import { OrgConnection } from '../../../lib/connection/org-connection.js';
import { abortableSleep, PROBE_POLICY, READ_POLICY, retryableRead, retryDelay, WRITE_POLICY } from '../../../lib/salesforce/call-policy.js';
import { OrgCallError } from '../../../lib/salesforce/errors.js';
import { InFlightLimit } from '../../../lib/salesforce/in-flight.js';
import { OrgApi, type CallKind, type OrgApiOptions, type WireRecord } from '../../../lib/salesforce/org-api.js';
import { PASSWORD, settingsFor } from '../../support/connection.js';
import { connectDirect, EXT_FIELD, restoreOrgs, startTestEmulator, testOrgSpec } from '../../support/emulator.js';
import { failure } from '../../support/failure.js';

const PING_EVENT: ObjectDef = {
  name: 'Ping__e', label: 'Ping', labelPlural: 'Pings', keyPrefix: 'e02', custom: true, isPlatformEvent: true,
  fields: [
    { name: 'ReplayId', type: 'string', label: 'Replay ID', length: 255, nillable: true, createable: false, updateable: false },
    { name: 'Note__c', type: 'string', label: 'Note', length: 255, nillable: true, createable: true, updateable: false, custom: true },
  ],
};

const UNAVAILABLE = { type: 'error' as const, status: 503, errorCode: 'SERVER_UNAVAILABLE', message: 'down for maintenance' };

/** The waits between retries are as the policy says: 500 ms doubling up to 8 s. */
const POLICY_WAITS = [500, 1000, 2000, 4000, 8000];

const account = (name: string, extra: Record<string, unknown> = {}): WireRecord => ({ attributes: { type: 'Account' }, Name: name, ...extra });

describe('OrgApi against the emulator', () => {
  let emulator: Emulator;
  let oc: OrgConnection;
  /** Waits the view asked for (none is actually waited). */
  let waits: number[];
  /** Calls reported through onCall, by kind. */
  let seen: CallKind[];

  const alpha = () => emulator.org('alpha');
  const serverCalls = () => alpha().limits.counts().total;
  const view = (over: OrgApiOptions = {}) =>
    new OrgApi(oc, {
      sleep: async (ms) => {
        waits.push(ms);
      },
      onCall: (kind) => seen.push(kind),
      ...over,
    });

  before(async () => {
    emulator = await startTestEmulator([testOrgSpec('alpha', { schema: { objects: [PING_EVENT], fields: { Account: [EXT_FIELD] } } })]);
  });
  after(() => emulator.stop());
  beforeEach(async () => {
    await restoreOrgs(emulator);
    oc = new OrgConnection(settingsFor(emulator), PASSWORD);
    waits = [];
    seen = [];
  });
  afterEach(() => oc.close());

  describe('reads', () => {
    it('retries a 503 SERVER_UNAVAILABLE and succeeds, counting every attempt', async () => {
      const api = view();
      const fault = alpha().faults.add({ method: 'GET', path: '/query', count: 2, action: UNAVAILABLE });
      const rows = await api.rows('SELECT Id, Name FROM User', 'reading users');
      expect(rows.length).to.be.greaterThan(0);
      expect(fault.hits).to.equal(2);
      // The emulator counts the call it answered; the two refused before it are ours to count.
      expect(alpha().limits.counts().byEndpoint).to.deep.equal({ 'GET /query': 1 });
      expect(api.calls).to.equal(3).and.to.equal(serverCalls() + fault.hits);
      expect(seen).to.deep.equal(['read', 'read', 'read']);
      expect(waits).to.deep.equal([500, 1000]);
      expect(oc.state).to.equal('connected');
    });

    it('retries a dropped connection and succeeds', async () => {
      const api = view();
      const fault = alpha().faults.add({ method: 'GET', path: '/query', count: 1, action: { type: 'drop' } });
      expect(await api.count('SELECT COUNT() FROM User', 'counting users')).to.equal(2);
      expect(fault.hits).to.equal(1);
      expect(api.calls).to.equal(2).and.to.equal(serverCalls() + fault.hits);
      expect(seen).to.deep.equal(['read', 'read']);
      expect(waits).to.deep.equal([500]);
    });

    it(`gives up after READ_POLICY.attempts (${READ_POLICY.attempts}) with an OrgCallError saying what was read`, async () => {
      const api = view();
      const fault = alpha().faults.add({ method: 'GET', path: '/query', action: UNAVAILABLE });
      const soql = 'SELECT Id FROM Account';
      const err = await failure(api.rows(soql, 'reading Account records'));
      expect(err).to.be.instanceOf(OrgCallError);
      const e = err as OrgCallError;
      expect(e.message).to.match(/^reading Account records: /);
      expect(e.message).to.contain('down for maintenance');
      expect(e).to.include({ code: 'SERVER_UNAVAILABLE', kind: 'server', transient: true, soql, what: 'reading Account records' });
      expect(fault.hits).to.equal(READ_POLICY.attempts);
      expect(api.calls).to.equal(READ_POLICY.attempts);
      expect(seen).to.have.length(READ_POLICY.attempts);
      expect(serverCalls()).to.equal(0);
      expect(waits).to.deep.equal(POLICY_WAITS);
      expect(waits).to.deep.equal(Array.from({ length: READ_POLICY.attempts - 1 }, (_, i) => retryDelay(READ_POLICY, i + 1)));
    });

    it('gives up on a connection that keeps dropping with the connection\'s own verdict', async () => {
      const api = view();
      const fault = alpha().faults.add({ path: '/sobjects/Account/describe', action: { type: 'drop' } });
      const err = (await failure(api.describe('Account'))) as OrgCallError;
      expect(err).to.be.instanceOf(OrgCallError);
      expect(err.message).to.match(/^describing Account: Cannot reach 127\.0\.0\.1:\d+ /);
      // The connection went unavailable for the same reason the call gives.
      expect(oc.state).to.equal('unavailable');
      expect(oc.failure).to.not.equal(undefined);
      expect({ code: err.code, kind: err.kind, transient: err.transient }).to.deep.equal({ code: oc.failure!.code, kind: 'network', transient: true });
      expect(err.message).to.equal(`describing Account: ${oc.failure!.message}`);
      expect(fault.hits).to.equal(READ_POLICY.attempts);
      expect(api.calls).to.equal(READ_POLICY.attempts);
      expect(waits).to.deep.equal(POLICY_WAITS);
    });

    it('retries a read that got no answer within the policy\'s timeout', async () => {
      const api = view();
      await oc.connection();
      const fault = alpha().faults.add({ method: 'GET', path: '/query', count: 1, action: { type: 'latency', ms: 300 } });
      const timeoutMs = READ_POLICY.timeoutMs;
      READ_POLICY.timeoutMs = 50;
      try {
        expect(await api.count('SELECT COUNT() FROM User', 'counting users')).to.equal(2);
      } finally {
        READ_POLICY.timeoutMs = timeoutMs;
      }
      expect(fault.hits).to.equal(1);
      expect(api.calls).to.equal(2);
      expect(waits).to.deep.equal([500]);
      // The abandoned try still reaches the org once its latency is over; wait for it so that it
      // does not land in the next test's counts.
      while (serverCalls() < 2) await new Promise((r) => setTimeout(r, 20));
    });

    it('takes the error jsforce ends a timed-out try with for a retryable one', async () => {
      const conn = connectDirect(emulator);
      alpha().faults.add({ method: 'GET', path: '/query', count: 1, action: { type: 'latency', ms: 300 } });
      const raw = await failure(conn.request({ method: 'GET', url: '/services/data/v62.0/query?q=SELECT+Id+FROM+User' }, { retry: { maxRetries: 0 }, timeout: 50 }));
      expect(raw.name).to.equal('AbortError');
      expect(retryableRead(raw)).to.equal(true);
      while (serverCalls() < 1) await new Promise((r) => setTimeout(r, 20));
    });

    it('does not retry a permanent error (INVALID_FIELD, MALFORMED_QUERY)', async () => {
      const api = view();
      const bad = (await failure(api.rows('SELECT Nope__c FROM Account', 'reading Account records'))) as OrgCallError;
      expect(bad).to.be.instanceOf(OrgCallError);
      expect(bad).to.include({ code: 'INVALID_FIELD', kind: 'unknown', transient: false, soql: 'SELECT Nope__c FROM Account' });
      expect(bad.message).to.match(/^reading Account records: /);
      const malformed = (await failure(api.count('SELEC Id FROM Account', 'counting accounts'))) as OrgCallError;
      expect(malformed).to.include({ code: 'MALFORMED_QUERY', transient: false });
      // An injected 400 is not retried either, though more are waiting.
      const fault = alpha().faults.add({ method: 'GET', path: '/query', count: 3, action: { type: 'error', status: 400, errorCode: 'INVALID_FIELD', message: 'no such column' } });
      const injected = (await failure(api.rows('SELECT Id FROM Account', 'reading Account records'))) as OrgCallError;
      expect(injected).to.include({ code: 'INVALID_FIELD' });
      expect(fault.hits).to.equal(1);
      expect(api.calls).to.equal(3);
      expect(alpha().limits.counts().byEndpoint).to.deep.equal({ 'GET /query': 2 });
      expect(waits).to.deep.equal([]);
      // A data error says nothing about the connection.
      expect(oc.state).to.equal('connected');
    });

    it('pages through results with the Sforce-Query-Options batch size', async () => {
      const ids = bulkLoad(alpha(), 'Account', Array.from({ length: 2100 }, (_, i) => ({ Name: `Paged ${i}` })));
      const api = view();
      const soql = 'SELECT Id FROM Account ORDER BY Id';
      const pages: Array<{ n: number; totalSize: number; done: boolean }> = [];
      for await (const p of api.pages<{ Id: string }>(soql, 'reading Account records')) pages.push({ n: p.records.length, totalSize: p.totalSize, done: p.done });
      // 2,000 rows a page by default, the most Salesforce serves.
      expect(pages).to.deep.equal([{ n: 2000, totalSize: 2100, done: false }, { n: 100, totalSize: 2100, done: true }]);
      expect(api.calls).to.equal(2);

      const small = view({ pageSize: 500 });
      const rows = await small.rows<{ Id: string }>(soql, 'reading Account records');
      expect(rows.map((r) => r.Id)).to.deep.equal([...ids].sort());
      expect(small.calls).to.equal(5);
      expect(alpha().limits.counts().byEndpoint).to.deep.equal({ 'GET /query': 2, 'GET /query/{locator}': 5 });

      // count() is one call, whatever the size.
      const counter = view({ pageSize: 200 });
      expect(await counter.count('SELECT COUNT() FROM Account', 'counting accounts')).to.equal(2100);
      expect(counter.calls).to.equal(1);
    });

    it('retries a failed page fetch and carries on from the same cursor', async () => {
      bulkLoad(alpha(), 'Account', Array.from({ length: 450 }, (_, i) => ({ Name: `Paged ${i}` })));
      const api = view({ pageSize: 200 });
      const fault = alpha().faults.add({ method: 'GET', path: '/query/01g', count: 1, action: UNAVAILABLE });
      const rows = await api.rows<{ Id: string }>('SELECT Id FROM Account', 'reading Account records');
      expect(rows).to.have.length(450);
      expect(new Set(rows.map((r) => r.Id)).size).to.equal(450);
      expect(fault.hits).to.equal(1);
      expect(api.calls).to.equal(4).and.to.equal(serverCalls() + 1);
      expect(waits).to.deep.equal([500]);
    });

    it('refuses a page size Salesforce does not serve', () => {
      for (const pageSize of [199, 2001, 250.5]) expect(() => new OrgApi(oc, { pageSize })).to.throw(RangeError, /pageSize must be an integer from 200 to 2000/);
    });

    it('includes deleted rows with queryAll', async () => {
      const api = view();
      const created = await api.create([account('Keep'), account('Drop'), account('Also keep')]);
      expect(created.map((r) => r.success)).to.deep.equal([true, true, true]);
      const dropId = created[1]!.id!;
      const deleted = await api.delete([dropId]);
      expect(deleted).to.deep.include.members([{ id: dropId, success: true, errors: [] }]);
      const soql = "SELECT Id, IsDeleted FROM Account WHERE Name IN ('Keep', 'Drop', 'Also keep')";
      const live = await api.rows<{ Id: string; IsDeleted: boolean }>(soql, 'reading accounts');
      expect(live.map((r) => r.Id).sort()).to.deep.equal([created[0]!.id, created[2]!.id].sort());
      const all: Array<{ Id: string; IsDeleted: boolean }> = [];
      for await (const p of api.pages<{ Id: string; IsDeleted: boolean }>(soql, 'reading accounts', { queryAll: true })) all.push(...p.records);
      expect(all).to.have.length(3);
      expect(all.filter((r) => r.IsDeleted).map((r) => r.Id)).to.deep.equal([dropId]);
      expect(alpha().limits.counts().byEndpoint).to.include({ 'GET /query': 1, 'GET /queryAll': 1 });
    });
  });

  describe('writes', () => {
    it('sends every kind of write once, even on a 503: the writer decides what to send again', async () => {
      const api = view();
      const [existing] = await api.create([account('Existing', { Ext__c: 'E-1' })]);
      const before = api.calls;
      const attempts: Array<[string, () => Promise<unknown>]> = [
        ['create', () => api.create([account('New')])],
        ['update', () => api.update([account('Renamed', { id: existing!.id })])],
        ['upsert', () => api.upsert('Account', 'Ext__c', [account('Upserted', { Ext__c: 'E-2' })])],
        ['delete', () => api.delete([existing!.id!])],
        ['publishEvent', () => api.publishEvent('Ping__e', { Note__c: 'hello' })],
      ];
      for (const [name, attempt] of attempts) {
        const fault = alpha().faults.add({ path: '/(composite/sobjects|sobjects/Ping__e)', action: UNAVAILABLE });
        const calls = api.calls;
        const err = await failure(attempt);
        expect(fault.hits, name).to.equal(1);
        expect(api.calls - calls, name).to.equal(1);
        expect(err.code, name).to.equal('SERVER_UNAVAILABLE');
        if (name === 'publishEvent') {
          expect(err).to.be.instanceOf(OrgCallError);
          expect(err.message).to.match(/^publishing Ping__e: /);
        } else {
          // Collections errors keep the org's own words: the writer builds its dead letters from them.
          expect(err, name).to.not.be.instanceOf(OrgCallError);
          expect(err.message, name).to.equal('Salesforce answered SERVER_UNAVAILABLE: down for maintenance');
        }
        alpha().faults.clear();
      }
      expect(waits).to.deep.equal([]);
      expect(seen.slice(before)).to.deep.equal(['write', 'write', 'write', 'write', 'write']);
      // Nothing got through: the org has only the first account, unchanged.
      const names = await api.rows<{ Name: string }>('SELECT Name FROM Account', 'reading accounts');
      expect(names.map((r) => r.Name)).to.deep.equal(['Existing']);
      expect(alpha().limits.counts().byEndpoint).to.deep.equal({ 'POST /composite/sobjects': 1, 'GET /query': 1 });
    });

    it('writes each kind of collection and an event, one call each', async () => {
      const api = view();
      const created = await api.create([account('A', { Ext__c: 'A-1' }), account('B')]);
      expect(created.map((r) => [r.success, r.id?.slice(0, 3)])).to.deep.equal([[true, '001'], [true, '001']]);
      const updated = await api.update([account('B2', { id: created[1]!.id })]);
      expect(updated[0]).to.include({ success: true, id: created[1]!.id });
      const upserted = await api.upsert('Account', 'Ext__c', [account('A2', { Ext__c: 'A-1' }), account('C', { Ext__c: 'C-1' })]);
      expect(upserted.map((r) => [r.success, r.created])).to.deep.equal([[true, false], [true, true]]);
      expect(upserted[0]!.id).to.equal(created[0]!.id);
      const published = await api.publishEvent('Ping__e', { Note__c: 'hi' });
      expect(published.success).to.equal(true);
      expect(api.calls).to.equal(4);
      expect(seen).to.deep.equal(['write', 'write', 'write', 'write']);
      expect(alpha().limits.counts().byEndpoint).to.deep.equal({
        'POST /composite/sobjects': 1, 'PATCH /composite/sobjects': 1, 'PATCH /composite/sobjects/{type}/{field}': 1, 'POST /sobjects/{type}': 1,
      });
    });

    it('refuses an empty or oversized collection before any call', async () => {
      const api = view();
      expect((await failure(() => api.create([])))).to.be.instanceOf(RangeError);
      expect((await failure(() => api.delete(Array.from({ length: 201 }, (_, i) => `001${i}`))))).to.be.instanceOf(RangeError);
      expect(api.calls).to.equal(0);
      expect(serverCalls()).to.equal(0);
    });

    it('keeps at most writeLimit writes in flight, shared by the views given the limit', async () => {
      const limit = new InFlightLimit(2);
      // Each write is held at the org a while, so unbounded writes would all be out at once.
      alpha().faults.add({ method: 'POST', path: '/composite/sobjects', action: { type: 'latency', ms: 20 } });
      let started = 0;
      let mostOutstanding = 0;
      const onCall = () => {
        started++;
        // A write finishes only after the org answered (and counted) it, so this is a floor on those still out.
        mostOutstanding = Math.max(mostOutstanding, started - serverCalls());
      };
      const a = view({ writeLimit: limit, onCall });
      const b = view({ writeLimit: limit, onCall });
      await oc.connection();
      const results = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).create([account(`W${i}`)])));
      expect(results.every((r) => r[0]!.success)).to.equal(true);
      expect(started).to.equal(6);
      expect(mostOutstanding).to.be.at.most(2);
      expect(limit.peak).to.equal(2);
      expect(serverCalls()).to.equal(6);

      // The same writes without a limit are all out together: the check above can tell.
      started = 0;
      mostOutstanding = 0;
      alpha().limits.resetCounts();
      const free = view({ onCall });
      await Promise.all(Array.from({ length: 6 }, (_, i) => free.create([account(`F${i}`)])));
      expect(mostOutstanding).to.be.greaterThan(2);
    });

    it('gives up on a write that gets no answer within writeTimeoutMs, and does not send it again', async () => {
      const api = view({ writeTimeoutMs: 50 });
      const fault = alpha().faults.add({ method: 'POST', path: '/composite/sobjects', count: 1, action: { type: 'latency', ms: 300 } });
      const err = await failure(api.create([account('Slow')]));
      expect(err.message).to.match(/aborted due to timeout/);
      expect(fault.hits).to.equal(1);
      expect(api.calls).to.equal(1);
      expect(waits).to.deep.equal([]);
      // The org still gets the request once its latency is over (a write without an answer may have
      // reached the org: why the writer, not this layer, decides about sending it again).
      while (serverCalls() < 1) await new Promise((r) => setTimeout(r, 20));
      expect(alpha().limits.counts().byEndpoint).to.deep.equal({ 'POST /composite/sobjects': 1 });
    });
  });

  describe('limits', () => {
    it('reads /limits in one call and works out the budget like apiUsageOf', async () => {
      let now = 1_700_000_000_000;
      oc.close();
      oc = new OrgConnection(settingsFor(emulator, { apiBudgetPercent: 33 }), PASSWORD, { now: () => now });
      alpha().limits.setMax('DailyApiRequests', 999);
      alpha().limits.setUsed('DailyApiRequests', 100);
      const api = view();
      const usage = await api.limits();
      // The /limits call itself is the 101st.
      expect(usage).to.deep.equal(apiUsageOf(101, 999, 33, now));
      expect(usage).to.deep.equal({ used: 101, limit: 999, budget: 329, at: now });
      expect(oc.apiUsage()).to.deep.equal(usage);
      expect(api.calls).to.equal(1);
      expect(seen).to.deep.equal(['probe']);
      expect(alpha().limits.counts().byEndpoint).to.deep.equal({ 'GET /limits': 1 });
      now += 1000;
      expect((await api.limits()).at).to.equal(now);
    });

    it('is one try: a 503 is not retried', async () => {
      const api = view();
      const fault = alpha().faults.add({ method: 'GET', path: '/limits', count: 2, action: UNAVAILABLE });
      const err = (await failure(api.limits())) as OrgCallError;
      expect(err).to.be.instanceOf(OrgCallError);
      expect(err.message).to.match(/^reading \/limits: /);
      expect(err).to.include({ code: 'SERVER_UNAVAILABLE', transient: true });
      expect(fault.hits).to.equal(1);
      expect(api.calls).to.equal(1);
      expect(waits).to.deep.equal([]);
      expect(PROBE_POLICY.attempts).to.equal(1);
      expect(WRITE_POLICY.attempts).to.equal(1);
    });

    it('makes the connection refuse calls once the budget is spent (API_BUDGET_EXCEEDED)', async () => {
      oc.close();
      oc = new OrgConnection(settingsFor(emulator, { apiBudgetPercent: 10 }), PASSWORD);
      alpha().limits.setMax('DailyApiRequests', 1000);
      alpha().limits.setUsed('DailyApiRequests', 99);
      const api = view();
      expect(await api.limits()).to.include({ used: 100, budget: 100 });
      const err = (await failure(api.rows('SELECT Id FROM Account', 'reading Account records'))) as OrgCallError;
      expect(err).to.be.instanceOf(OrgCallError);
      expect(err).to.include({ code: 'API_BUDGET_EXCEEDED', kind: 'limit', transient: true });
      expect(err.message).to.match(/^reading Account records: API budget used up: 100 of 100/);
      const write = await failure(api.create([account('Refused')]));
      expect(write.code).to.equal('API_BUDGET_EXCEEDED');
      // Refused before anything was sent: no attempt, no wait, nothing at the org.
      expect(api.calls).to.equal(1);
      expect(waits).to.deep.equal([]);
      expect(serverCalls()).to.equal(1);
    });
  });

  describe('abort', () => {
    it('makes no call once the signal has aborted, rejecting with its reason', async () => {
      const controller = new AbortController();
      const reason = new Error('node closing');
      controller.abort(reason);
      const api = view({ signal: controller.signal });
      expect(await failure(api.rows('SELECT Id FROM Account', 'reading accounts'))).to.equal(reason);
      expect(await failure(api.describe('Account'))).to.equal(reason);
      expect(await failure(() => api.create([account('No')]))).to.equal(reason);
      expect(() => api.throwIfAborted()).to.throw(reason.message);
      expect(api.calls).to.equal(0);
      expect(serverCalls()).to.equal(0);
    });

    it('stops between pages', async () => {
      bulkLoad(alpha(), 'Account', Array.from({ length: 450 }, (_, i) => ({ Name: `Paged ${i}` })));
      const controller = new AbortController();
      const reason = new Error('stop reading');
      const api = view({ pageSize: 200, signal: controller.signal });
      const gen = api.pages('SELECT Id FROM Account', 'reading accounts');
      const first = await gen.next();
      expect(first.done).to.equal(false);
      controller.abort(reason);
      expect(await failure(gen.next())).to.equal(reason);
      expect(api.calls).to.equal(1);
      expect(serverCalls()).to.equal(1);
    });

    it('ends a retry wait with the signal\'s reason and sends nothing more', async () => {
      const controller = new AbortController();
      const reason = new Error('node closing');
      const fault = alpha().faults.add({ method: 'GET', path: '/query', action: UNAVAILABLE });
      // The real sleep: a 10-minute wait that only the abort can end (the test would time out otherwise).
      const api = new OrgApi(oc, {
        signal: controller.signal,
        sleep: (ms) => {
          waits.push(ms);
          const wait = abortableSleep(10 * 60_000, controller.signal);
          setImmediate(() => controller.abort(reason));
          return wait;
        },
      });
      expect(await failure(api.rows('SELECT Id FROM Account', 'reading accounts'))).to.equal(reason);
      expect(waits).to.deep.equal([500]);
      expect(fault.hits).to.equal(1);
      expect(api.calls).to.equal(1);
    });

    it('waits abortably by default: an abort ends a long retry wait and the retries', async () => {
      const controller = new AbortController();
      const reason = new Error('node closing');
      const fault = alpha().faults.add({ method: 'GET', path: '/query', action: UNAVAILABLE });
      // No sleep option, and a 10-minute wait before the first retry: only an abortable wait lets
      // this end within the test's timeout.
      const api = new OrgApi(oc, { signal: controller.signal, onCall: () => void setTimeout(() => controller.abort(reason), 50) });
      const { baseDelayMs, maxDelayMs } = READ_POLICY;
      Object.assign(READ_POLICY, { baseDelayMs: 10 * 60_000, maxDelayMs: 10 * 60_000 });
      try {
        expect(await failure(api.rows('SELECT Id FROM Account', 'reading accounts'))).to.equal(reason);
      } finally {
        Object.assign(READ_POLICY, { baseDelayMs, maxDelayMs });
      }
      expect(fault.hits).to.equal(1);
      expect(api.calls).to.equal(1);
    });
  });
});

describe('call policy', () => {
  it('doubles the wait from baseDelayMs up to maxDelayMs', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => retryDelay(READ_POLICY, n))).to.deep.equal([500, 1000, 2000, 4000, 8000, 8000, 8000]);
    expect(retryDelay({ attempts: 3, baseDelayMs: 100, maxDelayMs: 250, timeoutMs: 1 }, 3)).to.equal(250);
    // The read policy rides out 15.5 s in all.
    const total = Array.from({ length: READ_POLICY.attempts - 1 }, (_, i) => retryDelay(READ_POLICY, i + 1)).reduce((a, b) => a + b, 0);
    expect(total).to.equal(15_500);
  });

  it('retries what may pass when sent again, and nothing else', () => {
    const retryable = [
      { errorCode: 'SERVER_UNAVAILABLE' },
      { errorCode: 'ERROR_HTTP_503' },
      { errorCode: 'ERROR_HTTP_502' },
      { errorCode: 'ERROR_HTTP_429' },
      { errorCode: 'ERROR_HTTP_420' },
      Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } }),
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      // A try that outlived its timeout, as jsforce ends it.
      Object.assign(new Error('The user aborted a request. Request was aborted due to timeout of 10 minutes.'), { name: 'AbortError' }),
    ];
    const permanent = [
      { errorCode: 'INVALID_FIELD', message: 'No such column' },
      { errorCode: 'MALFORMED_QUERY' },
      { errorCode: 'NOT_FOUND' },
      { errorCode: 'ERROR_HTTP_400' },
      { errorCode: 'REQUEST_LIMIT_EXCEEDED' },
      { errorCode: 'INVALID_SESSION_ID' },
      new Error('self-signed certificate in certificate chain'),
      undefined,
    ];
    for (const e of retryable) expect(retryableRead(e), JSON.stringify(e) ?? String(e)).to.equal(true);
    for (const e of permanent) expect(retryableRead(e), JSON.stringify(e) ?? String(e)).to.equal(false);
  });

  it('has an abortable sleep that resolves, or rejects with the reason once aborted', async () => {
    await abortableSleep(1);
    await abortableSleep(1, new AbortController().signal);
    const already = new AbortController();
    already.abort(new Error('gone'));
    expect((await failure(abortableSleep(10 * 60_000, already.signal))).message).to.equal('gone');
    const later = new AbortController();
    const reason = new Error('closing');
    const wait = abortableSleep(10 * 60_000, later.signal);
    later.abort(reason);
    expect(await failure(wait)).to.equal(reason);
    const noReason = new AbortController();
    const w = abortableSleep(10 * 60_000, noReason.signal);
    noReason.abort('not an error');
    expect((await failure(w)).message).to.equal('aborted');
  });
});
