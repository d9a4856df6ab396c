import { Ajv } from 'ajv';
import { expect } from 'chai';
import { readablePath, schemaProblems, shown, type ProblemWording } from '../../../lib/schema/problems.js';

const ajv = new Ajv({ allErrors: true, verbose: true, allowUnionTypes: true, strict: false });

/** The problems `data` has against `schema`, worded with `w`. */
function problemsOf(schema: object, data: unknown, w: ProblemWording = {}): string[] {
  const validate = ajv.compile(schema);
  expect(validate(data), 'the data should be invalid').to.equal(false);
  return schemaProblems(validate.errors ?? [], w);
}

const RECORDS = {
  type: 'array',
  items: {
    type: 'object',
    required: ['sourceId'],
    additionalProperties: false,
    properties: {
      sourceId: { type: 'string', minLength: 15, maxLength: 18 },
      code: { type: 'string', pattern: '^[A-Z]{3}$' },
      fields: { type: 'object', additionalProperties: { type: ['string', 'null'] } },
      level: { type: 'integer', minimum: 0 },
      kind: { enum: ['a', 'b'] },
    },
  },
};

describe('schemaProblems with a root', () => {
  it('puts the root before every path: alone, before an index, before a name', () => {
    expect(problemsOf(RECORDS, 'x', { root: 'msg.payload' })).to.deep.equal(['msg.payload must be an array']);
    expect(problemsOf(RECORDS, [{}], { root: 'msg.payload' })).to.deep.equal(['msg.payload[0].sourceId is required']);
    expect(problemsOf({ type: 'object', properties: { level: { type: 'integer' } } }, { level: 'x' }, { root: 'msg.s2s' })).to.deep.equal(['msg.s2s.level must be an integer']);
    // The root is the subject of an error at the root, ahead of any rootName.
    expect(problemsOf({ type: 'object' }, 1, { root: 'msg.s2s', rootName: 'the batch' })).to.deep.equal(['msg.s2s must be an object']);
  });

  it('quotes names that are not identifiers, and reads JSON Pointer escapes', () => {
    const data = [{ sourceId: '001000000000000AAA', fields: { 'Food & Beverage': 1, 'a/b': 2, 'x~y': 3 } }];
    expect(problemsOf(RECORDS, data, { root: 'msg.payload' })).to.deep.equal([
      'msg.payload[0].fields["Food & Beverage"] must be a string or null',
      'msg.payload[0].fields["a/b"] must be a string or null',
      'msg.payload[0].fields["x~y"] must be a string or null',
    ]);
    expect(readablePath('/fields/a~1b/x~0y')).to.equal('fields["a/b"]["x~y"]');
    expect(readablePath('/0/sourceId')).to.equal('[0].sourceId');
    expect(readablePath('')).to.equal('');
  });

  it('words lengths, patterns, enums, limits and unknown properties along the rooted path', () => {
    const data = [
      { sourceId: '001', code: 'abc', level: -1, kind: 'c' },
      { sourceId: '001000000000000AAAX', Sourceid: 'x' },
    ];
    expect(problemsOf(RECORDS, data, { root: 'msg.payload' })).to.deep.equal([
      'msg.payload[0].sourceId must be at least 15 characters',
      'msg.payload[0].code must be text matching ^[A-Z]{3}$ (got "abc")',
      'msg.payload[0].level must be >= 0',
      'msg.payload[0].kind must be one of "a", "b" (got "c")',
      'msg.payload[1] has an unknown property "Sourceid" (did you mean "sourceId"?)',
      'msg.payload[1].sourceId must be at most 18 characters',
    ]);
    expect(problemsOf(RECORDS, [{ sourceId: '001000000000000', code: 'abc' }], { root: 'msg.payload', patterns: { '^[A-Z]{3}$': 'a three-letter code' } }))
      .to.deep.equal(['msg.payload[0].code must be a three-letter code (got "abc")']);
  });

  it('hands a oneOf message the rooted path', () => {
    const schema = { type: 'object', properties: { via: { oneOf: [{ const: 'ledger' }, { type: 'object', required: ['externalId'] }] } } };
    const w: ProblemWording = {
      root: 'msg.s2s',
      oneOf: [{ schemaPath: /^#\/properties\/via\/oneOf$/, objectBranch: 1, message: (path, e) => `${path} must be "ledger" or an object (got ${shown(e.data)})` }],
    };
    expect(problemsOf(schema, { via: 'ledgr' }, w)).to.deep.equal(['msg.s2s.via must be "ledger" or an object (got "ledgr")']);
    // An object is explained by the object branch's own errors.
    expect(problemsOf(schema, { via: {} }, w)).to.deep.equal(['msg.s2s.via.externalId is required']);
  });

  it('calls the root "the input" when given no name for it, and lists a problem once', () => {
    expect(problemsOf({ type: 'object' }, [])).to.deep.equal(['the input must be an object']);
    expect(problemsOf({ type: 'object' }, [], { rootName: 'the mapping' })).to.deep.equal(['the mapping must be an object']);
    const twice = { allOf: [{ required: ['a'] }, { required: ['a'] }] };
    expect(problemsOf(twice, {}, { root: 'msg' })).to.deep.equal(['msg.a is required']);
  });
});
