import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Ledger } from '../../../lib/ledger/index.js';
import { RecordWriter } from '../../../lib/upsert/index.js';
import { tempDir } from '../ledger/helpers.js';
import { crashRecords, SOURCE_ORG } from './helpers.js';
import { useWriterFixture } from './setup.js';

const COUNT = 300;
const ROOT = path.resolve(__dirname, '..', '..', '..');

/** Runs the writer in a child process and kills it from inside the org's `killAt`-th commit. */
async function writeAndCrash(f: ReturnType<typeof useWriterFixture>, file: string, kind: 'ext' | 'ledger', killAt: number): Promise<NodeJS.Signals | null> {
  const org = f.emulator.org('alpha');
  let child: ChildProcess | undefined;
  let commits = 0;
  const stop = org.addCommitListener((tx) => {
    if (!tx.changes.some((c) => c.object === 'Account')) return;
    // The org has committed this call; the answer is not sent yet. Killing now loses it.
    if (++commits === killAt && child?.pid) process.kill(child.pid, 'SIGKILL');
  });
  try {
    child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'fixtures', 'write-in-child.ts'), f.emulator.loginUrl, file, f.targetOrg, kind, String(COUNT)], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => child!.on('exit', (_code, sig) => resolve(sig)));
    if (signal !== 'SIGKILL') throw new Error(`the child was not killed (commits ${commits}): ${stderr}`);
    return signal;
  } finally {
    stop();
  }
}

describe('RecordWriter when the process is killed mid-write', function () {
  this.timeout(60_000);
  const f = useWriterFixture();
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir('orgbridge-upsert-')));
  afterEach(() => cleanup());

  for (const kind of ['ext', 'ledger'] as const) {
    it(`leaves neither duplicates nor missing records after a rerun (matched by ${kind === 'ext' ? 'external Id' : 'the ledger'})`, async () => {
      const file = path.join(dir, 'ledger.sqlite');
      await writeAndCrash(f, file, kind, 3);
      const org = f.emulator.org('alpha');
      // Three calls of 50 reached the org; only the first two reached the ledger.
      expect(org.snapshot('Account')).to.have.length(150);
      const ledger = Ledger.open(file);
      try {
        const records = crashRecords(kind, COUNT);
        expect(ledger.idMapEntries(SOURCE_ORG, f.targetOrg, records.map((r) => r.sourceId)).size).to.equal(100);

        const writer = new RecordWriter({ target: f.connection, ledger, sourceOrgId: SOURCE_ORG, targetOrgId: f.targetOrg });
        const report = await writer.writeWithReport(records);
        const outcomes = report.results.map((r) => r.outcome);
        expect(outcomes.slice(0, 100).every((o) => o === 'unchanged')).to.equal(true);
        // The lost call's records are found, by external Id or through their pending creates, not created again.
        expect(outcomes.slice(100, 150).every((o) => o === (kind === 'ext' ? 'updated' : 'created'))).to.equal(true);
        expect(outcomes.slice(150).every((o) => o === 'created')).to.equal(true);
        if (kind === 'ledger') expect(report.metrics.recoveredCreates).to.equal(50);

        const rows = org.snapshot('Account');
        expect(rows).to.have.length(COUNT);
        expect(new Set(rows.map((r) => r.Name)).size).to.equal(COUNT);
        expect(new Set(report.results.map((r) => r.targetId))).to.deep.equal(new Set(rows.map((r) => r.Id)));
        if (kind === 'ext') expect(new Set(rows.map((r) => r.Ext__c)).size).to.equal(COUNT);
        // And a third run finds nothing to do.
        const third = await writer.writeWithReport(records);
        expect(third.metrics.apiCalls).to.equal(0);
      } finally {
        ledger.close();
      }
    });
  }
});
