import { expect } from 'chai';
import { converterFor, isEmptyValue, multiSelectItems, parseInstant, roundToScale } from '../../../lib/mapping/convert.js';
import { closest } from '../../../lib/schema/did-you-mean.js';
import { jsonataTruthy } from '../../../lib/mapping/expressions.js';
import { Invalid } from '../../../lib/mapping/problems.js';
import { readablePath } from '../../../lib/schema/problems.js';
import { loadDescribes, type Describes } from './support.js';

describe('mapping value conversion', () => {
  let d: Describes;
  before(async () => {
    d = await loadDescribes();
  });

  const field = (name: string) => {
    const f = d.sample.fields.find((x) => x.name === name);
    if (!f) throw new Error(`no ${name}`);
    return f;
  };

  it('rounds half away from zero at the scale, without binary surprises', () => {
    expect(roundToScale(1.005, 2)).to.equal(1.01);
    expect(roundToScale(-1.005, 2)).to.equal(-1.01);
    expect(roundToScale(2.5, 0)).to.equal(3);
    expect(roundToScale(-2.5, 0)).to.equal(-3);
    expect(roundToScale(1.23456789e-7, 3)).to.equal(0);
    expect(Object.is(roundToScale(-0.0001, 2), 0)).to.equal(true);
    expect(roundToScale(1e21, 2)).to.equal(1e21);
  });

  it('reads instants from ISO 8601, Salesforce forms and epoch milliseconds', () => {
    expect(parseInstant('2024-05-01')).to.deep.equal({ ms: Date.UTC(2024, 4, 1), dateOnly: true });
    expect(parseInstant('2024-05-01T10:00:00.000+0000')!.ms).to.equal(Date.UTC(2024, 4, 1, 10));
    expect(parseInstant('2024-05-01T10:00:00.123456789Z')!.ms).to.equal(Date.UTC(2024, 4, 1, 10, 0, 0, 123));
    expect(parseInstant('2024-05-01T10:00+05:30')!.ms).to.equal(Date.UTC(2024, 4, 1, 4, 30));
    expect(parseInstant('2024-05-01 10:00:00')!.ms).to.equal(Date.UTC(2024, 4, 1, 10));
    expect(parseInstant(86_400_000)).to.deep.equal({ ms: 86_400_000, dateOnly: false });
    for (const bad of ['2024-13-01', '2024-04-31', '2024-05-01T24:00:00Z', '2024-05-01T10:00:00+1500', '01.05.2024', 'today']) {
      expect(parseInstant(bad), bad).to.equal(undefined);
    }
  });

  it('splits multi-select values and drops blanks and repeats', () => {
    expect(multiSelectItems('A; B;;A ')).to.deep.equal(['A', 'B']);
    expect(multiSelectItems(['A', null, 'B', 'A'])).to.deep.equal(['A', 'B']);
    expect(multiSelectItems([{ x: 1 }])).to.be.instanceOf(Invalid);
  });

  it('counts null, undefined, empty text and empty lists as empty, but not 0 or false', () => {
    for (const v of [null, undefined, '', []]) expect(isEmptyValue(v), String(v)).to.equal(true);
    for (const v of [0, false, ' ', ['a']]) expect(isEmptyValue(v), String(v)).to.equal(false);
  });

  it('writes picklist values in the org\'s spelling and refuses unknown ones only when restricted', () => {
    expect(converterFor(field('Tier__c'))('gold')).to.equal('Gold');
    expect(converterFor(field('Tier__c'))('Tin')).to.equal('Tin');
    const restricted = converterFor(field('Level__c'))('Tin');
    expect(restricted).to.be.instanceOf(Invalid);
    expect((restricted as Invalid).code).to.equal('INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST');
  });

  it('converts times, and checks Ids for lookup fields written as values', () => {
    const clock = converterFor(field('Clock__c'));
    expect(clock('23:59:59.5')).to.equal('23:59:59.500Z');
    expect(clock('2024-05-01T07:08:09.000Z')).to.equal('07:08:09.000Z');
    expect((clock('25:00') as Invalid).code).to.equal('INVALID_TIME');
    const lookup = converterFor(field('Account__c'));
    expect(lookup('001Do0000000001IAA')).to.equal('001Do0000000001IAA');
    expect((lookup('Acme Corp') as Invalid).message).to.equal('Account__c takes a 15- or 18-character record Id; got "Acme Corp"');
  });

  it('cuts long values in messages', () => {
    const long = 'x'.repeat(200);
    const msg = (converterFor(field('Day__c'))(long) as Invalid).message;
    expect(msg.length).to.be.lessThan(140);
    expect(msg).to.match(/got "x{50,}\.\.\."$/);
  });
});

describe('mapping helpers', () => {
  it('applies JSONata truthiness to filters and conditions', () => {
    for (const v of [true, 'a', 1, -1, [true], [0, 1], { a: 1 }]) expect(jsonataTruthy(v), JSON.stringify(v)).to.equal(true);
    for (const v of [false, '', 0, null, undefined, [], [0], [false, ''], {}, NaN]) expect(jsonataTruthy(v), String(JSON.stringify(v))).to.equal(false);
  });

  it('suggests the closest name for a typo, counting a swap as one slip', () => {
    expect(closest('Nmae', ['Name', 'Phone'])).to.equal('Name');
    expect(closest('Custmer_Tier__c', ['Customer_Tier__c', 'Region__c'])).to.equal('Customer_Tier__c');
    expect(closest('Zzz', ['Name', 'Phone'])).to.equal(undefined);
  });

  it('writes JSON pointers as document paths', () => {
    expect(readablePath('/fields/3/valueMap/values/Food & Beverage')).to.equal('fields[3].valueMap.values["Food & Beverage"]');
    expect(readablePath('/relationships/0/via')).to.equal('relationships[0].via');
    expect(readablePath('/a~1b/c~0d')).to.equal('["a/b"]["c~d"]');
    expect(readablePath('')).to.equal('');
  });
});
