import { expect } from 'chai';
import { MappingError, compileForOrgs, mappingTemplate, type DescribeSource, type ObjectDescribe } from '../../../lib/mapping/index.js';
import { jsonataEvaluator } from '../../../lib/mapping/jsonata-evaluator.js';
import { loadDescribes, type Describes } from './support.js';

/** Describes of one org from a table, with a cache that can be told to forget (as OrgApi's). */
class Source implements DescribeSource {
  asked: string[] = [];
  invalidated: string[] = [];
  constructor(private readonly now: () => Record<string, ObjectDescribe>) {}
  async describeIfExists(name: string): Promise<ObjectDescribe | null> {
    this.asked.push(name);
    return this.now()[name] ?? null;
  }
  invalidateDescribes(name?: string): void {
    this.invalidated.push(name ?? '*');
  }
}

describe('compiling a mapping against two orgs', () => {
  let d: Describes;
  const evaluator = jsonataEvaluator({});
  before(async () => {
    d = await loadDescribes();
  });

  it('compiles once more against fresh describes before refusing a mapping (a field added in Setup)', async () => {
    const m = mappingTemplate('Account');
    m.fields.push({ target: 'Loyalty_Points__c', source: 'NumberOfEmployees' });
    const withField = { ...d.subsidiary.Account, fields: [...d.subsidiary.Account.fields, { ...d.subsidiary.Account.fields.find((f) => f.name === 'NumberOfEmployees')!, name: 'Loyalty_Points__c', label: 'Loyalty Points' }] };
    let fresh = false;
    const source = new Source(() => d.hq);
    const target = new Source(() => ({ ...d.subsidiary, Account: fresh ? withField : d.subsidiary.Account }));
    // The cache is stale until it is invalidated.
    target.invalidateDescribes = (name?: string) => {
      target.invalidated.push(name ?? '*');
      fresh = true;
    };
    const compiled = await compileForOrgs(m, source, target, evaluator);
    expect(compiled.stamp.name).to.equal(m.name);
    expect(target.invalidated).to.include('Account');
    expect(source.invalidated).to.deep.equal(['Account']);
  });

  it('refuses a mapping that is wrong against fresh describes too, naming the problem', async () => {
    const m = mappingTemplate('Account');
    m.fields.push({ target: 'No_Such_Field__c', source: 'Name' });
    const source = new Source(() => d.hq);
    const target = new Source(() => d.subsidiary);
    let err: unknown;
    try {
      await compileForOrgs(m, source, target, evaluator);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(MappingError);
    expect((err as MappingError).problems.join('\n')).to.contain('No_Such_Field__c');
    expect(target.asked.filter((o) => o === 'Account'), 'asked twice: cached, then fresh').to.have.length(2);
  });
});
