/**
 * A crash in the middle of a sync, then a rerun: the flow runs in a child process that is killed
 * (SIGKILL) while the subsidiary commits one of its writes, so that write is in the org but its
 * answer never reaches the ledger. The emulator lives here, so its data survives the child; the
 * rerun runs in this process with the same ledger file.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startDemoEmulator, type Emulator } from '../../emulator/index.js';
import { CRASH_PIPELINE } from './fixtures/crash-pipeline.js';
import { helper, loadPipeline, outcomeCounts, type OrgUrls } from './support.js';

const OBJECTS = ['Account', 'Contact', 'Opportunity'];
const ROOT = path.resolve(__dirname, '..', '..');

describe('sync flow killed mid-run, then run again', function () {
  this.timeout(90_000);
  let emulator: Emulator;
  let dir: string;

  before(async () => {
    emulator = await startDemoEmulator();
    dir = mkdtempSync(path.join(tmpdir(), 'orgbridge-flow-crash-'));
  });
  after(async () => {
    await emulator.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    await helper.unload();
    await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
  });

  /** HQ Ids the subsidiary holds, per object; fails if one is there twice. */
  function hqIdsInSubsidiary(object: string): string[] {
    const ids = emulator.org('subsidiary').snapshot(object).map((r) => r.HQ_Id__c as string | null).filter((v): v is string => !!v);
    const twice = ids.filter((id, i) => ids.indexOf(id) !== i);
    expect(twice, `${object} records in the subsidiary twice`).to.deep.equal([]);
    return ids;
  }

  /** Runs the flow in a child and kills it once the subsidiary has committed `killAfter` records. */
  async function syncAndCrash(urls: OrgUrls, ledgerPath: string, killAfter: number): Promise<number> {
    const subsidiary = emulator.org('subsidiary');
    let child: ChildProcess | undefined;
    let committed = 0;
    let killedAt = 0;
    const stop = subsidiary.addCommitListener((tx) => {
      committed += tx.changes.filter((c) => OBJECTS.includes(c.object)).length;
      // The org has committed this write and not yet answered: killing now loses the answer.
      if (!killedAt && committed >= killAfter && child?.pid) {
        killedAt = committed;
        process.kill(child.pid, 'SIGKILL');
      }
    });
    try {
      child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'fixtures', 'sync-in-child.ts'), JSON.stringify(urls), dir, ledgerPath], {
        cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
      const signal = await new Promise<NodeJS.Signals | null>((resolve) => child!.on('exit', (_code, sig) => resolve(sig)));
      expect(signal, `the child was not killed (${committed} records committed):\n${output}`).to.equal('SIGKILL');
      expect(output).to.contain('syncing');
      return killedAt;
    } finally {
      stop();
    }
  }

  it('leaves every HQ record exactly once in the subsidiary: no duplicates, none missing', async () => {
    for (const org of emulator.orgs.values()) org.reset();
    const hq = emulator.org('hq');
    const urls = { hq: hq.instanceUrl, subsidiary: emulator.org('subsidiary').instanceUrl };
    const ledgerPath = path.join(dir, 'ledger.sqlite');
    const total = OBJECTS.reduce((n, o) => n + hq.snapshot(o).length, 0);

    const killedAt = await syncAndCrash(urls, ledgerPath, Math.floor(total / 2));
    expect(killedAt).to.be.within(total / 2, total - 1);
    const present = new Set(OBJECTS.flatMap(hqIdsInSubsidiary));
    expect(present.size, 'records in the subsidiary after the crash').to.be.within(1, total - 1);

    // The rerun: the same flow and ledger file, in this process.
    helper.settings({ userDir: dir, sfLedgerPath: ledgerPath } as never);
    await new Promise<void>((resolve) => helper.startServer(resolve));
    const pipeline = await loadPipeline(urls, CRASH_PIPELINE);
    const run = await pipeline.run(Date.now());
    expect(run.errors).to.deep.equal([]);
    expect(run.deadLettered).to.deep.equal([]);
    expect(run.results).to.have.length(total);
    // What the killed run wrote is found again (by HQ_Id__c), never created a second time.
    const created = run.results.filter((r) => r.outcome === 'created').map((r) => r.sourceId);
    expect(created.filter((id) => present.has(id)), 'created again').to.deep.equal([]);
    expect(created, 'created in the rerun').to.have.length(total - present.size);
    const counts = outcomeCounts(run.results);
    expect((counts.unchanged ?? 0) + (counts.updated ?? 0), 'found again').to.equal(present.size);
    // The killed write's records were in the org but not in the ledger: written again, not skipped.
    expect(counts.updated, 'updated in the rerun').to.be.greaterThan(0);

    for (const object of OBJECTS) {
      const expected = hq.snapshot(object).map((r) => r.Id as string).sort();
      expect(hqIdsInSubsidiary(object).sort(), `${object}: every HQ record once`).to.deep.equal(expected);
    }
  });
});
