import { expect } from 'chai';
import { OrgConnection } from '../../../lib/connection/org-connection.js';
import { backoffDelay, DEFAULT_RETRY } from '../../../lib/upsert/index.js';
import { realSleep } from '../../../lib/upsert/backoff.js';
import type { SyncRecord } from '../../../lib/sync/types.js';
import { RetryBoard, type RetryEntry } from '../../../lib/runtime/retry-board.js';
import { settingsFor } from '../../support/connection.js';
import { account, sourceIdOf, SOURCE_ORG } from './helpers.js';
import { useWriterFixture } from './setup.js';

describe('RecordWriter retries and failures', () => {
  const f = useWriterFixture();

  it('retries records that hit UNABLE_TO_LOCK_ROW, re-sending only those, until they go through', async () => {
    const records = [1, 2, 3].map((n) => account(n, { Industry: 'Energy' }));
    const first = await f.writer.write(records);
    for (const r of records) r.target!.fields.Industry = 'Retail';
    f.emulator.org('alpha').faults.lockRecords([first[0]!.targetId!, first[1]!.targetId!], 2);
    f.emulator.org('alpha').limits.resetCounts();
    const report = await f.writer.writeWithReport(records);
    expect(report.results.map((r) => [r.outcome, r.attempts])).to.deep.equal([['updated', 3], ['updated', 3], ['updated', 1]]);
    expect(report.metrics.apiCalls).to.equal(3);
    expect(report.metrics.resends).to.equal(4);
    // Exponential steps of 500 ms with full jitter (random 0.5 here).
    expect(f.waits).to.deep.equal([250, 500]);
    expect(f.emulator.org('alpha').snapshot('Account').map((r) => r.Industry)).to.deep.equal(['Retail', 'Retail', 'Retail']);
    expect(f.ledger.countDeadLetters()).to.equal(0);
  });

  it('shows the records it waits to retry on the retry board, with the next try and the last error, until the wait ends', async () => {
    const records = [1, 2].map((n) => account(n));
    const first = await f.writer.write(records);
    for (const r of records) r.target!.fields.Industry = 'Retail';
    f.emulator.org('alpha').faults.lockRecords([first[0]!.targetId!], 1);
    const board = new RetryBoard();
    const seen: RetryEntry[][] = [];
    const writer = f.writerWith({ retryBoard: board, sleep: async () => void seen.push(board.list()) });
    const [result] = await writer.write(records);
    expect(result).to.include({ outcome: 'updated', attempts: 2 });
    expect(seen).to.have.length(1);
    expect(seen[0]!.map((e) => ({ ...e, nextTryAt: typeof e.nextTryAt }))).to.deep.equal([{
      targetOrg: f.targetOrg, object: 'Account', records: 1, sourceIds: [sourceIdOf('Account', 1)], attempt: 2, maxAttempts: DEFAULT_RETRY.maxAttempts,
      nextTryAt: 'number', lastError: { code: 'UNABLE_TO_LOCK_ROW', message: seen[0]![0]!.lastError.message },
    }]);
    expect(board.list(), 'gone once the retry is made').to.deep.equal([]);
  });

  it('retries a call answered 503 SERVER_UNAVAILABLE and recovers', async () => {
    f.emulator.org('alpha').faults.add({
      method: 'PATCH', path: '/composite/sobjects', count: 2,
      action: { type: 'error', status: 503, errorCode: 'SERVER_UNAVAILABLE', message: 'Server is temporarily unavailable' },
    });
    const report = await f.writer.writeWithReport([account(1), account(2)]);
    expect(report.results.map((r) => [r.outcome, r.attempts])).to.deep.equal([['created', 3], ['created', 3]]);
    expect(report.metrics.apiCalls).to.equal(3);
    expect(f.waits).to.have.length(2);
    expect(f.emulator.org('alpha').snapshot('Account')).to.have.length(2);
  });

  it('retries an update by mapped Id answered 503 (PATCH /composite/sobjects)', async () => {
    const records = [account(1, {}, { byLedger: true })];
    await f.writer.write(records);
    records[0]!.target!.fields.Industry = 'Banking';
    f.emulator.org('alpha').faults.add({
      method: 'PATCH', path: '^/services/data/v[0-9.]+/composite/sobjects$', count: 2,
      action: { type: 'error', status: 503, errorCode: 'SERVER_UNAVAILABLE', message: 'Server is temporarily unavailable' },
    });
    const [result] = await f.writer.write(records);
    expect(result).to.include({ outcome: 'updated', attempts: 3 });
    expect(f.emulator.org('alpha').snapshot('Account')[0]!.Industry).to.equal('Banking');
  });

  it('dead-letters a record as transient when its attempts run out', async () => {
    const writer = f.writerWith({ retry: { maxAttempts: 3 } });
    const [first] = await writer.write([account(1)]);
    f.emulator.org('alpha').faults.lockRecords([first!.targetId!], 10);
    const [result] = await writer.write([account(1, { Industry: 'Retail' })]);
    expect(result).to.deep.include({ outcome: 'dead-lettered', attempts: 3, targetId: first!.targetId });
    expect(result!.error).to.include({ code: 'UNABLE_TO_LOCK_ROW', category: 'transient' });
    expect(f.ledger.deadLetters()[0]).to.include({ errorCode: 'UNABLE_TO_LOCK_ROW', category: 'transient', attempts: 3, status: 'open' });
  });

  it('recovers from a session that expires mid-run through the connection renewing it', async () => {
    const org = f.emulator.org('alpha');
    let expired = 0;
    const stop = org.addCommitListener(() => {
      if (!expired++) org.sessions.expireAll();
    });
    try {
      const records = [2, 1, 0].map((n) => account(n, {}, n ? { parent: n - 1 } : {}));
      const report = await f.writer.writeWithReport(records);
      expect(report.results.map((r) => r.outcome)).to.deep.equal(['created', 'created', 'created']);
      expect(report.results.every((r) => r.attempts === 1)).to.equal(true);
      expect(f.connection.state).to.equal('connected');
      expect(expired).to.be.greaterThan(1);
    } finally {
      stop();
    }
  });

  it('retries a session that cannot be renewed, then dead-letters the records as transient', async () => {
    const org = f.emulator.org('alpha');
    const user = org.userByName('integration@alpha.test')!;
    const session = org.sessions.issue(user.id, 'cid-alpha');
    const pasted = new OrgConnection(settingsFor(f.emulator, { authFlow: 'access-token', instanceUrl: org.instanceUrl }), { accessToken: session.accessToken });
    await pasted.connection();
    org.sessions.expireAll();
    const writer = f.writerWith({ target: pasted, retry: { maxAttempts: 2 } });
    const results = await writer.write([account(1), account(2)]);
    expect(results.map((r) => [r.outcome, r.error?.code, r.error?.category, r.attempts])).to.deep.equal([
      ['dead-lettered', 'INVALID_SESSION_ID', 'transient', 2],
      ['dead-lettered', 'INVALID_SESSION_ID', 'transient', 2],
    ]);
    pasted.close();
  });

  it('stops calling when the daily API limit is spent and dead-letters the rest as transient', async () => {
    const org = f.emulator.org('alpha');
    org.limits.setUsed('DailyApiRequests', org.limits.maxOf('DailyApiRequests'));
    const records = [account(1), account(2, {}, { parent: 1 }), account(3, {}, { parent: 2 })];
    const report = await f.writer.writeWithReport(records);
    expect(report.metrics.apiCalls).to.equal(1);
    expect(f.waits).to.deep.equal([]);
    expect(report.results.map((r) => [r.outcome, r.error?.code, r.error?.category])).to.deep.equal([
      ['dead-lettered', 'REQUEST_LIMIT_EXCEEDED', 'transient'],
      ['dead-lettered', 'REQUEST_LIMIT_EXCEEDED', 'transient'],
      ['dead-lettered', 'REQUEST_LIMIT_EXCEEDED', 'transient'],
    ]);
    expect(f.ledger.countDeadLetters({ errorCode: 'REQUEST_LIMIT_EXCEEDED', status: 'open' })).to.equal(3);
  });

  it('retries while the org is unreachable and dead-letters as transient, never dropping a record', async () => {
    await f.emulator.orgDown('alpha');
    try {
      const report = await f.writerWith({ retry: { maxAttempts: 3 } }).writeWithReport([account(1), account(2, {}, { parent: 1 })]);
      expect(report.results.map((r) => [r.outcome, r.error?.category, r.attempts])).to.deep.equal([
        ['dead-lettered', 'transient', 3],
        ['dead-lettered', 'transient', 3],
      ]);
      expect(report.results[0]!.error!.code).to.equal('ECONNREFUSED');
      expect(f.waits).to.have.length(4);
    } finally {
      await f.emulator.orgUp('alpha');
    }
    const letters = f.ledger.takeDeadLettersForRetry({ targetOrg: f.targetOrg, category: 'transient' });
    const replay = await f.writer.write(letters.map((l) => l.record as SyncRecord));
    expect(replay.map((r) => r.outcome)).to.deep.equal(['created', 'created']);
    expect(f.ledger.countDeadLetters({ status: ['open', 'retried'] })).to.equal(0);
  });

  it('re-sends a create whose connection dropped only after finding it was not made', async () => {
    f.emulator.org('alpha').faults.add({ method: 'POST', path: '/composite/sobjects$', count: 1, action: { type: 'drop' } });
    const report = await f.writer.writeWithReport([account(1, {}, { byLedger: true }), account(2, {}, { byLedger: true })]);
    expect(report.results.map((r) => [r.outcome, r.attempts])).to.deep.equal([['created', 2], ['created', 2]]);
    // The dropped create, the look-up for what it may have made, the create again.
    expect(report.metrics.apiCalls).to.equal(3);
    expect(report.metrics.recoveredCreates).to.equal(0);
    expect(f.emulator.org('alpha').snapshot('Account')).to.have.length(2);
    expect(f.ledger.pendingCreates(SOURCE_ORG, f.targetOrg, [sourceIdOf('Account', 1)]).size).to.equal(0);
  });

  it('looks before re-sending a create that timed out, and creates it once', async () => {
    f.emulator.org('alpha').faults.add({ method: 'POST', path: '/composite/sobjects$', count: 1, action: { type: 'latency', ms: 300 } });
    const writer = f.writerWith({ callTimeoutMs: 100 });
    const report = await writer.writeWithReport([account(1, {}, { byLedger: true }), account(2, {}, { byLedger: true })]);
    expect(report.results.map((r) => [r.outcome, r.attempts])).to.deep.equal([['created', 2], ['created', 2]]);
    expect(report.metrics.apiCalls).to.equal(3);
    await realSleep(400);
    expect(f.emulator.org('alpha').snapshot('Account').map((r) => r.Name).sort()).to.deep.equal(['Account 1', 'Account 2']);
  });

  it('adopts records a crashed run created (filed as pending creates) instead of creating them twice', async () => {
    const records = [account(1, { Industry: 'Energy' }, { byLedger: true }), account(2, {}, { byLedger: true }), account(3, {}, { byLedger: true })];
    // What a run killed after the org's answer and before the ledger commit leaves behind.
    f.ledger.startCreates(records.slice(0, 2).map((r) => ({ sourceOrg: SOURCE_ORG, sourceId: r.sourceId, targetOrg: f.targetOrg, targetObject: 'Account', fields: r.target!.fields })));
    const conn = f.connection;
    await conn.run((c) => c.sobject('Account').create([{ Name: 'Account 1', Industry: 'Energy' }, { Name: 'Account 2' }, { Name: 'Account 2' }]));
    records[1]!.target!.fields.Industry = 'Retail';
    const report = await f.writer.writeWithReport(records);
    expect(report.results.map((r) => r.outcome)).to.deep.equal(['created', 'created', 'created']);
    expect(report.metrics.recoveredCreates).to.equal(2);
    const rows = f.emulator.org('alpha').snapshot('Account');
    // The two adopted records plus the new third one; the spare 'Account 2' made by someone else stays alone.
    expect(rows).to.have.length(4);
    const adopted = rows.filter((r) => report.results.some((x) => x.targetId === r.Id));
    expect(adopted.map((r) => [r.Name, r.Industry]).sort()).to.deep.equal([['Account 1', 'Energy'], ['Account 2', 'Retail'], ['Account 3', null]]);
    expect(f.ledger.pendingCreates(SOURCE_ORG, f.targetOrg, records.map((r) => r.sourceId)).size).to.equal(0);
  });

  it('backs off exponentially with full jitter, capped at maxMs', () => {
    const policy = { ...DEFAULT_RETRY, jitter: false };
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay(n, policy))).to.deep.equal([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    expect(backoffDelay(3, DEFAULT_RETRY, () => 0.25)).to.equal(500);
    expect(backoffDelay(3, DEFAULT_RETRY, () => 0)).to.equal(0);
  });
});
