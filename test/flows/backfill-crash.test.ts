/**
 * A backfill killed half-way: example 12 runs in a child process that is killed (SIGKILL) once
 * the subsidiary has committed some of the backfill's writes, then started again with the same
 * ledger file, where the backfill goes on by itself from its watermark. The emulator lives here, so
 * its data survives the child. Every HQ record must be in the subsidiary exactly once, created
 * once, and rewritten only if its batch was in flight at the kill.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateOrgData, startDemoEmulator, type Emulator } from '../../emulator/index.js';
import { until } from './support.js';

const ROOT = path.resolve(__dirname, '..', '..');
const OBJECTS = ['Account', 'Contact', 'Opportunity'];
/** What the kill can interrupt: In flight batches of Batch size records (the child's settings). */
const IN_FLIGHT_RECORDS = 4 * 200;
/** Fields every write sets, and lookups set once their parent arrives: not a rewrite of the record. */
const NOT_A_REWRITE = new Set(['LastModifiedDate', 'LastModifiedById', 'SystemModstamp', 'ParentId', 'AccountId']);

describe('a backfill killed half-way, then started again', function () {
  this.timeout(300_000);
  let emulator: Emulator;
  let dir: string;
  let child: ChildProcess | undefined;

  before(async () => {
    emulator = await startDemoEmulator();
    dir = mkdtempSync(path.join(tmpdir(), 'orgbridge-backfill-crash-'));
  });
  after(async () => {
    if (child?.exitCode === null) child.kill('SIGKILL');
    await emulator.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function startChild(args: string[]): { child: ChildProcess; output: () => string } {
    const urls = { hq: emulator.org('hq').instanceUrl, subsidiary: emulator.org('subsidiary').instanceUrl };
    const c = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'fixtures', 'backfill-in-child.ts'), JSON.stringify(urls), dir, path.join(dir, 'ledger.sqlite'), ...args], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    c.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    c.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    return { child: c, output: () => output };
  }

  it('finishes with every record in the subsidiary once, created once, and rewrites only what the kill interrupted', async () => {
    const hq = emulator.org('hq');
    const subsidiary = emulator.org('subsidiary');
    generateOrgData(hq, { seed: 21, accounts: 1500, contactsPerAccount: 2, opportunitiesPerAccount: 1 });
    const total = OBJECTS.reduce((n, o) => n + hq.snapshot(o).length, 0);
    // Every write into the subsidiary, per record: creates, and updates that change more than lookups.
    const creates = new Map<string, number>();
    const rewrites = new Map<string, number>();
    let committed = 0;
    let killed = false;
    const stop = subsidiary.addCommitListener((tx) => {
      for (const c of tx.changes) {
        if (!OBJECTS.includes(c.object)) continue;
        if (c.changeType === 'CREATE') creates.set(c.id, (creates.get(c.id) ?? 0) + 1);
        else if (c.changeType === 'UPDATE' && c.changedFields.some((f) => !NOT_A_REWRITE.has(f))) rewrites.set(c.id, (rewrites.get(c.id) ?? 0) + 1);
        committed++;
      }
      // Half-way through: the answer to this write never reaches the ledger.
      if (!killed && committed >= total * 0.4 && child?.pid) {
        killed = true;
        process.kill(child.pid, 'SIGKILL');
      }
    });
    try {
      const first = startChild(['start']);
      child = first.child;
      const exited = new Promise<void>((resolve) => first.child.on('exit', () => resolve()));
      await until(() => killed || first.output().includes('finished'), 'the kill half-way', 240_000);
      await exited;
      expect(killed, `killed before the end:\n${first.output()}`).to.equal(true);
      const atKill = committed;
      expect(atKill).to.be.below(total);

      // Started again without a trigger: the backfill goes on from its watermark by itself.
      const second = startChild([]);
      child = second.child;
      await until(() => {
        if (second.child.exitCode !== null) throw new Error(`the child exited:\n${second.output()}`);
        return second.output().includes('finished');
      }, 'the resumed backfill to finish', 240_000);
      expect(second.output()).to.include('finished []');
      second.child.kill('SIGKILL');
    } finally {
      stop();
    }

    // HQ partner accounts stay in HQ (the mapping's filter): every other record arrived once.
    for (const object of OBJECTS) {
      const ids = subsidiary.snapshot(object).map((r) => r.HQ_Id__c as string | null).filter((v): v is string => !!v);
      expect(new Set(ids).size, `${object} in the subsidiary once each`).to.equal(ids.length);
      if (object !== 'Account') expect(ids.length, `every HQ ${object}`).to.equal(hq.snapshot(object).length);
    }
    expect([...creates.values()].filter((n) => n > 1), 'records created twice').to.deep.equal([]);
    const rewritten = [...rewrites.values()].length;
    expect(rewritten, 'records rewritten after the restart').to.be.at.most(IN_FLIGHT_RECORDS);
  });
});
