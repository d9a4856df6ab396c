/**
 * Example 09 as shipped, in the real Node-RED runtime against the demo orgs: only the connections
 * point at the test's emulator and the debug nodes are helpers. What its comment tells a newcomer
 * to do (a change made in HQ as a person would, with the emulator's control API) must arrive.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startDemoEmulator, type Emulator } from '../../emulator/index.js';
import { runtimeContext } from '../../lib/runtime/context.js';
import type { RecordResult } from '../../lib/sync/types.js';
import { control } from '../support/emulator.js';
import { ALL_NODES, CREDENTIALS, deployable, helper, readExample, received, until } from './support.js';

const EXAMPLE = '09 Keep two orgs in sync continuously';

describe('example 09: keep two orgs in sync continuously', function () {
  this.timeout(60_000);
  let emulator: Emulator;
  let dir: string;
  const subsidiary = () => emulator.org('subsidiary');

  before(async () => {
    emulator = await startDemoEmulator();
    await control(emulator, 'POST', '/streaming/settings', { connectTimeoutMs: 1000 });
    dir = mkdtempSync(path.join(tmpdir(), 'orgbridge-ex09-'));
    helper.settings({ userDir: dir, sfLedgerPath: path.join(dir, 'ledger.sqlite') } as never);
    await new Promise<void>((resolve) => helper.startServer(resolve));
  });
  after(async () => {
    await helper.unload();
    await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
    await emulator.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('carries the curl its comment shows, and brings the account it creates, then its change, into the subsidiary', async () => {
    const about = readExample(EXAMPLE).find((n) => n.type === 'comment')!;
    expect(String(about.info)).to.include('/__emulator__/orgs/hq/seed').and.include('/__emulator__/orgs/hq/edit');
    const urls = { hq: emulator.org('hq').instanceUrl, subsidiary: subsidiary().instanceUrl };
    const flows = deployable([EXAMPLE], urls, { 'ex09-write': { baseDelayMs: '1' } });
    await helper.load(ALL_NODES as never, flows as never, CREDENTIALS);
    const written = received('ex09-results');
    const errors = received('ex09-errors');
    await until(() => runtimeContext().source('ex09-cdc')?.state === 'listening', 'the change capture to listen', 20_000);

    // What the comment's curl sends.
    const seeded = await control(emulator, 'POST', '/orgs/hq/seed', { object: 'Account', records: [{ Name: 'Created in HQ', Industry: 'Energy' }] });
    const id = (seeded.body as { ids: string[] }).ids[0]!;
    const inSubsidiary = () => subsidiary().snapshot('Account').find((r) => r.HQ_Id__c === id);
    await until(() => !!inSubsidiary(), 'the account in the subsidiary');
    expect(inSubsidiary()).to.include({ Name: 'Created in HQ', Industry: 'Energy' });
    await control(emulator, 'POST', '/orgs/hq/edit', { object: 'Account', records: [{ Id: id, Phone: '555-0100' }] });
    await until(() => inSubsidiary()?.Phone === '555-0100', 'the change in the subsidiary');
    await until(() => written.length >= 2, 'both writes in the sidebar');
    expect(written.flatMap((m) => m.payload as RecordResult[]).filter((r) => r.sourceId === id).map((r) => r.outcome)).to.deep.equal(['created', 'updated']);
    expect(errors).to.deep.equal([]);
  });
});
