import { expect } from 'chai';
import { isRecordId, toId18 } from '../../../lib/collect/record-ids.js';
import { andClauses, filterClause, soqlIdList, soqlIdentifier, soqlNumber, soqlString, SoqlInputError } from '../../../lib/collect/soql-text.js';

const ACC15 = '001Do0000000001';
const ACC18 = '001Do0000000001IAA';

describe('SOQL text from untrusted values', () => {
  describe('soqlString', () => {
    it("escapes quotes, backslashes and control characters by Salesforce's rules", () => {
      expect(soqlString("O'Brien")).to.equal("'O\\'Brien'");
      expect(soqlString('a\\b')).to.equal("'a\\\\b'");
      expect(soqlString('say "hi"')).to.equal("'say \\\"hi\\\"'");
      expect(soqlString('line1\nline2\r\tend\b\f')).to.equal("'line1\\nline2\\r\\tend\\b\\f'");
      // A trailing backslash must not escape the closing quote.
      expect(soqlString('x\\')).to.equal("'x\\\\'");
      expect(soqlString('')).to.equal("''");
    });

    it('keeps an injection attempt inside one literal', () => {
      const text = soqlString("x' OR Name != '");
      expect(text).to.equal("'x\\' OR Name != \\''");
      // The only unescaped quotes are the outer two.
      expect(text.replace(/\\./g, '').split("'")).to.have.length(3);
    });

    it('refuses non-text', () => {
      expect(() => soqlString(42 as unknown as string)).to.throw(SoqlInputError);
    });
  });

  describe('soqlNumber', () => {
    it('writes plain digits, never exponents or NaN', () => {
      expect(soqlNumber(1500000)).to.equal('1500000');
      expect(soqlNumber(1e21)).to.equal('1000000000000000000000');
      expect(soqlNumber(0.0000001)).to.equal('0.0000001');
      expect(() => soqlNumber(NaN)).to.throw(/finite/);
      expect(() => soqlNumber(Infinity)).to.throw(/finite/);
    });
  });

  describe('record Ids', () => {
    it('normalises 15-character Ids and repairs the case of 18-character ones', () => {
      expect(toId18(ACC15)).to.equal(ACC18);
      expect(toId18(ACC18)).to.equal(ACC18);
      expect(toId18(ACC18.toLowerCase())).to.equal(ACC18);
      expect(toId18(ACC18.toUpperCase())).to.equal(ACC18);
      // A suffix that marks a digit as upper case belongs to no casing of these 15 characters.
      expect(isRecordId('001Do0000000001IAB')).to.equal(false);
      expect(toId18('001Do00000000O1')).to.have.length(18);
    });

    it('rejects what is not an Id', () => {
      for (const bad of ['', '001', "001Do0000000001' OR ''='", '001Do0000000001IA', '001Do0000000001IA9', 42, null, '001Do0000000001I A']) {
        expect(toId18(bad), String(bad)).to.equal(undefined);
      }
    });

    it('builds an IN list, de-duplicated, naming the first bad entry', () => {
      expect(soqlIdList([ACC15, ACC18, '003Do0000000001IAA'])).to.equal(`('${ACC18}','003Do0000000001IAA')`);
      expect(() => soqlIdList([ACC18, "x') OR Id != ('"])).to.throw(SoqlInputError, /record Id #2 .* is not a Salesforce Id/);
      expect(() => soqlIdList([])).to.throw(/non-empty/);
    });
  });

  describe('soqlIdentifier', () => {
    it('accepts API names, and relationship paths where allowed', () => {
      for (const ok of ['Name', 'Id', 'My_Field__c', 'ns__Field__c', 'Parent__r', 'Geo__Latitude__s', 'Event__e', 'Ext__x', 'Account']) {
        expect(soqlIdentifier(ok)).to.equal(ok);
      }
      expect(soqlIdentifier('Account.Owner.Name', { path: true })).to.equal('Account.Owner.Name');
    });

    it('rejects anything else with a clear message', () => {
      for (const bad of ['', '1Name', 'Name ', 'Name)', "Name'", 'Na-me', 'Name__', 'a___b', '_Name', 'OR', 'select', 'Name;Id', 'Name,Id']) {
        expect(() => soqlIdentifier(bad), bad).to.throw(SoqlInputError);
      }
      expect(() => soqlIdentifier('Account.Name')).to.throw(/no dots/);
      expect(() => soqlIdentifier('A.B.C.D.E.F.G', { path: true })).to.throw(/relationships deep/);
    });
  });

  describe('filterClause', () => {
    it('builds equality, comparisons, lists and text matches', () => {
      expect(filterClause({ Industry: 'Banking', AnnualRevenue: { op: '>=', value: 1000000 } })).to.equal("Industry = 'Banking' AND AnnualRevenue >= 1000000");
      expect(filterClause({ Industry: ['Banking', "O'Neil"] })).to.equal("Industry IN ('Banking','O\\'Neil')");
      expect(filterClause({ Rating: { notIn: ['Cold'] }, ParentId: null })).to.equal("Rating NOT IN ('Cold') AND ParentId = NULL");
      expect(filterClause({ Name: { op: 'startsWith', value: '50%_off' } })).to.equal("Name LIKE '50\\%\\_off%'");
      expect(filterClause({ Name: { op: 'contains', value: "it's" } })).to.equal("Name LIKE '%it\\'s%'");
      expect(filterClause({ Name: { op: 'like', value: 'Acme%' } })).to.equal("Name LIKE 'Acme%'");
      expect(filterClause({ 'Account.Name': 'Acme' })).to.equal("Account.Name = 'Acme'");
      expect(filterClause({ IsActive__c: true, Score__c: 2.5 })).to.equal('IsActive__c = TRUE AND Score__c = 2.5');
    });

    it('writes values as their field type when it is known', () => {
      const types: Record<string, string> = { CloseDate: 'date', CreatedDate: 'datetime', Amount: 'currency', IsWon: 'boolean', AccountId: 'reference', Name: 'string' };
      const opts = { fieldType: (p: string) => types[p] };
      expect(filterClause({ CloseDate: { op: '>', value: '2025-01-31' } }, opts)).to.equal('CloseDate > 2025-01-31');
      expect(filterClause({ CreatedDate: { op: '>=', value: 'last_n_days:30' } }, opts)).to.equal('CreatedDate >= LAST_N_DAYS:30');
      expect(filterClause({ CreatedDate: { op: '<', value: new Date('2025-01-01T00:00:00Z') } }, opts)).to.equal('CreatedDate < 2025-01-01T00:00:00.000Z');
      expect(filterClause({ Amount: '1200.50', IsWon: 'true' }, opts)).to.equal('Amount = 1200.5 AND IsWon = TRUE');
      expect(filterClause({ AccountId: ACC15 }, opts)).to.equal(`AccountId = '${ACC18}'`);
      expect(filterClause({ Name: 42 }, opts)).to.equal("Name = '42'");
      expect(() => filterClause({ CloseDate: "2025-01-01' OR Name != '" }, opts)).to.throw(/date field/);
      expect(() => filterClause({ Amount: '1 OR 1=1' }, opts)).to.throw(/not a number/);
      expect(() => filterClause({ AccountId: "' OR Id != '" }, opts)).to.throw(/not one/);
      expect(() => filterClause({ CloseDate: { op: 'contains', value: '2025' } }, opts)).to.throw(/text fields/);
    });

    it('refuses anything that would change the query structure', () => {
      expect(() => filterClause({ "Name = 'x' OR Name": 'y' })).to.throw(SoqlInputError);
      expect(() => filterClause({ Name: { op: "= 'x' OR Name !=" as '=', value: 'y' } })).to.throw(/unknown operator/);
      expect(() => filterClause({ Name: { op: '=', value: 'y', extra: 1 } as never })).to.throw(/a condition is/);
      expect(() => filterClause({ Name: { in: [] } })).to.throw(/non-empty/);
      expect(() => filterClause({ Name: { raw: 'x' } as never })).to.throw(/a condition is/);
      expect(() => filterClause({ Name: { op: '<', value: null } })).to.throw(/null/);
      expect(() => filterClause({})).to.throw(/no conditions/);
      expect(() => filterClause('Name = 1' as never)).to.throw(/object/);
      expect(() => filterClause({ Name: { op: '=', value: {} as never } })).to.throw(/cannot compare/);
    });

    it('joins clauses so an OR inside one stays inside it', () => {
      expect(andClauses("A = 1 OR B = 2", undefined, "C = 'x'")).to.equal("(A = 1 OR B = 2) AND (C = 'x')");
      expect(andClauses(undefined, 'X = 1')).to.equal('X = 1');
      expect(andClauses()).to.equal(undefined);
    });
  });
});
