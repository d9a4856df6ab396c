import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Emulator, ObjectDef } from '../../emulator/index.js';
import { startTestEmulator, testOrgSpec } from '../support/emulator.js';
import { builtNode, collect, helper, until } from '../support/node-red.js';

const sfConnection = builtNode('sf-connection');
const sfHealthCheck = builtNode('sf-health-check');

const text = (name: string) => ({ name, type: 'string' as const, label: name, length: 255, nillable: true, createable: true, updateable: false, custom: true });
const ORG_STATUS_EVENT: ObjectDef = {
  name: 'Org_Status__e', label: 'Org Status', labelPlural: 'Org Statuses', keyPrefix: 'e01', custom: true, isPlatformEvent: true,
  fields: [
    { name: 'ReplayId', type: 'string', label: 'Replay ID', length: 255, nillable: true, createable: false, updateable: false },
    ...['Org_Id__c', 'Org_Name__c', 'Status__c', 'Previous_Status__c', 'Severity__c', 'Reason__c', 'Checked_At__c'].map(text),
    { name: 'Latency_Ms__c', type: 'double', label: 'Latency', precision: 18, scale: 0, nillable: true, createable: true, updateable: false, custom: true },
  ],
};

interface Msg {
  topic?: string;
  payload: unknown;
  error?: { message: string };
}

/** Collects the messages a helper node receives. */


describe('sf-health-check node', () => {
  let emulator: Emulator;
  const userDir = mkdtempSync(path.join(tmpdir(), 's2s-health-'));

  before(async () => {
    emulator = await startTestEmulator([testOrgSpec('alpha', { schema: { objects: [ORG_STATUS_EVENT] } }), testOrgSpec('beta')]);
  });
  after(() => emulator.stop());
  beforeEach((done) => {
    for (const org of emulator.orgs.values()) org.reset();
    helper.settings({ userDir, sfLedgerPath: path.join(userDir, `ledger-${Date.now()}-${Math.random()}.sqlite`) } as never);
    helper.startServer(done);
  });
  afterEach(async () => {
    await emulator.orgUp('alpha');
    await helper.unload();
    await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
  });

  const conn = (id: string, org: string) => ({
    id, type: 'sf-connection', z: 'tab', name: org, environment: 'custom', domain: emulator.org(org).instanceUrl, apiVersion: '62.0',
    authFlow: 'client-credentials', clientId: `cid-${org}`, callOptionsClient: 'OrgBridge', apiBudgetPercent: '80',
  });
  const creds = { connA: { clientSecret: 'secret-alpha' }, connB: { clientSecret: 'secret-beta' } };
  const flow = (check: Record<string, unknown>) => [
    { id: 'tab', type: 'tab' },
    conn('connA', 'alpha'),
    conn('connB', 'beta'),
    { id: 'hc', type: 'sf-health-check', z: 'tab', name: 'health', connection: 'connA', allConnections: false, interval: '0', degradedLatencyMs: '2000', degradedApiPercent: '90', wires: [['changes'], ['reports']], ...check },
    { id: 'changes', type: 'helper', z: 'tab' },
    { id: 'reports', type: 'helper', z: 'tab' },
    { id: 'catcher', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];

  it('checks on input: a report on output 2, and the first status as a change on output 1', async () => {
    await helper.load([sfConnection, sfHealthCheck] as never, flow({}), creds);
    const changes = collect<Msg>('changes');
    const reports = collect<Msg>('reports');
    helper.getNode('hc').receive({ payload: 'check', topic: 'manual' } as never);
    await until(() => reports.length === 1, 'a report');
    const report = reports[0]!.payload as Array<Record<string, unknown>>;
    expect(reports[0]!.topic).to.equal('manual');
    expect(report).to.have.length(1);
    expect(report[0]).to.include({ orgId: emulator.org('alpha').orgId, orgName: 'alpha', status: 'available', severity: 'info', apiLimit: 100000 });
    expect(changes).to.have.length(1);
    expect(changes[0]!.payload).to.include({ status: 'available', previous: 'unknown', orgId: emulator.org('alpha').orgId });
    // A second check with no change sends no status change.
    helper.getNode('hc').receive({ payload: 'again' } as never);
    await until(() => reports.length === 2, 'a second report');
    expect(changes).to.have.length(1);
  });

  it('reports an org going down and coming back as transitions with severity and reason', async () => {
    await helper.load([sfConnection, sfHealthCheck] as never, flow({}), creds);
    const changes = collect<Msg>('changes');
    const reports = collect<Msg>('reports');
    const check = async (n: number) => {
      helper.getNode('hc').receive({ payload: n } as never);
      await until(() => reports.length === n, `report ${n}`);
    };
    await check(1);
    await emulator.orgDown('alpha');
    await check(2);
    await emulator.orgUp('alpha');
    await check(3);
    const seen = changes.map((m) => m.payload as { status: string; previous: string; severity: string; reason: string });
    expect(seen.map((s) => `${s.previous}>${s.status}`)).to.deep.equal(['unknown>available', 'available>unavailable', 'unavailable>available']);
    expect(seen[1]!.severity).to.equal('critical');
    expect(seen[1]!.reason).to.match(/Cannot reach 127\.0\.0\.1:\d+/);
    const uptime = (reports[2]!.payload as Array<{ uptime: { hour: number } }>)[0]!.uptime.hour;
    expect(uptime).to.be.within(0, 1);
  });

  it('never puts a secret into messages, status, warnings or the log', async () => {
    const secrets = { clientSecret: 'secret-alpha', password: 'Wrong-Password-4711' };
    const flowWithPassword: Array<Record<string, unknown>> = flow({});
    flowWithPassword[1] = { ...conn('connA', 'alpha'), authFlow: 'password', username: 'integration@alpha.test', domain: emulator.loginUrl };
    await helper.load([sfConnection, sfHealthCheck] as never, flowWithPassword as never, { connA: secrets });
    const changes = collect<Msg>('changes');
    const reports = collect<Msg>('reports');
    helper.getNode('hc').receive({ payload: 1 } as never);
    await until(() => reports.length === 1, 'a report');
    const report = (reports[0]!.payload as Array<{ status: string; reason: string }>)[0]!;
    expect(report.status).to.equal('unavailable');
    expect(report.reason).to.match(/Wrong username or password/);
    type Spied = { args: unknown[][] };
    const nodes = ['hc', 'connA'].map((id) => helper.getNode(id) as unknown as Record<'status' | 'warn' | 'error' | 'log', Spied>);
    const said = [
      JSON.stringify(changes), JSON.stringify(reports),
      ...nodes.flatMap((n) => ['status', 'warn', 'error', 'log'].map((k) => JSON.stringify(n[k as 'status'].args))),
      JSON.stringify((helper.log() as unknown as Spied).args),
    ].join('\n');
    for (const secret of Object.values(secrets)) expect(said).to.not.contain(secret);
    expect(said).to.not.match(/00D\w{12,15}![\w.-]{20,}/);
  });

  it('checks every sf-connection when asked to', async () => {
    await helper.load([sfConnection, sfHealthCheck] as never, flow({ connection: '', allConnections: true }), creds);
    const reports = collect<Msg>('reports');
    helper.getNode('hc').receive({ payload: 1 } as never);
    await until(() => reports.length === 1, 'a report');
    const names = (reports[0]!.payload as Array<{ orgName: string; status: string }>).map((r) => `${r.orgName}:${r.status}`).sort();
    expect(names).to.deep.equal(['alpha:available', 'beta:available']);
  });

  it('fails through Catch when it has no connection to check', async () => {
    await helper.load([sfConnection, sfHealthCheck] as never, flow({ connection: '' }), creds);
    const caught = collect<Msg>('caught');
    helper.getNode('hc').receive({ payload: 1 } as never);
    await until(() => caught.length === 1, 'a caught error');
    expect(caught[0]!.error!.message).to.match(/sf-health-check.errors.no-connection$/);
  });

  it('publishes status changes as a platform event into a chosen org', async () => {
    await helper.load([sfConnection, sfHealthCheck] as never, flow({ connection: 'connB', publishConnection: 'connA' }), creds);
    const reports = collect<Msg>('reports');
    helper.getNode('hc').receive({ payload: 1 } as never);
    await until(() => reports.length === 1, 'a report');
    const stats = (await (await fetch(`${emulator.loginUrl}/__emulator__/orgs/alpha/streaming`)).json()) as { retainedByChannel: Record<string, number> };
    expect(stats.retainedByChannel['/event/Org_Status__e']).to.equal(1);
  });

  it('checks on its schedule and shows the result in the node status', async () => {
    await helper.load([sfConnection, sfHealthCheck] as never, flow({ interval: '5' }), creds);
    const reports = collect<Msg>('reports');
    await until(() => reports.length >= 1, 'the first scheduled check');
    const status = helper.getNode('hc') as unknown as { status: { lastCall: { args: Array<{ fill: string; text: string }> } } };
    await until(() => status.status.lastCall?.args[0]?.fill === 'green', 'a green status');
    expect(status.status.lastCall.args[0]!.text).to.equal('sf-health-check.status.available');
  });
});
