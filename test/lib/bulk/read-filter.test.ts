import { expect } from 'chai';
import { bindWhere, placeholders, readCondition } from '../../../lib/bulk/read-filter.js';

const types: Record<string, string> = { CreatedDate: 'datetime', CloseDate: 'date', Name: 'string' };
const fieldType = (f: string) => types[f];

describe('the condition of a bulk read (read-filter)', () => {
  it('binds :name placeholders to escaped values from msg.params, never inside quoted text', () => {
    const where = "Industry = :industry AND Name != ':industry' AND AnnualRevenue > :min AND Rating IN :ratings AND IsDeleted = :deleted";
    expect(placeholders(where)).to.deep.equal(['industry', 'min', 'ratings', 'deleted']);
    expect(bindWhere(where, { industry: "O'Reilly' OR Name != '", min: 1e6, ratings: ['Hot', 'Warm'], deleted: false })).to.equal(
      "Industry = 'O\\'Reilly\\' OR Name != \\'' AND Name != ':industry' AND AnnualRevenue > 1000000 AND Rating IN ('Hot','Warm') AND IsDeleted = FALSE",
    );
  });

  it('leaves date literals with a number (LAST_N_DAYS:30) as they are', () => {
    expect(placeholders('CreatedDate = LAST_N_DAYS:30')).to.deep.equal([]);
    expect(bindWhere('CreatedDate = LAST_N_DAYS:30', undefined)).to.equal('CreatedDate = LAST_N_DAYS:30');
  });

  it('names a placeholder msg.params lacks, and a value it cannot escape', () => {
    expect(() => bindWhere('Industry = :industry', {})).to.throw("msg.payload.params has no 'industry'");
    expect(() => bindWhere('Industry = :industry', { industry: { $ne: 1 } })).to.throw('msg.payload.params.industry is an object');
    expect(() => bindWhere('Rating IN :r', { r: [] })).to.throw('msg.payload.params.r is an empty list');
  });

  it('writes a date range as the field is typed, from inclusive and to exclusive, with an owner by Id or username', () => {
    expect(readCondition({ dateField: 'CreatedDate', from: '2025-01-01', to: '2025-02-01' }, undefined, fieldType)).to.equal(
      '(CreatedDate >= 2025-01-01T00:00:00Z) AND (CreatedDate < 2025-02-01T00:00:00Z)',
    );
    expect(readCondition({ dateField: 'CloseDate', from: 'THIS_YEAR' }, undefined, fieldType)).to.equal('CloseDate >= THIS_YEAR');
    expect(readCondition({ owner: '005000000000001' }, undefined, fieldType)).to.equal("OwnerId = '005000000000001AAA'");
    expect(readCondition({ owner: "ann@example.com' OR Id != '" }, undefined, fieldType)).to.equal("Owner.Username = 'ann@example.com\\' OR Id != \\''");
    expect(readCondition({ where: 'Name = :n', owner: 'ann@example.com' }, { n: 'A' }, fieldType)).to.equal("(Name = 'A') AND (Owner.Username = 'ann@example.com')");
    expect(readCondition({}, undefined, fieldType)).to.equal(undefined);
  });

  it('refuses a date range on a field that is not a date, or a date that is not one', () => {
    expect(() => readCondition({ dateField: 'Name', from: '2025-01-01' }, undefined, fieldType)).to.throw('Name, a string field; choose a date or datetime field');
    expect(() => readCondition({ dateField: 'Nope', from: '2025-01-01' }, undefined, fieldType)).to.throw('which this object does not have');
    expect(() => readCondition({ dateField: 'CloseDate', from: 'last tuesday' }, undefined, fieldType)).to.throw('CloseDate is a date field; use YYYY-MM-DD');
  });
});
