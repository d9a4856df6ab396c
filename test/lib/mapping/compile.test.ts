import { expect } from 'chai';
import {
  MAPPING_TEMPLATES, MappingError, compileMapping, mappingHash, suggestFieldMappings, type CompileOptions, type Mapping, type ObjectDescribe,
} from '../../../lib/mapping/index.js';
import { jsonataEvaluator } from '../../../lib/mapping/jsonata-evaluator.js';
import { loadDescribes, type Describes } from './support.js';

const evaluator = jsonataEvaluator();

/** A Sample__c → Sample__c mapping that compiles as is; tests override parts of it. */
function sampleMapping(over: Partial<Mapping> = {}): Mapping {
  return {
    format: 'orgbridge-mapping/1',
    name: 'Samples',
    version: '1.0.0',
    source: { object: 'Sample__c' },
    target: { object: 'Sample__c' },
    match: { by: 'externalId', field: 'Ext__c' },
    fields: [
      { target: 'Name', source: 'Name' },
      { target: 'Required_Text__c', source: 'Required_Text__c' },
    ],
    relationships: [{ source: 'Master__c', target: 'Master__c', object: 'Account', via: 'ledger' }],
    ...over,
  };
}

function baseFields(): Mapping['fields'] {
  return sampleMapping().fields;
}

function compileError(fn: () => unknown): MappingError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(MappingError);
    return err as MappingError;
  }
  expect.fail('compileMapping accepted the mapping');
}

const MASTER_WARNING = 'relationships[0].target: Sample__c.Master__c can be set on create only; updates that include it will fail';

describe('compileMapping against real describes', () => {
  let d: Describes;
  let sampleOpts: CompileOptions;
  before(async () => {
    d = await loadDescribes();
    sampleOpts = { sourceDescribe: d.sample, targetDescribe: d.sample, evaluator, parentDescribes: { Account: d.typesAccount } };
  });

  describe('the templates against the demo orgs', () => {
    for (const name of ['Account', 'Contact', 'Opportunity'] as const) {
      it(`compiles the ${name} template from hq to subsidiary without problems or warnings`, () => {
        const c = compileMapping(MAPPING_TEMPLATES[name], {
          sourceDescribe: d.hq[name],
          targetDescribe: d.subsidiary[name],
          evaluator,
          parentDescribes: { Account: d.subsidiary.Account, Contact: d.subsidiary.Contact },
        });
        expect(c.warnings).to.deep.equal([]);
        expect(c.stamp).to.deep.equal({ name: MAPPING_TEMPLATES[name].name, version: '1.0.0', hash: mappingHash(MAPPING_TEMPLATES[name]) });
        expect(c.sourceObject).to.equal(name);
        expect(c.match).to.include({ by: 'externalId', field: 'HQ_Id__c' });
      });
    }

    it('lists the source fields the Account template reads, including those only its expressions name', () => {
      const c = compileMapping(MAPPING_TEMPLATES.Account, { sourceDescribe: d.hq.Account, targetDescribe: d.subsidiary.Account, evaluator });
      expect(c.sourceFields).to.include.members(['Name', 'Industry', 'Customer_Tier__c', 'ParentId', 'Key_Account__c', 'Region__c', 'Type']);
      expect(c.sourceFields).not.to.include('HQ_Id__c');
      expect(c.sourceFields).to.deep.equal([...c.sourceFields].sort());
    });

    it('refuses the Account template for an org pair without the subsidiary fields', () => {
      // hq → hq: the target has neither HQ_Id__c nor Service_Level__c, and its Industry is open.
      const serviceLevel = MAPPING_TEMPLATES.Account.fields.findIndex((f) => f.target === 'Service_Level__c');
      const err = compileError(() => compileMapping(MAPPING_TEMPLATES.Account, { sourceDescribe: d.hq.Account, targetDescribe: d.hq.Account, evaluator }));
      expect(err.problems).to.deep.equal([
        'match.field: Account has no field "HQ_Id__c" in the target org',
        `fields[${serviceLevel}].target: Account has no field "Service_Level__c" in the target org`,
        'relationships[0].via.externalId: Account has no field "HQ_Id__c" in the target org',
      ]);
      expect(err.message).to.match(/^Invalid mapping "Account: HQ to subsidiary" \(3 problems\): match\.field: /);
    });

    it('finds the subsidiary Industry values a mapping without a value map would send to a restricted picklist', () => {
      const m: Mapping = { ...MAPPING_TEMPLATES.Account, fields: MAPPING_TEMPLATES.Account.fields.map((f) => (f.target === 'Industry' ? { target: 'Industry', source: 'Industry' } : f)) };
      const c = compileMapping(m, { sourceDescribe: d.hq.Account, targetDescribe: d.subsidiary.Account, evaluator });
      expect(c.warnings).to.have.length(1);
      const industry = m.fields.findIndex((f) => f.target === 'Industry');
      expect(c.warnings[0]).to.equal(
        `fields[${industry}] (Industry → Industry): source values "Agriculture", "Apparel", "Banking", "Biotechnology", "Chemicals" and 18 more are not in the restricted picklist Industry: records with them are rejected (map them or give a default)`,
      );
    });
  });

  describe('problems', () => {
    it('names unknown objects and describes of the wrong object', () => {
      let err = compileError(() => compileMapping(sampleMapping({ source: { object: 'Sampel__c' } }), { ...sampleOpts, sourceDescribe: null }));
      expect(err.problems).to.deep.equal(['source.object: Sampel__c does not exist in the source org']);
      err = compileError(() => compileMapping(sampleMapping({ target: { object: 'Account' } }), sampleOpts));
      expect(err.problems[0]).to.equal('target.object: the mapping is for Account but the target describe is of Sample__c');
    });

    it('names unknown fields with a likely twin, read-only targets, and types that can never convert', () => {
      const err = compileError(() =>
        compileMapping(
          sampleMapping({
            fields: [
              { target: 'Name', source: 'Nmae' },
              { target: 'Required_Text__c', source: 'Required_Text__c' },
              { target: 'Flg__c', source: 'Flag__c' },
              { target: 'Read_Only__c', source: 'Code__c' },
              { target: 'Day__c', source: 'Flag__c' },
              { target: 'Account__c', source: 'Parent__c' },
              { target: 'Moment__c', source: 'Count__c' },
            ],
          }),
          sampleOpts,
        ),
      );
      expect(err.problems).to.deep.equal([
        'fields[0].source: Sample__c has no field "Nmae" in the source org (did you mean "Name"?)',
        'fields[2].target: Sample__c has no field "Flg__c" in the target org (did you mean "Flag__c"?)',
        'fields[3].target: Sample__c.Read_Only__c is read-only in the target',
        'fields[4] (Flag__c → Day__c): checkbox (boolean) into date (date) cannot convert',
        'fields[5] (Parent__c → Account__c): Parent__c holds source-org Ids, which do not exist in the target; map it under relationships',
        'fields[6] (Count__c → Moment__c): integer (int) into datetime (datetime) cannot convert',
      ]);
    });

    it('names value-map values, defaults and constants the target cannot take', () => {
      const err = compileError(() =>
        compileMapping(
          sampleMapping({
            fields: [
              ...baseFields(),
              { target: 'Level__c', source: 'Tier__c', valueMap: { values: { Gold: 'Diamond', Silver: 'Standard' }, default: 'Ultra' } },
              { target: 'Count__c', constant: 'many' },
              { target: 'Day__c', source: 'Day__c', default: 'tomorrow' },
              { target: 'Farben__c', source: 'Colors__c', valueMap: { values: { Red: 'Rot', Green: 'Gruen;Blau', Blue: 'Azul' } } },
              { target: 'Short__c', constant: 'far more than ten characters' },
            ],
          }),
          sampleOpts,
        ),
      );
      expect(err.problems).to.deep.equal([
        'fields[2].valueMap.values["Gold"]: "Diamond" is not a value of the restricted picklist Level__c',
        'fields[2].valueMap.default: "Ultra" is not a value of the restricted picklist Level__c',
        'fields[3].constant: Count__c takes a number; got "many"',
        'fields[4].default: Day__c takes a date (YYYY-MM-DD) or a datetime; got "tomorrow"',
        'fields[5].valueMap.values["Blue"]: "Azul" is not a value of the restricted picklist Farben__c',
        'fields[6].constant: Short__c takes at most 10 characters; the value has 28',
      ]);
    });

    it('names expressions, conditions and filters that do not parse, with the position', () => {
      const err = compileError(() =>
        compileMapping(
          sampleMapping({
            filter: { expression: 'Name = ' },
            match: { by: 'externalId', field: 'Ext__c', value: { expression: 'Code__c &' } },
            fields: [
              { target: 'Name', expression: '$uppercase(Name' },
              { target: 'Required_Text__c', source: 'Required_Text__c', condition: 'Flag__c = = true' },
            ],
          }),
          sampleOpts,
        ),
      );
      expect(err.problems).to.deep.equal([
        'filter.expression does not parse: Unexpected end of expression at position 7 [S0207]',
        'match.value.expression does not parse: Unexpected end of expression at position 9 [S0207]',
        'fields[0].expression does not parse: Expected ")" before end of expression at position 15 [S0203]',
        'fields[1].condition does not parse: The symbol "=" cannot be used as a unary operator at position 11 [S0211]',
      ]);
    });

    it('requires the match field to be an external Id of the target', () => {
      let err = compileError(() => compileMapping(sampleMapping({ match: { by: 'externalId', field: 'Plain_Key__c' } }), sampleOpts));
      expect(err.problems).to.deep.equal(['match.field: Sample__c.Plain_Key__c is not an external Id field in the target']);
      err = compileError(() => compileMapping(sampleMapping({ match: { by: 'externalId', field: 'Ext_Id__c' } }), sampleOpts));
      expect(err.problems).to.deep.equal(['match.field: Sample__c has no field "Ext_Id__c" in the target org (did you mean "Ext__c"?)']);
    });

    it('checks relationships: lookups to the named object on both sides, external Ids on the parent, required lookups', () => {
      const err = compileError(() =>
        compileMapping(
          sampleMapping({
            relationships: [
              { source: 'Master__c', target: 'Master__c', object: 'Account', via: 'ledger', nillable: true },
              { source: 'Parent__c', target: 'Account__c', object: 'Sample__c', via: 'ledger' },
              { source: 'Code__c', target: 'Parent__c', object: 'Sample__c', via: { externalId: 'Plain_Key__c' } },
              { source: 'Account__c', target: 'Account__c', object: 'Account', via: { externalId: 'HQ_Id__c' } },
            ],
          }),
          sampleOpts,
        ),
      );
      expect(err.problems).to.deep.equal([
        'relationships[0].nillable: Sample__c.Master__c is required in the target, so it cannot be left empty on a first pass',
        'relationships[1].target: Sample__c.Account__c is not a lookup to Sample__c (it refers to Account)',
        'relationships[2].source: Sample__c.Code__c is not a lookup to Sample__c',
        'relationships[2].via.externalId: Sample__c.Plain_Key__c is not an external Id field in the target',
        'relationships[3].via.externalId: Account has no field "HQ_Id__c" in the target org',
      ]);
    });

    it('refuses a mapping that leaves a field required on create unmapped', () => {
      const err = compileError(() => compileMapping(sampleMapping({ fields: [{ target: 'Code__c', source: 'Code__c' }], relationships: [] }), sampleOpts));
      expect(err.problems).to.deep.equal([
        'target Sample__c.Required_Text__c is required on create and nothing maps it (add a field mapping or a constant)',
        'target Sample__c.Master__c is required on create and nothing maps it (add a field mapping or a constant)',
      ]);
      const opp = { ...MAPPING_TEMPLATES.Opportunity, fields: MAPPING_TEMPLATES.Opportunity.fields.filter((f) => f.target !== 'CloseDate') };
      const oppErr = compileError(() => compileMapping(opp, { sourceDescribe: d.hq.Opportunity, targetDescribe: d.subsidiary.Opportunity, evaluator }));
      expect(oppErr.problems).to.deep.equal(['target Opportunity.CloseDate is required on create and nothing maps it (add a field mapping or a constant)']);
    });

    it('refuses malformed documents before looking at describes', () => {
      const err = compileError(() => compileMapping({ ...sampleMapping(), version: 'one' }, sampleOpts));
      expect(err.problems).to.deep.equal(['version must be a version such as 1.0.0 (got "one")']);
    });
  });

  describe('warnings', () => {
    it('warns of conversions that may fail, text that may be too long, rounding and create-only fields', () => {
      const c = compileMapping(
        sampleMapping({
          fields: [
            ...baseFields(),
            { target: 'Create_Only__c', source: 'Code__c' },
            { target: 'Count__c', source: 'Code__c' },
            { target: 'Short__c', source: 'Code__c' },
            { target: 'Hours__c', source: 'Budget__c' },
            { target: 'Plain_Key__c', source: 'Code__c', truncate: true },
            { target: 'Share__c', source: 'Count__c', truncate: true },
          ],
        }),
        sampleOpts,
      );
      expect(c.warnings).to.deep.equal([
        'fields[2].target: Sample__c.Create_Only__c can be set on create only; updates that include it will fail',
        'fields[3] (Code__c → Count__c): text (string) into integer (int): some values may not convert',
        'fields[4] (Code__c → Short__c): Code__c holds up to 40 characters, Short__c takes 10: longer values are rejected (set "truncate": true to cut them)',
        'fields[5] (Budget__c → Hours__c): Budget__c has 2 decimals, Hours__c 1: values are rounded',
        'fields[5] (Budget__c → Hours__c): Budget__c allows 14 integer digits, Hours__c 5: larger values are rejected',
        'fields[7].truncate has no effect: Share__c is not a text field',
        'fields[7] (Count__c → Share__c): Count__c allows 4 integer digits, Share__c 3: larger values are rejected',
        MASTER_WARNING,
      ]);
    });

    it('warns of picklist values a restricted target lacks, and of value-map keys the source never has', () => {
      const c = compileMapping(
        sampleMapping({
          fields: [
            ...baseFields(),
            { target: 'Level__c', source: 'Tier__c' },
            { target: 'Farben__c', source: 'Colors__c', valueMap: { values: { Red: 'Rot', Purple: 'Blau' } } },
            { target: 'Tier__c', source: 'Colors__c' },
          ],
        }),
        sampleOpts,
      );
      expect(c.warnings).to.deep.equal([
        'fields[2] (Tier__c → Level__c): source values "Gold", "Silver", "Bronze" are not in the restricted picklist Level__c: records with them are rejected (map them or give a default)',
        'fields[3] (Colors__c → Farben__c): source values "Green", "Blue" are not in the restricted picklist Farben__c nor in the value map: records with them are rejected (map them or give a default)',
        'fields[3].valueMap.values: "Purple" is not a value of the source picklist Colors__c',
        'fields[4] (Colors__c → Tier__c): multi-select picklist (multipicklist) into picklist (picklist): some values may not convert',
        MASTER_WARNING,
      ]);
    });

    it('gives the warnings of a failed compile with its problems', () => {
      const err = compileError(() => compileMapping(sampleMapping({ fields: [...baseFields(), { target: 'Count__c', source: 'Code__c' }, { target: 'Day__c', source: 'Flag__c' }] }), sampleOpts));
      expect(err.problems).to.deep.equal(['fields[3] (Flag__c → Day__c): checkbox (boolean) into date (date) cannot convert']);
      expect(err.warnings).to.include('fields[2] (Code__c → Count__c): text (string) into integer (int): some values may not convert');
    });
  });

  it('resolves names in the orgs\' own spelling, as Salesforce API names are case-insensitive', () => {
    const c = compileMapping(
      sampleMapping({ fields: [{ target: 'name', source: 'NAME' }, { target: 'required_text__c', source: 'Required_Text__C' }], match: { by: 'externalId', field: 'ext__c' } }),
      sampleOpts,
    );
    expect(c.targets.map((t) => t.field)).to.deep.equal(['Name', 'Required_Text__c']);
    expect(c.targets[0]!.rules[0]!.source).to.equal('Name');
    expect(c.match).to.include({ field: 'Ext__c' });
  });
});

describe('suggestFieldMappings', () => {
  let d: Describes;
  before(async () => {
    d = await loadDescribes();
  });

  it('pairs hq and subsidiary Account fields by API name, flags type doubts and leaves lookups and read-only fields out', () => {
    const s = suggestFieldMappings(d.hq.Account, d.subsidiary.Account);
    const byTarget = new Map(s.map((x) => [x.target, x]));
    expect(byTarget.get('Name')).to.deep.equal({ target: 'Name', source: 'Name', matchedBy: 'name', compatible: true, compatibility: 'ok', notes: [] });
    expect(byTarget.get('Industry')).to.include({ source: 'Industry', compatible: true, compatibility: 'warning' });
    expect(byTarget.get('Industry')!.notes[0]).to.match(/^source values "Agriculture", .* are not in the restricted picklist Industry/);
    for (const absent of ['ParentId', 'OwnerId', 'Id', 'CreatedDate', 'HQ_Id__c', 'Service_Level__c', 'BillingAddress', 'PhotoUrl']) expect(byTarget.has(absent), absent).to.equal(false);
    expect(s.every((x) => x.matchedBy === 'name')).to.equal(true);
  });

  it('falls back to equal labels, and marks pairs that cannot convert as incompatible', () => {
    const renamed = (fields: ObjectDescribe['fields']): ObjectDescribe => ({ ...d.sample, fields });
    const source = renamed(d.sample.fields.map((f) => (f.name === 'Code__c' ? { ...f, name: 'Product_Code__c' } : f.name === 'Flag__c' ? { ...f, name: 'Active__c', label: 'Day' } : f)));
    const target = d.sample;
    const s = suggestFieldMappings(source, target);
    expect(s.find((x) => x.target === 'Code__c')).to.deep.equal({ target: 'Code__c', source: 'Product_Code__c', matchedBy: 'label', compatible: true, compatibility: 'ok', notes: [] });
    // Day__c has its namesake on the source side, so the checkbox labelled "Day" is not offered for it.
    expect(s.find((x) => x.target === 'Day__c')).to.include({ source: 'Day__c', matchedBy: 'name' });
    const dayOnly = renamed(source.fields.filter((f) => f.name !== 'Day__c'));
    const t = suggestFieldMappings(dayOnly, target).find((x) => x.target === 'Day__c');
    expect(t).to.include({ source: 'Active__c', matchedBy: 'label', compatible: false, compatibility: 'error' });
    expect(t!.notes).to.deep.equal(['checkbox (boolean) into date (date) cannot convert']);
  });
});
