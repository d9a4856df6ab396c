import { expect } from 'chai';
import { fieldOfHeaderName, isOwnChange, recordChanges, type ChangeType, type RecordChange } from '../../../lib/cdc/change-event.js';
import { coalesce } from '../../../lib/cdc/coalesce.js';
import { ReplayTracker } from '../../../lib/cdc/replay-tracker.js';
import { cdcSettings, sharedCheckpoints } from '../../../lib/cdc/settings.js';
import { jsonataEvaluator } from '../../../lib/mapping/jsonata-evaluator.js';
import { holdForBackfill, takeOverFrom } from '../../../lib/cdc/hand-over.js';
import { Ledger } from '../../../lib/ledger/index.js';

const change = (recordId: string, changeType: ChangeType, replayId: number, changedFields: string[] = []): RecordChange => ({
  object: 'Account', recordId, changeType, gap: false, changedFields, replayId, commitTimestamp: replayId * 10, changeOrigin: '', commitUser: '', transactionKey: '', sequenceNumber: 1,
});

describe('change capture pieces', () => {
  describe('settings', () => {
    it('takes a start after a backfill only with the backfill named', () => {
      expect(cdcSettings({ objects: 'Account', start: 'backfill', backfill: 'bulk1' }).settings).to.deep.include({ afterBackfill: 'bulk1', firstStart: -1 });
      expect(cdcSettings({ objects: 'Account', start: 'backfill' }).problems).to.deep.equal(['Start: choose the bulk query node whose backfill the change capture takes over from']);
      expect(cdcSettings({ objects: 'Account', start: 'new', backfill: 'bulk1' }).settings.afterBackfill).to.equal(undefined);
      expect(cdcSettings({ objects: 'Account', start: 'later' }).problems[0]).to.match(/^Start: 'later' is none of new .*retained .*backfill/);
    });

    it('holds a start-time anchor until the backfill is written, then takes over from when it began', () => {
      const ledger = Ledger.open(':memory:');
      try {
        const channels = ['/data/AccountChangeEvent', '/data/ContactChangeEvent'];
        ledger.moveCdcCheckpoint({ orgId: 'org', channel: channels[1]!, name: 'n', replayId: 42, committedAt: 500 }, 500);
        holdForBackfill(ledger, 'org', channels, 'n', 2000);
        expect(ledger.cdcCheckpoint('org', channels[0]!, 'n')).to.include({ replayId: -1, committedAt: 2000 });
        // A later look does not move the anchor on.
        holdForBackfill(ledger, 'org', channels, 'n', 9000);
        expect(ledger.cdcCheckpoint('org', channels[0]!, 'n')).to.include({ replayId: -1, committedAt: 2000 });
        takeOverFrom(ledger, 'org', channels, 'n', 1500);
        expect(ledger.cdcCheckpoint('org', channels[0]!, 'n')).to.include({ replayId: -1, committedAt: 1500 });
        // A replay id is a checkpoint of its own, kept.
        expect(ledger.cdcCheckpoint('org', channels[1]!, 'n')).to.include({ replayId: 42 });
        // A backfill begun after the anchor leaves it where it is.
        takeOverFrom(ledger, 'org', channels, 'n', 1800);
        expect(ledger.cdcCheckpoint('org', channels[0]!, 'n')).to.include({ committedAt: 1500 });
      } finally {
        ledger.close();
      }
    });

    it('names the other nodes that would move the same checkpoint: same connection, a channel in common, same name', () => {
      const node = (id: string, connection: string, channels: string[], checkpointName = '') => ({ id, name: `node ${id}`, connection, channels, checkpointName });
      const self = node('a', 'hq', ['/data/AccountChangeEvent', '/data/ContactChangeEvent']);
      const others = [
        self,
        node('b', 'hq', ['/data/ContactChangeEvent']),
        node('c', 'hq', ['/data/ContactChangeEvent'], 'two-way contacts'),
        node('d', 'subsidiary', ['/data/AccountChangeEvent']),
        node('e', 'hq', ['/data/OpportunityChangeEvent']),
      ];
      expect(sharedCheckpoints(self, others)).to.deep.equal([{ name: 'node b', channels: ['/data/ContactChangeEvent'] }]);
    });


    it('prepares a condition, and names the setting and what it takes when it is not JSONata', async () => {
      const ok = cdcSettings({ objects: 'Account', condition: " BillingCountry = 'Germany' " }, jsonataEvaluator());
      expect(ok.problems).to.deep.equal([]);
      expect(ok.settings.recordCondition?.text).to.equal("BillingCountry = 'Germany'");
      const { evaluator, prepared } = ok.settings.recordCondition!;
      expect(await evaluator.evaluate(prepared, { BillingCountry: 'Germany' }, {})).to.equal(true);
      const bad = cdcSettings({ objects: 'Account', condition: "BillingCountry = 'Germany" }, jsonataEvaluator());
      expect(bad.problems).to.have.length(1);
      expect(bad.problems[0]).to.match(/^Condition: .+; it is a JSONata expression over the record's fields/);
      expect(cdcSettings({ objects: 'Account' }, jsonataEvaluator()).settings.recordCondition).to.equal(undefined);
    });
  });

  describe('ReplayTracker', () => {
    it('moves only over a contiguous run of finished events, with the commit time of the last', () => {
      const t = new ReplayTracker(-1);
      for (const id of [5, 6, 9]) t.received(id, id * 100);
      expect(t.finish([6, 9])).to.equal(undefined);
      expect(t.checkpoint).to.equal(-1);
      expect(t.finish([5])).to.deep.equal({ replayId: 9, commitTimestamp: 900 });
      expect(t.open).to.equal(0);
    });

    it('knows an event behind its checkpoint or received already as not new', () => {
      const t = new ReplayTracker(10);
      expect(t.isNew(10)).to.equal(false);
      expect(t.isNew(11)).to.equal(true);
      t.received(11);
      expect(t.isNew(11)).to.equal(false);
      t.received(11);
      expect(t.open).to.equal(1);
    });
  });

  describe('coalesce', () => {
    it('merges one record\'s changes: a create stays a create, fields are merged, every replay id is kept', () => {
      const out = coalesce([change('a', 'CREATE', 1), change('b', 'UPDATE', 2, ['Phone']), change('a', 'UPDATE', 3, ['Name']), change('b', 'UPDATE', 4, ['Industry'])]);
      expect(out.map((c) => [c.recordId, c.changeType, c.changedFields, c.replayIds, c.merged])).to.deep.equal([
        ['a', 'CREATE', ['Name'], [1, 3], 2],
        ['b', 'UPDATE', ['Phone', 'Industry'], [2, 4], 2],
      ]);
    });

    it('lets a delete win, and an undelete after it bring the record back', () => {
      expect(coalesce([change('a', 'UPDATE', 1), change('a', 'DELETE', 2)]).map((c) => c.changeType)).to.deep.equal(['DELETE']);
      expect(coalesce([change('a', 'DELETE', 1), change('a', 'UNDELETE', 2), change('a', 'UPDATE', 3)]).map((c) => c.changeType)).to.deep.equal(['UNDELETE']);
      expect(coalesce([change('a', 'DELETE', 1), change('a', 'UPDATE', 2)]).map((c) => c.changeType)).to.deep.equal(['DELETE']);
    });
  });

  describe('change events', () => {
    it('names compound parts by their fields', () => {
      expect(['Name.FirstName', 'BillingAddress.City', 'MailingAddress.PostalCode', 'Industry'].map(fieldOfHeaderName))
        .to.deep.equal(['FirstName', 'BillingCity', 'MailingPostalCode', 'Industry']);
    });

    it('recognises OrgBridge\'s own client in the change origin, and nothing else', () => {
      expect(isOwnChange('com/salesforce/api/rest/62.0;client=OrgBridge', 'OrgBridge')).to.equal(true);
      expect(isOwnChange('com/salesforce/api/rest/62.0;client=OrgBridgeX', 'OrgBridge')).to.equal(false);
      expect(isOwnChange('com/salesforce/api/rest/62.0', 'OrgBridge')).to.equal(false);
      expect(isOwnChange('', 'OrgBridge')).to.equal(false);
    });

    it('turns one event into a change per record; a gap event says it is one', () => {
      const m = {
        payload: { ChangeEventHeader: { entityName: 'Account', recordIds: ['001A', '001B'], changeType: 'GAP_UPDATE', changedFields: ['Name.LastName'], commitTimestamp: 5 } },
        event: { replayId: 42 },
      };
      expect(recordChanges(m).map((c) => [c.recordId, c.changeType, c.gap, c.changedFields, c.replayId])).to.deep.equal([
        ['001A', 'UPDATE', true, ['LastName'], 42],
        ['001B', 'UPDATE', true, ['LastName'], 42],
      ]);
    });
  });
});
