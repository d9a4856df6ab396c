import { expect } from 'chai';
import path from 'node:path';
import Database from 'better-sqlite3';
import { LEDGER_MIGRATIONS, Ledger, LedgerSchemaError, migrate, schemaVersion, type Migration } from '../../../lib/ledger/index.js';
import { sample, tempDir } from './helpers.js';

const ORG = '00D000000000001AAA';

describe('ledger schema migrations', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('applies every step once on a new file and none when it is opened again, keeping the data', () => {
    const file = path.join(dir, 'nested', 'folder', 'ledger.sqlite');
    const first = Ledger.open(file);
    expect(first.migrated).to.deep.equal(LEDGER_MIGRATIONS.map((m) => m.version));
    expect(first.schemaVersion).to.equal(LEDGER_MIGRATIONS.length);
    first.recordSample(sample(ORG, 1000, 'available'));
    first.close();

    const again = Ledger.open(file);
    expect(again.migrated).to.deep.equal([]);
    expect(again.lastSample(ORG)).to.include({ orgId: ORG, status: 'available', at: 1000 });
    again.close();

    const db = new Database(file);
    const rows = db.prepare<[], { version: number; name: string }>('SELECT version, name FROM schema_migrations ORDER BY version').all();
    db.close();
    expect(rows.map((r) => r.version)).to.deep.equal(LEDGER_MIGRATIONS.map((m) => m.version));
  });

  it('applies only the steps a file is missing, in order', () => {
    const file = path.join(dir, 'ledger.sqlite');
    Ledger.open(file).close();
    const calls: number[] = [];
    const later: Migration[] = [
      ...LEDGER_MIGRATIONS,
      { version: LEDGER_MIGRATIONS.length + 1, name: 'later step', up: 'CREATE TABLE later_step (source_org TEXT NOT NULL, source_id TEXT NOT NULL, PRIMARY KEY (source_org, source_id))' },
      { version: LEDGER_MIGRATIONS.length + 2, name: 'seed', up: (db) => { calls.push(2); db.prepare("INSERT INTO later_step VALUES ('00D', '001')").run(); } },
    ];
    const ledger = Ledger.open(file, { migrations: later });
    expect(ledger.migrated).to.deep.equal([LEDGER_MIGRATIONS.length + 1, LEDGER_MIGRATIONS.length + 2]);
    ledger.close();
    Ledger.open(file, { migrations: later }).close();
    expect(calls).to.deep.equal([2]);
  });

  it('moves field hashes of a version-6 file to one row per record, each field keeping its hash and time', () => {
    const file = path.join(dir, 'ledger.sqlite');
    const old = new Database(file);
    migrate(old, LEDGER_MIGRATIONS.slice(0, 6));
    const put = old.prepare('INSERT INTO field_hashes (source_org, source_id, target_org, field, hash, synced_at) VALUES (?, ?, ?, ?, ?, ?)');
    put.run(ORG, '001A', '00D000000000002AAA', 'Name', 'hashOfName', 1000);
    put.run(ORG, '001A', '00D000000000002AAA', 'Phone', 'hashOfPhone', 2000);
    put.run(ORG, '001B', '00D000000000002AAA', 'Name', 'hashOfB', 3000);
    put.run(ORG, '001A', '00D000000000003AAA', 'Name', 'otherTarget', 4000);
    old.close();

    const ledger = Ledger.open(file);
    expect(ledger.migrated).to.deep.equal([7]);
    const hashes = ledger.fieldHashes(ORG, '00D000000000002AAA', ['001A', '001B', '001C']);
    expect([...hashes.keys()].sort()).to.deep.equal(['001A', '001B']);
    expect(Object.fromEntries(hashes.get('001A')!)).to.deep.equal({ Name: 'hashOfName', Phone: 'hashOfPhone' });
    expect(Object.fromEntries(ledger.fieldHashes(ORG, '00D000000000003AAA', ['001A']).get('001A')!)).to.deep.equal({ Name: 'otherTarget' });
    // Per-field times survive: the newer of the two sides wins field by field in a linked pair.
    ledger.storeFieldHashes('00D000000000002AAA', ORG, [{ sourceId: '001T', fields: { Name: 'fromTheTarget', Phone: 'phoneFromTarget' } }], 1500);
    const pair = ledger.pairFieldHashes(ORG, '00D000000000002AAA', [{ sourceId: '001A', targetId: '001T' }]).get('001A')!;
    expect(Object.fromEntries(pair)).to.deep.equal({ Name: 'fromTheTarget', Phone: 'hashOfPhone' });
    ledger.close();
    const db = new Database(file);
    expect(db.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 'field_hashes'").pluck().get()).to.equal(0);
    db.close();
  });

  it('refuses a file written by a newer version with a clear error, and leaves it alone', () => {
    const file = path.join(dir, 'ledger.sqlite');
    const newer: Migration[] = [...LEDGER_MIGRATIONS, { version: LEDGER_MIGRATIONS.length + 1, name: 'from the future', up: 'CREATE TABLE future (x INTEGER)' }];
    Ledger.open(file, { migrations: newer }).close();
    const known = LEDGER_MIGRATIONS.length;
    expect(() => Ledger.open(file)).to.throw(
      LedgerSchemaError,
      new RegExp(`schema version ${known + 1}, newer than this version of OrgBridge knows \\(${known}\\).*upgrade the package`),
    );
    const db = new Database(file);
    expect(schemaVersion(db)).to.equal(LEDGER_MIGRATIONS.length + 1);
    db.close();
  });

  it('refuses a file whose applied step is not ours', () => {
    const file = path.join(dir, 'ledger.sqlite');
    const db = new Database(file);
    migrate(db, [{ version: 1, name: 'something else', up: 'CREATE TABLE other (x INTEGER)' }]);
    db.close();
    expect(() => Ledger.open(file)).to.throw(LedgerSchemaError, /expects "orgs and availability samples"/);
  });

  it('rolls a failing step back entirely and does not record it', () => {
    const db = new Database(':memory:');
    const broken: Migration[] = [
      { version: 1, name: 'good', up: 'CREATE TABLE a (x INTEGER)' },
      { version: 2, name: 'half done', up: 'CREATE TABLE b (x INTEGER); INSERT INTO nowhere VALUES (1);' },
    ];
    expect(() => migrate(db, broken)).to.throw(/no such table: nowhere/);
    expect(schemaVersion(db)).to.equal(1);
    const tables = db.prepare<[], unknown>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    expect(tables).to.include('a').and.not.include('b');
    db.close();
  });

  it('rejects a migration list with gaps or out of order', () => {
    const db = new Database(':memory:');
    expect(() => migrate(db, [{ version: 2, name: 'x', up: '' }])).to.throw(LedgerSchemaError, /versions must run 1, 2, 3/);
    db.close();
  });
});
