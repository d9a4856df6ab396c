/**
 * Example 12 as shipped, in the real Node-RED runtime against the demo orgs: a backfill by month
 * of CreatedDate, with HQ edited while it runs (a written account changed, a written contact
 * deleted, an account created), then the change capture taking over: every change made during
 * the backfill reaches the subsidiary after it, and each range's check is on the range message.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startDemoEmulator, type Emulator } from '../../emulator/index.js';
import type { BackfillRangeSummary, BackfillSummary } from '../../lib/bulk/backfill.js';
import { runtimeContext } from '../../lib/runtime/context.js';
import { ALL_NODES, CREDENTIALS, deployable, helper, received, until } from './support.js';

const EXAMPLE = '12 Backfill by month, then keep in sync';

interface Row extends Record<string, unknown> {
  Id: string;
}

describe('example 12: backfill by month, then keep in sync', function () {
  this.timeout(180_000);
  let emulator: Emulator;
  let dir: string;

  before(async () => {
    emulator = await startDemoEmulator();
    dir = mkdtempSync(path.join(tmpdir(), 'orgbridge-ex12-'));
    helper.settings({ userDir: dir, sfLedgerPath: path.join(dir, 'ledger.sqlite') } as never);
    await new Promise<void>((resolve) => helper.startServer(resolve));
  });
  afterEach(() => helper.unload());
  after(async () => {
    await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
    await emulator.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  type Call = { thisValue: unknown; args: Array<{ text?: string }> };
  const statusText = (id: string) => {
    const node = helper.getNode(id) as unknown as { status: { getCalls(): Call[] } };
    return node.status.getCalls().filter((c) => c.thisValue === node).pop()?.args[0]?.text;
  };

  it('backfills range by range while HQ changes, then the change capture brings every change made meanwhile', async () => {
    const hqOrg = emulator.org('hq');
    const hq = (o: string) => hqOrg.snapshot(o) as Row[];
    const sub = (o: string) => (emulator.org('subsidiary').snapshot(o) as Row[]).filter((r) => r.HQ_Id__c);
    const twin = (o: string, hqId: string) => sub(o).find((r) => r.HQ_Id__c === hqId);
    const edit = (fn: (tx: { update(o: string, id: string, f: Record<string, unknown>): void; insert(o: string, f: Record<string, unknown>): string; delete(id: string): string }) => void) => {
      const user = [...hqOrg.users.values()][0]!;
      hqOrg.transaction({ userId: user.id, api: 'ui', apiVersion: '65.0' }, fn as never);
    };
    const urls = { hq: hqOrg.instanceUrl, subsidiary: emulator.org('subsidiary').instanceUrl };
    const flows = deployable([EXAMPLE], urls, {
      'ex12-generate-request': { url: `${emulator.loginUrl}/__emulator__/orgs/hq/generate` },
      'ex12-write': { baseDelayMs: '1' },
      'ex12-read': { progressEvery: '1', batchSize: '300' },
    });
    await helper.load(ALL_NODES as never, flows as never, CREDENTIALS);
    const side = received('ex12-progress');
    const errors = received('ex12-errors');
    const generated = received('ex12-generated');
    await until(() => flows.filter((n) => n.type === 'sf-map-fields').every((n) => String(statusText(n.id) ?? '').includes('ready')), 'the mappers to compile');
    await until(() => statusText('ex12-read') === 'sf-bulk-query.status.idle', 'the bulk query to be ready');
    // The change capture waits for the backfill, and says so.
    await until(() => statusText('ex12-cdc') === 'sf-cdc-in.status.before-backfill', 'the change capture to wait');

    helper.getNode('ex12-generate-request').receive({ payload: { accounts: 1200, contactsPerAccount: 2, opportunitiesPerAccount: 1, seed: 12 } } as never);
    await until(() => generated.length === 1, 'the generator to answer');
    helper.getNode('ex12-start').receive({} as never);

    // Once the first ranges are written, HQ changes: a written account, a written contact, a new account.
    await until(() => statusText('ex12-cdc') === 'sf-cdc-in.status.backfilling', 'the change capture to see the backfill under way');
    const ranges = () => side.filter((m) => m.topic === 'range').map((m) => m.payload as BackfillRangeSummary);
    await until(() => ranges().length >= 3, 'three ranges written', 120_000);
    const writtenAccount = hq('Account').find((a) => twin('Account', a.Id))!;
    const writtenContact = hq('Contact').find((c) => twin('Contact', c.Id))!;
    expect(Boolean(writtenAccount && writtenContact), 'records the backfill wrote').to.equal(true);
    let created = '';
    const summaries = () => side.filter((m) => m.topic === 'summary').map((m) => m.payload as BackfillSummary);
    expect(summaries(), 'the backfill still running while HQ changes').to.have.length(0);
    edit((tx) => {
      tx.update('Account', writtenAccount.Id, { Phone: '+1 555 0199' });
      tx.delete(writtenContact.Id);
      created = tx.insert('Account', { Name: 'Created during the backfill', Industry: 'Energy' });
    });

    await until(() => summaries().length === 1, 'the backfill to finish', 150_000);
    const summary = summaries()[0]!;
    expect(summary).to.include({ finished: true, failedBatches: 0, watermark: null });
    expect(summary.rangeCount).to.be.greaterThan(12);
    // Each range was checked: what HQ has is in the subsidiary, except partner accounts (the
    // mapping keeps them in HQ).
    for (const r of ranges()) {
      for (const c of r.checks!) {
        if (c.object !== 'Account') expect(c.missing, `${c.object} of ${r.from}`).to.equal(0);
        expect(c.deadLettered).to.equal(0);
      }
    }

    // The hand-over: the capture reads what changed since the backfill began, then listens.
    await until(() => twin('Account', writtenAccount.Id)?.Phone === '+1 555 0199', 'the edit in the subsidiary', 60_000);
    await until(() => !twin('Contact', writtenContact.Id), 'the deleted contact gone from the subsidiary', 60_000);
    await until(() => !!twin('Account', created), 'the new account in the subsidiary', 60_000);
    await until(() => runtimeContext().source('ex12-cdc')?.state === 'listening', 'the change capture to listen', 30_000);
    expect((runtimeContext().source('ex12-cdc')?.detail as { counts: { caughtUp: number } }).counts.caughtUp).to.be.at.least(3);
    // And what follows is live.
    edit((tx) => tx.update('Account', created, { Phone: '+1 555 0200' }));
    await until(() => twin('Account', created)?.Phone === '+1 555 0200', 'a live change after the hand-over', 30_000);
    expect(errors.map((m) => m.error)).to.deep.equal([]);
  });
});
