/**
 * Records read in bulk are the records sf-collect reads by REST: same fields and values, same
 * references, only `origin.via` says 'bulk'. Against the demo HQ org over real HTTP.
 */
import { expect } from 'chai';
import { startDemoEmulator, type Emulator } from '../../../emulator/index.js';
import { bulkObjectReader } from '../../../lib/bulk/bulk-records.js';
import { lookupRefs, sampleRecord } from '../../../lib/collect/preview.js';
import type { OrgConnection } from '../../../lib/connection/org-connection.js';
import { BulkQuery } from '../../../lib/salesforce/bulk-query.js';
import { OrgApi } from '../../../lib/salesforce/org-api.js';
import type { SyncRecord } from '../../../lib/sync/types.js';
import { demoOrgConnection } from '../../support/connection.js';

describe('bulk reads as sync records (bulkObjectReader)', function () {
  this.timeout(60_000);
  let emulator: Emulator;
  let oc: OrgConnection;

  before(async () => {
    emulator = await startDemoEmulator();
    oc = demoOrgConnection(emulator, 'hq');
  });
  after(async () => {
    oc.close();
    await emulator.stop();
  });

  for (const object of ['Account', 'Contact', 'Opportunity']) {
    it(`builds the ${object} records sf-collect builds, with their references`, async () => {
      const api = new OrgApi(oc);
      const reader = await bulkObjectReader(api, object);
      const soql = `${reader.soql} ORDER BY Id`;
      const lookups = lookupRefs(reader.plan);
      const rest = (await api.rows<Record<string, unknown>>(soql, `reading ${object}`)).map((row) => sampleRecord(row, reader.plan, 0, lookups, api.orgId));
      const bq = new BulkQuery(oc, { pollMs: 5, sleep: async () => undefined, sliceSize: 100 });
      const job = await bq.create(soql, `reading ${object}`);
      await bq.waitForResults(job.id, `reading ${object}`);
      const bulk: SyncRecord[] = [];
      for await (const s of bq.results(job.id, `reading ${object}`)) bulk.push(...reader.toRecords(s.rows));
      expect(bulk).to.have.length(rest.length).and.length.greaterThan(0);
      expect(bulk.every((r) => r.origin.via === 'bulk')).to.equal(true);
      expect(bulk.map((r) => ({ ...r, origin: { ...r.origin, via: 'collect' } }))).to.deep.equal(rest);
      if (object !== 'Account') expect(bulk.filter((r) => r.references.some((ref) => ref.object === 'Account')).length, 'lookups to accounts').to.be.greaterThan(0);
    });
  }
});
