/**
 * Continuous sync in the real Node-RED runtime: sf-cdc-in on HQ → the Account, Contact and
 * Opportunity mappings → sf-upsert-out into the subsidiary, against the demo orgs of the emulator
 * (real CometD long polling through jsforce), with the ledger in a real SQLite file.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Connection } from 'jsforce';
import { startDemoEmulator, type Emulator } from '../../emulator/index.js';
import { Ledger } from '../../lib/ledger/index.js';
import { runtimeContext } from '../../lib/runtime/context.js';
import type { RecordResult } from '../../lib/sync/types.js';
import { connectDirect, control } from '../support/emulator.js';
import { ALL_NODES, CREDENTIALS, cdcPipelineFlow, helper, received, until, type Msg, type OrgUrls } from './support.js';

describe('continuous sync flow: sf-cdc-in → map → upsert', function () {
  this.timeout(60_000);
  let emulator: Emulator;
  let urls: OrgUrls;
  let hqApi: Connection;
  const dir = mkdtempSync(path.join(tmpdir(), 'orgbridge-cdc-flow-'));
  let ledgerPath: string;
  let counter = 0;

  const hq = () => emulator.org('hq');
  const subsidiary = () => emulator.org('subsidiary');
  const inSubsidiary = (object: string, hqId: string) => subsidiary().snapshot(object).find((r) => r.HQ_Id__c === hqId);

  before(async () => {
    emulator = await startDemoEmulator();
    urls = { hq: hq().instanceUrl, subsidiary: subsidiary().instanceUrl };
    await control(emulator, 'POST', '/streaming/settings', { connectTimeoutMs: 1000 });
  });
  after(async () => {
    await emulator.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    for (const org of emulator.orgs.values()) org.reset();
    hqApi = connectDirect(emulator, 'hq');
    ledgerPath = path.join(dir, `ledger-${++counter}.sqlite`);
    helper.settings({ userDir: dir, sfLedgerPath: ledgerPath } as never);
    await new Promise<void>((resolve) => helper.startServer(resolve));
  });
  afterEach(async () => {
    await helper.unload();
    await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
  });

  async function load() {
    await helper.load(ALL_NODES as never, cdcPipelineFlow(urls) as never, CREDENTIALS);
    const io = { results: received('results'), caught: received('caught'), events: received('events'), rejected: received('rejected') };
    await until(() => runtimeContext().source('cdc')?.state === 'listening', 'sf-cdc-in to listen', 20_000);
    return io;
  }
  const outcomes = (results: Msg[]) => results.flatMap((m) => m.payload as RecordResult[]);
  const checkpoint = (channel: string) => {
    const ledger = Ledger.open(ledgerPath);
    try {
      return ledger.cdcCheckpoint(hq().orgId, channel)?.replayId;
    } finally {
      ledger.close();
    }
  };

  it('brings changes made in HQ into the subsidiary by itself, lookups pointing at the right records, deletes and undeletes included', async () => {
    const io = await load();
    const acc = await hqApi.sobject('Account').create({ Name: 'Stream Works', Industry: 'Energy', Phone: '555-0101' });
    const con = await hqApi.sobject('Contact').create({ FirstName: 'Grace', LastName: 'Hopper', AccountId: acc.id });
    await until(() => !!inSubsidiary('Contact', con.id!), 'the contact in the subsidiary');
    const subAccount = inSubsidiary('Account', acc.id!)!;
    expect(subAccount).to.include({ Name: 'Stream Works', Phone: '555-0101' });
    expect(inSubsidiary('Contact', con.id!)!.AccountId, 'the contact points at the subsidiary\'s account').to.equal(subAccount.Id);

    await hqApi.sobject('Account').update({ Id: acc.id!, Phone: '555-0199' });
    await until(() => inSubsidiary('Account', acc.id!)?.Phone === '555-0199', 'the update');
    expect(inSubsidiary('Account', acc.id!), 'an update leaves the fields it did not change').to.include({ Name: 'Stream Works' });

    await hqApi.sobject('Contact').destroy(con.id!);
    await until(() => !inSubsidiary('Contact', con.id!), 'the delete');
    await until(() => outcomes(io.results).some((r) => r.outcome === 'deleted'), 'the delete\'s result');
    expect(outcomes(io.results).map((r) => r.outcome)).to.include.members(['created', 'updated', 'deleted']);
    const subContactId = subsidiary().snapshot('Contact', true).find((r) => r.HQ_Id__c === con.id)!.Id;

    // Restored from HQ's recycle bin: the subsidiary restores its own record, the same one.
    await control(emulator, 'POST', '/orgs/hq/undelete', { ids: [con.id] });
    await until(() => outcomes(io.results).some((r) => r.outcome === 'undeleted'), 'the undelete\'s result');
    expect(inSubsidiary('Contact', con.id!)).to.include({ Id: subContactId, LastName: 'Hopper' });
    expect(io.caught).to.deep.equal([]);
    // Every change written: the checkpoint is in the ledger and nothing waits.
    await until(() => runtimeContext().source('cdc')?.inFlight === 0, 'every batch acknowledged');
    expect(checkpoint('/data/AccountChangeEvent')).to.be.a('number');
    expect(checkpoint('/data/ContactChangeEvent')).to.be.a('number');
  });

  it('after a redeploy resumes from its checkpoint: changes made while it was stopped arrive, written ones are not written again', async () => {
    await load();
    const acc = await hqApi.sobject('Account').create({ Name: 'Before the restart' });
    await until(() => !!inSubsidiary('Account', acc.id!), 'the first account');
    await until(() => runtimeContext().source('cdc')?.inFlight === 0, 'the batch acknowledged');
    await helper.unload();
    const whileDown = await hqApi.sobject('Account').create({ Name: 'While Node-RED was stopped' });
    await hqApi.sobject('Account').update({ Id: acc.id!, Phone: '555-0142' });

    const io = await load();
    await until(() => !!inSubsidiary('Account', whileDown.id!) && inSubsidiary('Account', acc.id!)?.Phone === '555-0142', 'the changes made while stopped');
    // The subsidiary commits before sf-upsert-out sends its results: wait for those too.
    await until(() => outcomes(io.results).some((r) => r.sourceId === whileDown.id) && outcomes(io.results).some((r) => r.sourceId === acc.id), 'the results of both writes');
    const written = outcomes(io.results);
    expect(written.filter((r) => r.sourceId === whileDown.id).map((r) => r.outcome)).to.deep.equal(['created']);
    expect(written.filter((r) => r.sourceId === acc.id).map((r) => r.outcome), 'the first create is not sent again').to.deep.equal(['updated']);
  });
});
