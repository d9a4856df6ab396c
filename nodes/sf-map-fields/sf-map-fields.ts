import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import type { OrgConnection } from '../../lib/connection/org-connection.js';
import {
  MAPPING_TEMPLATES, MappingError, applyMapping, parseMapping, redJsonataEvaluator,
  type CompiledMapping, type Mapping, type RedJsonataUtil, type TemplateName,
} from '../../lib/mapping/index.js';
import type { BatchMeta, SyncRecord } from '../../lib/sync/types.js';
import { orgOf } from '../shared/types.js';
import { registerAdminEndpoints } from './admin.js';
import { PayloadError, mergeBatch, syncRecordsOf, withReferences, type MappedBatchMeta } from './batch.js';
import { compileForOrgs } from '../../lib/mapping/compile-for-orgs.js';
import { OrgDescribes } from '../../lib/mapping/org-describes.js';

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
    const evaluator = redJsonataEvaluator(RED.util as unknown as RedJsonataUtil, node);
    const totals = { mapped: 0, rejected: 0, filtered: 0 };
    let mapping: Mapping | undefined;
    /** Set once the mapping is known not to work: every message fails with it until a redeploy. */
    let refused: Error | undefined;
    let compiled: CompiledMapping | undefined;
    let compiling: Promise<CompiledMapping> | undefined;
    let retry: NodeJS.Timeout | undefined;
    let waitingReported = false;
    let closed = false;
    const describes: { source?: OrgDescribes; target?: OrgDescribes } = {};

    const refuse = (err: Error, status = 'sf-map-fields.status.invalid') => {
      refused = err;
      node.error(err.message);
      node.status({ fill: 'red', shape: 'dot', text: status });
    };

    const org = (id: string): OrgConnection | undefined => (id ? orgOf(RED, id) : undefined);

    const showTotals = () => {
      node.status({ fill: totals.rejected ? 'yellow' : 'green', shape: 'dot', text: RED._('sf-map-fields.status.counts', totals) });
    };

    const compiledMapping = (): Promise<CompiledMapping> => {
      if (refused) return Promise.reject(refused);
      if (compiled) return Promise.resolve(compiled);
      compiling ??= compileForOrgs(mapping!, describes.source!, describes.target!, evaluator).then(
        (c) => {
          compiled = c;
          compiling = undefined;
          clearTimeout(retry);
          if (c.warnings.length) node.warn(`${RED._('sf-map-fields.warnings.compiled', { name: c.stamp.name, count: c.warnings.length })}\n${c.warnings.join('\n')}`);
          node.status({ fill: 'green', shape: 'ring', text: RED._('sf-map-fields.status.ready', { version: c.stamp.version }) });
          return c;
        },
        (err: Error) => {
          compiling = undefined;
          if (err instanceof MappingError) {
            refuse(err);
          } else {
            // The org is unreachable or refusing us: not the mapping's fault, so keep trying.
            if (!waitingReported) node.warn(RED._('sf-map-fields.warnings.waiting', { reason: err.message }));
            waitingReported = true;
            node.status({ fill: 'yellow', shape: 'ring', text: 'sf-map-fields.status.waiting' });
            clearTimeout(retry);
            if (!closed) retry = setTimeout(() => void compiledMapping().catch(() => undefined), RETRY_MS);
          }
          throw err;
        },
      );
      return compiling;
    };

    try {
      mapping = documentOf(config);
      const source = org(config.source);
      const target = org(config.target);
      if (!source || !target) {
        refuse(new Error(RED._('sf-map-fields.errors.no-connection', { which: !source ? 'source' : 'target' })), 'sf-map-fields.status.no-connection');
      } else {
        describes.source = new OrgDescribes(source);
        describes.target = new OrgDescribes(target);
        node.status({ fill: 'grey', shape: 'ring', text: 'sf-map-fields.status.compiling' });
        compiledMapping().catch(() => undefined);
      }
    } catch (err) {
      refuse(err as Error);
    }

    const orgRef = (o: OrgConnection) => ({ orgId: o.identity?.orgId ?? '', name: o.settings.name });

    /** `msg.s2s` with the target filled in; a batch built by hand gets the rest from the mapping. */
    const batchMeta = (msg: NodeMessageInFlow, c: CompiledMapping | undefined, filtered: number): MappedBatchMeta => {
      const given = (msg as { s2s?: BatchMeta }).s2s;
      const source = describes.source!.org;
      const base: BatchMeta = given ?? {
        source: orgRef(source), object: c?.sourceObject ?? mapping?.source.object ?? '', batchId: msg._msgid, runId: msg._msgid, level: 0, last: true,
      };
      return { ...base, target: orgRef(describes.target!.org), filtered };
    };

    const handle = async (msg: NodeMessageInFlow, send: Send, done: Done): Promise<void> => {
      if (refused) throw refused;
      const records = syncRecordsOf(msg.payload);
      if (!records.length) {
        (msg as { s2s?: MappedBatchMeta }).s2s = batchMeta(msg, compiled, 0);
        send([msg, null]);
        done();
        return;
      }
      let c: CompiledMapping;
      try {
        c = await compiledMapping();
      } catch (err) {
        if (err instanceof MappingError) throw err;
        throw new Error(RED._('sf-map-fields.errors.not-compiled', { reason: (err as Error).message }), { cause: err });
      }
      const object = c.sourceObject.toLowerCase();
      const isMine = (r: SyncRecord) => r.object.toLowerCase() === object;
      const mine = records.filter(isMine).map(withReferences);
      const bindings = { sourceOrg: orgRef(describes.source!.org), targetOrg: orgRef(describes.target!.org) };
      const result = await applyMapping(c, mine, { bindings });
      const s2s = batchMeta(msg, c, result.filtered.length);
      const rejected = result.rejected.length ? ({ ...msg, payload: result.rejected, s2s } as NodeMessage) : null;
      msg.payload = mergeBatch(records, isMine, mine, result);
      (msg as { s2s?: MappedBatchMeta }).s2s = s2s;
      totals.mapped += result.mapped.length;
      totals.rejected += result.rejected.length;
      totals.filtered += result.filtered.length;
      showTotals();
      send([msg, rejected]);
      done();
    };

    // One batch at a time, in arrival order: batches come in dependency order (parents first), and
    // Node-RED delivers the next message without waiting for done().
    let queue: Promise<void> = Promise.resolve();
    node.on('input', (msg, send, done) => {
      queue = queue
        .then(() => handle(msg, send, done))
        .catch((err: Error) => done(err instanceof PayloadError ? new Error(RED._(err.key, err.args)) : err));
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      clearTimeout(retry);
      done();
    });
  }

  RED.nodes.registerType('sf-map-fields', SfMapFields as never);
  registerAdminEndpoints(RED);
}
