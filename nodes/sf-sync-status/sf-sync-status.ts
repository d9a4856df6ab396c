import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { isPlaceholderOrgId, loginKeyOf } from '../../lib/health/index.js';
import {
  LiveMetrics, buildStatusReport, chartPoints, csvFilename, deadLettersCsv, statusCsv, tableRows, writeSampleOf,
  type StatusQuery, type StatusReport, type WriteSample,
} from '../../lib/status/index.js';
import { ledgerLease } from '../shared/ledger.js';
import { orgOf } from '../shared/types.js';

interface SyncStatusConfig extends NodeDef {
  interval: string | number;
  windowHours: string | number;
  sourceConnection: string;
  targetConnection: string;
  object: string;
}

/** Topics that ask for a report; any other message is answered with the table unless it carries write metrics. */
const REPORT_TOPICS = new Set(['status', 'csv', 'dead-letters-csv', 'dashboard']);
const MIN_INTERVAL_S = 5;

function numberOr(v: unknown, fallback: number): number {
  const n = Number(v);
  return Number.isFinite(n) && String(v).trim() !== '' ? n : fallback;
}

type Msg = NodeMessage & { s2s?: unknown; windowHours?: unknown; filename?: string; action?: string };

export default function register(RED: NodeAPI): void {
  function SfSyncStatus(this: Node, config: SyncStatusConfig) {
    RED.nodes.createNode(this, config);
    const node = this;
    const intervalS = numberOr(config.interval, 60);
    const windowHours = numberOr(config.windowHours, 24) > 0 ? numberOr(config.windowHours, 24) : 24;
    const object = (config.object ?? '').trim();
    const lease = ledgerLease(RED);
    const live = new LiveMetrics();

    const connectionOf = (id: string) => {
      const org = orgOf(RED, id);
      if (!org) throw new Error(RED._('sf-sync-status.errors.no-connection'));
      return org;
    };

    /** The org Id of a filter connection when known without a call: logged in, or linked by a health check. */
    const knownOrgId = (id: string): string | undefined => {
      if (!id) return undefined;
      const org = orgOf(RED, id);
      if (!org) return undefined;
      const known = org.identity?.orgId ?? lease.ledger.orgIdForLoginKey(loginKeyOf(org));
      return known && !isPlaceholderOrgId(known) ? known : undefined;
    };

    // A filter on a connection nobody has used yet needs its org Id, and only a login tells it.
    const orgIdOf = async (id: string): Promise<string | undefined> => {
      if (!id) return undefined;
      const known = knownOrgId(id);
      if (known) return known;
      const org = connectionOf(id);
      await org.connection();
      const orgId = org.identity?.orgId;
      if (!orgId) throw new Error(RED._('sf-sync-status.errors.no-org-id', { name: org.settings.name }));
      return orgId;
    };

    /** Names of the orgs this Node-RED's connections have logged in to, for orgs the ledger has no name for. */
    const connectionNames = (): Map<string, string> => {
      const names = new Map<string, string>();
      RED.nodes.eachNode((n) => {
        if (n.type !== 'sf-connection') return;
        const org = orgOf(RED, n.id);
        const ident = org?.identity;
        if (org && ident?.orgId) names.set(ident.orgId, org.settings.name || ident.orgName || ident.orgId);
      });
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
      node.status({ fill, shape: fill === 'grey' ? 'ring' : 'dot', text: RED._('sf-sync-status.status.summary', args) });
    };

    const report = async (msg?: Msg): Promise<{ query: StatusQuery; report: StatusReport }> => {
      const query = await queryFor(msg);
      const r = buildStatusReport(lease.ledger, query);
      showStatus(r);
      return { query, report: r };
    };

    const dashboardMessages = async (): Promise<NodeMessage[]> => {
      const { query, report: r } = await report();
      return [
        { topic: 'table', payload: tableRows(r), action: 'replace' } as NodeMessage,
        { topic: 'chart', payload: chartPoints(lease.ledger, { ...query, now: r.window.to }), action: 'replace' } as NodeMessage,
      ];
    };

    /** Writes of other org pairs or objects than the filter's are not this node's to count. */
    const mine = (s: WriteSample): boolean => {
      const source = knownOrgId(config.sourceConnection);
      const target = knownOrgId(config.targetConnection);
      if (source && s.sourceOrg && s.sourceOrg !== source) return false;
      if (target && s.targetOrg && s.targetOrg !== target) return false;
      return !object || !s.object || s.object === object;
    };

    let timer: NodeJS.Timeout | undefined;
    let first: NodeJS.Timeout | undefined;
    const scheduled = () => {
      dashboardMessages().then(
        (msgs) => node.send([null, msgs]),
        (err: Error) => {
          node.status({ fill: 'red', shape: 'ring', text: 'sf-sync-status.status.error' });
          node.error(RED._('sf-sync-status.errors.report', { reason: err.message }));
        },
      );
    };
    if (intervalS > 0) {
      // The first report soon after deploy, so status and dashboards fill in without waiting an interval.
      first = setTimeout(scheduled, 1000);
      timer = setInterval(scheduled, Math.max(intervalS, MIN_INTERVAL_S) * 1000);
    } else {
      node.status({ fill: 'grey', shape: 'ring', text: 'sf-sync-status.status.on-input' });
    }

    node.on('input', (inMsg, send, done) => {
      const msg = inMsg as Msg;
      const topic = typeof msg.topic === 'string' ? msg.topic : '';
      const sample = writeSampleOf(msg);
      if (sample) {
        if (mine(sample)) {
          // A write that does not name its orgs is, as far as this node can tell, of the pair it filters on.
          live.observe({
            ...sample,
            sourceOrg: sample.sourceOrg ?? knownOrgId(config.sourceConnection),
            targetOrg: sample.targetOrg ?? knownOrgId(config.targetConnection),
          });
        }
        // Wired after sf-upsert-out every batch arrives here; answering each would flood output 1.
        if (!REPORT_TOPICS.has(topic)) {
          done();
          return;
        }
      }
      const answer = async (): Promise<void> => {
        if (topic === 'dashboard') {
          send([null, await dashboardMessages()]);
          return;
        }
        if (topic === 'dead-letters-csv') {
          const query = await queryFor(msg);
          const now = Date.now();
          msg.payload = deadLettersCsv(lease.ledger, { ...query, now });
          msg.filename = csvFilename('dead-letters', now);
          send([msg, null]);
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
        send([msg, null]);
      };
      answer().then(() => done(), (err: Error) => done(err));
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      clearTimeout(first);
      clearInterval(timer);
      lease.release();
      done();
    });
  }

  RED.nodes.registerType('sf-sync-status', SfSyncStatus as never);
}
