import { expect } from 'chai';
import { classifyCallError, classifyRecordError, planWrites, type PlanNode } from '../../../lib/upsert/index.js';
import { ApiBudgetExceededError, ConfigurationError } from '../../../lib/connection/org-connection.js';

const node = (id: string, ...parents: Array<string | [string, boolean]>): PlanNode => ({
  id,
  refs: parents.map((p) => (typeof p === 'string' ? { parent: p, nillable: true } : { parent: p[0], nillable: p[1] })),
});

describe('write planning', () => {
  it('puts parents a level ahead of their children, whatever the input order', () => {
    const plan = planWrites([node('e', 'd'), node('d', 'c'), node('c', 'b'), node('b', 'a'), node('a'), node('x', 'outside')]);
    expect(plan.levels).to.deep.equal([[4, 5], [3], [2], [1], [0]]);
    expect(plan.broken).to.deep.equal([]);
  });

  it('places a child after its deepest parent', () => {
    const plan = planWrites([node('contact', 'acct', 'child-acct'), node('child-acct', 'acct'), node('acct')]);
    expect(plan.levels).to.deep.equal([[2], [1], [0]]);
  });

  it('breaks a two-record cycle on a nillable lookup and a self-reference on itself', () => {
    const plan = planWrites([node('a', 'b'), node('b', 'a'), node('s', 's')]);
    expect(plan.broken).to.have.length(2);
    expect(plan.broken).to.deep.include({ node: 2, refIndex: 0 });
    expect(plan.levels.flat().sort()).to.deep.equal([0, 1, 2]);
    expect(plan.levels).to.have.length(2);
  });

  it('breaks the nillable side of a cycle and reports one with no nillable lookup', () => {
    const plan = planWrites([node('a', ['b', false]), node('b', ['a', true]), node('p', ['q', false]), node('q', ['p', false])]);
    expect(plan.broken).to.deep.equal([{ node: 1, refIndex: 0 }]);
    expect(plan.levels).to.deep.equal([[1], [0]]);
    expect(plan.stuck).to.deep.equal([[2, 3]]);
  });

  it('orders a 100,000-deep chain without running out of stack', () => {
    const n = 100_000;
    const nodes = Array.from({ length: n }, (_, i) => node(`r${i}`, ...(i ? [`r${i - 1}`] : [])));
    const plan = planWrites(nodes.reverse());
    expect(plan.levels).to.have.length(n);
    expect(plan.levels[0]).to.deep.equal([n - 1]);
  });
});

describe('failure classification', () => {
  it('sorts per-record status codes into transient and permanent', () => {
    expect(classifyRecordError([{ statusCode: 'UNABLE_TO_LOCK_ROW', message: 'locked', fields: [] }])).to.include({ class: 'transient', code: 'UNABLE_TO_LOCK_ROW' });
    for (const code of ['REQUIRED_FIELD_MISSING', 'STRING_TOO_LONG', 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', 'DUPLICATE_VALUE', 'FIELD_CUSTOM_VALIDATION_EXCEPTION', 'INVALID_CROSS_REFERENCE_KEY']) {
      expect(classifyRecordError([{ statusCode: code, message: 'no', fields: ['Name'] }])).to.include({ class: 'permanent', code });
    }
    expect(classifyRecordError([{ statusCode: 'A', message: 'one', fields: ['X'] }, { statusCode: 'B', message: 'two', fields: ['Y', 'X'] }])).to.deep.equal({
      code: 'A', message: 'one; two', fields: ['X', 'Y'], class: 'permanent',
    });
  });

  it('sorts call failures into transient, permanent and halting ones', () => {
    const wrapped = (code: string, kind: string) => Object.assign(new Error(code), { code, kind });
    expect(classifyCallError(wrapped('SERVER_UNAVAILABLE', 'server'))).to.include({ class: 'transient' }).and.not.have.property('ambiguous');
    expect(classifyCallError(wrapped('ERROR_HTTP_500', 'server'))).to.include({ class: 'transient', ambiguous: true });
    expect(classifyCallError(wrapped('ECONNRESET', 'network'))).to.include({ class: 'transient', ambiguous: true });
    expect(classifyCallError(wrapped('INVALID_SESSION_ID', 'auth'))).to.include({ class: 'transient' });
    expect(classifyCallError(wrapped('REQUEST_LIMIT_EXCEEDED', 'limit'))).to.include({ class: 'halt' });
    expect(classifyCallError(wrapped('invalid_grant', 'auth'))).to.include({ class: 'halt' });
    expect(classifyCallError(new ApiBudgetExceededError({ used: 9, limit: 10, budget: 8, at: 0 }))).to.include({ class: 'halt', code: 'API_BUDGET_EXCEEDED' });
    // Recognised by its code, as a copy of the error (a message, msg.error) still is.
    expect(classifyCallError({ ...new ConfigurationError(['no client id']), message: 'incomplete' })).to.include({ class: 'halt', code: 'CONFIGURATION' });
    expect(classifyCallError(Object.assign(new Error('The operation was aborted'), { name: 'AbortError' }))).to.include({ class: 'transient', code: 'TIMEOUT', ambiguous: true });
    expect(classifyCallError(wrapped('JSON_PARSER_ERROR', 'unknown'))).to.include({ class: 'permanent' });
  });
});
