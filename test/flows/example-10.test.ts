/**
 * Example 10 as shipped, in the real Node-RED runtime against the demo orgs: contacts edited in
 * both orgs at once cross once each way, OrgBridge's own writes come back as echoes and are
 * dropped, and once people stop editing the API calls stop growing (no ping-pong).
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startDemoEmulator, type Emulator } from '../../emulator/index.js';
import { runtimeContext } from '../../lib/runtime/context.js';
import { control } from '../support/emulator.js';
import { ALL_NODES, CREDENTIALS, deployable, helper, received, until } from './support.js';

const EXAMPLE = '10 Two-way sync of contacts';
const PAIRS = 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Row extends Record<string, unknown> {
  Id: string;
}

describe('example 10: two-way sync of contacts', function () {
  this.timeout(120_000);
  let emulator: Emulator;
  let dir: string;
  const rows = (org: 'hq' | 'subsidiary') => emulator.org(org).snapshot('Contact') as Row[];
  const calls = () => emulator.org('hq').limits.counts().total + emulator.org('subsidiary').limits.counts().total;
  const echoes = (id: string) => Number((runtimeContext().source(id)?.detail?.counts as { echoes?: number } | undefined)?.echoes ?? 0);

  before(async () => {
    emulator = await startDemoEmulator();
    await control(emulator, 'POST', '/streaming/settings', { connectTimeoutMs: 1000 });
    dir = mkdtempSync(path.join(tmpdir(), 'orgbridge-ex10-'));
    helper.settings({ userDir: dir, sfLedgerPath: path.join(dir, 'ledger.sqlite') } as never);
    await new Promise<void>((resolve) => helper.startServer(resolve));
  });
  after(async () => {
    await helper.unload();
    await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
    await emulator.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('settles concurrent edits in both orgs with every change crossing once and no echo loop', async () => {
    const urls = { hq: emulator.org('hq').instanceUrl, subsidiary: emulator.org('subsidiary').instanceUrl };
    const fast = { baseDelayMs: '1' };
    const flows = deployable([EXAMPLE], urls, { 'ex10-write-sub': fast, 'ex10-write-hq': fast, 'ex10-cdc-hq': { windowMs: '200' }, 'ex10-cdc-sub': { windowMs: '200' } });
    await helper.load(ALL_NODES as never, flows as never, CREDENTIALS);
    const errors = received('ex10-errors');
    const deadLetters = received('ex10-dead-letters');
    const rejected = received('ex10-rejected');
    for (const id of ['ex10-cdc-hq', 'ex10-cdc-sub']) await until(() => runtimeContext().source(id)?.state === 'listening', `${id} to listen`, 20_000);

    // Contacts made in HQ under an account both orgs share arrive in the subsidiary: the pairs.
    const hqAccount = (emulator.org('hq').snapshot('Account') as Row[]).find((a) => a.Name === 'Altura EMEA')!;
    const seeded = await control(emulator, 'POST', '/orgs/hq/seed', {
      object: 'Contact',
      records: Array.from({ length: PAIRS }, (_, i) => ({ FirstName: 'Pair', LastName: `Two-way ${i}`, AccountId: hqAccount.Id, Title: 'Original', Phone: '555-0000' })),
    });
    const hqIds = (seeded.body as { ids: string[] }).ids;
    const twin = (hqId: string) => rows('subsidiary').find((r) => r.HQ_Id__c === hqId);
    await until(() => hqIds.every((id) => twin(id)), 'the contacts in the subsidiary');
    const subAccount = (emulator.org('subsidiary').snapshot('Account') as Row[]).find((a) => a.HQ_Id__c === hqAccount.Id)!;
    expect(twin(hqIds[0]!)).to.include({ AccountId: subAccount.Id, Title: 'Original' });
    const subIds = hqIds.map((id) => twin(id)!.Id);

    // At the same moment HQ changes the title and the subsidiary the phone of every pair.
    await Promise.all([
      control(emulator, 'POST', '/orgs/hq/edit', { object: 'Contact', records: hqIds.map((Id, i) => ({ Id, Title: `HQ title ${i}` })) }),
      control(emulator, 'POST', '/orgs/subsidiary/edit', { object: 'Contact', records: subIds.map((Id, i) => ({ Id, Phone: `555-1${String(i).padStart(3, '0')}` })) }),
    ]);
    const byId = (org: 'hq' | 'subsidiary') => new Map(rows(org).map((r) => [r.Id, r]));
    await until(() => {
      const hq = byId('hq');
      const sub = byId('subsidiary');
      return hqIds.every((id, i) => hq.get(id)!.Phone === `555-1${String(i).padStart(3, '0')}` && sub.get(subIds[i]!)!.Title === `HQ title ${i}`);
    }, 'both edits of every pair in both orgs', 30_000);
    {
      const hq = byId('hq');
      const sub = byId('subsidiary');
      hqIds.forEach((id, i) => {
        // Neither edit undid the other: each org has both.
        expect(hq.get(id)).to.include({ Title: `HQ title ${i}`, Phone: `555-1${String(i).padStart(3, '0')}`, AccountId: hqAccount.Id });
        expect(sub.get(subIds[i]!)).to.include({ Title: `HQ title ${i}`, Phone: `555-1${String(i).padStart(3, '0')}`, AccountId: subAccount.Id });
      });
    }

    // A contact made in the subsidiary is created in HQ once, and linked: its HQ change comes back to it.
    const made = await control(emulator, 'POST', '/orgs/subsidiary/seed', { object: 'Contact', records: [{ LastName: 'Made in the subsidiary', AccountId: subAccount.Id }] });
    const subMade = (made.body as { ids: string[] }).ids[0]!;
    const inHq = () => rows('hq').filter((r) => r.LastName === 'Made in the subsidiary');
    await until(() => inHq().length === 1, 'the subsidiary contact in HQ');
    // Its account came into the subsidiary before OrgBridge kept a ledger: the lookup waits for it
    // in the ledger instead of guessing, and a later HQ change leaves the subsidiary's as it is.
    expect(inHq()[0]!.AccountId).to.equal(null);
    await control(emulator, 'POST', '/orgs/hq/edit', { object: 'Contact', records: [{ Id: inHq()[0]!.Id, Department: 'Finance' }] });
    await until(() => byId('subsidiary').get(subMade)!.Department === 'Finance', 'the HQ change on the subsidiary contact');
    expect(byId('subsidiary').get(subMade)).to.include({ HQ_Id__c: inHq()[0]!.Id, AccountId: subAccount.Id });
    expect(rows('subsidiary').filter((r) => r.LastName === 'Made in the subsidiary')).to.have.length(1);

    // The same field edited in both orgs at once: a conflict, but it settles and nothing loops.
    await Promise.all([
      control(emulator, 'POST', '/orgs/hq/edit', { object: 'Contact', records: hqIds.map((Id, i) => ({ Id, MobilePhone: `HQ-${i}` })) }),
      control(emulator, 'POST', '/orgs/subsidiary/edit', { object: 'Contact', records: subIds.map((Id, i) => ({ Id, MobilePhone: `SUB-${i}` })) }),
    ]);
    // Quiet: two samples 1.5 s apart with no call between them.
    let last = calls();
    for (const end = Date.now() + 30_000; ; ) {
      await sleep(1_500);
      const now = calls();
      if (now === last) break;
      last = now;
      if (Date.now() > end) throw new Error(`the API calls still grow after 30 s (${now})`);
    }
    await sleep(3_000);
    expect(calls(), 'API calls after the sync settled').to.equal(last);
    const hq = byId('hq');
    const sub = byId('subsidiary');
    hqIds.forEach((id, i) => {
      expect([`HQ-${i}`, `SUB-${i}`]).to.include(hq.get(id)!.MobilePhone);
      expect([`HQ-${i}`, `SUB-${i}`]).to.include(sub.get(subIds[i]!)!.MobilePhone);
    });

    // Every write OrgBridge made came back as a change event and was dropped as an echo.
    expect(echoes('ex10-cdc-hq')).to.be.at.least(PAIRS + 1);
    expect(echoes('ex10-cdc-sub')).to.be.at.least(PAIRS + 1);
    // The writes of change events measured their replication lag for the sync status dashboard.
    const lag = runtimeContext().metrics.snapshot().lastMinute.lag;
    expect(lag?.writes).to.be.greaterThan(0);
    expect(lag!.maxMs).to.be.at.least(lag!.p50Ms);
    expect(runtimeContext().metrics.lagPoints().length).to.be.greaterThan(0);
    expect(errors, 'errors').to.deep.equal([]);
    expect(deadLetters, 'dead letters').to.deep.equal([]);
    expect(rejected, 'rejected').to.deep.equal([]);
  });
});
