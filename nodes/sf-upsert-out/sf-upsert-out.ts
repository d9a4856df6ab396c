import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import type { StateChange } from '../../lib/connection/org-connection.js';
import type { WriteMetrics, WriteReport } from '../../lib/upsert/index.js';
import type { RecordResult } from '../../lib/sync/types.js';
import { ledgerLease } from '../shared/ledger.js';
import { orgOf } from '../shared/types.js';
import { BatchWriter } from '../../lib/upsert/batch-writer.js';
import { registerDeadLetterApi } from './dead-letter-api.js';
import { batchInput, InputProblem, replayRequest, wholeNumber } from '../../lib/upsert/batch-input.js';

interface UpsertOutConfig extends NodeDef {
  connection: string;
  maxInFlight: string | number;
  maxAttempts: string | number;
  baseDelayMs: string | number;
}

interface Job {
  msg: NodeMessageInFlow;
  send: (msg: Array<NodeMessage | null>) => void;
  done: (err?: Error) => void;
}

type Status = { fill: 'green' | 'yellow' | 'red' | 'blue' | 'grey'; shape: 'dot' | 'ring'; text: string };

const RETRY_TOPIC = 'retry-dead-letters';
/** Messages waiting behind the batch being written; more are refused, so a flood cannot pile up unbounded. */
const MAX_QUEUED = 20;
/** How long close waits for the batch in progress: under Node-RED's 15 s nodeCloseTimeout. */
const CLOSE_WAIT_MS = 10_000;

export default function register(RED: NodeAPI): void {
  function SfUpsertOut(this: Node, config: UpsertOutConfig) {
    RED.nodes.createNode(this, config);
    const node = this;
    const org = orgOf(RED, config.connection);
    const lease = ledgerLease(RED);
    let closing = false;
    const queue: Job[] = [];
    let current: Promise<void> | undefined;

    // Retry waits end at once on close, so the batch in progress finishes (every record with a result) within the close timeout.
    const sleepers = new Set<() => void>();
    const sleep = (ms: number) =>
      closing
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
          const wake = () => {
            clearTimeout(timer);
            sleepers.delete(wake);
            resolve();
          };
          const timer = setTimeout(wake, ms);
          sleepers.add(wake);
        });

    const writer = org && new BatchWriter({
      target: org,
      ledger: lease.ledger,
      maxInFlight: wholeNumber(config.maxInFlight, 2, 1, 5),
      retry: { maxAttempts: wholeNumber(config.maxAttempts, 5, 1, 20), baseMs: wholeNumber(config.baseDelayMs, 500, 0, 60_000) },
      sleep,
    });

    let shown: Status | undefined;
    const show = (s: Status) => {
      shown = s;
      node.status(s);
    };
    const connectionStatus = (): Status | undefined => {
      switch (org?.state) {
        case 'unavailable':
          return { fill: 'red', shape: 'ring', text: RED._('sf-upsert-out.status.unavailable') };
        case 'expired':
          return { fill: 'red', shape: 'ring', text: RED._('sf-upsert-out.status.expired') };
        case 'failed':
          return { fill: 'red', shape: 'dot', text: RED._('sf-upsert-out.status.login-failed') };
        default:
          return undefined;
      }
    };
    // The connection's trouble shows at once, not only after the next batch; the last batch's figures come back with it.
    const onState = (change: StateChange) => {
      const trouble = connectionStatus();
      if (trouble) node.status(trouble);
      else if (change.state === 'connected' && shown) node.status(shown);
    };
    org?.on('state', onState);
    if (!org) show({ fill: 'grey', shape: 'ring', text: RED._('sf-upsert-out.status.no-connection') });

    const reportStatus = (m: WriteMetrics) => {
      const s: Status = {
        fill: m.deadLettered ? 'yellow' : 'green',
        shape: 'dot',
        text: RED._('sf-upsert-out.status.written', { written: m.created + m.updated + m.deleted, unchanged: m.unchanged, deadLettered: m.deadLettered }),
      };
      shown = s;
      node.status(connectionStatus() ?? s);
    };

    /** Output 1: every result; output 2: the failures only, and only when there are any. */
    const output = (job: Job, report: WriteReport, extra: Record<string, unknown> = {}) => {
      const s2s = { ...((job.msg as { s2s?: object }).s2s ?? {}), write: report.metrics };
      const msg = Object.assign(job.msg, { payload: report.results, s2s }, extra);
      const failures = report.results.filter((r: RecordResult) => r.outcome === 'failed' || r.outcome === 'dead-lettered');
      job.send([msg, failures.length ? { ...msg, payload: failures } : null]);
      reportStatus(report.metrics);
    };

    const handle = async (job: Job, w: BatchWriter) => {
      const { msg } = job;
      if (msg.topic === RETRY_TOPIC) {
        const request = replayRequest(msg.payload);
        show({ fill: 'blue', shape: 'dot', text: RED._('sf-upsert-out.status.retrying') });
        const report = await w.replay(request);
        output(job, report, { retried: report.letterIds });
        return;
      }
      const input = batchInput(msg.payload, (msg as { s2s?: unknown }).s2s);
      const queued = queue.length;
      show({ fill: 'blue', shape: 'dot', text: RED._(`sf-upsert-out.status.${queued ? 'writing-queued' : 'writing'}`, { count: input.records.length, queued }) });
      output(job, await w.write(input));
    };

    const errorOf = (err: unknown): Error =>
      err instanceof InputProblem ? new Error(RED._(`sf-upsert-out.errors.${err.key}`, err.args)) : err instanceof Error ? err : new Error(String(err));

    // Batches go strictly one at a time: the runtime does not wait for done() before the next input.
    const pump = () => {
      if (current || !queue.length) return;
      const job = queue.shift()!;
      current = (async () => {
        let failure: Error | undefined;
        try {
          if (!writer) throw new InputProblem('no-connection');
          await handle(job, writer);
        } catch (err) {
          failure = errorOf(err);
          show({ fill: 'red', shape: 'ring', text: RED._('sf-upsert-out.status.batch-failed') });
        }
        // Outside the try, so done() can never be called twice for one message.
        if (failure) job.done(failure);
        else job.done();
      })()
        .catch((err: Error) => node.error(err))
        .finally(() => {
          current = undefined;
          if (!closing) pump();
        });
    };

    /**
     * The error for a batch the node will not write (busy, stopped). Its records are filed as
     * transient dead letters first, so they can be replayed instead of being lost.
     */
    const refuse = async (job: Pick<Job, 'msg'>, code: string, reason: string): Promise<Error> => {
      if (!writer || job.msg.topic === RETRY_TOPIC) return new Error(reason);
      try {
        const filed = await writer.fileUnwritten(batchInput(job.msg.payload, (job.msg as { s2s?: unknown }).s2s), code, reason);
        return new Error(`${reason}. ${RED._('sf-upsert-out.errors.filed', { count: filed })}`);
      } catch (err) {
        // An invalid payload has no records to file: say what is wrong with it instead.
        return err instanceof InputProblem ? errorOf(err) : new Error(`${reason} (${(err as Error).message})`);
      }
    };

    node.on('input', (msg, send, done) => {
      if (closing) {
        done(new Error(RED._('sf-upsert-out.errors.closing')));
        return;
      }
      if (queue.length >= MAX_QUEUED) {
        void refuse({ msg }, 'BUSY', RED._('sf-upsert-out.errors.busy', { max: MAX_QUEUED })).then(done);
        return;
      }
      queue.push({ msg, send: send as Job['send'], done });
      pump();
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      closing = true;
      org?.off('state', onState);
      // Filed before the lease is released: `finish` waits for them with the batch in progress.
      const refused = queue.splice(0).map((job) => refuse(job, 'STOPPED', RED._('sf-upsert-out.errors.closing')).then((err) => job.done(err)));
      for (const wake of [...sleepers]) wake();
      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        lease.release();
        done();
      };
      const timer = setTimeout(finish, CLOSE_WAIT_MS);
      void Promise.all([current, ...refused]).then(finish);
    });
  }

  RED.nodes.registerType('sf-upsert-out', SfUpsertOut as never);
  registerDeadLetterApi(RED);
}
