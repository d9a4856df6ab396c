import { expect } from 'chai';
import { util as redUtil } from '@node-red/util';
import { applyMapping, compileMapping, redJsonataEvaluator, type Mapping, type RedJsonataUtil } from '../../../lib/mapping/index.js';
import { loadDescribes, record, type Describes } from './support.js';

/** The parts of a runtime node Node-RED's JSONata helpers read: its flow (for $env) and its context. */
function fakeNode(env: Record<string, string>, flow: Record<string, unknown>, global: Record<string, unknown>) {
  const store = (data: Record<string, unknown>) => ({
    get: (key: string, storeName?: unknown, cb?: (err: unknown, value: unknown) => void) => {
      const callback = typeof storeName === 'function' ? (storeName as typeof cb) : cb;
      if (callback) setImmediate(() => callback(null, data[key]));
      else return data[key];
      return undefined;
    },
  });
  return {
    id: 'n1',
    name: 'map accounts',
    _flow: { getSetting: (name: string) => env[name] },
    context: () => ({ flow: store(flow), global: store(global) }),
  };
}

describe('redJsonataEvaluator with Node-RED\'s own RED.util', () => {
  let d: Describes;
  before(async () => {
    d = await loadDescribes();
  });

  const util = redUtil as unknown as RedJsonataUtil;

  it('evaluates with $env, $flowContext, $globalContext and our $record binding', async () => {
    const node = fakeNode({ TIER: 'Standard' }, { region: 'EMEA' }, { prefix: 'HQ' });
    const ev = redJsonataEvaluator(util, node);
    const expr = ev.prepare("$globalContext('prefix') & '-' & $flowContext('region') & '-' & $env('TIER') & '-' & $record.sourceId & '-' & Name");
    expect(await ev.evaluate(expr, { Name: 'Acme' }, { record: { sourceId: '001X' } })).to.equal('HQ-EMEA-Standard-001X-Acme');
  });

  it('keeps the bindings of concurrent evaluations of one prepared expression apart', async () => {
    const ev = redJsonataEvaluator(util, fakeNode({}, { slow: 1 }, {}));
    const expr = ev.prepare("$flowContext('slow') ? $record.sourceId");
    const ids = Array.from({ length: 20 }, (_, i) => `id-${i}`);
    const results = await Promise.all(ids.map((id) => ev.evaluate(expr, {}, { record: { sourceId: id } })));
    expect(results).to.deep.equal(ids);
  });

  it('throws parse errors from prepare and evaluation errors as rejections', async () => {
    const ev = redJsonataEvaluator(util, fakeNode({}, {}, {}));
    expect(() => ev.prepare('$uppercase(')).to.throw();
    let caught: unknown;
    try {
      await ev.evaluate(ev.prepare('$error("boom")'), {}, {});
    } catch (err) {
      caught = err;
    }
    expect(caught).to.be.instanceOf(Error);
    expect((caught as Error).message).to.equal('boom');
  });

  it('drives a whole mapping as the node will', async () => {
    const mapping: Mapping = {
      format: 'orgbridge-mapping/1',
      name: 'Accounts via RED.util',
      version: '1.0.0',
      source: { object: 'Account' },
      target: { object: 'Account' },
      match: { by: 'externalId', field: 'HQ_Id__c' },
      filter: { expression: "$flowContext('enabled')" },
      fields: [
        { target: 'Name', expression: "Name & ' (' & $env('SUFFIX') & ')'" },
        { target: 'Service_Level__c', expression: "$globalContext('levels')[tier = $$.Customer_Tier__c].level", default: 'Basic' },
      ],
    };
    const node = fakeNode({ SUFFIX: 'HQ' }, { enabled: true }, { levels: [{ tier: 'Gold', level: 'Platinum' }] });
    const c = compileMapping(mapping, { sourceDescribe: d.hq.Account, targetDescribe: d.subsidiary.Account, evaluator: redJsonataEvaluator(util, node) });
    const r = await applyMapping(c, [record('Account', { Name: 'Acme', Customer_Tier__c: 'Gold' }), record('Account', { Name: 'Beta', Customer_Tier__c: 'Bronze' })]);
    expect(r.rejected).to.deep.equal([]);
    expect(r.mapped.map((m) => m.target!.fields)).to.deep.equal([
      { Name: 'Acme (HQ)', Service_Level__c: 'Platinum' },
      { Name: 'Beta (HQ)', Service_Level__c: 'Basic' },
    ]);
  });
});
