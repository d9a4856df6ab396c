import { expect } from 'chai';
import type { Connection } from 'jsforce';
import type { Emulator } from '../../emulator/index.js';
import { connectDirect, control, startTestEmulator } from '../support/emulator.js';

describe('emulator SOAP partner API: undelete and emptyRecycleBin (jsforce conn.soap)', () => {
  let emulator: Emulator;
  let conn: Connection;

  before(async () => {
    emulator = await startTestEmulator();
  });
  after(() => emulator.stop());
  beforeEach(async () => {
    await control(emulator, 'POST', '/reset');
    conn = connectDirect(emulator, 'alpha');
  });

  it('restores deleted records with their cascade-deleted children, and says which Ids it could not', async () => {
    const acc = await conn.sobject('Account').create({ Name: 'Binned' });
    const con = await conn.sobject('Contact').create({ LastName: 'Child', AccountId: acc.id });
    const live = await conn.sobject('Account').create({ Name: 'Never deleted' });
    await conn.sobject('Account').destroy(acc.id!);
    const results = await conn.soap.undelete([acc.id!, live.id!]);
    expect(results.map((r) => r.success)).to.deep.equal([true, false]);
    expect(results[0]!.id).to.equal(acc.id);
    expect(results[1]!.errors[0]).to.deep.include({ statusCode: 'UNDELETE_FAILED', message: 'Entity is not in the recycle bin' });
    expect((await conn.sobject('Account').retrieve(acc.id!)).Name).to.equal('Binned');
    expect((await conn.sobject('Contact').retrieve(con.id!)).AccountId).to.equal(acc.id);
    // A SOAP call counts against the daily API limit like a REST one.
    expect(emulator.org('alpha').limits.counts().byEndpoint['soap/undelete']).to.equal(1);
  });

  it('purges the recycle bin: a purged record can no longer be restored', async () => {
    const acc = await conn.sobject('Account').create({ Name: 'Gone for good' });
    await conn.sobject('Account').destroy(acc.id!);
    // jsforce types one result, the org answers one per Id.
    const purged = (await conn.soap.emptyRecycleBin([acc.id!])) as unknown as Array<{ success: boolean }>;
    expect(purged.map((r) => r.success)).to.deep.equal([true]);
    const [again] = await conn.soap.undelete([acc.id!]);
    expect(again!.success).to.equal(false);
    expect(again!.errors[0]!.statusCode).to.equal('INVALID_CROSS_REFERENCE_KEY');
  });

  it('answers a bad session with the INVALID_SESSION_ID fault jsforce knows', async () => {
    await control(emulator, 'POST', '/orgs/alpha/sessions/expire');
    const err = await conn.soap.undelete(['001000000000000AAA']).then(() => undefined, (e: Error & { errorCode?: string }) => e);
    expect(err?.errorCode ?? err?.name).to.match(/INVALID_SESSION_ID/);
  });
});
