/**
 * sf-health-check watching the change capture of the org it checks, in the real Node-RED runtime
 * against the demo emulator (real CometD long polling through jsforce): a subscription that is
 * connected and polled but receives nothing is reported silent while the org stays available,
 * and live again once a change made in the org arrives.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startDemoEmulator, type Emulator } from '../../emulator/index.js';
import type { LivenessTransition, SubscriptionLiveness } from '../../lib/health/index.js';
import { runtimeContext } from '../../lib/runtime/context.js';
import { control } from '../support/emulator.js';
import { ALL_NODES, CONNECTION_IDS, CREDENTIALS, connectionNode, helper, received, until, type Msg, type OrgUrls } from './support.js';

interface OrgReport {
  orgName: string;
  status: string;
  subscriptions: SubscriptionLiveness[];
}

type Spied = { args: unknown[][]; thisValues: unknown[] };

/** The silence limit of the test: short, so that a quiet subscription turns silent within the test. */
const SILENT_AFTER_S = 2;

describe('sf-health-check: liveness of change-capture subscriptions', function () {
  this.timeout(60_000);
  let emulator: Emulator;
  let urls: OrgUrls;
  const dir = mkdtempSync(path.join(tmpdir(), 'orgbridge-health-liveness-'));

  before(async () => {
    emulator = await startDemoEmulator();
    urls = { hq: emulator.org('hq').instanceUrl, subsidiary: emulator.org('subsidiary').instanceUrl };
    // Long polls come back every second, so the subscriber's last successful poll keeps moving.
    await control(emulator, 'POST', '/streaming/settings', { connectTimeoutMs: 1000 });
  });
  after(async () => {
    await emulator.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    for (const org of emulator.orgs.values()) org.reset();
    helper.settings({ userDir: dir, sfLedgerPath: path.join(dir, 'ledger.sqlite') } as never);
    await new Promise<void>((resolve) => helper.startServer(resolve));
  });
  afterEach(async () => {
    await helper.unload();
    await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
  });

  const flow = () => [
    { id: 'tab', type: 'tab', label: 'liveness' },
    connectionNode('hq', urls),
    {
      id: 'cdc', type: 'sf-cdc-in', z: 'tab', x: 100, y: 40, name: 'HQ changes', connection: CONNECTION_IDS.hq, objects: 'Account', channel: '',
      create: true, update: true, delete: true, undelete: true, fields: '', start: 'new', checkpointName: '', batchSize: '200', windowMs: '100', inFlight: '4', ackTimeout: '300',
      wires: [['batches'], ['events']],
    },
    {
      // Checks only on input, so the test decides when a check happens.
      id: 'hc', type: 'sf-health-check', z: 'tab', x: 100, y: 80, name: 'health', connection: CONNECTION_IDS.hq, allConnections: false, interval: '0',
      degradedLatencyMs: '2000', degradedApiPercent: '90', silentAfter: String(SILENT_AFTER_S), wires: [['changes'], ['reports']],
    },
    ...['batches', 'events', 'changes', 'reports'].map((id, i) => ({ id, type: 'helper', z: 'tab', x: 300, y: 40 * (i + 1) })),
  ];

  it('reports a connected subscription that receives nothing as silent, the org still available, and as live once a change arrives', async () => {
    await helper.load(ALL_NODES as never, flow() as never, { [CONNECTION_IDS.hq]: CREDENTIALS[CONNECTION_IDS.hq] });
    const reports = received('reports');
    const changes = received('changes');
    const batches = received('batches');
    const hc = helper.getNode('hc') as unknown as { receive(msg: unknown): void } & Record<'status' | 'warn', Spied>;
    // The helper spies on the prototype: each node's own calls are those made on it. Its i18n answers with keys.
    const own = (spy: Spied) => spy.args.filter((_a, i) => spy.thisValues[i] === hc).map((a) => a[0]);
    const lastStatus = () => own(hc.status).at(-1) as { fill: string; text: string };
    const warnings = () => own(hc.warn).map(String);
    await until(() => runtimeContext().source('cdc')?.state === 'listening', 'sf-cdc-in to listen', 20_000);

    const check = async (): Promise<OrgReport> => {
      const before = reports.length;
      hc.receive({ payload: 'check' });
      await until(() => reports.length > before, 'a health report');
      const orgs = reports[reports.length - 1]!.payload as OrgReport[];
      expect(orgs.map((o) => o.orgName)).to.deep.equal(['HQ']);
      return orgs[0]!;
    };
    const checkUntil = async (verdict: string): Promise<OrgReport> => {
      for (const end = Date.now() + 20_000; Date.now() < end; ) {
        const report = await check();
        if (report.subscriptions[0]?.verdict === verdict) return report;
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error(`the subscription was never reported ${verdict}`);
    };
    const subscriptionChanges = () => changes.map((m: Msg) => m.payload as LivenessTransition).filter((t) => t.type === 'subscription');

    // Nothing changes in HQ: connected, polled, and silent once the limit has passed.
    const silent = await checkUntil('silent');
    expect(silent.status, 'the org is what it says it is').to.equal('available');
    expect(silent.subscriptions).to.have.length(1);
    const sub = silent.subscriptions[0]!;
    expect(sub).to.include({ nodeId: 'cdc', nodeName: 'HQ changes', channel: '/data/AccountChangeEvent', state: 'connected', lastEventAt: null });
    expect(sub.silentForMs).to.be.greaterThan(SILENT_AFTER_S * 1000);
    expect(sub.lastPollAt, 'long polls succeed').to.be.a('number');
    expect(sub.subscribedAt).to.be.a('number');
    const reported = runtimeContext().source('cdc')!.detail!;
    expect(reported).to.include({ connection: CONNECTION_IDS.hq, orgId: emulator.org('hq').orgId });
    expect((reported.channels as Array<{ pollTimeoutMs: number }>)[0]!.pollTimeoutMs, 'the org\'s advised poll timeout').to.equal(1000);

    expect(lastStatus(), 'a warning beside the org\'s own status').to.deep.include({ fill: 'yellow', text: 'sf-health-check.status.with-subscription' });
    expect(subscriptionChanges().map((t) => t.verdict)).to.deep.equal(['silent']);
    expect(subscriptionChanges()[0]).to.include({ orgName: 'HQ', connection: CONNECTION_IDS.hq, nodeId: 'cdc', severity: 'warning' });
    expect(changes[changes.length - 1]!.topic).to.equal('HQ changes');
    expect(warnings()).to.deep.equal(['sf-health-check.warn.silent']);
    expect(subscriptionChanges()[0]!.reason).to.match(/^no change event on \/data\/AccountChangeEvent for \d+ s, though HQ answers its long polls$/);

    // Still silent: said once, not at every check.
    expect((await check()).subscriptions[0]!.verdict).to.equal('silent');
    expect(subscriptionChanges()).to.have.length(1);

    // A person edits an account in HQ: the event arrives, and the subscription is live again.
    const account = emulator.org('hq').snapshot('Account')[0]!;
    const edit = await control(emulator, 'POST', '/orgs/hq/edit', { object: 'Account', records: [{ Id: account.Id, Phone: '555-0142' }] });
    expect(edit.status).to.equal(200);
    await until(() => batches.length > 0, 'the change to come out of sf-cdc-in', 20_000);
    const live = await checkUntil('live');
    expect(live.status).to.equal('available');
    expect(live.subscriptions[0]!.lastEventAt).to.be.a('number');
    expect(subscriptionChanges().map((t) => `${t.previous}>${t.verdict}`)).to.deep.equal([`${subscriptionChanges()[0]!.previous}>silent`, 'silent>live']);
    expect(lastStatus()).to.deep.include({ fill: 'green', text: 'sf-health-check.status.available' });
    expect(warnings(), 'recovering is not a warning').to.have.length(1);
  });
});
