import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import type { OrgConnection } from '../../lib/connection/org-connection.js';
import {
  durationText, HealthMonitor, livenessProblems, LivenessTransitions, orgStatusEvent, subscriptionLiveness,
  type CheckResult, type LivenessTransition, type StatusTransition, type SubscriptionLiveness,
} from '../../lib/health/index.js';
import { runtimeContext } from '../../lib/runtime/context.js';
import { OrgApi } from '../../lib/salesforce/org-api.js';
import { adminRoute, HttpError, param } from '../shared/admin.js';
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
  /** Seconds a connected sf-cdc-in channel may go without a change event; 0 or empty: not checked. */
  silentAfter: string | number;
}

/** A connection being checked, with the config node id its subscriptions report. */
interface Checked {
  id: string;
  org: OrgConnection;
}

/** One org's check: its sample and the change-capture subscriptions on its connection. */
interface OrgCheck extends CheckResult {
  subscriptions: SubscriptionLiveness[];
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
    const silentAfterS = Math.max(0, numberOr(config.silentAfter, 0));
    const liveness = new LivenessTransitions();
    const ledger = kit.ledger();
    const monitor = new HealthMonitor({
      ledger,
      degradedLatencyMs: numberOr(config.degradedLatencyMs, 2000),
      degradedApiPercent: numberOr(config.degradedApiPercent, 90),
      // Time nobody was checking is unknown, not the last status stretched over it.
      maxSampleHoldMs: intervalS > 0 ? Math.max(intervalS, MIN_INTERVAL_S) * 3000 : undefined,
    });

    /** The connections to check, resolved at check time so redeployed config nodes are picked up. */
    const connections = (): Checked[] => {
      const ids: string[] = [];
      if (config.allConnections) RED.nodes.eachNode((n) => void (n.type === 'sf-connection' && ids.push(n.id)));
      else if (config.connection) ids.push(config.connection);
      return ids.flatMap((id) => {
        const org = kit.connection(id, { watch: false });
        return org ? [{ id, org }] : [];
      });
    };

    const transitionMessage = (t: StatusTransition | LivenessTransition): NodeMessage =>
      ({ topic: 'nodeName' in t ? t.nodeName : t.orgName, payload: t } as NodeMessage);

    const report = (checks: OrgCheck[]) =>
      checks.map(({ sample, subscriptions }) => {
        const uptime = monitor.uptimeReport(sample.orgId);
        return {
          orgId: sample.orgId, orgName: sample.orgName, status: sample.status, severity: sample.severity, reason: sample.reason, code: sample.code,
          latencyMs: sample.latencyMs, apiUsed: sample.apiUsed, apiLimit: sample.apiLimit, apiBudget: sample.apiBudget, at: sample.at,
          uptime: { hour: uptime.hour.up, day: uptime.day.up, week: uptime.week.up },
          subscriptions,
        };
      });

    /** The status text for a silent or stalled subscription: the longest-quiet one, and how many more. */
    const subscriptionText = (problems: SubscriptionLiveness[]): string => {
      const quietFor = (s: SubscriptionLiveness) => (s.verdict === 'stalled' ? s.sinceLastPollMs : s.silentForMs) ?? 0;
      const worst = [...problems].sort((a, b) => quietFor(b) - quietFor(a))[0]!;
      const text = kit.t(`sf-health-check.status.subscription-${worst.verdict}`, { name: worst.nodeName, duration: durationText(quietFor(worst)) });
      const more = new Set(problems.map((p) => p.nodeId).filter((id) => id !== worst.nodeId)).size;
      return more ? kit.t('sf-health-check.status.more', { text, more }) : text;
    };

    // A silent subscription leaves each org's status as the org reports it: it only adds a warning.
    const showStatus = (checks: OrgCheck[]) => {
      const total = checks.length;
      const down = checks.filter((r) => r.sample.status === 'unavailable').length;
      const degraded = checks.filter((r) => r.sample.status === 'degraded').length;
      const up = total - down - degraded;
      const problems = livenessProblems(checks.flatMap((c) => c.subscriptions));
      const [fill, shape, key, args] = down
        ? (['red', 'ring', 'sf-health-check.status.unavailable', { down, total }] as const)
        : degraded
          ? (['yellow', 'dot', 'sf-health-check.status.degraded', { degraded, total }] as const)
          : (['green', 'dot', 'sf-health-check.status.available', { up, total }] as const);
      if (!problems.length) kit.status(fill, shape, key, args);
      else kit.status(down ? 'red' : 'yellow', shape, 'sf-health-check.status.with-subscription', { status: kit.t(key, args), subscription: subscriptionText(problems) });
    };

    /** Says so in the log once when a subscription turns silent or stalled, and once when that is over. */
    const logLiveness = (t: LivenessTransition) => {
      const words = { name: t.nodeName, channel: t.channel, org: t.orgName, duration: durationText((t.verdict === 'stalled' ? t.sinceLastPollMs : t.silentForMs) ?? 0) };
      if (t.verdict === 'silent' || t.verdict === 'stalled') node.warn(kit.t(`sf-health-check.warn.${t.verdict}`, words));
      else node.log(kit.t(`sf-health-check.log.${t.verdict}`, words));
    };

    /** The change-capture subscriptions of each checked connection, and the changes of their verdicts. */
    const checkSubscriptions = (checked: Checked[], results: CheckResult[]) => {
      const sources = runtimeContext().snapshot().sources;
      const now = Date.now();
      const checks: OrgCheck[] = results.map((r, i) => ({ ...r, subscriptions: subscriptionLiveness(sources, { connection: checked[i]!.id, now, silentAfterS }) }));
      const transitions = checks.flatMap((c, i) => liveness.observe({ connection: checked[i]!.id, orgId: c.sample.orgId, orgName: c.sample.orgName }, c.subscriptions, now));
      return { checks, transitions };
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
      const checked = connections();
      if (!checked.length) {
        kit.status('grey', 'ring', 's2s.connection.none');
        return undefined;
      }
      const results = await monitor.checkAll(checked.map((c) => c.org));
      const { checks, transitions: quiet } = checkSubscriptions(checked, results);
      showStatus(checks);
      quiet.forEach(logLiveness);
      const transitions = results.map((r) => r.transition).filter((t): t is StatusTransition => !!t);
      // Only org status changes are published as Org_Status__e: its fields describe an org.
      await publish(transitions);
      return { transitions: [...transitions, ...quiet].map(transitionMessage), payload: report(checks) };
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
