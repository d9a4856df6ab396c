import { expect } from 'chai';
import {
  MAPPING_TEMPLATES, MappingError, canonicalJson, exportMapping, mappingHash, mappingTemplate, parseMapping, type Mapping,
} from '../../../lib/mapping/index.js';

function minimal(): Mapping {
  return {
    format: 'orgbridge-mapping/1',
    name: 'Test',
    version: '1.0.0',
    source: { object: 'Account' },
    target: { object: 'Account' },
    match: { by: 'ledger' },
    fields: [{ target: 'Name', source: 'Name' }],
  };
}

/** The problems parseMapping throws for `doc`; fails the test when it does not throw. */
function problemsOf(doc: unknown): string[] {
  try {
    parseMapping(doc as object);
  } catch (err) {
    expect(err).to.be.instanceOf(MappingError);
    return (err as MappingError).problems;
  }
  expect.fail('parseMapping accepted a malformed mapping');
}

describe('mapping documents: parseMapping', () => {
  it('accepts a minimal mapping from an object, JSON text or bytes, and adds an empty relationships list', () => {
    const fromObject = parseMapping(minimal());
    expect(fromObject.relationships).to.deep.equal([]);
    expect(parseMapping(JSON.stringify(minimal()))).to.deep.equal(fromObject);
    expect(parseMapping(new TextEncoder().encode(JSON.stringify(minimal())))).to.deep.equal(fromObject);
  });

  it('returns a copy, so later edits of the input do not leak into the parsed mapping', () => {
    const doc = minimal();
    const parsed = parseMapping(doc);
    doc.fields[0]!.source = 'Changed';
    expect(parsed.fields[0]!.source).to.equal('Name');
  });

  it('accepts every template', () => {
    for (const t of Object.values(MAPPING_TEMPLATES)) expect(() => parseMapping(t)).not.to.throw();
  });

  it('names every schema problem of a document at once, by path, with what was found', () => {
    const doc = { ...minimal(), format: 'orgbridge-mapping/2', name: '', version: 'v1', sourc: { object: 'Account' } };
    expect(problemsOf(doc)).to.deep.equal([
      'the mapping has an unknown property "sourc" (did you mean "source"?)',
      'format must be "orgbridge-mapping/1" (got "orgbridge-mapping/2")',
      'name must not be empty',
      'version must be a version such as 1.0.0 (got "v1")',
    ]);
  });

  it('reports missing required top-level parts', () => {
    const { fields: _f, match: _m, ...rest } = minimal();
    expect(problemsOf(rest)).to.deep.equal(['match is required', 'fields is required']);
  });

  it('explains field mappings with no source or with two', () => {
    const doc = { ...minimal(), fields: [{ target: 'A', source: 'B', constant: 1 }, { target: 'B' }, { target: 'C', source: 'X', expression: 'X', constant: 2 }] };
    expect(problemsOf(doc)).to.deep.equal([
      'fields[0] has source and constant; keep exactly one',
      'fields[1] needs one of source, expression or constant',
      'fields[2] has source, expression and constant; keep exactly one',
    ]);
  });

  it('names the path inside value maps, quoting keys that are not identifiers', () => {
    const doc = {
      ...minimal(),
      fields: [
        { target: 'Name', source: 'Name' },
        { target: 'Type', source: 'Type' },
        { target: 'Rating', source: 'Rating' },
        { target: 'Industry', source: 'Industry', valueMap: { values: ['Gold'] } },
        { target: 'Site', source: 'Site', valueMap: { values: { 'Food & Beverage': { nested: true } }, default: [] } },
      ],
    };
    expect(problemsOf(doc)).to.deep.equal([
      'fields[3].valueMap.values must be an object',
      'fields[4].valueMap.values["Food & Beverage"] must be a string, number, boolean or null',
      'fields[4].valueMap.default must be a string, number, boolean or null',
    ]);
  });

  it('checks API names, empty expressions and flag types', () => {
    const doc = {
      ...minimal(),
      fields: [{ target: 'Bad Name', source: 'Name' }, { target: 'Site', expression: '' }, { target: 'Phone', source: 'Phone', truncate: 'yes' }],
    };
    expect(problemsOf(doc)).to.deep.equal([
      'fields[0].target must be a Salesforce API name such as Industry or HQ_Id__c (got "Bad Name")',
      'fields[1].expression must not be empty',
      'fields[2].truncate must be true or false',
    ]);
  });

  it('checks the match: by, its field and its value', () => {
    expect(problemsOf({ ...minimal(), match: { by: 'externalid', field: 'HQ_Id__c' } })).to.deep.equal([
      'match.by must be "externalId" or "ledger" (got "externalid")',
    ]);
    expect(problemsOf({ ...minimal(), match: { field: 'HQ_Id__c' } })).to.deep.equal(['match.by is required']);
    expect(problemsOf({ ...minimal(), match: { by: 'externalId' } })).to.deep.equal(['match.field is required']);
    expect(problemsOf({ ...minimal(), match: { by: 'externalId', field: 'HQ_Id__c', value: 'sourceid' } })).to.deep.equal([
      'match.value must be "sourceId" or {"expression": "<JSONata>"} (got "sourceid")',
    ]);
    expect(problemsOf({ ...minimal(), match: { by: 'externalId', field: 'HQ_Id__c', value: { expresion: 'Code' } } })).to.deep.equal([
      'match.value.expression is required',
      'match.value has an unknown property "expresion" (did you mean "expression"?)',
    ]);
    expect(problemsOf({ ...minimal(), match: { by: 'ledger', field: 'HQ_Id__c' } })).to.deep.equal(['match has an unknown property "field"']);
  });

  it('checks relationships and how they resolve', () => {
    const rel = { source: 'ParentId', target: 'ParentId', object: 'Account' };
    const doc = {
      ...minimal(),
      relationships: [{ ...rel, via: 'ledgr' }, { ...rel, via: { externalId: 5 } }, { ...rel, via: { externalID: 'HQ_Id__c' } }, { source: 'ParentId', via: 'ledger' }],
    };
    expect(problemsOf(doc)).to.deep.equal([
      'relationships[0].via must be "ledger" or {"externalId": "<target field>"} (got "ledgr")',
      'relationships[1].via.externalId must be a string',
      'relationships[2].via.externalId is required',
      'relationships[2].via has an unknown property "externalID" (did you mean "externalId"?)',
      'relationships[3].target is required',
      'relationships[3].object is required',
    ]);
  });

  it('finds mistakes across entries: unreachable mappings, the match key mapped, pointless options, clashes', () => {
    const doc: Mapping = {
      ...minimal(),
      match: { by: 'externalId', field: 'HQ_Id__c' },
      fields: [
        { target: 'Rating', source: 'Rating' },
        { target: 'rating', constant: 'Hot', condition: 'Key_Account__c' },
        { target: 'HQ_Id__c', expression: '$record.sourceId' },
        { target: 'Site', constant: 'x', valueMap: { values: {} }, default: 'y' },
        { target: 'Industry', source: 'Industry', valueMap: { values: { gold: 'A', Gold: 'B', GOLD: 'A' }, caseInsensitive: true } },
      ],
      relationships: [
        { source: 'ParentId', target: 'Rating', object: 'Account', via: 'ledger' },
        { source: 'ParentId', target: 'ParentId', object: 'Account', via: 'ledger' },
        { source: 'ParentId', target: 'ParentId', object: 'Account', via: { externalId: 'HQ_Id__c' } },
      ],
    };
    expect(problemsOf(doc)).to.deep.equal([
      'fields[1] is never used: fields[0] already maps Rating without a condition',
      'fields[2].target: HQ_Id__c is the match key; its value comes from match.value',
      'fields[3].valueMap has no effect on a constant',
      'fields[3].default has no effect on a constant',
      'fields[4].valueMap.values: "gold" and "Gold" differ only in case but map to different values (caseInsensitive is set)',
      'relationships[0].target: Rating is also mapped by fields[0]',
      'relationships[2] maps ParentId to Account again (see relationships[1])',
    ]);
  });

  it('allows several conditional mappings of one target ahead of an unconditional one', () => {
    const doc = {
      ...minimal(),
      fields: [
        { target: 'Rating', constant: 'Hot', condition: 'Key_Account__c' },
        { target: 'Rating', constant: 'Warm', condition: "Type = 'Prospect'" },
        { target: 'Rating', source: 'Rating' },
      ],
    };
    expect(() => parseMapping(doc)).not.to.throw();
  });

  it('refuses text that is not JSON, and JSON that is not an object', () => {
    expect(problemsOf('{"format": ')).to.have.length(1).and.to.satisfy((p: string[]) => p[0]!.startsWith('not valid JSON: '));
    expect(problemsOf('[1, 2]')).to.deep.equal(['the mapping must be a JSON object (got an array)']);
    expect(problemsOf('null')).to.deep.equal(['the mapping must be a JSON object (got null)']);
  });

  it('puts the mapping name and every problem in the error message', () => {
    try {
      parseMapping({ ...minimal(), name: 'Accounts EU', version: 'x', fields: [{ target: 'A' }] });
      expect.fail('accepted');
    } catch (err) {
      expect((err as Error).message).to.equal(
        'Invalid mapping "Accounts EU" (2 problems): version must be a version such as 1.0.0 (got "x"); fields[0] needs one of source, expression or constant',
      );
    }
  });
});

describe('mapping documents: export, import and hash', () => {
  it('exports pretty JSON in a fixed key order that parses back to the same mapping', () => {
    const m = parseMapping(MAPPING_TEMPLATES.Account);
    const text = exportMapping(m);
    expect(text.endsWith('}\n')).to.equal(true);
    expect(text).to.contain('\n  "format": "orgbridge-mapping/1",\n');
    expect(parseMapping(text)).to.deep.equal(m);
    expect(exportMapping(parseMapping(text))).to.equal(text);
  });

  it('exports the same text whatever order the keys came in, keeping value-map entries in the author\'s order', () => {
    const a = minimal();
    a.fields.push({ target: 'Service_Level__c', source: 'Customer_Tier__c', valueMap: { values: { Gold: 'Platinum', Silver: 'Standard' }, default: 'Basic' } });
    const b: Mapping = {
      fields: [
        { source: 'Name', target: 'Name' },
        { valueMap: { default: 'Basic', values: { Gold: 'Platinum', Silver: 'Standard' } }, source: 'Customer_Tier__c', target: 'Service_Level__c' },
      ],
      match: { by: 'ledger' },
      target: { object: 'Account' },
      source: { object: 'Account' },
      version: '1.0.0',
      name: 'Test',
      format: 'orgbridge-mapping/1',
    };
    expect(exportMapping(b)).to.equal(exportMapping(a));
    const lines = exportMapping(a).split('\n').map((l) => l.trim());
    expect(lines.indexOf('"target": "Service_Level__c",')).to.be.lessThan(lines.indexOf('"source": "Customer_Tier__c",'));
    expect(lines.indexOf('"Gold": "Platinum",')).to.be.lessThan(lines.indexOf('"Silver": "Standard"'));
  });

  it('hashes content: same content in another key order hashes alike, $schema and an absent relationships list do not count', () => {
    const a = minimal();
    const b = JSON.parse(JSON.stringify({ fields: a.fields, match: a.match, target: a.target, source: a.source, version: a.version, name: a.name, format: a.format })) as Mapping;
    expect(mappingHash(a)).to.match(/^[0-9a-f]{16}$/);
    expect(mappingHash(b)).to.equal(mappingHash(a));
    expect(mappingHash({ ...a, $schema: './mapping.schema.json' })).to.equal(mappingHash(a));
    expect(mappingHash(parseMapping(a))).to.equal(mappingHash(a));
    expect(mappingHash(parseMapping(exportMapping(parseMapping(a))))).to.equal(mappingHash(a));
  });

  it('hashes value-map entries by content, not order, and field order as meaningful', () => {
    const vm = (values: Record<string, string>): Mapping => ({ ...minimal(), fields: [{ target: 'Industry', source: 'Industry', valueMap: { values } }] });
    expect(mappingHash(vm({ A: '1', B: '2' }))).to.equal(mappingHash(vm({ B: '2', A: '1' })));
    const two = (first: string, second: string): Mapping => ({
      ...minimal(),
      fields: [{ target: 'Rating', constant: first, condition: 'X' }, { target: 'Rating', constant: second, condition: 'Y' }],
    });
    expect(mappingHash(two('Hot', 'Warm'))).not.to.equal(mappingHash(two('Warm', 'Hot')));
  });

  it('changes the hash with any change of content, the version included', () => {
    const base = mappingHash(minimal());
    const changed: Mapping[] = [
      { ...minimal(), version: '1.0.1' },
      { ...minimal(), name: 'Test 2' },
      { ...minimal(), description: 'now documented' },
      { ...minimal(), fields: [{ target: 'Name', source: 'Site' }] },
      { ...minimal(), fields: [{ target: 'Name', source: 'Name', truncate: true }] },
      { ...minimal(), match: { by: 'externalId', field: 'HQ_Id__c' } },
      { ...minimal(), relationships: [{ source: 'ParentId', target: 'ParentId', object: 'Account', via: 'ledger' }] },
    ];
    const hashes = changed.map(mappingHash);
    for (const h of hashes) expect(h).not.to.equal(base);
    expect(new Set(hashes).size).to.equal(hashes.length);
  });

  it('writes canonical JSON with sorted keys at every level and arrays in order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null }, u: undefined })).to.equal('{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
  });

  it('hands out templates frozen, and editable copies on request', () => {
    expect(Object.isFrozen(MAPPING_TEMPLATES.Account.fields[0])).to.equal(true);
    const copy = mappingTemplate('Account');
    copy.version = '1.1.0';
    expect(MAPPING_TEMPLATES.Account.version).to.equal('1.0.0');
    expect(mappingHash(copy)).not.to.equal(mappingHash(MAPPING_TEMPLATES.Account));
  });
});
