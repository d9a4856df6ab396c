import type { Request, Response } from 'express';
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { setImmediate as nextTick } from 'node:timers/promises';
import {
  CollectLimitError,
  CollectReadError,
  CollectionPlanError,
  OrgReader,
  SoqlInputError,
  describeVia,
  planCollection,
  previewCollection,
  runCollection,
  soqlIdentifier,
  type BatchParts,
  type CollectProgress,
  type CollectionRequest,
} from '../../lib/collect/index.js';
import type { OrgConnection } from '../../lib/connection/org-connection.js';
import { orgOf } from '../shared/types.js';
import { CollectInputError, requestFromMessage, settingsFromConfig } from '../../lib/collect/request.js';

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
}

type Send = (msg: NodeMessage | Array<NodeMessage | NodeMessage[] | null>) => void;
type Done = (err?: Error) => void;
type Msg = NodeMessageInFlow & Record<string, unknown>;

interface Job {
  msg: Msg;
  request: CollectionRequest;
  preview: boolean;
  send: Send;
  done: Done;
}

/** Messages waiting while a run is under way; one more is refused as busy. */
const MAX_QUEUED = 10;
/** How long close waits for the run's current API call to come back before letting go. */
const CLOSE_WAIT_MS = 5000;
/** Progress reaches the editor over its websocket; more often than this is only noise. */
const STATUS_EVERY_MS = 250;

const count = (n: number) => n.toLocaleString('en-US');

export default function register(RED: NodeAPI): void {
  function SfCollect(this: Node, config: CollectConfig) {
    RED.nodes.createNode(this, config);
    const node = this;
    const { settings, problems } = settingsFromConfig({ ...config });
    const queue: Job[] = [];
    let running: Promise<void> | undefined;
    let abort: AbortController | undefined;
    let closed = false;

    if (problems.length) {
      node.status({ fill: 'red', shape: 'ring', text: 'sf-collect.status.config' });
      node.error(`${RED._('sf-collect.errors.config')}: ${problems.join('; ')}`);
    } else if (!config.connection) {
      node.status({ fill: 'red', shape: 'ring', text: 'sf-collect.status.no-connection' });
    }

    const org = (): OrgConnection => {
      const conn = orgOf(RED, config.connection);
      if (!conn) throw new NoConnectionError(RED._('sf-collect.errors.no-connection'));
      return conn;
    };

    let lastStatus = 0;
    const progress = (p: CollectProgress) => {
      const now = Date.now();
      if (now - lastStatus < STATUS_EVERY_MS) return;
      lastStatus = now;
      const text = p.phase === 'discover'
        ? RED._('sf-collect.status.collecting', { count: count(p.records) })
        : RED._('sf-collect.status.sending', { count: count(p.records), total: count(p.of) });
      node.status({ fill: 'yellow', shape: 'ring', text });
    };

    const execute = async (job: Job, signal: AbortSignal): Promise<void> => {
      const started = Date.now();
      const conn = org();
      lastStatus = 0;
      node.status({ fill: 'yellow', shape: 'ring', text: 'sf-collect.status.planning' });
      // Describes are API calls too: counted so the summary says what the whole run cost.
      const planReader = new OrgReader(conn, { signal });
      const plan = await planCollection(job.request, describeVia(planReader));

      if (job.preview) {
        const result = await previewCollection(conn, plan, { signal });
        if (closed) throw new Error(RED._('sf-collect.errors.closed'));
        const payload = { ...result, apiCalls: planReader.calls + result.apiCalls, durationMs: Date.now() - started };
        node.status({ fill: 'blue', shape: 'dot', text: RED._('sf-collect.status.preview', { records: count(result.totalRecords) }) });
        job.send([null, Object.assign(job.msg, { payload })]);
        return;
      }

      const { payload: _input, ...base } = job.msg;
      const outerParts = job.msg.parts as Record<string, unknown> | undefined;
      const summary = await runCollection(conn, plan, {
        batchSize: settings.batchSize,
        signal,
        onProgress: progress,
        onBatch: async (batch) => {
          // The reader only checks between calls; a batch read before close must not go out after it.
          if (closed || signal.aborted) throw new Error(RED._('sf-collect.errors.closed'));
          const out = RED.util.cloneMessage(base as NodeMessage) as NodeMessage & { s2s?: unknown; parts?: BatchParts & { parts?: unknown } };
          out.payload = batch.records;
          out.s2s = batch.meta;
          // As a core Split nests an incoming sequence, so that a Join restores it afterwards.
          out.parts = outerParts ? { ...batch.parts, parts: outerParts } : batch.parts;
          job.send([out, null]);
          // Node-RED delivers on a later tick: waiting for it means the next batch is read only once
          // this one has reached the next node, so reading never runs ahead of delivery.
          await nextTick();
        },
      });
      if (closed) throw new Error(RED._('sf-collect.errors.closed'));
      node.status({ fill: 'green', shape: 'dot', text: RED._('sf-collect.status.done', { records: count(summary.emitted), batches: count(summary.batches) }) });
      const payload = {
        runId: summary.runId,
        object: plan.rootObject,
        objects: summary.byObject,
        records: summary.emitted,
        batches: summary.batches,
        levels: summary.levels,
        apiCalls: planReader.calls + summary.apiCalls,
        deferred: summary.deferred,
        missingRootIds: summary.missingRootIds,
        missingParents: summary.missingParents,
        vanished: summary.vanished,
        warnings: plan.warnings,
        durationMs: Date.now() - started,
      };
      job.send([null, Object.assign(job.msg, { payload })]);
    };

    const fail = (err: unknown): Error => {
      const e = err instanceof Error ? err : new Error(String(err));
      if (e instanceof NoConnectionError) {
        node.status({ fill: 'red', shape: 'ring', text: 'sf-collect.status.no-connection' });
        return e;
      }
      const invalid = e instanceof CollectInputError || e instanceof SoqlInputError || e instanceof CollectionPlanError;
      if (!closed) node.status({ fill: 'red', shape: 'ring', text: invalid ? 'sf-collect.status.invalid' : RED._('sf-collect.status.failed', { reason: shortReason(e) }) });
      // No `cause`: Catch copies the error's properties into msg.error, and a chain of errors is noise there.
      const wrapped = new Error(`${RED._(invalid ? 'sf-collect.errors.input' : 'sf-collect.errors.failed')}: ${e.message}`);
      const code = (e as { code?: unknown }).code;
      return typeof code === 'string' ? Object.assign(wrapped, { code }) : wrapped;
    };

    const start = (job: Job) => {
      const controller = new AbortController();
      abort = controller;
      running = execute(job, controller.signal)
        .then(() => job.done(), (err: unknown) => job.done(fail(err)))
        .catch((err: unknown) => node.error(err))
        .finally(() => {
          running = undefined;
          abort = undefined;
          const next = queue.shift();
          if (next && !closed) start(next);
        });
    };

    node.on('input', (msg, send, done) => {
      if (problems.length) {
        done(new Error(`${RED._('sf-collect.errors.config')}: ${problems.join('; ')}`));
        return;
      }
      let job: Job;
      try {
        const resolved = requestFromMessage(settings, msg as Msg);
        job = { msg: msg as Msg, ...resolved, send, done };
      } catch (err) {
        const e = err as Error;
        if (running) done(new Error(`${RED._('sf-collect.errors.input')}: ${e.message}`));
        else done(fail(e));
        return;
      }
      if (!running) {
        start(job);
        return;
      }
      if (queue.length >= MAX_QUEUED) {
        done(new Error(RED._('sf-collect.errors.busy', { queued: queue.length })));
        return;
      }
      queue.push(job);
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      abort?.abort(new Error(RED._('sf-collect.errors.closed')));
      for (const job of queue.splice(0)) job.done(new Error(RED._('sf-collect.errors.closed-queued')));
      const current = running;
      if (!current) {
        done();
        return;
      }
      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        done();
      };
      const timer = setTimeout(finish, CLOSE_WAIT_MS);
      void current.finally(finish);
    });
  }

  RED.nodes.registerType('sf-collect', SfCollect as never);

  // Pickers for the editor: the source org's objects, and one object's relationships.
  const read = RED.auth.needsPermission('sf-collect.read');

  const deployedOrg = (req: Request, res: Response): OrgConnection | undefined => {
    const org = orgOf(RED, (req.query as Record<string, unknown>).connection);
    if (!org) res.status(400).json({ error: RED._('sf-collect.errors.deploy-connection') });
    return org;
  };

  RED.httpAdmin.get('/sf-collect/objects', read, (req: Request, res: Response) => {
    const org = deployedOrg(req, res);
    if (!org) return;
    org.run((c) => c.describeGlobal()).then(
      (r) =>
        res.json({
          objects: r.sobjects
            .filter((s) => s.queryable && !s.deprecatedAndHidden)
            .map((s) => ({ name: s.name, label: s.label, custom: s.custom, keyPrefix: s.keyPrefix })),
        }),
      (err: Error) => res.status(502).json({ error: err.message }),
    );
  });

  RED.httpAdmin.get('/sf-collect/describe', read, (req: Request, res: Response) => {
    const org = deployedOrg(req, res);
    if (!org) return;
    const object = (req.query as Record<string, unknown>).object;
    try {
      soqlIdentifier(object as string);
    } catch (err) {
      res.status(400).json({ error: `object: ${(err as Error).message}` });
      return;
    }
    org.run((c) => c.describe(object as string)).then(
      (d) =>
        res.json({
          name: d.name,
          label: d.label,
          keyPrefix: d.keyPrefix,
          children: d.childRelationships
            .filter((r) => !!r.relationshipName)
            .map((r) => ({ relationshipName: r.relationshipName, childSObject: r.childSObject, field: r.field })),
          // The lookups a collection can follow up: writable ones only, as the planner does.
          references: d.fields
            .filter((f) => f.type === 'reference' && (f.createable || f.updateable) && !!f.referenceTo?.length)
            .map((f) => ({ name: f.name, label: f.label, referenceTo: f.referenceTo, relationshipName: f.relationshipName ?? null })),
        }),
      (err: Error) => res.status(502).json({ error: err.message }),
    );
  });
}

class NoConnectionError extends Error {
  readonly code = 'NO_CONNECTION';
}

/** A few words for the node status; the whole message goes to Catch. */
function shortReason(err: Error): string {
  if (err instanceof CollectLimitError) return 'too many records';
  const cause = (err instanceof CollectReadError ? err.cause : err) as { code?: string; kind?: string } | undefined;
  if (cause?.code === 'API_BUDGET_EXCEEDED') return 'API budget spent';
  if (cause?.kind === 'network') return 'org unreachable';
  if (cause?.kind === 'auth' || cause?.kind === 'config') return 'login failed';
  if (err instanceof CollectReadError && err.code !== 'UNKNOWN') return err.code;
  const m = err.message;
  return m.length > 30 ? `${m.slice(0, 29)}…` : m;
}
