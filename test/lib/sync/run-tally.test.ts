import { expect } from 'chai';
import { RunTally, type TallyMessage } from '../../../lib/sync/run-tally.js';
import { emptyMetrics } from '../../../lib/upsert/types.js';
import type { RecordResult } from '../../../lib/sync/types.js';

type Msg = TallyMessage & { id?: string };

const summary = (runId: string, batches: number, objects: Record<string, number>, extra: Record<string, unknown> = {}): Msg => ({
  id: `summary ${runId}`,
  payload: { runId, object: 'Account', objects, records: Object.values(objects).reduce((a, b) => a + b, 0), batches, apiCalls: 9, missingRootIds: [], ...extra },
});

const result = (object: string, n: number, outcome: RecordResult['outcome'], error?: RecordResult['error']): RecordResult => ({
  object, sourceId: `${object.slice(0, 3)}${n}`, targetObject: object, outcome, attempts: 1, ...(error ? { error } : {}),
});

const written = (runId: string, results: RecordResult[], apiCalls = 1): Msg => ({
  id: `results ${runId}`,
  payload: results,
  s2s: { runId, batchId: 'b', source: { orgId: '00D1', name: 'HQ' }, object: 'Account', level: 0, last: false, write: { ...emptyMetrics(), records: results.length, apiCalls } },
});

const caught = (type: string, message: string, extra: Partial<Msg> & { code?: string } = {}): Msg => {
  const { code, ...rest } = extra;
  return { payload: rest.payload, ...rest, error: { message, ...(code ? { code } : {}), source: { type, name: type } } };
};

describe('run tally', () => {
  it('reports a run once its last batch is written: counts per object, API calls on each side, records no mapping let through', () => {
    const tally = new RunTally<Msg>();
    expect(tally.observe(summary('r1', 2, { Account: 3, Contact: 2 }))).to.equal(undefined);
    expect(tally.observe(written('r1', [result('Account', 1, 'created'), result('Account', 2, 'updated'), result('Contact', 1, 'unchanged')], 2))).to.equal(undefined);
    const done = tally.observe(written('r1', [result('Contact', 2, 'created')], 1))!;
    expect(done.statusCode).to.equal(200);
    expect(done.first.id).to.equal('summary r1');
    expect(done.report).to.deep.include({ status: 'done', runId: 'r1', batches: 2, apiCalls: { source: 9, target: 3 }, notFound: [], errors: [] });
    expect(done.report.objects!.Account).to.deep.equal({ collected: 3, written: 2, created: 1, updated: 1, unchanged: 0, deadLettered: 0, rejected: 0, failed: 0, filtered: 1 });
    expect(done.report.totals).to.deep.equal({ collected: 5, written: 3, created: 2, updated: 1, unchanged: 1, deadLettered: 0, rejected: 0, failed: 0, filtered: 1 });
    expect(tally.open).to.equal(0);
  });

  it('waits for the summary when results come first, and keeps the first message of the run', () => {
    const tally = new RunTally<Msg>();
    expect(tally.observe(written('r2', [result('Account', 1, 'created')]))).to.equal(undefined);
    expect(tally.open).to.equal(1);
    const done = tally.observe(summary('r2', 1, { Account: 1 }))!;
    expect(done.report.status).to.equal('done');
    expect(done.first.id).to.equal('results r2');
  });

  it('counts rejections and dead letters, listing only the first few by name', () => {
    const tally = new RunTally<Msg>({ samples: 1 });
    tally.observe(summary('r3', 1, { Account: 4 }));
    const rejections: Msg = {
      s2s: { runId: 'r3' },
      payload: [1, 2].map((n) => ({ record: { object: 'Account', sourceId: `001${n}` }, problems: [{ field: 'Industry', code: 'NO_VALUE_MAP', message: 'no value' }] })),
    };
    expect(tally.observe(rejections)).to.equal(undefined);
    const lock = { code: 'UNABLE_TO_LOCK_ROW', message: 'locked', category: 'transient' as const };
    const done = tally.observe(written('r3', [result('Account', 3, 'dead-lettered', lock), result('Account', 4, 'failed', { ...lock, code: 'NOT_MAPPED' })]))!;
    expect(done.report.objects!.Account).to.include({ collected: 4, rejected: 2, deadLettered: 2, filtered: 0 });
    expect(done.report.rejected).to.deep.equal([{ object: 'Account', sourceId: '0011', problems: rejections.payload && (rejections.payload as Array<{ problems: unknown }>)[0]!.problems }]);
    expect(done.report.deadLetters).to.deep.equal([{ object: 'Account', sourceId: 'Acc3', code: 'UNABLE_TO_LOCK_ROW', message: 'locked', category: 'transient' }]);
  });

  it('counts a batch that failed as a whole (Catch) as finished, and says the run had errors (502)', () => {
    const tally = new RunTally<Msg>();
    tally.observe(summary('r4', 2, { Account: 2 }));
    tally.observe(written('r4', [result('Account', 1, 'created')]));
    const done = tally.observe(caught('sf-upsert-out', 'Error: Cannot write to the target org: down', { s2s: { runId: 'r4' }, payload: [{ object: 'Account' }] }))!;
    expect(done.statusCode).to.equal(502);
    expect(done.report).to.deep.include({ status: 'done with errors', errors: [{ node: 'sf-upsert-out', message: 'Cannot write to the target org: down', records: 1 }] });
    expect(done.report.objects!.Account).to.include({ written: 1, failed: 1 });
  });

  it('ends a run the source refused at once: 400 for the caller\'s mistake, 503 when busy, 502 otherwise', () => {
    const tally = new RunTally<Msg>();
    const invalid = tally.observe(caught('sf-collect', 'Error: Invalid input: msg.payload.depth must be a whole number from 0 to 5, got 9', { code: 'INVALID_INPUT' }))!;
    expect(invalid.statusCode).to.equal(400);
    expect(invalid.report).to.deep.equal({ status: 'invalid request', problems: ['Invalid input: depth must be a whole number from 0 to 5, got 9'] });
    expect(tally.observe(caught('sf-collect', 'Error: busy: 10 runs queued', { code: 'BUSY' }))!.statusCode).to.equal(503);
    const failed = tally.observe(caught('sf-collect', 'Error: Collection failed: reading Account records: Cannot reach x'))!;
    expect(failed.statusCode).to.equal(502);
    expect(failed.report).to.deep.include({ status: 'failed', reason: 'the collection failed' });
    expect(tally.open).to.equal(0);
  });

  it('answers once when the source fails half-way: the batches already written are in the report, later ones dropped', () => {
    let now = 0;
    const tally = new RunTally<Msg>({ timeoutMs: 1000, now: () => now });
    tally.observe(written('r9', [result('Account', 1, 'created')]));
    const failed = tally.observe(caught('sf-collect', 'Error: Collection failed: reading Contact records: Cannot reach x', { s2s: { runId: 'r9' } }))!;
    expect(failed.statusCode).to.equal(502);
    expect(failed.first.id, 'answered on the message that opened the run').to.equal('results r9');
    expect(failed.report).to.deep.include({ status: 'failed', runId: 'r9' });
    expect(failed.report.objects!.Account).to.include({ written: 1 });
    expect(tally.observe(written('r9', [result('Account', 2, 'created')]))).to.equal(undefined);
    now = 5000;
    expect(tally.sweep(), 'no second answer at the timeout').to.deep.equal([]);
  });

  it('ignores errors of sync nodes that name no run, and batches built by hand', () => {
    const tally = new RunTally<Msg>();
    expect(tally.observe(caught('sf-map-fields', 'Error: Invalid mapping'))).to.equal(undefined);
    expect(tally.observe({ payload: [], s2s: { batchId: 'b', write: { ...emptyMetrics() } } })).to.equal(undefined);
    expect(tally.open).to.equal(0);
  });

  it('answers a preview at once, and 404 when none of the Ids asked for exists', () => {
    const tally = new RunTally<Msg>();
    const preview = { objects: [{ object: 'Account', count: 1, sample: [] }], totalRecords: 1, apiCalls: 2, method: 'count' };
    expect(tally.observe({ payload: preview })).to.deep.include({ statusCode: 200, report: { status: 'preview', preview } });
    const none = tally.observe(summary('r5', 0, {}, { missingRootIds: ['001000000000099AAA'] }))!;
    expect(none.statusCode).to.equal(404);
    expect(none.report).to.deep.include({ status: 'not found', notFound: ['001000000000099AAA'] });
  });

  it('drops late messages of a reported run, then forgets it', () => {
    let now = 0;
    const tally = new RunTally<Msg>({ keepMs: 1000, now: () => now });
    tally.observe(summary('r6', 1, { Account: 1 }));
    expect(tally.observe(written('r6', [result('Account', 1, 'created')]))).to.not.equal(undefined);
    expect(tally.observe(written('r6', [result('Account', 1, 'created')]))).to.equal(undefined);
    expect(tally.open).to.equal(0);
    now = 2000;
    tally.sweep();
    // Forgotten: the same run Id starts a new run.
    tally.observe(written('r6', [result('Account', 1, 'created')]));
    expect(tally.open).to.equal(1);
  });

  it('reports a run past its timeout as still running (504), with what it knows so far, once', () => {
    let now = 0;
    const tally = new RunTally<Msg>({ timeoutMs: 60_000, now: () => now });
    tally.observe(summary('r7', 3, { Account: 600 }));
    tally.observe(written('r7', [result('Account', 1, 'created')]));
    now = 30_000;
    expect(tally.sweep()).to.have.length(0);
    now = 61_000;
    const [late, ...more] = tally.sweep();
    expect(more).to.have.length(0);
    expect(late!.statusCode).to.equal(504);
    expect(late!.report).to.deep.include({ status: 'still running', batches: 3 });
    expect(late!.report.reason).to.match(/not finished within 60 s/);
    // Not complete, so nothing is taken for filtered.
    expect(late!.report.objects!.Account).to.include({ collected: 600, written: 1 }).and.not.have.property('filtered');
    expect(tally.sweep()).to.have.length(0);
    expect(tally.observe(written('r7', [result('Account', 2, 'created')]))).to.equal(undefined);
  });

  it('tells the messages of a run from everything else', () => {
    expect(RunTally.concerns(summary('r', 1, {}))).to.equal(true);
    expect(RunTally.concerns(written('r', []))).to.equal(true);
    expect(RunTally.concerns(caught('sf-map-fields', 'x'))).to.equal(true);
    expect(RunTally.concerns(caught('function', 'x')), 'errors of other nodes').to.equal(false);
    expect(RunTally.concerns({ payload: 1733000000000 }), 'an inject asking for the status').to.equal(false);
    expect(RunTally.concerns({ payload: [{ record: { object: 'A' }, problems: [] }] }), 'rejections outside a run').to.equal(false);
  });
});
