import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { CdcSource, type CdcProblem } from '../../lib/cdc/cdc-source.js';
import { holdForBackfill, takeOverFrom } from '../../lib/cdc/hand-over.js';
import { cdcSettings, sharedCheckpoints, type CheckpointOwner } from '../../lib/cdc/settings.js';
import { Backfill } from '../../lib/bulk/backfill.js';
import { bulkSettings, type BulkSettingsInput } from '../../lib/bulk/settings.js';
import { redJsonataEvaluator, type RedJsonataUtil } from '../../lib/mapping/index.js';
import { runtimeContext } from '../../lib/runtime/context.js';
import { OrgApi } from '../../lib/salesforce/org-api.js';
import { writerDownstream } from '../shared/acks.js';
import { localizedError } from '../shared/errors.js';
import { NodeKit, wholeNumber } from '../shared/kit.js';
import { publishRuntime } from '../shared/runtime-publish.js';

interface CdcConfig extends NodeDef {
  connection: string;
  objects: string;
  channel: string;
  create: boolean | string;
  update: boolean | string;
  delete: boolean | string;
  undelete: boolean | string;
  fields: string;
  start: string;
  checkpointName: string;
  batchSize: string | number;
  windowMs: string | number;
  inFlight: string | number;
  ackTimeout: string | number;
  condition: string;
  backfill: string;
}

const count = (n: number) => n.toLocaleString('en-US');
/**
 * The report is refreshed this often even when nothing changes, so the last successful long poll
 * that sf-health-check reads is never more than a few seconds old (a quiet stream changes nothing).
 */
const REPORT_EVERY_S = 5;

/** How often a capture waiting for a backfill looks whether it is written. */
const BACKFILL_LOOK_MS = 2000;

export default function register(RED: NodeAPI): void {
  function SfCdcIn(this: Node, config: CdcConfig) {
    RED.nodes.createNode(this, config);
    const node = this;
    const kit = new NodeKit(RED, node);
    const ctx = runtimeContext();
    publishRuntime(RED, node, (fn) => kit.onClose(fn));
    const { settings, problems } = cdcSettings(config, redJsonataEvaluator(RED.util as unknown as RedJsonataUtil, node));
    // Two nodes moving one checkpoint would each skip what the other has not written yet.
    const owner = (n: CdcConfig): CheckpointOwner => ({ id: n.id, name: n.name, connection: n.connection, channels: cdcSettings(n).settings.channels, checkpointName: cdcSettings(n).settings.checkpointName });
    const others: CheckpointOwner[] = [];
    RED.nodes.eachNode((n) => void (n.type === 'sf-cdc-in' && !(n as { d?: boolean }).d && others.push(owner(n as unknown as CdcConfig))));
    for (const other of sharedCheckpoints(owner(config), others)) {
      problems.push(`Checkpoint: '${other.name}' reads ${other.channels.join(', ')} of the same connection with the same checkpoint name; give each node a Checkpoint name of its own`);
    }
    // The backfill to take over from: a bulk query node in backfill mode reading the same org.
    let backfill: { name: string; checkpointName: string } | undefined;
    if (settings.afterBackfill) {
      let found: (NodeDef & Record<string, unknown>) | undefined;
      RED.nodes.eachNode((n) => void (n.id === settings.afterBackfill && n.type === 'sf-bulk-query' && (found = n as NodeDef & Record<string, unknown>)));
      const bulk = found && bulkSettings(found as BulkSettingsInput).settings;
      if (!found || !bulk) problems.push('Start: the bulk query node to take over from is not in the flows; choose one, or start with new changes');
      else if (found.connection !== config.connection) problems.push(`Start: '${found.name || found.id}' reads another org than this node; the backfill must read the org whose changes are captured`);
      else if (bulk.mode !== 'backfill') problems.push(`Start: '${found.name || found.id}' is not in backfill mode; set its Mode to backfill`);
      else backfill = { name: String(found.name || found.id), checkpointName: bulk.checkpointName || `node:${found.id}` };
    }
    if (problems.length) {
      kit.status('red', 'ring', 'sf-cdc-in.status.config');
      node.error(localizedError(RED, 'sf-cdc-in.errors.config', { problems: problems.join('; ') }, 'INVALID_CONFIGURATION'));
      return;
    }
    const org = kit.connection(config.connection);
    if (!org) {
      kit.status('red', 'ring', 's2s.connection.none');
      node.error(localizedError(RED, 's2s.errors.no-connection', {}, 'NO_CONNECTION'));
      return;
    }
    const ledger = kit.ledger();
    let source: CdcSource | undefined;
    let state = 'starting';

    const report = () => {
      // Closing: the source is forgotten and must not be reported back while it stops.
      if (!source || kit.closing) return;
      const c = source.counts;
      ctx.reportSource({
        id: node.id, name: config.name || 'sf-cdc-in', kind: 'sf-cdc-in', state, inFlight: source.window.inFlight,
        settled: source.window.counts.settled, failed: source.window.counts.failed, released: source.window.counts.released,
        lastBatchAt: null,
        // The connection's config node id (and the org) let sf-health-check find this org's subscriptions.
        detail: { connection: config.connection, orgId: org.identity?.orgId ?? null, counts: { ...c }, channels: source.channelStates() },
      });
    };
    kit.every(REPORT_EVERY_S, report, { minIntervalS: REPORT_EVERY_S, firstAfterMs: REPORT_EVERY_S * 1000 });
    const showStatus = () => {
      if (!source || kit.closing) return;
      const channels = source.channelStates();
      const c = source.counts;
      if (channels.some((ch) => ch.catchingUp)) {
        state = 'catching up';
        kit.status('yellow', 'dot', 'sf-cdc-in.status.catching-up', { records: count(c.records) });
      } else if (channels.some((ch) => ch.state === 'down' || ch.state === 'renewing' || ch.state === 'connecting')) {
        const ch = channels.find((x) => x.state !== 'connected')!;
        state = ch.state;
        kit.status('yellow', 'ring', `sf-cdc-in.status.${ch.state}`, { channel: ch.channel });
      } else if (channels.every((ch) => ch.state === 'stopped')) {
        state = 'stopped';
        kit.status('red', 'ring', 'sf-cdc-in.status.stopped');
      } else if (source.held) {
        state = 'checkpoint held';
        kit.status('red', 'dot', 'sf-cdc-in.status.held', { records: count(c.records) });
      } else {
        state = 'listening';
        kit.status('green', 'dot', 'sf-cdc-in.status.listening', { records: count(c.records), echoes: count(c.echoes), channels: channels.length });
      }
      report();
    };
    let statusTimer: NodeJS.Timeout | undefined;
    // Status at most every half second: a busy stream changes the figures with every event.
    const changed = () => {
      statusTimer ??= setTimeout(() => {
        statusTimer = undefined;
        showStatus();
      }, 500);
      statusTimer.unref?.();
    };

    const problem = (p: CdcProblem) => {
      const msg = { topic: p.code, payload: { ...p, node: config.name || node.id } } as NodeMessage;
      node.send([null, msg]);
      if (p.severity === 'error') node.error(localizedError(RED, 'sf-cdc-in.errors.problem', { message: p.message }, p.code), msg);
      else node.warn(p.message);
      changed();
    };

    // Once the flows have started: the wires tell whether a writer will acknowledge the batches.
    const startSource = () => {
      if (kit.closing) return;
      source = new CdcSource({
        org, api: new OrgApi(org), ledger, acks: ctx.acks, owner: node.id, ...settings,
        batchSize: wholeNumber(config.batchSize, 200, 1, 2000),
        windowMs: wholeNumber(config.windowMs, 500, 0, 60_000),
        inFlight: wholeNumber(config.inFlight, 4, 1, 20),
        ackTimeoutMs: wholeNumber(config.ackTimeout, 300, 5, 3600) * 1000,
        acked: writerDownstream(RED, node.id),
        echoClient: org.settings.callOptionsClient,
        send: ({ records, meta }) => node.send([{ topic: meta.object, payload: records, s2s: meta } as NodeMessage, null]),
        onProblem: problem,
        onChange: changed,
      });
      kit.status('grey', 'ring', 'sf-cdc-in.status.connecting', { channel: settings.channels.join(', ') });
      source.start().then(showStatus, (err: Error) => {
        if (kit.closing) return;
        state = 'failed';
        kit.status('red', 'ring', 'sf-cdc-in.status.failed', { reason: org.mask(err.message) });
        node.error(localizedError(RED, 'sf-cdc-in.errors.start', { reason: org.mask(err.message) }, 'START_FAILED'));
        // Try again later: the org may be down at deploy.
        kit.after(30_000, () => void source?.start().then(showStatus, () => undefined));
      });
    };
    /**
     * Waits for the backfill to be written, holding a start-time anchor meanwhile, then takes
     * over from when the backfill began. Looked at every few seconds: the backfill is another node,
     * and after a restart it may already be done.
     */
    const waitForBackfill = async (bf: { name: string; checkpointName: string }) => {
      if (kit.closing) return;
      try {
        await org.connection();
      } catch (err) {
        kit.status('red', 'ring', 'sf-cdc-in.status.failed', { reason: org.mask((err as Error).message) });
        kit.after(30_000, () => void waitForBackfill(bf));
        return;
      }
      if (kit.closing) return;
      const orgId = org.identity!.orgId;
      holdForBackfill(ledger, orgId, settings.channels, settings.checkpointName, Date.now());
      const state = Backfill.state(ledger, orgId, bf.checkpointName);
      if (state?.finished) {
        takeOverFrom(ledger, orgId, settings.channels, settings.checkpointName, state.startedAt);
        startSource();
        return;
      }
      kit.status('yellow', 'ring', state ? 'sf-cdc-in.status.backfilling' : 'sf-cdc-in.status.before-backfill', { backfill: bf.name });
      kit.after(BACKFILL_LOOK_MS, () => void waitForBackfill(bf));
    };
    const startTimer = setTimeout(() => void (backfill ? waitForBackfill(backfill) : startSource()), 0);
    kit.onClose(async () => {
      clearTimeout(startTimer);
      if (statusTimer) clearTimeout(statusTimer);
      ctx.forgetSource(node.id);
      await source?.stop();
    });
  }

  RED.nodes.registerType('sf-cdc-in', SfCdcIn as never);
}
