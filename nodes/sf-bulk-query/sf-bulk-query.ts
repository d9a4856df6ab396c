import { randomUUID } from 'node:crypto';
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { Backfill, type BackfillProgress, type BackfillSummary } from '../../lib/bulk/backfill.js';
import { BulkRun, type BulkRunOptions, type BulkObjectStart, type BulkRunProgress, type BulkRunSummary } from '../../lib/bulk/bulk-run.js';
import { progressFigures } from '../../lib/bulk/progress.js';
import { readCondition } from '../../lib/bulk/read-filter.js';
import { bulkSettings, runRequest, type RunRequest } from '../../lib/bulk/settings.js';
import { runtimeContext } from '../../lib/runtime/context.js';
import { OrgApi } from '../../lib/salesforce/org-api.js';
import { writerDownstream } from '../shared/acks.js';
import { forCatch, localizedError } from '../shared/errors.js';
import { NodeKit, wholeNumber } from '../shared/kit.js';
import { publishRuntime } from '../shared/runtime-publish.js';

interface BulkConfig extends NodeDef {
  connection: string;
  objects: string;
  where: string;
  dateField: string;
  from: string;
  to: string;
  owner: string;
  include: string;
  exclude: string;
  queryAll: boolean | string;
  path: string;
  threshold: string | number;
  checkpointName: string;
  batchSize: string | number;
  inFlight: string | number;
  ackTimeout: string | number;
  progressEvery: string | number;
  resume: boolean | string;
  mode: string;
  rangeUnit: string;
  check: boolean | string;
}

type Msg = NodeMessage & { payload?: unknown; topic?: string };

const count = (n: number) => n.toLocaleString('en-US');
const duration = (ms: number | null) => {
  if (ms === null) return '?';
  const s = Math.round(ms / 1000);
  return s < 90 ? `${s} s` : s < 5400 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`;
};

export default function register(RED: NodeAPI): void {
  function SfBulkQuery(this: Node, config: BulkConfig) {
    RED.nodes.createNode(this, config);
    const node = this;
    const kit = new NodeKit(RED, node);
    const ctx = runtimeContext();
    publishRuntime(RED, node, (fn) => kit.onClose(fn));
    const { settings, problems } = bulkSettings(config);
    if (problems.length) {
      kit.status('red', 'ring', 'sf-bulk-query.status.config');
      node.error(localizedError(RED, 'sf-bulk-query.errors.config', { problems: problems.join('; ') }, 'INVALID_CONFIGURATION'));
      node.on('input', (_msg, _send, done) => done(localizedError(RED, 'sf-bulk-query.errors.config', { problems: problems.join('; ') }, 'INVALID_CONFIGURATION')));
      return;
    }
    const org = kit.connection(config.connection);
    if (!org) {
      kit.status('red', 'ring', 's2s.connection.none');
      node.error(localizedError(RED, 's2s.errors.no-connection', {}, 'NO_CONNECTION'));
      node.on('input', (_msg, _send, done) => done(localizedError(RED, 's2s.errors.no-connection', {}, 'NO_CONNECTION')));
      return;
    }
    const ledger = kit.ledger();
    // One checkpoint per node unless named: two nodes reading one object with different filters must not share it.
    const checkpointName = settings.checkpointName || `node:${node.id}`;
    const progressEveryS = wholeNumber(config.progressEvery, 5, 1, 3600);
    let running: { run: BulkRun | Backfill; startedAt: number; progress?: BulkRunProgress | BackfillProgress; object?: BulkObjectStart; runId: string } | undefined;
    let lastSummary: BulkRunSummary | BackfillSummary | undefined;

    const report = () => {
      if (kit.closing) return;
      const p = running?.progress;
      ctx.reportSource({
        id: node.id, name: config.name || 'sf-bulk-query', kind: 'sf-bulk-query', state: running ? `reading ${running.object?.object ?? ''}`.trim() : 'idle',
        inFlight: 0, settled: p?.written ?? lastSummary?.written ?? 0, failed: p?.failedBatches ?? lastSummary?.failedBatches ?? 0, released: 0, lastBatchAt: null,
        detail: { connection: config.connection, objects: settings.objects, progress: p ?? null },
      });
    };
    report();
    kit.onClose(() => ctx.forgetSource(node.id));

    const figures = () => {
      const r = running!;
      const p = r.progress;
      return progressFigures({ written: p?.written ?? 0, total: p?.total ?? 0, resumedAt: p?.resumedAt ?? 0 }, r.startedAt, Date.now());
    };
    const showProgress = () => {
      if (!running?.progress || kit.closing) return;
      const f = figures();
      const p = running.progress as Partial<BackfillProgress>;
      kit.progress(p.range ? 'sf-bulk-query.status.backfilling' : 'sf-bulk-query.status.reading', {
        range: p.range ? `${(p.rangeIndex ?? 0) + 1}/${p.ranges ?? 0} (${p.range.from}${p.range.to ? ` to ${p.range.to}` : ' on'})` : '',
        object: running.progress.object, written: count(f.written), total: count(f.total), percent: f.percent ?? 0, rate: count(Math.round(f.perSecond)), eta: duration(f.etaMs),
      });
    };
    const progressMessage = (base: Msg, send: (msgs: Array<NodeMessage | null>) => void) => {
      if (!running?.progress) return;
      const f = figures();
      send([null, { ...RED.util.cloneMessage(base), topic: 'progress', payload: { ...running.progress, read: running.progress.sent, ...f, runId: running.runId, path: running.object?.path } } as NodeMessage]);
    };

    const start = (msg: Msg, request: RunRequest, send: (msgs: Array<NodeMessage | null>) => void, done: (err?: Error) => void) => {
      const api = new OrgApi(org, { sleep: (ms) => kit.sleep(ms) });
      const runId = randomUUID();
      const filter = { ...settings.filter, from: request.from ?? settings.filter.from, to: request.to ?? settings.filter.to };
      const common: Omit<BulkRunOptions, 'where'> = {
        api, ledger, acks: ctx.acks, owner: node.id, objects: settings.objects, checkpointName, runId, restart: request.restart,
        threshold: settings.threshold, path: settings.path === 'auto' ? undefined : settings.path, queryAll: settings.queryAll,
        include: settings.include, exclude: settings.exclude,
        batchSize: wholeNumber(config.batchSize, 200, 1, 10_000),
        inFlight: wholeNumber(config.inFlight, 4, 1, 20),
        ackTimeoutMs: wholeNumber(config.ackTimeout, 300, 5, 3600) * 1000,
        acked: writerDownstream(RED, node.id),
        bulk: { sleep: (ms) => kit.sleep(ms) },
        send: ({ records, meta }) => {
          const out = { ...RED.util.cloneMessage({ ...msg, payload: undefined }), topic: meta.object, payload: records, s2s: meta } as NodeMessage;
          node.send([out, null]);
        },
        onObject: (o) => {
          running!.object = o;
          kit.status('yellow', 'ring', 'sf-bulk-query.status.starting', { object: o.object, count: count(o.count), path: RED._(`sf-bulk-query.path.${o.path}`) });
        },
        onProgress: (p: BulkRunProgress) => {
          running!.progress = p;
          showProgress();
        },
      };
      const run = settings.mode === 'backfill'
        ? new Backfill({
          ...common, dateField: settings.filter.dateField!, unit: settings.rangeUnit, from: filter.from || undefined, to: filter.to || undefined, check: settings.check,
          // Within a range the node's own filter applies, with the range instead of the span.
          where: (range) => (_object, fieldType) => readCondition({ ...settings.filter, from: range.from, to: range.to }, request.params, fieldType),
          fingerprint: Backfill.fingerprint([settings.objects, settings.filter.where, request.params ?? null, settings.filter.dateField, settings.rangeUnit, filter.from, filter.to,
            settings.filter.owner, settings.include, settings.exclude, settings.queryAll]),
          onRangeDone: (r) => {
            send([null, { ...RED.util.cloneMessage(msg), topic: 'range', payload: { ...r, runId, node: config.name || node.id } } as NodeMessage]);
            const missing = (r.checks ?? []).filter((c) => c.missing > 0);
            if (missing.length) {
              node.warn(kit.t('sf-bulk-query.warnings.missing', {
                range: `${r.from}${r.to ? ` to ${r.to}` : ' on'}`, what: missing.map((c) => `${c.object} ${count(c.missing)} of ${count(c.source)}`).join(', '),
              }));
            }
          },
        })
        : new BulkRun({ ...common, where: (_object, fieldType) => readCondition(filter, request.params, fieldType) });
      running = { run, startedAt: Date.now(), runId };
      kit.status('yellow', 'ring', 'sf-bulk-query.status.counting');
      report();
      const stopTicker = (() => {
        const timer = setInterval(() => {
          showProgress();
          progressMessage(msg, send);
          report();
        }, progressEveryS * 1000);
        return () => clearInterval(timer);
      })();
      const forget = kit.onClose(() => {
        stopTicker();
        run.stop();
      });
      run.run().then(
        (summary) => {
          stopTicker();
          forget();
          running = undefined;
          lastSummary = summary;
          if (kit.closing) return done();
          report();
          const payload = { ...summary, runId, node: config.name || node.id };
          const missing = 'missing' in summary ? summary.missing : 0;
          if (summary.finished && missing > 0) {
            kit.status('yellow', 'dot', 'sf-bulk-query.status.doneMissing', { records: count(summary.written), missing: count(missing) });
          } else if (summary.finished) {
            kit.status('green', 'dot', 'sf-bulk-query.status.done', { records: count(summary.written), seconds: Math.round(summary.durationMs / 1000) });
          } else if (summary.stopped) {
            kit.status('grey', 'dot', 'sf-bulk-query.status.stopped', { written: count(summary.written), total: count(summary.total) });
          } else {
            kit.status('red', 'dot', 'sf-bulk-query.status.held', { failed: count(summary.failedBatches) });
          }
          send([null, { ...RED.util.cloneMessage(msg), topic: 'summary', payload } as NodeMessage]);
          if (!summary.finished && !summary.stopped) {
            done(localizedError(RED, 'sf-bulk-query.errors.held', { failed: count(summary.failedBatches) }, 'BATCHES_FAILED'));
          } else done();
        },
        (err: Error) => {
          stopTicker();
          forget();
          running = undefined;
          if (kit.closing) return done();
          report();
          const reason = org.mask(err.message);
          kit.status('red', 'ring', 'sf-bulk-query.status.failed', { reason: reason.length > 80 ? `${reason.slice(0, 77)}...` : reason });
          done(forCatch(new Error(reason), kit.t('sf-bulk-query.errors.failed')));
        },
      );
    };

    node.on('input', (msg: Msg, send, done) => {
      if (msg.topic === 'stop') {
        if (running) running.run.stop();
        else kit.status('grey', 'dot', 'sf-bulk-query.status.idle');
        done();
        return;
      }
      if (running) {
        const p = running.progress;
        done(localizedError(RED, 'sf-bulk-query.errors.busy', { object: p?.object ?? running.object?.object ?? settings.objects[0]!, written: count(p?.written ?? 0), total: count(p?.total ?? 0) }, 'BUSY'));
        return;
      }
      let request: RunRequest;
      try {
        request = runRequest(settings, msg.payload);
      } catch (err) {
        done(forCatch(err, kit.t('sf-bulk-query.errors.input')));
        return;
      }
      start(msg, request, send as (msgs: Array<NodeMessage | null>) => void, done);
    });

    // A run that a crash or a redeploy interrupted goes on by itself once the flows have started.
    const resume = config.resume === undefined || config.resume === true || config.resume === 'true';
    const resumeIfPending = async () => {
      if (kit.closing || running) return;
      try {
        // Logs in: the checkpoints are kept by org Id.
        await org.connection();
      } catch {
        // The org may be down at deploy: look again later.
        kit.after(30_000, () => void resumeIfPending());
        return;
      }
      if (kit.closing || running) return;
      const orgId = org.identity?.orgId;
      const pending = orgId && (settings.mode === 'backfill' ? Backfill.pending(ledger, orgId, checkpointName) : BulkRun.pending(ledger, orgId, settings.objects, checkpointName));
      if (!pending) {
        kit.status('grey', 'dot', 'sf-bulk-query.status.idle');
        return;
      }
      if (!resume) {
        kit.status('yellow', 'dot', 'sf-bulk-query.status.interrupted');
        return;
      }
      // No message started it: the summary goes out, and errors are reported, as for an empty message.
      const msg: Msg = { _msgid: RED.util.generateId(), topic: 'resume', payload: {} };
      start(msg, { restart: false }, (msgs) => node.send(msgs), (err) => err && node.error(err, msg));
    };
    const resumeTimer = setTimeout(() => void resumeIfPending(), 0);
    kit.onClose(() => clearTimeout(resumeTimer));
  }

  RED.nodes.registerType('sf-bulk-query', SfBulkQuery as never);
}
