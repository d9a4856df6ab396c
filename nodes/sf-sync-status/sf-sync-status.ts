import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { isPlaceholderOrgId, loginKeyOf } from '../../lib/connection/org-key.js';
import {
  buildStatusReport, chartPoints, csvFilename, deadLettersCsv, statusCsv, tableRows,
  type StatusQuery, type StatusReport,
} from '../../lib/status/index.js';
import { runtimeContext } from '../../lib/runtime/context.js';
import { publishRuntime } from '../shared/runtime-publish.js';
import { RunTally, type FinishedRun } from '../../lib/sync/run-tally.js';
import { allOrgs } from '../shared/connection.js';
import { localizedError } from '../shared/errors.js';
import { NodeKit, numberOr } from '../shared/kit.js';

interface SyncStatusConfig extends NodeDef {
  interval: string | number;
  windowHours: string | number;
  sourceConnection: string;
  targetConnection: string;
  object: string;
  /** Seconds a sync run may take before its report says it is still running. */
  runTimeout: string | number;
}

/** Topics that ask for a report; any other message is answered with the table unless it is part of a sync run. */
const REPORT_TOPICS = new Set(['status', 'csv', 'dead-letters-csv', 'dashboard', 'runtime']);
/** A run not written after this long is reported as still running (an HTTP caller gets 504); it goes on. */
const DEFAULT_RUN_TIMEOUT_S = 600;
/** How often runs that take too long are looked for (each is reported once, as still running). */
const SWEEP_S = 10;

type Msg = NodeMessage & { s2s?: unknown; windowHours?: unknown; filename?: string; action?: string; error?: { message?: string; code?: string; source?: { type?: string; name?: string } } };

export default function register(RED: NodeAPI): void {
  function SfSyncStatus(this: Node, config: SyncStatusConfig) {
    RED.nodes.createNode(this, config);
    const node = this;
    const kit = new NodeKit(RED, node);
    const intervalS = numberOr(config.interval, 60);
    const windowHours = numberOr(config.windowHours, 24) > 0 ? numberOr(config.windowHours, 24) : 24;
    const object = (config.object ?? '').trim();
    const ledger = kit.ledger();
    // Write metrics come from the shared runtime context, where every sf-upsert-out of this
    // Node-RED reports its writes: counted once however many status nodes look at them.
    const ctx = runtimeContext();
    const live = ctx.metrics;
    publishRuntime(RED, node, (fn) => kit.onClose(fn));
    const runTimeoutS = numberOr(config.runTimeout, DEFAULT_RUN_TIMEOUT_S);
    const runs = new RunTally<Msg>({ timeoutMs: (runTimeoutS > 0 ? runTimeoutS : DEFAULT_RUN_TIMEOUT_S) * 1000 });

    /** The org Id of a filter connection when known without a call: logged in, or linked by a health check. */
    const knownOrgId = (id: string): string | undefined => {
      const org = id ? kit.connection(id, { watch: false }) : undefined;
      if (!org) return undefined;
      const known = org.identity?.orgId ?? ledger.orgIdForLoginKey(loginKeyOf(org));
      return known && !isPlaceholderOrgId(known) ? known : undefined;
    };

    // A filter on a connection nobody has used yet needs its org Id, and only a login tells it.
    const orgIdOf = async (id: string): Promise<string | undefined> => {
      if (!id) return undefined;
      const known = knownOrgId(id);
      if (known) return known;
      const org = kit.connection(id, { watch: false });
      if (!org) throw localizedError(RED, 'sf-sync-status.errors.no-connection', {}, 'NO_CONNECTION');
      await org.connection();
      const orgId = org.identity?.orgId;
      if (!orgId) throw localizedError(RED, 'sf-sync-status.errors.no-org-id', { name: org.settings.name });
      return orgId;
    };

    /** Names of the orgs this Node-RED's connections have logged in to, for orgs the ledger has no name for. */
    const connectionNames = (): Map<string, string> => {
      const names = new Map<string, string>();
      for (const org of allOrgs(RED)) {
        const ident = org.identity;
        if (ident?.orgId) names.set(ident.orgId, org.settings.name || ident.orgName || ident.orgId);
      }
      return names;
    };

    const queryFor = async (msg?: Msg): Promise<StatusQuery> => {
      const hours = numberOr(msg?.windowHours, windowHours);
      return {
        sourceOrg: await orgIdOf(config.sourceConnection),
        targetOrg: await orgIdOf(config.targetConnection),
        object: object || undefined,
        hours: hours > 0 ? hours : windowHours,
        names: connectionNames(),
        live,
      };
    };

    const showStatus = (report: StatusReport) => {
      const t = report.totals;
      const args = { hours: report.window.hours, synced: t.synced.toLocaleString('en-US'), dead: t.deadLettered.toLocaleString('en-US') };
      const fill = t.failed + t.deadLettered > 0 ? 'yellow' : t.processed > 0 ? 'green' : 'grey';
      kit.status(fill, fill === 'grey' ? 'ring' : 'dot', 'sf-sync-status.status.summary', args);
    };

    const report = async (msg?: Msg): Promise<{ query: StatusQuery; report: StatusReport }> => {
      const query = await queryFor(msg);
      const r = buildStatusReport(ledger, query);
      showStatus(r);
      return { query, report: r };
    };

    const dashboardMessages = async (): Promise<NodeMessage[]> => {
      const { query, report: r } = await report();
      return [
        { topic: 'table', payload: tableRows(r), action: 'replace' } as NodeMessage,
        { topic: 'chart', payload: chartPoints(ledger, { ...query, now: r.window.to }), action: 'replace' } as NodeMessage,
        { topic: 'lag', payload: live.lagPoints({ sourceOrg: query.sourceOrg, targetOrg: query.targetOrg, object: query.object }), action: 'replace' } as NodeMessage,
      ];
    };

    /** Output 3: a finished run's report, on the message that started it (so an HTTP request gets its answer). */
    const runReport = (finished: FinishedRun<Msg>): NodeMessage => {
      const first = finished.first as Record<string, unknown>;
      return { _msgid: first._msgid, req: first.req, res: first.res, statusCode: finished.statusCode, topic: 'sync report', payload: finished.report } as NodeMessage;
    };

    if (!kit.every(intervalS, () => {
      dashboardMessages().then(
        (msgs) => node.send([null, msgs, null]),
        (err: Error) => {
          kit.status('red', 'ring', 'sf-sync-status.status.error');
          node.error(kit.t('sf-sync-status.errors.report', { reason: err.message }));
        },
      );
    })) {
      kit.status('grey', 'ring', 'sf-sync-status.status.on-input');
    }
    // Looking costs nothing (no API call), so a short run timeout is honoured to the second.
    const sweepS = Math.min(SWEEP_S, runTimeoutS > 0 ? runTimeoutS : SWEEP_S);
    kit.every(sweepS, () => {
      const late = runs.sweep();
      if (late.length) node.send([null, null, late.map(runReport)]);
    }, { firstAfterMs: sweepS * 1000, minIntervalS: 1 });

    node.on('input', (inMsg, send, done) => {
      const msg = inMsg as Msg;
      const topic = typeof msg.topic === 'string' ? msg.topic : '';
      // Wired into a sync flow, every batch, summary and error arrives here: tallied, not answered.
      if (!REPORT_TOPICS.has(topic) && RunTally.concerns(msg)) {
        const finished = runs.observe(msg);
        if (finished) send([null, null, runReport(finished)]);
        done();
        return;
      }
      const answer = async (): Promise<void> => {
        if (topic === 'runtime') {
          msg.payload = ctx.snapshot();
          send([msg, null, null]);
          return;
        }
        if (topic === 'dashboard') {
          send([null, await dashboardMessages(), null]);
          return;
        }
        if (topic === 'dead-letters-csv') {
          const query = await queryFor(msg);
          const now = Date.now();
          msg.payload = deadLettersCsv(ledger, { ...query, now });
          msg.filename = csvFilename('dead-letters', now);
          send([msg, null, null]);
          return;
        }
        const { report: r } = await report(msg);
        if (topic === 'csv') {
          msg.payload = statusCsv(r);
          msg.filename = csvFilename('sync-status', r.generatedAt);
        } else {
          msg.topic = msg.topic ?? 'status';
          msg.payload = r;
        }
        send([msg, null, null]);
      };
      answer().then(() => done(), (err: Error) => done(err));
    });
  }

  RED.nodes.registerType('sf-sync-status', SfSyncStatus as never);
}
