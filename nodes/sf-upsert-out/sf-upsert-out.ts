import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { BatchWriter } from '../../lib/upsert/batch-writer.js';
import { batchInput, replayRequest } from '../../lib/upsert/batch-input.js';
import type { WriteMetrics, WriteReport } from '../../lib/upsert/index.js';
import type { RecordResult } from '../../lib/sync/types.js';
import { runtimeContext } from '../../lib/runtime/context.js';
import { writeSampleOf } from '../../lib/status/live-metrics.js';
import { settleAcks } from '../shared/acks.js';
import { publishRuntime } from '../shared/runtime-publish.js';
import { forCatch, localizedError } from '../shared/errors.js';
import { NodeKit, wholeNumber } from '../shared/kit.js';
import { DEFAULT_BULK_THRESHOLD } from '../../lib/upsert/record-writer.js';
import { SerialQueue } from '../shared/queue.js';
import { registerDeadLetterApi } from './dead-letter-api.js';

interface UpsertOutConfig extends NodeDef {
  connection: string;
  maxInFlight: string | number;
  maxAttempts: string | number;
  baseDelayMs: string | number;
  bulkThreshold?: string | number;
  bulkHardDelete?: boolean;
}

interface Job {
  msg: NodeMessageInFlow;
  send: (msg: Array<NodeMessage | null>) => void;
  done: (err?: Error) => void;
}

const RETRY_TOPIC = 'retry-dead-letters';
/** Messages waiting behind the batch being written; more are refused, so a flood cannot pile up unbounded. */
const MAX_QUEUED = 20;
/** How long close waits for the batch in progress: under Node-RED's 15 s nodeCloseTimeout. */
const CLOSE_WAIT_MS = 10_000;

export default function register(RED: NodeAPI): void {
  function SfUpsertOut(this: Node, config: UpsertOutConfig) {
    RED.nodes.createNode(this, config);
    const node = this;
    const kit = new NodeKit(RED, node);
    const org = kit.connection(config.connection);
    const ledger = kit.ledger();
    const ctx = runtimeContext();
    publishRuntime(RED, node, (fn) => kit.onClose(fn));

    const writer = org && new BatchWriter({
      target: org,
      ledger,
      maxInFlight: wholeNumber(config.maxInFlight, 2, 1, 5),
      retry: { maxAttempts: wholeNumber(config.maxAttempts, 5, 1, 20), baseMs: wholeNumber(config.baseDelayMs, 500, 0, 60_000) },
      // Flows saved before the setting existed write as they always did: collections calls only.
      bulkThreshold: config.bulkThreshold === undefined || config.bulkThreshold === '' ? 0 : wholeNumber(config.bulkThreshold, DEFAULT_BULK_THRESHOLD, 0, 1e9),
      bulkHardDelete: config.bulkHardDelete === true,
      // Retry waits end at once on close, so the batch in progress finishes within the close timeout.
      sleep: (ms) => kit.sleep(ms),
      retryBoard: ctx.retries,
    });
    if (!org) kit.status('grey', 'ring', 's2s.connection.none');

    const reportStatus = (m: WriteMetrics) =>
      kit.status(m.deadLettered ? 'yellow' : 'green', 'dot', 'sf-upsert-out.status.written', { written: m.created + m.updated + m.deleted, unchanged: m.unchanged, deadLettered: m.deadLettered });

    /** Output 1: every result; output 2: the failures only, and only when there are any. */
    const output = (job: Job, report: WriteReport, extra: Record<string, unknown> = {}) => {
      const s2s = { ...((job.msg as { s2s?: object }).s2s ?? {}), write: report.metrics };
      const msg = Object.assign(job.msg, { payload: report.results, s2s }, extra);
      const failures = report.results.filter((r: RecordResult) => r.outcome === 'failed' || r.outcome === 'dead-lettered');
      // Every record has its result (written, unchanged or filed as a dead letter): the source may go on.
      settleAcks(msg, 'settled');
      const sample = writeSampleOf(msg);
      if (sample) ctx.metrics.observe(sample);
      job.send([msg, failures.length ? { ...msg, payload: failures } : null]);
      reportStatus(report.metrics);
    };

    const handle = async (job: Job, w: BatchWriter) => {
      const { msg } = job;
      if (msg.topic === RETRY_TOPIC) {
        const request = replayRequest(msg.payload);
        kit.status('blue', 'dot', 'sf-upsert-out.status.retrying');
        const report = await w.replay(request);
        output(job, report, { retried: report.letterIds });
        return;
      }
      const input = batchInput(msg as { payload?: unknown; s2s?: unknown });
      const queued = queue.length;
      kit.status('blue', 'dot', `sf-upsert-out.status.${queued ? 'writing-queued' : 'writing'}`, { count: input.records.length, queued });
      output(job, await w.write(input));
    };

    /**
     * The error for a batch the node will not write (busy, stopped). Its records are filed as
     * transient dead letters first, so they can be replayed instead of being lost.
     */
    const refuse = async (job: Job, code: 'BUSY' | 'STOPPED', reason: Error): Promise<Error> => {
      if (!writer || job.msg.topic === RETRY_TOPIC) return reason;
      try {
        const filed = await writer.fileUnwritten(batchInput(job.msg as { payload?: unknown; s2s?: unknown }), code, reason.message);
        return forCatch(Object.assign(new Error(`${reason.message}. ${kit.t('sf-upsert-out.errors.filed', { count: filed })}`), { code }));
      } catch (err) {
        // An invalid payload has no records to file: say what is wrong with it instead.
        return forCatch(err, kit.t('sf-upsert-out.errors.not-batch'));
      }
    };

    // Batches go strictly one at a time: the runtime does not wait for done() before the next input.
    const queue = new SerialQueue<Job>({
      maxWaiting: MAX_QUEUED,
      work: async (job) => {
        let failure: Error | undefined;
        try {
          if (!writer) throw localizedError(RED, 'sf-upsert-out.errors.no-connection', {}, 'NO_CONNECTION');
          await handle(job, writer);
        } catch (err) {
          const code = (err as { code?: string }).code;
          failure = forCatch(err, code === 'INVALID_BATCH' ? kit.t('sf-upsert-out.errors.not-batch') : undefined);
          kit.status('red', 'ring', 'sf-upsert-out.status.batch-failed');
        }
        // Outside the try, so done() can never be called twice for one message.
        if (failure) {
          settleAcks(job.msg, 'failed', failure.message);
          job.done(failure);
        } else {
          job.done();
        }
      },
      drop: async (job, why) => {
        const reason = why === 'busy'
          ? localizedError(RED, 'sf-upsert-out.errors.busy', { max: MAX_QUEUED }, 'BUSY')
          : localizedError(RED, 'sf-upsert-out.errors.closing', {}, 'STOPPED');
        const err = await refuse(job, why === 'busy' ? 'BUSY' : 'STOPPED', reason);
        // Filed as dead letters, the records are kept; otherwise the batch is not done with.
        settleAcks(job.msg, /dead letters/.test(err.message) ? 'settled' : 'failed', err.message);
        job.done(err);
      },
      failed: (err) => node.error(err),
    });

    node.on('input', (msg, send, done) => queue.push({ msg, send: send as Job['send'], done }));

    // Registered after the ledger lease, so it runs first: the waiting batches are filed and the
    // batch in progress finishes before the lease goes.
    kit.onClose(() => queue.close(CLOSE_WAIT_MS));
  }

  RED.nodes.registerType('sf-upsert-out', SfUpsertOut as never);
  registerDeadLetterApi(RED);
}
