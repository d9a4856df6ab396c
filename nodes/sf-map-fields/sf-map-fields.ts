import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import type { OrgConnection } from '../../lib/connection/org-connection.js';
import {
  MAPPING_TEMPLATES, MappingError, compileForOrgs, mapBatch, mappedMeta, parseMapping, redJsonataEvaluator,
  type CompiledMapping, type Mapping, type RedJsonataUtil, type TemplateName,
} from '../../lib/mapping/index.js';
import { OrgApi } from '../../lib/salesforce/org-api.js';
import { readBatch } from '../../lib/sync/envelope.js';
import { forCatch, localizedError } from '../shared/errors.js';
import { settleAcks } from '../shared/acks.js';
import { NodeKit } from '../shared/kit.js';
import { SerialQueue } from '../shared/queue.js';
import { registerAdminEndpoints } from './admin.js';

interface MapFieldsConfig extends NodeDef {
  source: string;
  target: string;
  /** The mapping document as JSON text (the editor writes it; it holds no secrets). */
  mapping: string;
  /** The template the mapping started from; used as the mapping when `mapping` is empty. */
  template: string;
}

type Send = (msg: NodeMessage | Array<NodeMessage | null>) => void;
type Done = (err?: Error) => void;
interface Job {
  msg: NodeMessageInFlow & { s2s?: unknown };
  send: Send;
  done: Done;
}

/** While an org cannot be described, compiling is tried again this often (and on every message). */
const RETRY_MS = 30_000;

/** The mapping document the node runs, or why it cannot have one. */
function documentOf(config: MapFieldsConfig): Mapping {
  if (config.mapping && config.mapping.trim()) return parseMapping(config.mapping);
  const template = MAPPING_TEMPLATES[config.template as TemplateName];
  if (template) return parseMapping(template);
  throw new MappingError(['the node has no mapping: start from a template or add field mappings in the editor']);
}

export default function register(RED: NodeAPI): void {
  function SfMapFields(this: Node, config: MapFieldsConfig) {
    RED.nodes.createNode(this, config);
    const node = this;
    const kit = new NodeKit(RED, node);
    const evaluator = redJsonataEvaluator(RED.util as unknown as RedJsonataUtil, node);
    const totals = { mapped: 0, rejected: 0, filtered: 0 };
    let mapping: Mapping | undefined;
    /** Set once the mapping is known not to work: every message fails with it until a redeploy. */
    let refused: Error | undefined;
    let compiled: CompiledMapping | undefined;
    let compiling: Promise<CompiledMapping> | undefined;
    let waitingReported = false;
    let cancelRetry: (() => void) | undefined;
    const orgs: { source?: OrgConnection; target?: OrgConnection } = {};

    const refuse = (err: Error, status = 'sf-map-fields.status.invalid') => {
      refused = forCatch(err);
      node.error(err.message);
      kit.status('red', 'dot', status);
    };

    const compiledMapping = (): Promise<CompiledMapping> => {
      if (refused) return Promise.reject(refused);
      if (compiled) return Promise.resolve(compiled);
      compiling ??= compileForOrgs(mapping!, new OrgApi(orgs.source!), new OrgApi(orgs.target!), evaluator).then(
        (c) => {
          compiled = c;
          compiling = undefined;
          cancelRetry?.();
          cancelRetry = undefined;
          if (c.warnings.length) node.warn(`${kit.t('sf-map-fields.warnings.compiled', { name: c.stamp.name, count: c.warnings.length })}\n${c.warnings.join('\n')}`);
          kit.status('green', 'ring', 'sf-map-fields.status.ready', { version: c.stamp.version });
          return c;
        },
        (err: Error) => {
          compiling = undefined;
          if (err instanceof MappingError) {
            refuse(err);
          } else {
            // The org is unreachable or refusing us: not the mapping's fault, so keep trying.
            if (!waitingReported) node.warn(kit.t('sf-map-fields.warnings.waiting', { reason: err.message }));
            waitingReported = true;
            kit.status('yellow', 'ring', 'sf-map-fields.status.waiting');
            // One retry pending at a time, however many messages meet the failure meanwhile.
            if (!kit.closing && !cancelRetry) {
              cancelRetry = kit.after(RETRY_MS, () => {
                cancelRetry = undefined;
                void compiledMapping().catch(() => undefined);
              });
            }
          }
          throw err;
        },
      );
      return compiling;
    };

    try {
      mapping = documentOf(config);
      orgs.source = kit.connection(config.source);
      orgs.target = kit.connection(config.target);
      if (!orgs.source || !orgs.target) {
        refuse(localizedError(RED, 'sf-map-fields.errors.no-connection', { which: !orgs.source ? 'source' : 'target' }, 'NO_CONNECTION'), 's2s.connection.none');
      } else {
        kit.status('grey', 'ring', 'sf-map-fields.status.compiling');
        compiledMapping().catch(() => undefined);
      }
    } catch (err) {
      refuse(err as Error);
    }

    const orgRef = (o: OrgConnection) => ({ orgId: o.identity?.orgId ?? '', name: o.settings.name });

    const handle = async ({ msg, send, done }: Job): Promise<void> => {
      if (refused) throw refused;
      const batch = readBatch(msg, 'records');
      const meta = (filtered: number, c?: CompiledMapping) =>
        mappedMeta(batch.meta, { source: orgRef(orgs.source!), target: orgRef(orgs.target!), object: c?.sourceObject ?? mapping?.source.object ?? '', batchId: msg._msgid, filtered });
      if (!batch.records.length) {
        msg.s2s = meta(0, compiled);
        send([msg, null]);
        done();
        return;
      }
      let c: CompiledMapping;
      try {
        c = await compiledMapping();
      } catch (err) {
        if (err === refused) throw err;
        throw localizedError(RED, 'sf-map-fields.errors.not-compiled', { reason: (err as Error).message }, 'NOT_COMPILED');
      }
      const bindings = { sourceOrg: orgRef(orgs.source!), targetOrg: orgRef(orgs.target!) };
      const result = await mapBatch(c, batch.records, { bindings });
      const s2s = meta(result.filtered, c);
      const rejected = result.rejected.length ? ({ ...msg, payload: result.rejected, s2s } as NodeMessage) : null;
      msg.payload = result.records;
      msg.s2s = s2s;
      totals.mapped += result.mapped;
      totals.rejected += result.rejected.length;
      totals.filtered += result.filtered;
      kit.status(totals.rejected ? 'yellow' : 'green', 'dot', 'sf-map-fields.status.counts', totals);
      send([msg, rejected]);
      done();
    };

    // One batch at a time, in arrival order: batches come in dependency order (parents first), and
    // Node-RED delivers the next message without waiting for done(). Mapping is quick and yields
    // as it goes, so the queue is not bounded: refusing a batch here would only lose it.
    const queue = new SerialQueue<Job>({
      maxWaiting: Number.POSITIVE_INFINITY,
      work: (job) => handle(job).catch((err: unknown) => {
        const failure = forCatch(err, (err as { code?: string }).code === 'INVALID_BATCH' ? kit.t('sf-map-fields.errors.not-batch') : undefined);
        // The batch goes no further: its source need not wait for it to be written.
        settleAcks(job.msg, 'failed', failure.message);
        job.done(failure);
      }),
      drop: (job) => {
        const failure = localizedError(RED, 's2s.errors.closing', {}, 'CLOSED');
        settleAcks(job.msg, 'failed', failure.message);
        job.done(failure);
      },
      failed: (err) => node.error(err),
    });
    node.on('input', (msg, send, done) => queue.push({ msg, send, done }));
    kit.onClose(() => queue.close(0));
  }

  RED.nodes.registerType('sf-map-fields', SfMapFields as never);
  registerAdminEndpoints(RED);
}
