import { expect } from 'chai';
import {
  MAPPING_TEMPLATES, applyMapping, compileMapping, type CompiledMapping, type FieldMapping, type Mapping, type MappingResult, type RecordProblem,
} from '../../../lib/mapping/index.js';
import { jsonataEvaluator } from '../../../lib/mapping/jsonata-evaluator.js';
import type { SyncRecord } from '../../../lib/sync/types.js';
import { loadDescribes, record, type Describes } from './support.js';

const evaluator = jsonataEvaluator({ env: { SYNC_REGION: 'EMEA' } });
const ACCOUNT_ID = '001Do0000000001IAA';
/** What the Contact template's Language__c expression is meant to give. */
const LANGUAGES: Record<string, string> = {
  Germany: 'German', Austria: 'German', Switzerland: 'German', France: 'French', Belgium: 'French', Spain: 'Spanish', Mexico: 'Spanish', Netherlands: 'Dutch',
};

describe('applyMapping', () => {
  let d: Describes;
  before(async () => {
    d = await loadDescribes();
  });

  function compileSample(extra: FieldMapping[], over: Partial<Mapping> = {}): CompiledMapping {
    const mapping: Mapping = {
      format: 'orgbridge-mapping/1',
      name: 'Samples',
      version: '2.1.0',
      source: { object: 'Sample__c' },
      target: { object: 'Sample__c' },
      match: { by: 'externalId', field: 'Ext__c' },
      fields: [{ target: 'Name', source: 'Name' }, { target: 'Required_Text__c', source: 'Required_Text__c' }, ...extra],
      relationships: [{ source: 'Master__c', target: 'Master__c', object: 'Account', via: 'ledger' }],
      ...over,
    };
    return compileMapping(mapping, { sourceDescribe: d.sample, targetDescribe: d.sample, evaluator, parentDescribes: { Account: d.typesAccount } });
  }

  /** A whole Sample__c record carrying what the base mapping needs plus `fields`. */
  function sample(fields: SyncRecord['fields'], extra: Partial<SyncRecord> = {}): SyncRecord {
    return record('Sample__c', { Name: 'S-1', Required_Text__c: 'req', Master__c: ACCOUNT_ID, ...fields }, extra);
  }

  async function mapOne(extra: FieldMapping[], fields: SyncRecord['fields'], over: Partial<Mapping> = {}, rec?: Partial<SyncRecord>): Promise<MappingResult> {
    return applyMapping(compileSample(extra, over), [sample(fields, rec)], { bindings: { targetOrg: 'subsidiary' } });
  }

  /** The mapped target fields of a single record, failing with its problems when it was rejected. */
  async function mappedFields(extra: FieldMapping[], fields: SyncRecord['fields'], over: Partial<Mapping> = {}): Promise<Record<string, unknown>> {
    const r = await mapOne(extra, fields, over);
    expect(r.rejected.map((x) => x.problems), 'rejections').to.deep.equal([]);
    expect(r.mapped).to.have.length(1);
    return r.mapped[0]!.target!.fields;
  }

  async function problemsOf(extra: FieldMapping[], fields: SyncRecord['fields'], over: Partial<Mapping> = {}, rec?: Partial<SyncRecord>): Promise<RecordProblem[]> {
    const r = await mapOne(extra, fields, over, rec);
    expect(r.mapped, 'mapped').to.have.length(0);
    expect(r.rejected).to.have.length(1);
    return r.rejected[0]!.problems;
  }

  describe('the templates on the HQ demo data', () => {
    function compileTemplate(name: 'Account' | 'Contact' | 'Opportunity'): CompiledMapping {
      return compileMapping(MAPPING_TEMPLATES[name], {
        sourceDescribe: d.hq[name],
        targetDescribe: d.subsidiary[name],
        evaluator,
        parentDescribes: { Account: d.subsidiary.Account, Contact: d.subsidiary.Contact },
      });
    }

    it('maps every HQ account, translating tiers and industries and referencing parents by HQ_Id__c', async () => {
      const accounts = d.hqRecords.Account;
      const r = await applyMapping(compileTemplate('Account'), accounts);
      expect(r.rejected).to.deep.equal([]);
      expect(r.filtered).to.deep.equal([]);
      expect(r.mapped).to.have.length(accounts.length).and.to.have.length(30);
      const byName = new Map(r.mapped.map((m) => [m.fields.Name, m]));

      const germany = byName.get('Altura Germany')!;
      expect(germany.target!.fields).to.include({ Name: 'Altura Germany', Industry: 'Manufacturing', Service_Level__c: 'Platinum', Site: 'HQ EMEA' });
      expect(germany.target!.match).to.deep.equal({ by: 'externalId', field: 'HQ_Id__c', value: germany.sourceId });
      const emea = byName.get('Altura EMEA')!;
      expect(germany.target!.references).to.deep.equal([
        { field: 'ParentId', relationshipName: 'Parent', object: 'Account', sourceId: emea.sourceId, externalId: { field: 'HQ_Id__c', value: emea.sourceId }, nillable: true },
      ]);
      expect(byName.get('Cobalt Bank')!.target!.fields).to.include({ Industry: 'Financial Services', Service_Level__c: 'Platinum' });
      expect(byName.get('Evergreen Foods')!.target!.fields).to.include({ Industry: 'Retail', Service_Level__c: 'Basic' });
      expect(byName.get('Altura Canada')!.target!.fields).to.include({ Service_Level__c: 'Basic' });
      // Key accounts (Gold tier, top of a group) are hot; others keep their HQ rating.
      expect(byName.get('Altura Industries')!.target!.fields.Rating).to.equal('Hot');
      expect(byName.get('Altura UK')!.target!.fields.Rating).to.equal('Warm');
      // A top-level account has no parent: its ParentId is written empty rather than referenced.
      expect(byName.get('Altura Industries')!.target!.references).to.deep.equal([]);
      expect(byName.get('Altura Industries')!.target!.fields.ParentId).to.equal(null);
      for (const m of r.mapped) expect(m.target!.mapping).to.deep.equal({ name: 'Account: HQ to subsidiary', version: '1.0.0', hash: compileTemplate('Account').stamp.hash });
    });

    it('maps every HQ contact under its account, with a language from the mailing country or the default', async () => {
      const r = await applyMapping(compileTemplate('Contact'), d.hqRecords.Contact);
      expect(r.rejected).to.deep.equal([]);
      expect(r.mapped).to.have.length(d.hqRecords.Contact.length);
      for (const m of r.mapped) {
        const country = String(m.fields.MailingCountry);
        const expected = LANGUAGES[country] ?? 'English';
        expect(m.target!.fields.Language__c, String(country)).to.equal(expected);
        expect(m.target!.references.find((x) => x.field === 'AccountId')).to.deep.include({ object: 'Account', relationshipName: 'Account', externalId: { field: 'HQ_Id__c', value: m.fields.AccountId } });
      }
      expect(new Set(r.mapped.map((m) => m.target!.fields.Language__c))).to.include.members(['German', 'Spanish', 'English']);
    });

    it('gives a contact without a mailing country the default language instead of rejecting it', async () => {
      const contact = { ...d.hqRecords.Contact[0]!, fields: { ...d.hqRecords.Contact[0]!.fields, MailingCountry: null } };
      const r = await applyMapping(compileTemplate('Contact'), [contact]);
      expect(r.rejected).to.deep.equal([]);
      expect(r.mapped[0]!.target!.fields.Language__c).to.equal('English');
    });

    it('maps every HQ opportunity with its term and account reference', async () => {
      const r = await applyMapping(compileTemplate('Opportunity'), d.hqRecords.Opportunity);
      expect(r.rejected).to.deep.equal([]);
      expect(r.mapped).to.have.length(d.hqRecords.Opportunity.length);
      const first = r.mapped[0]!;
      expect(first.target!.fields.Term_Months__c).to.equal(first.fields.Contract_Term_Months__c);
      expect(first.target!.fields.CloseDate).to.match(/^\d{4}-\d{2}-\d{2}$/);
      expect(first.target!.references.map((x) => x.field)).to.deep.equal(['AccountId']);
      expect(first.target!.fields.ContactId).to.equal(null);
    });

    it('rejects an account whose tier has no service level, naming the value and the field', async () => {
      const acct = { ...d.hqRecords.Account[0]!, fields: { ...d.hqRecords.Account[0]!.fields, Customer_Tier__c: 'Diamond', Industry: 'Quantum Computing' } };
      const r = await applyMapping(compileTemplate('Account'), [acct]);
      expect(r.mapped).to.deep.equal([]);
      // Industry has a default ("Other"), the tier has none.
      expect(r.rejected[0]!.problems).to.deep.equal([
        {
          field: 'Service_Level__c',
          code: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
          message: '"Diamond" is not a value of the restricted picklist Service_Level__c and the value map has no default for it',
        },
      ]);
    });

    it('filters partner accounts out', async () => {
      const partner = { ...d.hqRecords.Account[1]!, fields: { ...d.hqRecords.Account[1]!.fields, Type: 'Technology Partner' } };
      const r = await applyMapping(compileTemplate('Account'), [d.hqRecords.Account[0]!, partner]);
      expect(r.filtered).to.deep.equal([partner]);
      expect(r.mapped.map((m) => m.sourceId)).to.deep.equal([d.hqRecords.Account[0]!.sourceId]);
    });
  });

  describe('value maps', () => {
    const tierMap = (extra: object = {}): FieldMapping => ({ target: 'Level__c', source: 'Tier__c', valueMap: { values: { Gold: 'Platinum', Silver: 'Standard' }, ...extra } });

    it('translates mapped values and sends unmapped ones to the default', async () => {
      expect(await mappedFields([tierMap({ default: 'Basic' })], { Tier__c: 'Gold' })).to.include({ Level__c: 'Platinum' });
      expect(await mappedFields([tierMap({ default: 'Basic' })], { Tier__c: 'Bronze' })).to.include({ Level__c: 'Basic' });
    });

    it('may map unmapped values to null through a null default', async () => {
      expect(await mappedFields([tierMap({ default: null })], { Tier__c: 'Bronze' })).to.include({ Level__c: null });
    });

    it('matches case-insensitively only when asked', async () => {
      expect(await mappedFields([tierMap({ caseInsensitive: true })], { Tier__c: 'gOLD' })).to.include({ Level__c: 'Platinum' });
      const problems = await problemsOf([tierMap()], { Tier__c: 'gold' });
      expect(problems).to.deep.equal([
        { field: 'Level__c', code: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', message: '"gold" is not a value of the restricted picklist Level__c and the value map has no default for it' },
      ]);
    });

    it('passes unmapped values through to an unrestricted picklist, in the org\'s spelling', async () => {
      const map: FieldMapping = { target: 'Tier__c', source: 'Code__c', valueMap: { values: { G: 'Gold' } } };
      expect(await mappedFields([map], { Code__c: 'G' })).to.include({ Tier__c: 'Gold' });
      expect(await mappedFields([map], { Code__c: 'silver' })).to.include({ Tier__c: 'Silver' });
      expect(await mappedFields([map], { Code__c: 'Tin' })).to.include({ Tier__c: 'Tin' });
    });

    it('rejects a value a restricted picklist lacks when no value map is given, and says how to fix it', async () => {
      const problems = await problemsOf([{ target: 'Level__c', source: 'Tier__c' }], { Tier__c: 'Gold' });
      expect(problems).to.deep.equal([
        { field: 'Level__c', code: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', message: '"Gold" is not a value of the restricted picklist Level__c; add a value map with a default for unmapped values' },
      ]);
    });

    it('maps each value of a multi-select picklist, dropping repeats and values mapped to null', async () => {
      const map: FieldMapping = { target: 'Farben__c', source: 'Colors__c', valueMap: { values: { Red: 'Rot', Green: 'Gruen', Blue: 'Blau', Pink: 'Rot', Grey: null } } };
      expect(await mappedFields([map], { Colors__c: 'Red;Blue;Pink;Grey' })).to.include({ Farben__c: 'Rot;Blau' });
      expect(await mappedFields([map], { Colors__c: 'Grey' })).to.include({ Farben__c: null });
      const problems = await problemsOf([map], { Colors__c: 'Red;Purple' });
      expect(problems).to.deep.equal([
        { field: 'Farben__c', code: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', message: '"Purple" is not a value of the restricted picklist Farben__c and the value map has no default for it' },
      ]);
    });

    it('lets a multi-select value map to several values', async () => {
      const map: FieldMapping = { target: 'Farben__c', source: 'Colors__c', valueMap: { values: { Red: 'Rot;Blau' }, default: 'Gruen' } };
      expect(await mappedFields([map], { Colors__c: 'Red;Green' })).to.include({ Farben__c: 'Rot;Blau;Gruen' });
    });

    it('turns a JSONata list into a multi-select value', async () => {
      expect(await mappedFields([{ target: 'Colors__c', expression: "['red', 'Blue', 'red']" }], {})).to.include({ Colors__c: 'Red;Blue' });
    });
  });

  describe('type conversion against the target describe', () => {
    it('parses numeric text, rounds to the target scale and checks the digits', async () => {
      expect(await mappedFields([{ target: 'Hours__c', source: 'Code__c' }], { Code__c: ' 12.25 ' })).to.include({ Hours__c: 12.3 });
      expect(await mappedFields([{ target: 'Budget__c', source: 'Hours__c' }], { Hours__c: 1.005 })).to.include({ Budget__c: 1.01 });
      expect(await mappedFields([{ target: 'Hours__c', source: 'Budget__c' }], { Budget__c: -2.25 })).to.include({ Hours__c: -2.3 });
      expect(await mappedFields([{ target: 'Share__c', constant: '1e2' }], {})).to.include({ Share__c: 100 });
      expect(await problemsOf([{ target: 'Hours__c', source: 'Code__c' }], { Code__c: '1,234.5' })).to.deep.equal([
        { field: 'Hours__c', code: 'INVALID_NUMBER', message: 'Hours__c takes a number; got "1,234.5"' },
      ]);
      expect(await problemsOf([{ target: 'Hours__c', source: 'Budget__c' }], { Budget__c: 123456.7 })).to.deep.equal([
        { field: 'Hours__c', code: 'NUMBER_OUTSIDE_VALID_RANGE', message: 'Hours__c takes at most 5 digits before the decimal point; got 123456.7' },
      ]);
    });

    it('takes whole numbers for integer fields and checks their digits', async () => {
      expect(await mappedFields([{ target: 'Count__c', source: 'Code__c' }], { Code__c: '42' })).to.include({ Count__c: 42 });
      expect(await mappedFields([{ target: 'Count__c', source: 'Flag__c' }], { Flag__c: true })).to.include({ Count__c: 1 });
      expect(await problemsOf([{ target: 'Count__c', source: 'Hours__c' }], { Hours__c: 2.5 })).to.deep.equal([
        { field: 'Count__c', code: 'INVALID_INTEGER', message: 'Count__c takes a whole number; got 2.5' },
      ]);
      expect(await problemsOf([{ target: 'Count__c', source: 'Code__c' }], { Code__c: '10000' })).to.deep.equal([
        { field: 'Count__c', code: 'NUMBER_OUTSIDE_VALID_RANGE', message: 'Count__c takes at most 4 digits; got 10000' },
      ]);
    });

    it('reads checkbox values from words and numbers', async () => {
      for (const [value, expected] of [['yes', true], ['TRUE', true], ['1', true], [1, true], ['no', false], ['off', false], [0, false], [false, false]] as const) {
        expect(await mappedFields([{ target: 'Flag__c', source: 'Code__c' }], { Code__c: value }), String(value)).to.include({ Flag__c: expected });
      }
      expect(await mappedFields([{ target: 'Flag__c', source: 'Code__c' }], { Code__c: null }), 'null').to.include({ Flag__c: false });
      expect(await problemsOf([{ target: 'Flag__c', source: 'Code__c' }], { Code__c: 'maybe' })).to.deep.equal([
        { field: 'Flag__c', code: 'INVALID_BOOLEAN', message: 'Flag__c takes true or false; got "maybe"' },
      ]);
    });

    it('converts dates and datetimes in ISO and Salesforce forms, and takes the date of a datetime in UTC', async () => {
      const day: FieldMapping = { target: 'Day__c', source: 'Code__c' };
      const moment: FieldMapping = { target: 'Moment__c', source: 'Code__c' };
      expect(await mappedFields([day], { Code__c: '2024-02-29' })).to.include({ Day__c: '2024-02-29' });
      expect(await mappedFields([day], { Code__c: '2024-05-01T23:30:00.000-0200' })).to.include({ Day__c: '2024-05-02' });
      expect(await mappedFields([moment], { Code__c: '2024-05-01T10:00:00.000+0000' })).to.include({ Moment__c: '2024-05-01T10:00:00.000Z' });
      expect(await mappedFields([moment], { Code__c: '2024-05-01 12:30:00+02:00' })).to.include({ Moment__c: '2024-05-01T10:30:00.000Z' });
      expect(await mappedFields([moment], { Code__c: '2024-05-01' })).to.include({ Moment__c: '2024-05-01T00:00:00.000Z' });
      expect(await mappedFields([{ target: 'Moment__c', source: 'Day__c' }], { Day__c: '2023-12-31' })).to.include({ Moment__c: '2023-12-31T00:00:00.000Z' });
      expect(await mappedFields([{ target: 'Day__c', source: 'Moment__c' }], { Moment__c: '2023-12-31T23:59:59.000+0000' })).to.include({ Day__c: '2023-12-31' });
      expect(await mappedFields([{ target: 'Moment__c', expression: '$toMillis("2024-01-02T03:04:05Z")' }], {})).to.include({ Moment__c: '2024-01-02T03:04:05.000Z' });
      expect(await mappedFields([{ target: 'Clock__c', source: 'Code__c' }], { Code__c: '08:15' })).to.include({ Clock__c: '08:15:00.000Z' });
      expect(await problemsOf([day], { Code__c: '2023-02-29' })).to.deep.equal([
        { field: 'Day__c', code: 'INVALID_DATE', message: 'Day__c takes a date (YYYY-MM-DD) or a datetime; got "2023-02-29"' },
      ]);
      expect(await problemsOf([moment], { Code__c: '31/12/2024' })).to.deep.equal([
        { field: 'Moment__c', code: 'INVALID_DATETIME', message: 'Moment__c takes a datetime (ISO 8601, e.g. 2024-05-01T10:00:00.000Z) or a date; got "31/12/2024"' },
      ]);
      expect(await problemsOf([day], { Code__c: '1500-01-01' })).to.deep.equal([
        { field: 'Day__c', code: 'INVALID_DATE', message: 'Day__c takes dates from 1700 to 4000; got "1500-01-01"' },
      ]);
    });

    it('refuses text longer than the target takes unless the mapping says truncate', async () => {
      expect(await problemsOf([{ target: 'Short__c', source: 'Code__c' }], { Code__c: 'twelve chars' })).to.deep.equal([
        { field: 'Short__c', code: 'STRING_TOO_LONG', message: 'Short__c takes at most 10 characters; the value has 12' },
      ]);
      expect(await mappedFields([{ target: 'Short__c', source: 'Code__c', truncate: true }], { Code__c: 'twelve chars' })).to.include({ Short__c: 'twelve cha' });
      // Never half a surrogate pair: the emoji straddling the cut goes entirely.
      expect(await mappedFields([{ target: 'Short__c', source: 'Code__c', truncate: true }], { Code__c: 'abcdefghi😀x' })).to.include({ Short__c: 'abcdefghi' });
    });

    it('writes numbers and checkboxes into text, and checks e-mail addresses', async () => {
      expect(await mappedFields([{ target: 'Code__c', source: 'Hours__c' }, { target: 'Notes__c', source: 'Flag__c' }], { Hours__c: 7.5, Flag__c: true })).to.include({ Code__c: '7.5', Notes__c: 'true' });
      expect(await problemsOf([{ target: 'Email__c', source: 'Code__c' }], { Code__c: 'not-an-address' })).to.deep.equal([
        { field: 'Email__c', code: 'INVALID_EMAIL_ADDRESS', message: 'Email__c takes an e-mail address; got "not-an-address"' },
      ]);
    });

    it('refuses several values or an object where the field takes one', async () => {
      expect(await problemsOf([{ target: 'Code__c', expression: "['a', 'b']" }, { target: 'Notes__c', expression: '{"a": 1}' }], {})).to.deep.equal([
        { field: 'Code__c', code: 'NOT_A_SCALAR', message: 'Code__c takes one value; got 2 values' },
        { field: 'Notes__c', code: 'NOT_A_SCALAR', message: 'Notes__c takes one value; got an object' },
      ]);
      expect(await mappedFields([{ target: 'Code__c', expression: "['only']" }], {})).to.include({ Code__c: 'only' });
    });

    it('gives a reason for every failing field of a record, not just the first', async () => {
      const problems = await problemsOf(
        [{ target: 'Count__c', source: 'Code__c' }, { target: 'Day__c', source: 'Notes__c' }, { target: 'Hours__c', source: 'Hours__c' }],
        { Code__c: 'x', Notes__c: 'y', Hours__c: 1 },
      );
      expect(problems.map((p) => [p.field, p.code])).to.deep.equal([['Count__c', 'INVALID_NUMBER'], ['Day__c', 'INVALID_DATE']]);
    });
  });

  describe('constants, defaults, conditions and required fields', () => {
    it('writes constants whatever the record holds', async () => {
      expect(await mappedFields([{ target: 'Code__c', constant: 'FROM-HQ' }, { target: 'Count__c', constant: 7 }, { target: 'Flag__c', constant: true }], {})).to.include({
        Code__c: 'FROM-HQ', Count__c: 7, Flag__c: true,
      });
    });

    it('uses the default when the source is null, empty or missing from a whole record', async () => {
      const m: FieldMapping = { target: 'Level__c', source: 'Tier__c', default: 'Basic', valueMap: { values: { Gold: 'Platinum' } } };
      expect(await mappedFields([m], { Tier__c: null })).to.include({ Level__c: 'Basic' });
      expect(await mappedFields([m], { Tier__c: '' })).to.include({ Level__c: 'Basic' });
      expect(await mappedFields([m], {})).to.include({ Level__c: 'Basic' });
      expect(await mappedFields([m], { Tier__c: 'Gold' })).to.include({ Level__c: 'Platinum' });
    });

    it('takes the first mapping of a target whose condition holds', async () => {
      const rules: FieldMapping[] = [
        { target: 'Level__c', constant: 'Platinum', condition: 'Flag__c = true' },
        { target: 'Level__c', constant: 'Standard', condition: 'Count__c > 10' },
        { target: 'Level__c', constant: 'Basic' },
      ];
      expect(await mappedFields(rules, { Flag__c: true, Count__c: 50 })).to.include({ Level__c: 'Platinum' });
      expect(await mappedFields(rules, { Flag__c: false, Count__c: 50 })).to.include({ Level__c: 'Standard' });
      expect(await mappedFields(rules, { Flag__c: false, Count__c: 5 })).to.include({ Level__c: 'Basic' });
    });

    it('leaves a field out when no condition holds, unless the target needs a value', async () => {
      const fields = await mappedFields([{ target: 'Level__c', constant: 'Platinum', condition: 'Flag__c' }], { Flag__c: false });
      expect(fields).not.to.have.property('Level__c');
      const problems = await problemsOf([{ target: 'Code__c', constant: 'x', condition: 'Flag__c', required: true }], { Flag__c: false });
      expect(problems).to.deep.equal([
        { field: 'Code__c', code: 'REQUIRED_FIELD_MISSING', message: 'Code__c is required in the target Sample__c; no field mapping for it applied (every condition was false)' },
      ]);
    });

    it('rejects a record whose required target field maps to nothing, unless allowMissing', async () => {
      expect(await problemsOf([], { Required_Text__c: null })).to.deep.equal([
        { field: 'Required_Text__c', code: 'REQUIRED_FIELD_MISSING', message: 'Required_Text__c is required in the target Sample__c; the mapped value is empty' },
      ]);
      expect(await problemsOf([{ target: 'Code__c', source: 'Code__c', required: true }], { Code__c: '' })).to.deep.equal([
        { field: 'Code__c', code: 'REQUIRED_FIELD_MISSING', message: 'Code__c is required in the target Sample__c; the mapped value is empty' },
      ]);
      const fields = await mappedFields([], { Required_Text__c: null }, {
        fields: [{ target: 'Name', source: 'Name' }, { target: 'Required_Text__c', source: 'Required_Text__c', allowMissing: true }],
      });
      expect(fields).to.deep.equal({ Name: 'S-1' });
    });

    it('reports a failing condition or expression as the field\'s problem', async () => {
      const problems = await problemsOf([{ target: 'Code__c', expression: '$number("x1")' }, { target: 'Notes__c', constant: 'n', condition: '$error("no notes today")' }], {});
      expect(problems).to.have.length(2);
      expect(problems[0]).to.include({ field: 'Code__c', code: 'EXPRESSION_ERROR' });
      expect(problems[0]!.message).to.match(/^fields\[2\]\.expression failed: Unable to cast value to a number: "x1"/);
      expect(problems[1]).to.deep.equal({ field: 'Notes__c', code: 'EXPRESSION_ERROR', message: 'fields[3].condition failed: no notes today at position 7 [D3137]' });
    });
  });

  describe('JSONata expressions', () => {
    it('see the source fields and the $record, $env and context bindings', async () => {
      const fields = await mappedFields(
        [
          { target: 'Code__c', expression: "$record.object & ':' & $record.sourceId" },
          { target: 'Notes__c', expression: "$uppercase(Name) & ' via ' & $record.origin.via & ' to ' & $targetOrg & ' in ' & $env('SYNC_REGION')" },
          { target: 'Hours__c', expression: 'Count__c * 1.5' },
          { target: 'Flag__c', expression: "$record.operation = 'upsert'" },
        ],
        { Count__c: 3 },
      );
      expect(fields.Code__c).to.match(/^Sample__c:a05Do\d{10}AAA$/);
      expect(fields).to.include({ Notes__c: 'S-1 via collect to subsidiary in EMEA', Hours__c: 4.5, Flag__c: true });
    });

    it('count no result as empty, so the default applies', async () => {
      expect(await mappedFields([{ target: 'Code__c', expression: 'Missing__c', default: 'none' }], {})).to.include({ Code__c: 'none' });
    });
  });

  describe('filters', () => {
    it('keep records the expression holds for and list the others as filtered', async () => {
      const c = compileSample([], { filter: { expression: "Flag__c and $record.origin.via = 'collect'" } });
      const keep = sample({ Flag__c: true });
      const drop = sample({ Flag__c: false });
      const r = await applyMapping(c, [keep, drop]);
      expect(r.mapped.map((m) => m.sourceId)).to.deep.equal([keep.sourceId]);
      expect(r.filtered).to.deep.equal([drop]);
      expect(r.rejected).to.deep.equal([]);
    });

    it('do not hold back deletes, which carry no field values', async () => {
      const c = compileSample([], { filter: { expression: 'Flag__c' } });
      const del = record('Sample__c', {}, { operation: 'delete' });
      const r = await applyMapping(c, [del]);
      expect(r.mapped).to.have.length(1);
    });

    it('reject a record whose filter fails to evaluate', async () => {
      const c = compileSample([], { filter: { expression: '$error("bad filter")' } });
      const r = await applyMapping(c, [sample({})]);
      expect(r.rejected[0]!.problems).to.deep.equal([{ field: '(filter)', code: 'EXPRESSION_ERROR', message: 'filter.expression failed: bad filter at position 7 [D3137]' }]);
    });
  });

  describe('relationships', () => {
    const rels = (via: 'ledger' | { externalId: string }): Partial<Mapping> => ({
      relationships: [
        { source: 'Master__c', target: 'Master__c', object: 'Account', via: 'ledger' },
        { source: 'Parent__c', target: 'Parent__c', object: 'Sample__c', via, nillable: true },
      ],
    });
    const PARENT = 'a05Do0000000099AAA';

    it('turn a source reference into an external Id reference to the parent', async () => {
      const r = await mapOne([], {}, rels({ externalId: 'Ext__c' }), { references: [{ field: 'Parent__c', id: PARENT, object: 'Sample__c' }] });
      expect(r.mapped[0]!.target!.references).to.deep.equal([
        { field: 'Master__c', relationshipName: 'Master__r', object: 'Account', sourceId: ACCOUNT_ID, nillable: false },
        { field: 'Parent__c', relationshipName: 'Parent__r', object: 'Sample__c', sourceId: PARENT, externalId: { field: 'Ext__c', value: PARENT }, nillable: true },
      ]);
      expect(r.mapped[0]!.target!.fields).not.to.have.property('Parent__c');
    });

    it('turn a source lookup value into a ledger reference', async () => {
      const r = await mapOne([], { Parent__c: PARENT }, rels('ledger'));
      expect(r.mapped[0]!.target!.references[1]).to.deep.equal({ field: 'Parent__c', relationshipName: 'Parent__r', object: 'Sample__c', sourceId: PARENT, nillable: true });
    });

    it('empty the target lookup when the source lookup is empty, and reject when the target lookup is required', async () => {
      const r = await mapOne([], { Parent__c: null }, rels('ledger'));
      expect(r.mapped[0]!.target!.fields).to.include({ Parent__c: null });
      expect(r.mapped[0]!.target!.references.map((x) => x.field)).to.deep.equal(['Master__c']);
      expect(await problemsOf([], { Master__c: null })).to.deep.equal([
        { field: 'Master__c', code: 'REQUIRED_FIELD_MISSING', message: 'Master__c is required in the target Sample__c; the source lookup Master__c is empty' },
      ]);
    });

    it('skip a polymorphic reference that points at another object', async () => {
      const r = await mapOne([], {}, rels('ledger'), { references: [{ field: 'Parent__c', id: '001Do0000000005IAA', object: 'Account' }] });
      expect(r.mapped[0]!.target!.references.map((x) => x.field)).to.deep.equal(['Master__c']);
      expect(r.mapped[0]!.target!.fields).not.to.have.property('Parent__c');
    });
  });

  describe('matching, operations and partial records', () => {
    it('matches by the source Id, an expression, or the ledger', async () => {
      const rec = sample({ Code__c: 'C-77' });
      let r = await applyMapping(compileSample([]), [rec]);
      expect(r.mapped[0]!.target!.match).to.deep.equal({ by: 'externalId', field: 'Ext__c', value: rec.sourceId });
      r = await applyMapping(compileSample([], { match: { by: 'externalId', field: 'Ext__c', value: { expression: "'HQ-' & Code__c" } } }), [rec]);
      expect(r.mapped[0]!.target!.match).to.deep.equal({ by: 'externalId', field: 'Ext__c', value: 'HQ-C-77' });
      r = await applyMapping(compileSample([], { match: { by: 'ledger' } }), [rec]);
      expect(r.mapped[0]!.target!.match).to.deep.equal({ by: 'ledger' });
    });

    it('rejects a record with no match key value', async () => {
      const problems = await problemsOf([], {}, { match: { by: 'externalId', field: 'Ext__c', value: { expression: 'Code__c' } } });
      expect(problems).to.deep.equal([{ field: 'Ext__c', code: 'MATCH_KEY_MISSING', message: 'no value for the match key Ext__c' }]);
    });

    it('maps only the match key of a delete, and the whole record of an undelete (the writer restores and then writes it)', async () => {
      const c = compileSample([{ target: 'Code__c', constant: 'x' }]);
      const del = record('Sample__c', {}, { operation: 'delete' });
      expect((await applyMapping(c, [del])).mapped[0]!.target).to.deep.equal({
        object: 'Sample__c', match: { by: 'externalId', field: 'Ext__c', value: del.sourceId }, fields: {}, references: [], mapping: c.stamp,
      });
      // An undelete is mapped as an upsert of the same record is: every field, every check.
      const undel = await applyMapping(c, [record('Sample__c', {}, { operation: 'undelete' })]);
      const upsert = await applyMapping(c, [record('Sample__c', {}, { operation: 'upsert' })]);
      expect(undel.rejected.map((x) => x.problems)).to.deep.equal(upsert.rejected.map((x) => x.problems));
      expect(undel.rejected[0]!.problems.map((p) => p.field)).to.include('Required_Text__c');
    });

    it('leaves out of a partial record what it does not carry, so an update never blanks untouched fields', async () => {
      const c = compileSample([
        { target: 'Code__c', source: 'Code__c', default: 'dflt' },
        { target: 'Notes__c', expression: 'Notes__c' },
        { target: 'Hours__c', source: 'Hours__c' },
      ], { relationships: [{ source: 'Master__c', target: 'Master__c', object: 'Account', via: 'ledger' }, { source: 'Parent__c', target: 'Parent__c', object: 'Sample__c', via: 'ledger' }] });
      const rec = record('Sample__c', { Hours__c: null }, { changedFields: ['Hours__c'] });
      const r = await applyMapping(c, [rec]);
      expect(r.rejected).to.deep.equal([]);
      expect(r.mapped[0]!.target!.fields).to.deep.equal({ Hours__c: null });
      expect(r.mapped[0]!.target!.references).to.deep.equal([]);
      // ...but a required field explicitly emptied is still refused.
      const bad = await applyMapping(c, [record('Sample__c', { Required_Text__c: null }, { changedFields: ['Required_Text__c'] })]);
      expect(bad.rejected[0]!.problems.map((p) => p.code)).to.deep.equal(['REQUIRED_FIELD_MISSING']);
    });

    it('names the target fields a change event did not touch, never counting a field the platform computes among them', async () => {
      const c = compileSample([
        { target: 'Code__c', source: 'Code__c' },
        { target: 'Notes__c', source: 'Read_Only__c' },
        { target: 'Hours__c', source: 'Hours__c' },
        { target: 'Short__c', expression: "'x'" },
      ], { relationships: [{ source: 'Master__c', target: 'Master__c', object: 'Account', via: 'ledger' }, { source: 'Parent__c', target: 'Parent__c', object: 'Sample__c', via: 'ledger' }] });
      const change = record('Sample__c', { Name: 'n', Required_Text__c: 'r', Code__c: 'c', Read_Only__c: 'computed', Hours__c: 2 }, { changedFields: ['Hours__c', 'Master__c'] });
      const result = await applyMapping(c, [change]);
      expect(result.rejected.map((x) => x.problems)).to.deep.equal([]);
      const [mapped] = result.mapped;
      // Copies of fields the change did not name; a read-only (computed) source, an expression and a changed lookup may have changed.
      expect(mapped!.target!.untouched).to.have.members(['Name', 'Required_Text__c', 'Code__c', 'Parent__c']);
      const [whole] = (await applyMapping(c, [record('Sample__c', { Name: 'n', Required_Text__c: 'r', Master__c: '001Do0000000001AAA' })])).mapped;
      expect(whole!.target!.untouched, 'a whole record touches everything').to.equal(undefined);
    });

    it('rejects records of another object', async () => {
      const r = await applyMapping(compileSample([]), [record('Account', { Name: 'x' })]);
      expect(r.rejected[0]!.problems).to.deep.equal([{ field: '(record)', code: 'WRONG_OBJECT', message: 'the record is a Account; mapping "Samples" maps Sample__c' }]);
    });
  });

  describe('the batch', () => {
    it('puts every record in exactly one list, in input order, stamps mapped ones and leaves the input alone', async () => {
      const c = compileSample([{ target: 'Count__c', source: 'Code__c' }], { filter: { expression: '$not(Flag__c)' } });
      const records = Array.from({ length: 60 }, (_, i) => sample({ Code__c: i % 3 === 0 ? 'x' : String(i), Flag__c: i % 5 === 0 }));
      const before = JSON.stringify(records);
      const r = await applyMapping(c, records);
      expect(JSON.stringify(records)).to.equal(before);
      expect(r.mapped.length + r.rejected.length + r.filtered.length).to.equal(60);
      expect(r.filtered).to.have.length(12);
      expect(r.rejected).to.have.length(16);
      const ids = (list: SyncRecord[]) => list.map((x) => x.sourceId);
      expect(ids(r.mapped)).to.deep.equal(ids(records.filter((_, i) => i % 5 !== 0 && i % 3 !== 0)));
      for (const m of r.mapped) {
        expect(m.target!.mapping).to.deep.equal({ name: 'Samples', version: '2.1.0', hash: c.stamp.hash });
        expect(m).to.deep.include({ ...records.find((x) => x.sourceId === m.sourceId)! });
      }
      expect(r.rejected[0]!.record).to.equal(records[3]);
    });

    it('yields to the event loop during a long batch', async () => {
      const c = compileSample([{ target: 'Notes__c', expression: "$join([Name, 'x'], '-')" }]);
      const records = Array.from({ length: 400 }, () => sample({}));
      // Macrotasks queued before the batch run only if the batch gives the event loop a turn.
      let turns = 0;
      let done = false;
      const spin = () => {
        turns++;
        if (!done) setImmediate(spin);
      };
      setImmediate(spin);
      const r = await applyMapping(c, records, { sliceMs: 0 });
      done = true;
      expect(r.mapped).to.have.length(400);
      expect(turns).to.be.greaterThan(10);
    });
  });
});
