import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { randomUUID } from 'node:crypto';
import { setImmediate as nextTick } from 'node:timers/promises';
import {
  CollectLimitError, planCollection, previewCollection, runCollection,
  type BatchParts, type CollectProgress, type CollectionRequest,
} from '../../lib/collect/index.js';
import { requestFromMessage, settingsFromConfig } from '../../lib/collect/request.js';
import { chooseRead, saveWatermark, type ReadChoice } from '../../lib/collect/watermark.js';
import { OrgCallError } from '../../lib/salesforce/errors.js';
import { AckWindow } from '../../lib/runtime/acks.js';
import { runtimeContext } from '../../lib/runtime/context.js';
import { OrgApi } from '../../lib/salesforce/org-api.js';
import { codeOf, forCatch, localizedError } from '../shared/errors.js';
import { writerDownstream } from '../shared/acks.js';
import { publishRuntime } from '../shared/runtime-publish.js';
import { NodeKit, wholeNumber } from '../shared/kit.js';
import { SerialQueue } from '../shared/queue.js';

interface CollectConfig extends NodeDef {
  connection: string;
  object: string;
  mode: string;
  where: string;
  depth: string | number;
  parents: string;
  parentFields: string;
  children: string;
  batchSize: string | number;
  preview: boolean | string;
  /** Batches sent and not yet acknowledged by a writer, at most. */
  inFlight: string | number;
  /** Seconds a batch may go unacknowledged before its place in the window is freed. */
  ackTimeout: string | number;
}

type Send = (msg: NodeMessage | Array<NodeMessage | NodeMessage[] | null>) => void;
type Done = (err?: Error) => void;
type Msg = NodeMessageInFlow & Record<string, unknown>;

interface Job {
  msg: Msg;
  request: CollectionRequest;
  preview: boolean;
  full: boolean;
  send: Send;
  done: Done;
  /** The run's Id once it has started sending batches. */
  runId?: string;
}

/** Messages waiting while a run is under way; one more is refused as busy. */
const MAX_QUEUED = 10;
/** How long close waits for the run's current API call to come back before letting go. */
const CLOSE_WAIT_MS = 5000;
/** Codes of a request the node refuses as it is (the caller's to fix), not of a failed run. */
const INVALID_CODES = new Set(['INVALID_INPUT', 'INVALID_SOQL_INPUT', 'INVALID_COLLECTION']);

const count = (n: number) => n.toLocaleString('en-US');

export default function register(RED: NodeAPI): void {
  function SfCollect(this: Node, config: CollectConfig) {
    RED.nodes.createNode(this, config);
    const node = this;
    const kit = new NodeKit(RED, node);
    const { settings, problems } = settingsFromConfig({ ...config });
    const configError = () => localizedError(RED, 'sf-collect.errors.config', {}, 'INVALID_CONFIGURATION');
    let abort: AbortController | undefined;

    if (problems.length) {
      kit.status('red', 'ring', 'sf-collect.status.config');
      node.error(`${configError().message}: ${problems.join('; ')}`);
    } else if (!config.connection) {
      kit.status('red', 'ring', 's2s.connection.none');
    }
    // Looked up once the flows have started: the connection may be deployed after this node.
    const org = () => {
      const conn = kit.connection(config.connection);
      if (!conn) throw localizedError(RED, 'sf-collect.errors.no-connection', {}, 'NO_CONNECTION');
      return conn;
    };

    const progress = (p: CollectProgress) => {
      if (p.phase === 'discover') kit.progress('sf-collect.status.collecting', { count: count(p.records) });
      else kit.progress('sf-collect.status.sending', { count: count(p.records), total: count(p.of) });
    };

    const closedError = () => localizedError(RED, 'sf-collect.errors.closed', {}, 'CLOSED');

    // Flow control: at most `inFlight` batches out and not yet acknowledged by a writer, so memory
    // is bounded by the window, not by the run. Only when a writer is wired downstream: batches
    // that go to a debug node alone would otherwise each hold the run until their time ran out.
    const ctx = runtimeContext();
    publishRuntime(RED, node, (fn) => kit.onClose(fn));
    const inFlight = wholeNumber(config.inFlight, 4, 1, 20);
    const ackTimeoutS = wholeNumber(config.ackTimeout, 300, 5, 3600);
    let released = 0;
    /** The batch each open handle went out with, to name it when it is released. */
    const batchOf = new Map<string, string>();
    /** The run each open handle belongs to, so that a run's watermark moves once all its batches are written. */
    const runOf = new Map<string, RunAcks>();
    const window = new AckWindow(ctx.acks, node.id, {
      size: inFlight,
      timeoutMs: ackTimeoutS * 1000,
      onSettled: (handle, s) => {
        const batchId = batchOf.get(handle);
        batchOf.delete(handle);
        const run = runOf.get(handle);
        runOf.delete(handle);
        run?.settled(s.outcome === 'settled');
        if (s.outcome === 'released' && !kit.closing) {
          // Said as it happens, for each batch: the run may have ended long before.
          released++;
          node.warn(kit.t('sf-collect.warnings.released', { batch: batchId ?? handle, seconds: ackTimeoutS }));
          kit.status('yellow', 'dot', 'sf-collect.status.released', { released });
        }
        report();
      },
    });
    let lastBatchAt: number | null = null;
    let state = 'idle';
    const report = () =>
      ctx.reportSource({
        id: node.id, name: config.name || 'sf-collect', kind: 'sf-collect', state, inFlight: window.inFlight,
        settled: window.counts.settled, failed: window.counts.failed, released: window.counts.released, lastBatchAt,
      });
    report();
    kit.onClose(() => {
      window.close('the node was closed');
      ctx.forgetSource(node.id);
    });

    let ledgerLease: ReturnType<NodeKit['ledger']> | undefined;
    const ledgerOf = () => (ledgerLease ??= kit.ledger());

    const execute = async (job: Job, signal: AbortSignal): Promise<void> => {
      const started = Date.now();
      const conn = org();
      kit.status('yellow', 'ring', 'sf-collect.status.planning');
      // Describes are API calls too (when not cached): counted so the summary says what the whole run cost.
      const planApi = new OrgApi(conn, { signal });
      const plan = await planCollection(job.request, (name) => planApi.describe(name));

      if (job.preview) {
        const result = await previewCollection(conn, plan, { signal });
        if (kit.closing) throw closedError();
        const payload = { ...result, apiCalls: planApi.calls + result.apiCalls, durationMs: Date.now() - started };
        kit.status('blue', 'dot', 'sf-collect.status.preview', { records: count(result.totalRecords) });
        job.send([null, Object.assign(job.msg, { payload })]);
        return;
      }

      const { payload: _input, ...base } = job.msg;
      const outerParts = job.msg.parts as Record<string, unknown> | undefined;
      // Known before the first batch goes out, so that a run failing half-way names itself on the
      // error (msg.s2s.runId) and whoever tallies the run can tie it to the batches already sent.
      const runId = randomUUID();
      job.runId = runId;
      const acked = writerDownstream(RED, node.id);
      const releasedBefore = released;
      const ledger = ledgerOf();
      const orgId = planApi.orgId;
      const choice = chooseRead(ledger, orgId, node.id, plan, { changes: settings.read === 'changes', full: job.full });
      // Only a writer's acknowledgements say the records are written: without one the watermark stays.
      const runAcks = acked && choice.reason !== 'records by Id' && choice.reason !== 'full read configured'
        ? new RunAcks(() => {
          if (kit.closing) return;
          try {
            saveWatermark(ledger, orgId, node.id, choice.fingerprint, started);
          } catch (err) {
            // The next run reads everything again: slower, never wrong.
            node.warn(kit.t('sf-collect.warnings.watermark', { reason: (err as Error).message }));
          }
        })
        : undefined;
      state = 'running';
      const summary = await runCollection(conn, plan, {
        runId,
        batchSize: settings.batchSize,
        signal,
        ...(choice.since ? { since: choice.since } : {}),
        onProgress: progress,
        onBatch: async (batch) => {
          let ack: string[] | undefined;
          if (acked) {
            if (window.inFlight >= inFlight) {
              state = 'waiting for acknowledgements';
              report();
              kit.status('yellow', 'ring', 'sf-collect.status.waiting', { inFlight: window.inFlight });
            }
            ack = [await window.acquire(signal)];
            state = 'running';
          }
          // The reader only checks between calls; a batch read before close must not go out after it.
          if (kit.closing || signal.aborted) {
            if (ack) ctx.acks.settleAll(ack, 'released', 'the node was closed');
            throw closedError();
          }
          const out = RED.util.cloneMessage(base as NodeMessage) as NodeMessage & { s2s?: unknown; parts?: BatchParts & { parts?: unknown } };
          out.payload = batch.records;
          out.s2s = ack ? { ...batch.meta, ack } : batch.meta;
          if (ack) {
            batchOf.set(ack[0]!, batch.meta.batchId);
            if (runAcks) runOf.set(ack[0]!, runAcks.sent());
          }
          lastBatchAt = Date.now();
          report();
          // As a core Split nests an incoming sequence, so that a Join restores it afterwards.
          out.parts = outerParts ? { ...batch.parts, parts: outerParts } : batch.parts;
          job.send([out, null]);
          // Node-RED delivers on a later tick: waiting for it means the next batch is read only once
          // this one has reached the next node, so reading never runs ahead of delivery.
          await nextTick();
        },
      });
      if (kit.closing) throw closedError();
      runAcks?.allSent();
      state = 'idle';
      report();
      const releasedNow = released - releasedBefore;
      if (releasedNow > 0) {
        kit.status('yellow', 'dot', 'sf-collect.status.done-released', { records: count(summary.emitted), batches: count(summary.batches), released: releasedNow });
      } else {
        kit.status('green', 'dot', 'sf-collect.status.done', { records: count(summary.emitted), batches: count(summary.batches) });
      }
      const payload = {
        runId: summary.runId,
        object: plan.rootObject,
        objects: summary.byObject,
        ...(Object.keys(summary.deleted).length ? { deleted: summary.deleted } : {}),
        read: readSummary(choice),
        records: summary.emitted,
        batches: summary.batches,
        levels: summary.levels,
        apiCalls: planApi.calls + summary.apiCalls,
        deferred: summary.deferred,
        missingRootIds: summary.missingRootIds,
        missingParents: summary.missingParents,
        vanished: summary.vanished,
        warnings: plan.warnings,
        durationMs: Date.now() - started,
      };
      job.send([null, Object.assign(job.msg, { payload })]);
    };

    /** The error a run ends with for Catch, and the status that says it. */
    const fail = (err: unknown): Error => {
      const code = codeOf(err);
      if (code === 'NO_CONNECTION') {
        kit.status('red', 'ring', 's2s.connection.none');
        return forCatch(err);
      }
      const invalid = INVALID_CODES.has(code ?? '');
      if (!kit.closing) {
        if (invalid) kit.status('red', 'ring', 'sf-collect.status.invalid');
        else kit.status('red', 'ring', 'sf-collect.status.failed', { reason: shortReason(err as Error) });
      }
      return forCatch(err, kit.t(invalid ? 'sf-collect.errors.input' : 'sf-collect.errors.failed'));
    };

    const queue = new SerialQueue<Job>({
      maxWaiting: MAX_QUEUED,
      work: async (job) => {
        const controller = new AbortController();
        abort = controller;
        try {
          await execute(job, controller.signal);
          job.done();
        } catch (err) {
          if (job.runId) job.msg.s2s = { runId: job.runId, object: job.request.rootObject };
          job.done(fail(err));
        } finally {
          abort = undefined;
        }
      },
      drop: (job, why, waiting) =>
        job.done(why === 'busy'
          ? localizedError(RED, 'sf-collect.errors.busy', { queued: waiting }, 'BUSY')
          : localizedError(RED, 'sf-collect.errors.closed-queued', {}, 'CLOSED')),
      failed: (err) => node.error(err),
    });

    node.on('input', (msg, send, done) => {
      if (problems.length) {
        done(forCatch(`${configError().message}: ${problems.join('; ')}`));
        return;
      }
      let job: Job;
      try {
        job = { msg: msg as Msg, ...requestFromMessage(settings, msg as Msg), send, done };
      } catch (err) {
        // While a run is under way its status stays; the bad message still reaches Catch.
        done(queue.busy ? forCatch(err, kit.t('sf-collect.errors.input')) : fail(err));
        return;
      }
      queue.push(job);
    });

    kit.onClose(async () => {
      abort?.abort(closedError());
      await queue.close(CLOSE_WAIT_MS);
    });
  }

  RED.nodes.registerType('sf-collect', SfCollect as never);
}

/**
 * The acknowledgements of one run's batches: `onComplete` once every batch sent is settled by a
 * writer, none failed or released, and the run has sent its last batch.
 */
class RunAcks {
  private open = 0;
  private bad = false;
  private done = false;

  constructor(private readonly onComplete: () => void) {}

  sent(): this {
    this.open++;
    return this;
  }

  settled(ok: boolean): void {
    this.open--;
    if (!ok) this.bad = true;
    this.check();
  }

  allSent(): void {
    this.done = true;
    this.check();
  }

  private check(): void {
    if (!this.done || this.open > 0 || this.bad) return;
    this.bad = true; // once
    this.onComplete();
  }
}

/** What the summary says of what was read: changes since when, or everything and why. */
function readSummary(choice: ReadChoice): { changes: boolean; since?: string; reason: string } {
  return choice.since ? { changes: true, since: choice.since, reason: choice.reason } : { changes: false, reason: choice.reason };
}

/** A few words for the node status; the whole message goes to Catch. */
function shortReason(err: Error): string {
  if (err instanceof CollectLimitError) return 'too many records';
  const e = err as { code?: string; kind?: string };
  if (e.code === 'API_BUDGET_EXCEEDED') return 'API budget spent';
  if (e.kind === 'network') return 'org unreachable';
  if (e.kind === 'auth' || e.kind === 'config') return 'login failed';
  if (err instanceof OrgCallError && err.code !== 'UNKNOWN') return err.code;
  const m = err.message;
  return m.length > 30 ? `${m.slice(0, 29)}…` : m;
}
