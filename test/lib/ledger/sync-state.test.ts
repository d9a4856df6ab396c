import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { hashValue, Ledger, RECORD_LEVEL, SYNC_BUCKET_MS, type NewDeadLetter } from '../../../lib/ledger/index.js';
import { HOUR, MINUTE, tempDir } from './helpers.js';

const SRC = '00D000000000001AAA';
const TGT = '00D000000000002AAA';
const OTHER = '00D000000000003AAA';
const T0 = Date.UTC(2025, 0, 6, 12, 0, 0);

function letter(sourceId: string, over: Partial<NewDeadLetter> = {}): NewDeadLetter {
  return {
    sourceOrg: SRC, sourceId, targetOrg: TGT, object: 'Account', targetObject: 'Account', operation: 'upsert',
    record: { sourceId, fields: { Name: 'x' } }, errorCode: 'STRING_TOO_LONG', message: 'Name: data value too large', category: 'permanent',
    fields: ['Name'], attempts: 1, ...over,
  };
}

describe('Ledger sync state (schema v2)', () => {
  let ledger: Ledger;
  beforeEach(() => (ledger = Ledger.open(':memory:')));
  afterEach(() => ledger.close());

  it('adds the sync tables as migration 2', () => {
    expect(ledger.schemaVersion).to.be.at.least(2);
    expect(ledger.migrated).to.include(2);
  });

  describe('Id map', () => {
    it('maps a source record to one target record per target org, looked up either way', () => {
      ledger.mapIds([
        { sourceOrg: SRC, sourceId: '001A', targetOrg: TGT, targetObject: 'Account', targetId: '001X' },
        { sourceOrg: SRC, sourceId: '001A', targetOrg: OTHER, targetObject: 'Account', targetId: '001Y' },
        { sourceOrg: OTHER, sourceId: '001Y', targetOrg: TGT, targetObject: 'Account', targetId: '001X' },
      ], T0);
      ledger.mapIds([{ sourceOrg: SRC, sourceId: '001A', targetOrg: TGT, targetObject: 'Account', targetId: '001Z' }], T0 + 1);
      expect(ledger.idMapEntry(SRC, '001A', TGT)).to.deep.equal({ sourceOrg: SRC, sourceId: '001A', targetOrg: TGT, targetObject: 'Account', targetId: '001Z', updatedAt: T0 + 1 });
      expect([...ledger.idMapEntries(SRC, TGT, ['001A', '001B']).keys()]).to.deep.equal(['001A']);
      expect(ledger.sourcesOfTarget(TGT, '001X').map((e) => [e.sourceOrg, e.sourceId])).to.deep.equal([[OTHER, '001Y']]);
      ledger.unmapIds(SRC, TGT, ['001A']);
      expect(ledger.idMapEntry(SRC, '001A', TGT)).to.equal(undefined);
      expect(ledger.idMapEntry(SRC, '001A', OTHER)?.targetId).to.equal('001Y');
    });
  });

  describe('field hashes', () => {
    it('stores a hash per field and recognises an echo of the last synced values', () => {
      ledger.mapIds([{ sourceOrg: SRC, sourceId: '001A', targetOrg: TGT, targetObject: 'Account', targetId: '001X' }]);
      ledger.storeFieldHashes(SRC, TGT, [{ sourceId: '001A', fields: { Name: hashValue('Acme'), NumberOfEmployees: hashValue(10) } }], T0);
      expect(ledger.fieldHashes(SRC, TGT, ['001A']).get('001A')).to.deep.equal(new Map([['Name', hashValue('Acme')], ['NumberOfEmployees', hashValue(10)]]));
      expect(hashValue(10)).to.not.equal(hashValue('10'));
      expect(ledger.echoOf(TGT, '001X', { Name: 'Acme' })?.sourceId).to.equal('001A');
      expect(ledger.echoOf(TGT, '001X', { Name: 'Acme', NumberOfEmployees: 11 })).to.equal(undefined);
      expect(ledger.echoOf(TGT, '001X', { Phone: '555' })).to.equal(undefined);
    });
  });

  describe('two-way pairs', () => {
    it('finds a record written the other way by the Id it was written to', () => {
      ledger.mapIds([{ sourceOrg: TGT, sourceId: '003T', targetOrg: SRC, targetObject: 'Contact', targetId: '003S' }], T0);
      expect(ledger.idMapEntries(SRC, TGT, ['003S']).size).to.equal(0);
      const back = ledger.reverseIdMapEntries(SRC, TGT, ['003S', '003Q']);
      expect([...back.keys()]).to.deep.equal(['003S']);
      expect(back.get('003S')).to.include({ sourceOrg: TGT, sourceId: '003T' });
      expect(ledger.reverseIdMapEntries(SRC, OTHER, ['003S']).size).to.equal(0);
    });

    it('leaves out a record several were written into, and calls a value set back by a person no echo', () => {
      ledger.mapIds([
        { sourceOrg: TGT, sourceId: '003T1', targetOrg: SRC, targetObject: 'Contact', targetId: '003S' },
        { sourceOrg: TGT, sourceId: '003T2', targetOrg: SRC, targetObject: 'Contact', targetId: '003S' },
      ], T0);
      expect(ledger.reverseIdMapEntries(SRC, TGT, ['003S']).size).to.equal(0);
      // TGT wrote x into SRC's record, then SRC's y went back to TGT: a person setting x again is a change.
      ledger.mapIds([{ sourceOrg: TGT, sourceId: '003T9', targetOrg: SRC, targetObject: 'Contact', targetId: '003S9' }], T0);
      ledger.storeFieldHashes(TGT, SRC, [{ sourceId: '003T9', fields: { Phone: hashValue('x') } }], T0);
      expect(ledger.echoOf(SRC, '003S9', { Phone: 'x' })?.sourceId).to.equal('003T9');
      ledger.storeFieldHashes(SRC, TGT, [{ sourceId: '003S9', fields: { Phone: hashValue('y') } }], T0 + 1);
      expect(ledger.echoOf(SRC, '003S9', { Phone: 'x' })).to.equal(undefined);
      expect(ledger.echoOf(SRC, '003S9', { Phone: 'y' })?.sourceId, 'y is what both hold now').to.equal('003T9');
    });

    it('answers per field the hash of the newer write, whichever way it went', () => {
      ledger.storeFieldHashes(SRC, TGT, [{ sourceId: '003S', fields: { Phone: hashValue('1'), Title: hashValue('CEO') } }], T0);
      ledger.storeFieldHashes(TGT, SRC, [{ sourceId: '003T', fields: { Phone: hashValue('2'), Email: hashValue('a@b.c') } }], T0 + 1);
      const pair = ledger.pairFieldHashes(SRC, TGT, [{ sourceId: '003S', targetId: '003T' }]).get('003S');
      expect(pair).to.deep.equal(new Map([['Phone', hashValue('2')], ['Title', hashValue('CEO')], ['Email', hashValue('a@b.c')]]));
      ledger.storeFieldHashes(SRC, TGT, [{ sourceId: '003S', fields: { Phone: hashValue('3') } }], T0 + 2);
      expect(ledger.pairFieldHashes(SRC, TGT, [{ sourceId: '003S', targetId: '003T' }]).get('003S')!.get('Phone')).to.equal(hashValue('3'));
      expect(ledger.pairFieldHashes(SRC, TGT, [{ sourceId: '003Z', targetId: '003Y' }]).size).to.equal(0);
    });
  });

  describe('dead letters', () => {
    it('keeps one live letter per record: a repeated failure adds attempts, a success resolves it', () => {
      const [id] = ledger.addDeadLetters([letter('001A')], T0);
      const [again] = ledger.addDeadLetters([letter('001A', { errorCode: 'UNABLE_TO_LOCK_ROW', category: 'transient', attempts: 5, message: 'locked' })], T0 + MINUTE);
      expect(again).to.equal(id);
      expect(ledger.deadLetter(id!)).to.deep.include({ errorCode: 'UNABLE_TO_LOCK_ROW', category: 'transient', attempts: 6, firstAt: T0, lastAt: T0 + MINUTE, status: 'open', message: 'locked' });
      expect(ledger.deadLetter(id!)!.record).to.deep.equal({ sourceId: '001A', fields: { Name: 'x' } });
      ledger.recordSyncBatch({ sourceOrg: SRC, targetOrg: TGT, at: T0 + HOUR, written: [{ sourceId: '001A', targetObject: 'Account', targetId: '001X', hashes: {} }] });
      expect(ledger.deadLetter(id!)).to.deep.include({ status: 'resolved', lastAt: T0 + HOUR });
      const [fresh] = ledger.addDeadLetters([letter('001A')], T0 + 2 * HOUR);
      expect(fresh).to.not.equal(id);
      expect(ledger.countDeadLetters({ sourceId: '001A' })).to.equal(2);
    });

    it('lists, filters, counts and summarises, newest first', () => {
      ledger.addDeadLetters([letter('001A'), letter('001B', { errorCode: 'DUPLICATE_VALUE' })], T0);
      ledger.addDeadLetters([letter('003C', { object: 'Contact', targetObject: 'Contact', category: 'transient', errorCode: 'UNABLE_TO_LOCK_ROW' })], T0 + HOUR);
      ledger.addDeadLetters([letter('001D', { targetOrg: OTHER })], T0 + 2 * HOUR);
      expect(ledger.deadLetters().map((l) => l.sourceId)).to.deep.equal(['001D', '003C', '001B', '001A']);
      expect(ledger.deadLetters({ targetOrg: TGT, category: 'permanent' }).map((l) => l.sourceId)).to.deep.equal(['001B', '001A']);
      expect(ledger.deadLetters({ object: 'Contact' }).map((l) => l.sourceId)).to.deep.equal(['003C']);
      expect(ledger.deadLetters({ from: T0 + HOUR, to: T0 + 2 * HOUR }).map((l) => l.sourceId)).to.deep.equal(['003C']);
      expect(ledger.deadLetters({ limit: 2, offset: 1 }).map((l) => l.sourceId)).to.deep.equal(['003C', '001B']);
      expect(ledger.countDeadLetters({ errorCode: 'STRING_TOO_LONG' })).to.equal(2);
      expect(ledger.deadLetterSummary({ targetOrg: TGT })).to.deep.equal([
        { errorCode: 'DUPLICATE_VALUE', category: 'permanent', targetObject: 'Account', count: 1 },
        { errorCode: 'STRING_TOO_LONG', category: 'permanent', targetObject: 'Account', count: 1 },
        { errorCode: 'UNABLE_TO_LOCK_ROW', category: 'transient', targetObject: 'Contact', count: 1 },
      ]);
    });

    it('discards, takes letters for a retry once, and never reopens a closed letter', () => {
      const [a, b, c] = ledger.addDeadLetters([letter('001A'), letter('001B'), letter('001C')], T0);
      expect(ledger.setDeadLetterStatus([a!], 'discarded')).to.equal(1);
      const taken = ledger.takeDeadLettersForRetry({ targetOrg: TGT });
      expect(taken.map((l) => [l.id, l.status])).to.have.deep.members([[b, 'retried'], [c, 'retried']]);
      expect(ledger.takeDeadLettersForRetry({ targetOrg: TGT })).to.deep.equal([]);
      // The replay fails again: the letter is open again, attempts added.
      ledger.addDeadLetters([letter('001B', { attempts: 2 })], T0 + MINUTE);
      expect(ledger.deadLetter(b!)).to.include({ status: 'open', attempts: 3 });
      expect(ledger.setDeadLetterStatus([a!], 'open')).to.equal(0);
      expect(() => ledger.setDeadLetterStatus([a!], 'lost' as 'open')).to.throw(TypeError, /one of open, retried, resolved, discarded/);
    });

    it('exports letters as CSV and JSON', () => {
      ledger.addDeadLetters([letter('001A', { message: 'Name: "too", long' })], T0);
      const rows = parse(ledger.exportDeadLetters({ targetOrg: TGT }, 'csv'), { columns: true }) as Array<Record<string, string>>;
      expect(rows).to.have.length(1);
      expect(rows[0]).to.include({ status: 'open', errorCode: 'STRING_TOO_LONG', message: 'Name: "too", long', fields: 'Name', sourceId: '001A', firstAt: new Date(T0).toISOString() });
      expect(JSON.parse(rows[0]!.record!)).to.deep.equal({ sourceId: '001A', fields: { Name: 'x' } });
      const json = JSON.parse(ledger.exportDeadLetters({}, 'json')) as Array<{ sourceId: string }>;
      expect(json.map((l) => l.sourceId)).to.deep.equal(['001A']);
    });
  });

  describe('sync history', () => {
    it('adds counts into hourly buckets per org pair, object and field', () => {
      ledger.addSyncCounts(SRC, TGT, [{ object: 'Account', field: RECORD_LEVEL, synced: 2, skipped: 1 }, { object: 'Account', field: 'Name', synced: 2 }], T0 + 5 * MINUTE);
      ledger.addSyncCounts(SRC, TGT, [{ object: 'Account', field: RECORD_LEVEL, synced: 1, failed: 1, deadLettered: 1 }], T0 + 50 * MINUTE);
      ledger.addSyncCounts(SRC, TGT, [{ object: 'Account', field: RECORD_LEVEL, synced: 4 }], T0 + HOUR);
      ledger.addSyncCounts(SRC, OTHER, [{ object: 'Contact', field: RECORD_LEVEL, synced: 7 }], T0);
      const rows = ledger.syncHistory({ sourceOrg: SRC, targetOrg: TGT, field: RECORD_LEVEL, from: T0, to: T0 + 2 * HOUR });
      expect(rows.map((r) => [r.bucketStart, r.synced, r.skipped, r.failed, r.deadLettered])).to.deep.equal([[T0, 3, 1, 1, 1], [T0 + HOUR, 4, 0, 0, 0]]);
      expect(T0 % SYNC_BUCKET_MS).to.equal(0);
      expect(ledger.syncTotals({ sourceOrg: SRC, from: T0, to: T0 + 2 * HOUR }).map((t) => [t.targetOrg, t.object, t.field, t.synced])).to.deep.equal([
        [TGT, 'Account', '', 7], [TGT, 'Account', 'Name', 2], [OTHER, 'Contact', '', 7],
      ]);
      expect(ledger.pruneSyncHistory(T0 + HOUR)).to.equal(3);
      expect(ledger.syncHistory({ from: 0, to: T0 + 2 * HOUR })).to.have.length(1);
    });
  });

  describe('a sync batch', () => {
    it('is one transaction: a bad part leaves none of it behind', () => {
      expect(() =>
        ledger.recordSyncBatch({
          sourceOrg: SRC, targetOrg: TGT, at: T0,
          written: [{ sourceId: '001A', targetObject: 'Account', targetId: '001X', hashes: { Name: hashValue('a') } }],
          deadLetters: [{ ...letter('001B'), category: 'sideways' as 'permanent' }],
          history: [{ object: 'Account', field: RECORD_LEVEL, synced: 1 }],
        }),
      ).to.throw(/CHECK constraint failed/);
      expect(ledger.idMapEntry(SRC, '001A', TGT)).to.equal(undefined);
      expect(ledger.fieldHashes(SRC, TGT, ['001A']).size).to.equal(0);
      expect(ledger.syncHistory({ from: 0, to: T0 + HOUR })).to.deep.equal([]);
    });

    it('keeps waiting lookups until they are set, and forgets a deleted record entirely', () => {
      ledger.recordSyncBatch({
        sourceOrg: SRC, targetOrg: TGT, at: T0,
        written: [{ sourceId: '003A', targetObject: 'Contact', targetId: '003X', hashes: { LastName: hashValue('Ng') } }],
        deferred: [{ sourceId: '003A', object: 'Contact', targetObject: 'Contact', field: 'AccountId', parentObject: 'Account', parentSourceId: '001P', parentExternalId: { field: 'Ext__c', value: 'P' } }],
      });
      expect(ledger.pendingReferencesForParents(SRC, TGT, ['001P'])).to.deep.equal([{
        sourceOrg: SRC, sourceId: '003A', targetOrg: TGT, object: 'Contact', targetObject: 'Contact', field: 'AccountId',
        parentObject: 'Account', parentSourceId: '001P', parentExternalId: { field: 'Ext__c', value: 'P' }, createdAt: T0,
      }]);
      ledger.startCreates([{ sourceOrg: SRC, sourceId: '003B', targetOrg: TGT, targetObject: 'Contact', fields: { LastName: 'Li' } }], T0);
      ledger.startCreates([{ sourceOrg: SRC, sourceId: '003B', targetOrg: TGT, targetObject: 'Contact', fields: { LastName: 'Lee' } }], T0 + MINUTE);
      expect(ledger.pendingCreates(SRC, TGT, ['003B']).get('003B')).to.deep.include({ startedAt: T0, fields: { LastName: 'Lee' } });
      ledger.recordSyncBatch({ sourceOrg: SRC, targetOrg: TGT, at: T0 + HOUR, deleted: ['003A'], createsSettled: ['003B'] });
      expect(ledger.pendingReferencesOf(SRC, TGT, ['003A'])).to.deep.equal([]);
      expect(ledger.idMapEntry(SRC, '003A', TGT)).to.equal(undefined);
      expect(ledger.fieldHashes(SRC, TGT, ['003A']).size).to.equal(0);
      expect(ledger.pendingCreates(SRC, TGT, ['003B']).size).to.equal(0);
    });
  });

  describe('on disk', () => {
    let dir: string;
    let cleanup: () => void;
    beforeEach(() => ({ dir, cleanup } = tempDir()));
    afterEach(() => cleanup());

    it('keeps every committed batch when the process is killed without closing', function () {
      this.timeout(30_000);
      const file = path.join(dir, 'ledger.sqlite');
      const root = path.resolve(__dirname, '..', '..', '..');
      const child = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'fixtures', 'sync-batches-then-crash.ts'), file, '5'], { cwd: root, encoding: 'utf8' });
      expect(child.signal, child.stderr).to.equal('SIGKILL');
      expect(child.stdout).to.contain('committed');
      const reopened = Ledger.open(file);
      try {
        const ids = Array.from({ length: 1000 }, (_, i) => `001SRC${String(i).padStart(12, '0')}`);
        expect(reopened.idMapEntries(SRC, TGT, ids).size).to.equal(1000);
        expect(reopened.fieldHashes(SRC, TGT, ids).size).to.equal(1000);
        expect(reopened.syncTotals({ from: 0, to: Date.now() })[0]).to.include({ synced: 1000 });
      } finally {
        reopened.close();
      }
    });
  });
});
