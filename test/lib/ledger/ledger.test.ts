import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { acquireLedger, defaultLedgerPath, Ledger, ledgerHolders } from '../../../lib/ledger/index.js';
import { HOUR, MINUTE, sample, tempDir } from './helpers.js';

const ALPHA = '00D000000000001AAA';
const BETA = '00D000000000002AAA';
const T0 = Date.UTC(2025, 0, 6, 12, 0, 0);

describe('Ledger on SQLite', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('runs in WAL mode with synchronous=NORMAL, foreign keys and a busy timeout', () => {
    const ledger = Ledger.open(path.join(dir, 'ledger.sqlite'), { busyTimeoutMs: 2500 });
    expect(ledger.settings()).to.deep.equal({ journalMode: 'wal', synchronous: 'NORMAL', foreignKeys: true, busyTimeoutMs: 2500 });
    ledger.close();
    expect(ledger.isOpen).to.equal(false);
  });

  it('keeps every committed sample when the process is killed without closing', function () {
    this.timeout(30_000);
    const file = path.join(dir, 'ledger.sqlite');
    const root = path.resolve(__dirname, '..', '..', '..');
    const child = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'fixtures', 'write-then-crash.ts'), file, '25'], { cwd: root, encoding: 'utf8' });
    expect(child.signal, child.stderr).to.equal('SIGKILL');
    expect(child.stdout).to.contain('committed');
    // Killed before any checkpoint: the commits live only in the write-ahead log, which SQLite replays.
    expect(fs.existsSync(`${file}-wal`)).to.equal(true);
    const ledger = Ledger.open(file);
    expect(ledger.lastSample(ALPHA)).to.include({ apiUsed: 24, status: 'available' });
    expect(ledger.uptime(ALPHA, { from: 1_700_000_000_000, to: 1_700_000_000_000 + 25 * MINUTE }).samples).to.equal(25);
    ledger.close();
  });

  it('records samples keyed by org Id and returns the newest one with the newest org name', () => {
    const ledger = Ledger.open(':memory:');
    ledger.recordSample(sample(ALPHA, T0, 'available'));
    ledger.recordSample(sample(ALPHA, T0 + MINUTE, 'degraded', { orgName: 'alpha renamed', reason: 'slow', latencyMs: 900 }));
    ledger.recordSample(sample(BETA, T0, 'unavailable', { orgName: 'beta' }));
    expect(ledger.lastSample(ALPHA)).to.deep.equal({
      orgId: ALPHA, orgName: 'alpha renamed', at: T0 + MINUTE, status: 'degraded', severity: 'warning', latencyMs: 900, apiUsed: 100, apiLimit: 100_000, reason: 'slow',
    });
    expect(ledger.lastSample(BETA)).to.include({ status: 'unavailable', latencyMs: null, apiUsed: null });
    expect(ledger.lastSample('00D000000000009AAA')).to.equal(undefined);
    expect(ledger.orgs().map((o) => [o.orgId, o.name, o.firstSeen, o.lastSeen])).to.deep.equal([
      [ALPHA, 'alpha renamed', T0, T0 + MINUTE],
      [BETA, 'beta', T0, T0],
    ]);
    ledger.close();
  });

  it('writes a batch in one transaction: a bad sample leaves none of it behind', () => {
    const ledger = Ledger.open(':memory:');
    const bad = { ...sample(ALPHA, T0 + 2 * MINUTE, 'available'), status: 'sideways' as 'available' };
    expect(() => ledger.recordSamples([sample(ALPHA, T0, 'available'), sample(ALPHA, T0 + MINUTE, 'available'), bad])).to.throw(TypeError, /needs a status/);
    expect(ledger.lastSample(ALPHA)).to.equal(undefined);
    expect(ledger.orgs()).to.deep.equal([]);
    ledger.close();
  });

  it('prunes old samples but keeps the one each org was in when the kept range starts', () => {
    const ledger = Ledger.open(':memory:');
    for (let i = 0; i < 10; i++) ledger.recordSample(sample(ALPHA, T0 + i * HOUR, i < 5 ? 'unavailable' : 'available'));
    ledger.recordSample(sample(BETA, T0, 'degraded'));
    const cutoff = T0 + 7 * HOUR + 30 * MINUTE;
    expect(ledger.pruneSamples(cutoff)).to.equal(7);
    // Alpha's sample at 7h still says what it was from 7h30 to 8h; beta's only sample stays.
    expect(ledger.uptime(ALPHA, { from: cutoff, to: T0 + 10 * HOUR }).available).to.equal(1);
    expect(ledger.lastSample(BETA)?.status).to.equal('degraded');
    expect(ledger.pruneSamples(cutoff)).to.equal(0);
    ledger.close();
  });

  it('links a login key to its org and moves what was filed under the key there', () => {
    const ledger = Ledger.open(':memory:');
    const key = 'login:login.example.com/integration@alpha.test';
    ledger.recordSample(sample(key, T0, 'unavailable'));
    ledger.recordSample(sample(ALPHA, T0 + HOUR, 'available'));
    ledger.linkLoginKey(key, ALPHA, 'alpha', T0 + HOUR);
    expect(ledger.orgIdForLoginKey(key)).to.equal(ALPHA);
    expect(ledger.orgs().map((o) => o.orgId)).to.deep.equal([ALPHA]);
    expect(ledger.uptime(ALPHA, { from: T0, to: T0 + 2 * HOUR })).to.include({ available: 0.5, unavailable: 0.5, samples: 2 });
    ledger.close();
  });

  describe('shared per file', () => {
    it('gives every holder the same instance and closes it when the last one releases', () => {
      const file = path.join(dir, 'shared.sqlite');
      const a = acquireLedger(file);
      const b = acquireLedger(path.join(dir, '.', 'shared.sqlite'));
      expect(a.ledger).to.equal(b.ledger);
      expect(ledgerHolders(file)).to.equal(2);
      a.release();
      a.release();
      expect(ledgerHolders(file)).to.equal(1);
      expect(b.ledger.isOpen).to.equal(true);
      b.release();
      expect(ledgerHolders(file)).to.equal(0);
      expect(b.ledger.isOpen).to.equal(false);
      const c = acquireLedger(file);
      expect(c.ledger).to.not.equal(a.ledger);
      expect(c.ledger.isOpen).to.equal(true);
      c.release();
    });

    it('leaves nothing registered when opening fails', () => {
      const file = path.join(dir, 'not-a-db.sqlite');
      fs.writeFileSync(file, 'this is not a SQLite file, it is long enough to have a header'.repeat(20));
      expect(() => acquireLedger(file)).to.throw(/not a database/);
      expect(ledgerHolders(file)).to.equal(0);
    });

    it('defaults to a file in the Node-RED user directory', () => {
      expect(defaultLedgerPath('/home/nr/.node-red')).to.equal('/home/nr/.node-red/orgbridge/ledger.sqlite');
    });
  });
});
