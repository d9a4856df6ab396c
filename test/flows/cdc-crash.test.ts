/**
 * Continuous sync killed again and again: the flow runs in a child process that is killed
 * (SIGKILL) at random moments while 5,000 changes stream out of HQ, and started again each time
 * with the same ledger file. The emulator lives here, so the orgs and their retained change events
 * survive the children. Afterwards the subsidiary must hold every HQ account exactly once, as HQ
 * has it now, with no change applied twice beyond what a kill interrupted.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startDemoEmulator, type Emulator } from '../../emulator/index.js';
import { control } from '../support/emulator.js';
import { until, type OrgUrls } from './support.js';

const ROOT = path.resolve(__dirname, '..', '..');
const ACCOUNTS = 250;
const CHANGES = 5000;
const PER_CALL = 50;
const KILLS = 3;
/** Records one interrupted batch can hold (sf-cdc-in's batch size): what one kill may make be written again. */
const BATCH = 200;

describe('continuous sync killed at random moments during a stream of changes, then started again', function () {
  this.timeout(300_000);
  let emulator: Emulator;
  let dir: string;
  let child: ChildProcess | undefined;

  before(async () => {
    emulator = await startDemoEmulator();
    await control(emulator, 'POST', '/streaming/settings', { connectTimeoutMs: 1000 });
    dir = mkdtempSync(path.join(tmpdir(), 'orgbridge-cdc-crash-'));
  });
  after(async () => {
    if (child?.exitCode === null) child.kill('SIGKILL');
    await emulator.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Starts the flow in a child and resolves once sf-cdc-in listens. */
  async function startChild(urls: OrgUrls, ledgerPath: string): Promise<ChildProcess> {
    const c = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'fixtures', 'cdc-in-child.ts'), JSON.stringify(urls), dir, ledgerPath], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    c.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    c.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    await until(() => {
      if (c.exitCode !== null) throw new Error(`the child exited (${c.exitCode}):\n${output}`);
      return output.includes('listening');
    }, 'the child to listen', 60_000);
    return c;
  }

  async function kill(c: ChildProcess): Promise<void> {
    const exited = new Promise<void>((resolve) => c.on('exit', () => resolve()));
    c.kill('SIGKILL');
    await exited;
  }

  it('leaves the subsidiary equal to HQ, every account once, each change written at most once more than a kill interrupted', async () => {
    for (const org of emulator.orgs.values()) org.reset();
    const hq = emulator.org('hq');
    const subsidiary = emulator.org('subsidiary');
    const urls = { hq: hq.instanceUrl, subsidiary: subsidiary.instanceUrl };
    const ledgerPath = path.join(dir, 'ledger.sqlite');
    // Every write of an account into the subsidiary, as (HQ Id, Description written).
    const writes: Array<[string, unknown]> = [];
    const stopCounting = subsidiary.addCommitListener((tx) => {
      for (const c of tx.changes) {
        if (c.object !== 'Account' || (c.changeType !== 'CREATE' && c.changeType !== 'UPDATE')) continue;
        const row = subsidiary.snapshot('Account').find((r) => r.Id === c.id);
        if (row) writes.push([String(row.HQ_Id__c), row.Description]);
      }
    });
    try {
      child = await startChild(urls, ledgerPath);
      const ids: string[] = [];
      let changes = 0;
      for (let i = 0; i < ACCOUNTS; i += PER_CALL) {
        const seeded = await control(emulator, 'POST', '/orgs/hq/seed', {
          object: 'Account', records: Array.from({ length: PER_CALL }, (_, k) => ({ Name: `Stream ${i + k}`, Description: 'created' })),
        });
        ids.push(...(seeded.body as { ids: string[] }).ids);
        changes += PER_CALL;
      }
      // Kills at random points of the stream (not in the first or last tenth).
      const killAt = new Set(Array.from({ length: KILLS }, () => Math.floor(CHANGES * (0.1 + 0.8 * Math.random()) / PER_CALL) * PER_CALL));
      let round = 0;
      while (changes < CHANGES) {
        round++;
        const records = Array.from({ length: PER_CALL }, () => ({ Id: ids[Math.floor(Math.random() * ids.length)]!, Description: `round ${round}` }));
        // One record may be picked twice in a call; the last value wins there as in the org.
        await control(emulator, 'POST', '/orgs/hq/edit', { object: 'Account', records: [...new Map(records.map((r) => [r.Id, r])).values()] });
        changes += PER_CALL;
        if (killAt.has(changes)) {
          // A random moment inside the work the last changes started.
          await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 400)));
          await kill(child);
          child = await startChild(urls, ledgerPath);
        } else {
          await new Promise((r) => setTimeout(r, 10));
        }
      }

      const hqState = () => new Map(hq.snapshot('Account').filter((r) => ids.includes(r.Id as string)).map((r) => [r.Id as string, r.Description]));
      const subsidiaryState = () => new Map(subsidiary.snapshot('Account').filter((r) => ids.includes(r.HQ_Id__c as string)).map((r) => [r.HQ_Id__c as string, r.Description]));
      await until(() => {
        const want = hqState();
        const got = subsidiaryState();
        return got.size === want.size && [...want].every(([id, d]) => got.get(id) === d);
      }, 'the subsidiary to equal HQ', 120_000);

      const inSubsidiary = subsidiary.snapshot('Account').filter((r) => ids.includes(r.HQ_Id__c as string));
      expect(inSubsidiary, 'every account once').to.have.length(ACCOUNTS);
      // A value written twice to one record is a change applied twice: only a kill between the
      // subsidiary's commit and the ledger's can cause it, at most a batch per kill.
      const seen = new Set<string>();
      let again = 0;
      for (const [id, d] of writes) {
        const key = `${id}\u0000${String(d)}`;
        if (seen.has(key)) again++;
        seen.add(key);
      }
      expect(again, `${again} of ${writes.length} writes repeated a value already written`).to.be.at.most(KILLS * BATCH);
      expect(writes.length, 'writes to the subsidiary').to.be.at.most(CHANGES + KILLS * BATCH);
    } finally {
      stopCounting();
      if (child && child.exitCode === null) await kill(child);
    }
  });
});
