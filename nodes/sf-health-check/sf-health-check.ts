import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import type { OrgConnection } from '../../lib/connection/org-connection.js';
import { HealthMonitor, orgStatusEvent, type CheckResult, type StatusTransition } from '../../lib/health/index.js';
import { OrgApi } from '../../lib/salesforce/org-api.js';
import { adminRoute, HttpError, param } from '../shared/admin.js';
import { allOrgs } from '../shared/connection.js';
import { localizedError } from '../shared/errors.js';
import { MIN_INTERVAL_S, NodeKit, numberOr } from '../shared/kit.js';
import { ledgerLease } from '../shared/ledger.js';

interface HealthCheckConfig extends NodeDef {
  connection: string;
  allConnections: boolean;
  interval: string | number;
  degradedLatencyMs: string | number;
  degradedApiPercent: string | number;
  publishConnection: string;
  publishEvent: string;
}

/** Samples are kept five weeks: the week's uptime and a month of trend history. */
const KEEP_SAMPLES_MS = 35 * 24 * 3_600_000;
const DAY_S = 24 * 3600;

export default function register(RED: NodeAPI): void {
  function SfHealthCheck(this: Node, config: HealthCheckConfig) {
    RED.nodes.createNode(this, config);
    const node = this;
    const kit = new NodeKit(RED, node);
    const intervalS = numberOr(config.interval, 60);
    const ledger = kit.ledger();
    const monitor = new HealthMonitor({
      ledger,
      degradedLatencyMs: numberOr(config.degradedLatencyMs, 2000),
      degradedApiPercent: numberOr(config.degradedApiPercent, 90),
      // Time nobody was checking is unknown, not the last status stretched over it.
      maxSampleHoldMs: intervalS > 0 ? Math.max(intervalS, MIN_INTERVAL_S) * 3000 : undefined,
    });

    /** The connections to check, resolved at check time so redeployed config nodes are picked up. */
    const connections = (): OrgConnection[] => {
      if (config.allConnections) return allOrgs(RED);
      const org = kit.connection(config.connection, { watch: false });
      return org ? [org] : [];
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
      if (down) kit.status('red', 'ring', 'sf-health-check.status.unavailable', { down, total });
      else if (degraded) kit.status('yellow', 'dot', 'sf-health-check.status.degraded', { degraded, total });
      else kit.status('green', 'dot', 'sf-health-check.status.available', { up, total });
    };

    const publish = async (transitions: StatusTransition[]) => {
      if (!config.publishConnection || !transitions.length) return;
      const target = kit.connection(config.publishConnection, { watch: false });
      if (!target) return;
      const event = config.publishEvent || 'Org_Status__e';
      const api = new OrgApi(target);
      for (const t of transitions) {
        try {
          await api.publishEvent(event, { ...orgStatusEvent(t) });
        } catch (err) {
          node.warn(kit.t('sf-health-check.errors.publish', { event, reason: (err as Error).message }));
        }
      }
    };

    /** One round of checks; transitions go out on output 1, the report on output 2. */
    const runChecks = async (): Promise<{ transitions: NodeMessage[]; payload: ReturnType<typeof report> } | undefined> => {
      const conns = connections();
      if (!conns.length) {
        kit.status('grey', 'ring', 's2s.connection.none');
        return undefined;
      }
      const results = await monitor.checkAll(conns);
      showStatus(results);
      const transitions = results.map((r) => r.transition).filter((t): t is StatusTransition => !!t);
      await publish(transitions);
      return { transitions: transitions.map(transitionMessage), payload: report(results) };
    };

    if (!config.allConnections && !config.connection) kit.status('grey', 'ring', 's2s.connection.none');

    const prune = () => {
      try {
        ledger.pruneSamples(Date.now() - KEEP_SAMPLES_MS);
      } catch (err) {
        node.warn(kit.t('sf-health-check.errors.prune', { reason: (err as Error).message }));
      }
    };
    prune();
    kit.every(DAY_S, prune, { firstAfterMs: DAY_S * 1000 });
    kit.every(intervalS, () => {
      runChecks().then(
        (r) => r && node.send([r.transitions, { topic: 'health', payload: r.payload } as NodeMessage]),
        (err: Error) => node.error(kit.t('sf-health-check.errors.check', { reason: err.message })),
      );
    });

    node.on('input', (msg, send, done) => {
      runChecks().then(
        (r) => {
          if (!r) {
            done(localizedError(RED, 'sf-health-check.errors.no-connection', {}, 'NO_CONNECTION'));
            return;
          }
          send([r.transitions, { ...msg, topic: msg.topic ?? 'health', payload: r.payload }]);
          done();
        },
        (err: Error) => done(err),
      );
    });
  }

  RED.nodes.registerType('sf-health-check', SfHealthCheck as never);

  // Availability history for trend charts: /sf-health-check/history?orgId=00D…&hours=24&bucketMinutes=60
  adminRoute(RED, 'get', '/sf-health-check/history', 'sf-health-check.read', (req) => {
    const orgId = param(req.query, 'orgId');
    const hours = numberOr(param(req.query, 'hours'), 24);
    const bucketMinutes = numberOr(param(req.query, 'bucketMinutes'), 60);
    if (!orgId || !(hours > 0) || !(bucketMinutes > 0)) throw new HttpError(400, 'history needs orgId, and positive hours and bucketMinutes');
    const lease = ledgerLease(RED);
    try {
      const to = Date.now();
      return lease.ledger.history(orgId, { from: to - hours * 3_600_000, to, bucketMs: bucketMinutes * 60_000 });
    } catch (err) {
      throw new HttpError(400, (err as Error).message);
    } finally {
      lease.release();
    }
  });
}
