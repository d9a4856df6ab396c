import { expect } from 'chai';
import { IdFactory, isValidId, makeId, normalizeId, to18 } from '../../emulator/util/ids.js';

describe('emulator ids', () => {
  it('adds the real checksum suffix to a 15-character Id', () => {
    // A well-known pair from Salesforce documentation and tooling.
    expect(to18('001A0000006Vm9r')).to.equal('001A0000006Vm9rIAC');
  });

  it('accepts 15 and 18 character Ids and refuses a wrong checksum', () => {
    expect(isValidId('001A0000006Vm9r')).to.equal(true);
    expect(isValidId('001A0000006Vm9rIAC')).to.equal(true);
    expect(isValidId('001A0000006Vm9rAAA')).to.equal(false);
    expect(isValidId('not-an-id')).to.equal(false);
    expect(normalizeId('001A0000006Vm9r')).to.equal('001A0000006Vm9rIAC');
  });

  it('issues increasing Ids per key prefix', () => {
    const f = new IdFactory('5g');
    const a = f.next('001');
    const b = f.next('001');
    expect(a).to.have.length(18);
    expect(a.startsWith('0015g')).to.equal(true);
    expect(a < b).to.equal(true);
    expect(isValidId(a)).to.equal(true);
    expect(makeId('003', '5g', 61)).to.match(/^0035g000000000z/);
  });
});
