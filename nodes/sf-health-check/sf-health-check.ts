import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import type { OrgConnection } from '../../lib/connection/org-connection.js';
import { HealthMonitor, orgStatusEvent, type CheckResult, type StatusTransition } from '../../lib/health/index.js';
import { ledgerLease } from '../shared/ledger.js';
import { orgOf } from '../shared/types.js';

interface HealthCheckConfig extends NodeDef {
  connection: string;
  allConnections: boolean;
  interval: string | number;
  degradedLatencyMs: string | number;
  degradedApiPercent: string | number;
  publishConnection: string;
  publishEvent: string;
}

const MIN_INTERVAL_S = 5;
/** Samples are kept five weeks: the week's uptime and a month of trend history. */
const KEEP_SAMPLES_MS = 35 * 24 * 3_600_000;

function numberOr(v: unknown, fallback: number): number {
  const n = Number(v);
  return Number.isFinite(n) && String(v).trim() !== '' ? n : fallback;
}

export default function register(RED: NodeAPI): void {
  function SfHealthCheck(this: Node, config: HealthCheckConfig) {
    RED.nodes.createNode(this, config);
    const node = this;
    const intervalS = numberOr(config.interval, 60);
    const lease = ledgerLease(RED);
    const monitor = new HealthMonitor({
      ledger: lease.ledger,
      degradedLatencyMs: numberOr(config.degradedLatencyMs, 2000),
      degradedApiPercent: numberOr(config.degradedApiPercent, 90),
      // Time nobody was checking is unknown, not the last status stretched over it.
      maxSampleHoldMs: intervalS > 0 ? Math.max(intervalS, MIN_INTERVAL_S) * 3000 : undefined,
    });

    /** The connections to check, resolved at check time so redeployed config nodes are picked up. */
    const connections = (): OrgConnection[] => {
      const ids: string[] = [];
      if (config.allConnections) RED.nodes.eachNode((n) => void (n.type === 'sf-connection' && ids.push(n.id)));
      else if (config.connection) ids.push(config.connection);
      return ids.map((id) => orgOf(RED, id)).filter((o): o is OrgConnection => !!o);
    };

    const transitionMessage = (t: StatusTransition): NodeMessage => ({ topic: t.orgName, payload: t } as NodeMessage);

    const report = (results: CheckResult[]) =>
      results.map(({ sample }) => {
        const uptime = monitor.uptimeReport(sample.orgId);
        return {
          orgId: sample.orgId, orgName: sample.orgName, status: sample.status, severity: sample.severity, reason: sample.reason, code: sample.code,
          latencyMs: sample.latencyMs, apiUsed: sample.apiUsed, apiLimit: sample.apiLimit, apiBudget: sample.apiBudget, at: sample.at,
          uptime: { hour: uptime.hour.up, day: uptime.day.up, week: uptime.week.up },
        };
      });

    const showStatus = (results: CheckResult[]) => {
      const total = results.length;
      const down = results.filter((r) => r.sample.status === 'unavailable').length;
      const degraded = results.filter((r) => r.sample.status === 'degraded').length;
      const up = total - down - degraded;
      if (down) node.status({ fill: 'red', shape: 'ring', text: RED._('sf-health-check.status.unavailable', { down, total }) });
      else if (degraded) node.status({ fill: 'yellow', shape: 'dot', text: RED._('sf-health-check.status.degraded', { degraded, total }) });
      else node.status({ fill: 'green', shape: 'dot', text: RED._('sf-health-check.status.available', { up, total }) });
    };

    const publish = async (transitions: StatusTransition[]) => {
      if (!config.publishConnection || !transitions.length) return;
      const target = orgOf(RED, config.publishConnection);
      if (!target) return;
      const event = config.publishEvent || 'Org_Status__e';
      for (const t of transitions) {
        try {
          await target.run((c) => c.sobject(event).create(orgStatusEvent(t)));
        } catch (err) {
          node.warn(RED._('sf-health-check.errors.publish', { event, reason: (err as Error).message }));
        }
      }
    };

    /** One round of checks; transitions go out on output 1, the report on output 2. */
    const runChecks = async (): Promise<{ transitions: NodeMessage[]; payload: ReturnType<typeof report> } | undefined> => {
      const conns = connections();
      if (!conns.length) {
        node.status({ fill: 'grey', shape: 'ring', text: 'sf-health-check.status.no-connection' });
        return undefined;
      }
      const results = await monitor.checkAll(conns);
      showStatus(results);
      const transitions = results.map((r) => r.transition).filter((t): t is StatusTransition => !!t);
      await publish(transitions);
      return { transitions: transitions.map(transitionMessage), payload: report(results) };
    };

    if (!config.allConnections && !config.connection) {
      node.status({ fill: 'grey', shape: 'ring', text: 'sf-health-check.status.no-connection' });
    }

    let timer: NodeJS.Timeout | undefined;
    let first: NodeJS.Timeout | undefined;
    const prune = () => {
      try {
        lease.ledger.pruneSamples(Date.now() - KEEP_SAMPLES_MS);
      } catch (err) {
        node.warn(RED._('sf-health-check.errors.prune', { reason: (err as Error).message }));
      }
    };
    prune();
    const pruner = setInterval(prune, 24 * 3_600_000);
    const scheduled = () => {
      runChecks().then(
        (r) => r && node.send([r.transitions, { topic: 'health', payload: r.payload } as NodeMessage]),
        (err: Error) => node.error(RED._('sf-health-check.errors.check', { reason: err.message })),
      );
    };
    if (intervalS > 0) {
      // The first check soon after deploy, so status and dashboards fill in without waiting an interval.
      first = setTimeout(scheduled, 1000);
      timer = setInterval(scheduled, Math.max(intervalS, MIN_INTERVAL_S) * 1000);
    }

    node.on('input', (msg, send, done) => {
      runChecks().then(
        (r) => {
          if (!r) {
            done(new Error(RED._('sf-health-check.errors.no-connection')));
            return;
          }
          send([r.transitions, { ...msg, topic: msg.topic ?? 'health', payload: r.payload }]);
          done();
        },
        (err: Error) => done(err),
      );
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      clearTimeout(first);
      clearInterval(timer);
      clearInterval(pruner);
      lease.release();
      done();
    });
  }

  RED.nodes.registerType('sf-health-check', SfHealthCheck as never);

  // Availability history for trend charts: /sf-health-check/history?orgId=00D…&hours=24&bucketMinutes=60
  RED.httpAdmin.get('/sf-health-check/history', RED.auth.needsPermission('sf-health-check.read'), (req, res) => {
    const q = req.query as Record<string, string | undefined>;
    const hours = numberOr(q.hours, 24);
    const bucketMinutes = numberOr(q.bucketMinutes, 60);
    if (!q.orgId || !(hours > 0) || !(bucketMinutes > 0)) {
      res.status(400).json({ error: 'history needs orgId, and positive hours and bucketMinutes' });
      return;
    }
    const lease = ledgerLease(RED);
    try {
      const to = Date.now();
      res.json(lease.ledger.history(q.orgId, { from: to - hours * 3_600_000, to, bucketMs: bucketMinutes * 60_000 }));
    } catch (err) {
      res.status(400).json({ error: (err as Error).message });
    } finally {
      lease.release();
    }
  });
}
