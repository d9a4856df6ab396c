/**
 * What the flow tests share: the whole sync flow (sf-collect → three sf-map-fields in series →
 * sf-upsert-out → sf-sync-status) built as Node-RED flow JSON, loaded into the real runtime through
 * node-red-node-test-helper with every node of the package (built, as it ships) and the core nodes
 * the examples use, and a way to run one sync and wait until every batch has been written.
 *
 * The flow only needs the orgs' instance URLs, so a child process (the crash test) builds the
 * same flow against the parent's emulator.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { DEMO_CREDENTIALS } from '../../emulator/data/demo-orgs.js';
import type { Mapping } from '../../lib/mapping/index.js';
import type { BatchMeta, RecordResult, SyncRecord } from '../../lib/sync/types.js';
import type { WriteMetrics } from '../../lib/upsert/index.js';
import { builtNode, helper } from '../support/node-red.js';

const require = createRequire(__filename);

for (const k of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY']) delete process.env[k];

/** Every node the package registers, from dist/ (the tests run what ships). */
export const PACKAGE_NODES = ['sf-connection', 'sf-health-check', 'sf-cdc-in', 'sf-bulk-query', 'sf-collect', 'sf-map-fields', 'sf-upsert-out', 'sf-sync-status'].map(builtNode);

/** Core nodes the example flows use (catch, status and complete come with the helper). */
export const CORE_NODES = [
  'common/20-inject.js', 'common/21-debug.js', 'common/90-comment.js', 'common/60-link.js', 'common/05-junction.js',
  'function/10-function.js', 'function/10-switch.js', 'function/15-change.js', 'function/89-delay.js',
  'network/21-httpin.js', 'network/21-httprequest.js', 'sequence/17-split.js', 'parsers/70-JSON.js',
].map((f) => require(`@node-red/nodes/core/${f}`) as unknown);

export const ALL_NODES = [...PACKAGE_NODES, ...CORE_NODES];

// node-red-node-test-helper loads its own catch, status and complete modules once per node of that
// type in the flow, and registering a type twice throws: several examples together have several
// Catch nodes. A repeated registration is the same module again, so it is let pass.
const helperCoreModules = (helper as unknown as { _nodeModules: Record<string, (red: unknown) => unknown> })._nodeModules;
for (const [type, load] of Object.entries(helperCoreModules)) {
  helperCoreModules[type] = (red: unknown) => {
    try {
      return load(red);
    } catch (err) {
      if (/already registered/.test((err as Error).message)) return undefined;
      throw err;
    }
  };
}

export type OrgName = 'hq' | 'subsidiary';
/** What the flow needs to know of the orgs: where they are. */
export type OrgUrls = Record<OrgName, string>;

export const CONNECTION_IDS: Record<OrgName, string> = { hq: 'sf-conn-hq', subsidiary: 'sf-conn-subsidiary' };

/**
 * A demo connection for the tests: the client-credentials flow against the org's instance URL
 * (the examples use JWT bearer through the login host; the nodes behave the same after login).
 */
export function connectionNode(org: OrgName, urls: OrgUrls): Record<string, unknown> {
  return {
    id: CONNECTION_IDS[org], type: 'sf-connection', name: org === 'hq' ? 'HQ' : 'Subsidiary', environment: 'custom', domain: urls[org],
    apiVersion: '62.0', authFlow: 'client-credentials', clientId: DEMO_CREDENTIALS[org].clientId, username: '', instanceUrl: '',
    callOptionsClient: 'OrgBridge', apiBudgetPercent: '100',
  };
}

export const CREDENTIALS = {
  [CONNECTION_IDS.hq]: { clientSecret: DEMO_CREDENTIALS.hq.clientSecret },
  [CONNECTION_IDS.subsidiary]: { clientSecret: DEMO_CREDENTIALS.subsidiary.clientSecret },
};

export interface PipelineOptions {
  /** sf-collect's settings over the defaults (Account by Id, depth 2, Contacts and Opportunities). */
  collect?: Record<string, unknown>;
  /** A mapping document (or raw JSON text) per object instead of the template. */
  mappings?: Partial<Record<'Account' | 'Contact' | 'Opportunity', Mapping | string>>;
  upsert?: Record<string, unknown>;
}

/** Ids of the pipeline's nodes, for tests that poke at one. */
export const P = {
  collect: 'collect', mapAccount: 'map-account', mapContact: 'map-contact', mapOpportunity: 'map-opportunity', upsert: 'upsert', status: 'status',
  summaries: 'out-summary', results: 'out-results', deadLetters: 'out-dead-letters', rejected: 'out-rejected', reports: 'out-reports', caught: 'out-caught',
} as const;

/** collect → Account, Contact and Opportunity mappers in series → upsert → helpers, with sync status and a Catch. */
export function pipelineFlow(urls: OrgUrls, options: PipelineOptions = {}): Array<Record<string, unknown>> {
  let y = 0;
  // Without a position Node-RED takes a node for a config node.
  const at = (node: Record<string, unknown>) => (node.z ? { x: 100, y: (y += 40), ...node } : node);
  const mapper = (id: string, object: 'Account' | 'Contact' | 'Opportunity', next: string) => {
    const given = options.mappings?.[object];
    return {
      id, type: 'sf-map-fields', z: 'tab', name: `${object} for the subsidiary`, source: CONNECTION_IDS.hq, target: CONNECTION_IDS.subsidiary,
      template: object, mapping: given === undefined ? '' : typeof given === 'string' ? given : JSON.stringify(given),
      wires: [[next], [P.rejected]],
    };
  };
  const flow: Array<Record<string, unknown>> = [
    { id: 'tab', type: 'tab', label: 'sync' },
    connectionNode('hq', urls),
    connectionNode('subsidiary', urls),
    {
      id: P.collect, type: 'sf-collect', z: 'tab', name: 'HQ accounts', connection: CONNECTION_IDS.hq, object: 'Account', mode: 'ids', where: '',
      depth: '2', parents: 'all', parentFields: '', children: 'Contacts, Opportunities', batchSize: '200', preview: false,
      wires: [[P.mapAccount], [P.summaries]], ...options.collect,
    },
    mapper(P.mapAccount, 'Account', P.mapContact),
    mapper(P.mapContact, 'Contact', P.mapOpportunity),
    mapper(P.mapOpportunity, 'Opportunity', P.upsert),
    {
      id: P.upsert, type: 'sf-upsert-out', z: 'tab', name: 'write to the subsidiary', connection: CONNECTION_IDS.subsidiary, maxInFlight: '2', maxAttempts: '5', baseDelayMs: '1',
      wires: [[P.results, P.status], [P.deadLetters]], ...options.upsert,
    },
    {
      id: P.status, type: 'sf-sync-status', z: 'tab', name: 'sync status', interval: '0', windowHours: '24', sourceConnection: '', targetConnection: '', object: '',
      wires: [[P.reports], []],
    },
    { id: P.summaries, type: 'helper', z: 'tab' },
    { id: P.results, type: 'helper', z: 'tab' },
    { id: P.deadLetters, type: 'helper', z: 'tab' },
    { id: P.rejected, type: 'helper', z: 'tab' },
    { id: P.reports, type: 'helper', z: 'tab' },
    { id: 'catch-all', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [[P.caught]] },
    { id: P.caught, type: 'helper', z: 'tab' },
  ];
  return flow.map(at);
}

export interface Msg {
  _msgid?: string;
  topic?: string;
  payload: unknown;
  s2s?: BatchMeta & { write?: WriteMetrics };
  error?: { message: string; code?: string; source?: { id: string; type: string } };
  [k: string]: unknown;
}

export interface CollectSummary {
  runId: string;
  objects: Record<string, number>;
  records: number;
  batches: number;
  apiCalls: number;
}

/** What one sync run produced once every batch it sent has been written (or has failed). */
export interface RunOutcome {
  summary: CollectSummary;
  results: RecordResult[];
  deadLettered: RecordResult[];
  rejected: Array<{ record: SyncRecord; problems: Array<{ field: string; code: string; message: string }> }>;
  /** Batches that failed as a whole (Catch). */
  errors: Msg[];
  writes: WriteMetrics[];
}

/** The messages a helper node receives from now on. */
export function received(id: string): Msg[] {
  const got: Msg[] = [];
  (helper.getNode(id) as unknown as NodeJS.EventEmitter).on('input', (msg: Msg) => got.push(msg));
  return got;
}

export async function until(pred: () => boolean, what: string, ms = 30_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (pred()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

/** The loaded pipeline, with everything its helper nodes received. */
export class Pipeline {
  readonly summaries = received(P.summaries);
  readonly results = received(P.results);
  readonly deadLetters = received(P.deadLetters);
  readonly rejected = received(P.rejected);
  readonly reports = received(P.reports);
  readonly caught = received(P.caught);

  /** Sends one message to sf-collect and resolves once every batch of its run is written or failed. */
  async run(payload: unknown, extra: Record<string, unknown> = {}, ms = 60_000): Promise<RunOutcome> {
    const marks = { summaries: this.summaries.length, results: this.results.length, deadLetters: this.deadLetters.length, rejected: this.rejected.length, caught: this.caught.length };
    helper.getNode(P.collect).receive({ payload, ...extra } as never);
    const since = <T>(list: T[], from: number) => list.slice(from);
    let summary: CollectSummary | undefined;
    await until(() => {
      const collectFailed = since(this.caught, marks.caught).find((m) => m.error?.source?.id === P.collect);
      if (collectFailed) throw new Error(`sf-collect failed: ${collectFailed.error!.message}`);
      summary ??= since(this.summaries, marks.summaries)[0]?.payload as CollectSummary | undefined;
      if (!summary) return false;
      const mine = (m: Msg) => m.s2s?.runId === summary!.runId;
      const finished = since(this.results, marks.results).filter(mine).length + since(this.caught, marks.caught).filter(mine).length;
      return finished >= summary.batches;
    }, 'the run to be written', ms);
    const mine = (m: Msg) => m.s2s?.runId === summary!.runId;
    return {
      summary: summary!,
      results: since(this.results, marks.results).filter(mine).flatMap((m) => m.payload as RecordResult[]),
      deadLettered: since(this.deadLetters, marks.deadLetters).filter(mine).flatMap((m) => m.payload as RecordResult[]),
      rejected: since(this.rejected, marks.rejected).filter(mine).flatMap((m) => m.payload as RunOutcome['rejected']),
      errors: since(this.caught, marks.caught).filter(mine),
      writes: since(this.results, marks.results).filter(mine).map((m) => m.s2s!.write!),
    };
  }

  /** Asks sf-sync-status for its table (or a CSV with topic `csv` / `dead-letters-csv`). */
  async report(topic = 'status'): Promise<Msg> {
    const before = this.reports.length;
    helper.getNode(P.status).receive({ topic } as never);
    await until(() => this.reports.length > before, `the ${topic} report`);
    return this.reports[this.reports.length - 1]!;
  }
}

/** Loads the pipeline into the running helper server; call `helper.settings` and `startServer` first. */
export async function loadPipeline(urls: OrgUrls, options: PipelineOptions = {}): Promise<Pipeline> {
  await helper.load(ALL_NODES as never, pipelineFlow(urls, options) as never, CREDENTIALS);
  return new Pipeline();
}

/** Each outcome and how many records had it. */
export function outcomeCounts(results: readonly RecordResult[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of results) counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
  return counts;
}

export { helper };

export const EXAMPLES = path.resolve(__dirname, '..', '..', 'examples');

export type FlowNode = Record<string, unknown> & { id: string; type: string; z?: string };

export function readExample(name: string): FlowNode[] {
  return JSON.parse(readFileSync(path.join(EXAMPLES, `${name}.json`), 'utf8')) as FlowNode[];
}

/** The examples as one deployment: a tab each, the shared connections once, debug nodes as helpers. */
export function deployable(names: string[], urls: OrgUrls, overrides: Record<string, Record<string, unknown>>): FlowNode[] {
  const flows: FlowNode[] = [];
  const seen = new Set<string>();
  for (const name of names) {
    const nodes = readExample(name);
    const tab = nodes.find((n) => n.z)!.z!;
    flows.push({ id: tab, type: 'tab', label: name });
    for (const n of nodes) {
      if (seen.has(n.id)) continue;
      seen.add(n.id);
      if (n.type === 'sf-connection') flows.push(connectionNode(n.id === 'sf-conn-hq' ? 'hq' : ('subsidiary' as OrgName), urls) as FlowNode);
      else if (n.type === 'debug') flows.push({ id: n.id, type: 'helper', z: n.z, name: n.name, x: n.x, y: n.y, wires: [] });
      else flows.push({ ...n, ...overrides[n.id] });
    }
  }
  return flows;
}

/**
 * Continuous sync: sf-cdc-in on HQ (Account, Contact, Opportunity) → the three mappings →
 * sf-upsert-out into the subsidiary, with helpers `results`, `dead-letters`, `rejected`, `events`
 * and `caught`.
 */
export function cdcPipelineFlow(urls: OrgUrls, cdc: Record<string, unknown> = {}): Array<Record<string, unknown>> {
  let y = 0;
  const at = (n: Record<string, unknown>) => (n.z ? { x: 100, y: (y += 40), ...n } : n);
  const mapper = (id: string, object: string, next: string) => ({
    id, type: 'sf-map-fields', z: 'tab', name: `${object} mapping`, source: CONNECTION_IDS.hq, target: CONNECTION_IDS.subsidiary, template: object, mapping: '', wires: [[next], ['rejected']],
  });
  return [
    { id: 'tab', type: 'tab', label: 'continuous' },
    connectionNode('hq', urls),
    connectionNode('subsidiary', urls),
    {
      id: 'cdc', type: 'sf-cdc-in', z: 'tab', name: 'HQ changes', connection: CONNECTION_IDS.hq, objects: 'Account, Contact, Opportunity', channel: '',
      create: true, update: true, delete: true, undelete: true, fields: '', start: 'new', checkpointName: '', batchSize: '200', windowMs: '200', inFlight: '4', ackTimeout: '300',
      wires: [['map-account'], ['events']], ...cdc,
    },
    mapper('map-account', 'Account', 'map-contact'),
    mapper('map-contact', 'Contact', 'map-opportunity'),
    mapper('map-opportunity', 'Opportunity', 'upsert'),
    {
      id: 'upsert', type: 'sf-upsert-out', z: 'tab', name: 'write to the subsidiary', connection: CONNECTION_IDS.subsidiary, maxInFlight: '2', maxAttempts: '5', baseDelayMs: '1',
      wires: [['results'], ['dead-letters']],
    },
    { id: 'results', type: 'helper', z: 'tab' },
    { id: 'dead-letters', type: 'helper', z: 'tab' },
    { id: 'rejected', type: 'helper', z: 'tab' },
    { id: 'events', type: 'helper', z: 'tab' },
    { id: 'catch-all', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ].map(at);
}
