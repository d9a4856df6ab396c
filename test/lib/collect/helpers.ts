import { DEMO_CREDENTIALS, startDemoEmulator, type Emulator } from '../../../emulator/index.js';
import { collect, type CollectBatch, type CollectOptions, type CollectSummary } from '../../../lib/collect/collector.js';
import { planCollection, type CollectionPlan, type CollectionRequest } from '../../../lib/collect/plan.js';
import { soqlString } from '../../../lib/collect/soql-text.js';
import { OrgConnection } from '../../../lib/connection/org-connection.js';
import { OrgApi } from '../../../lib/salesforce/org-api.js';

// jsforce would send even loopback traffic through a proxy.
for (const k of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY']) delete process.env[k];

export { startDemoEmulator, type Emulator };

/** The integration user of the demo `hq` org, logged in with the password flow. */
export function hqConnection(emulator: Emulator): OrgConnection {
  const c = DEMO_CREDENTIALS.hq;
  return new OrgConnection(
    {
      name: 'hq', environment: 'custom', domain: emulator.loginUrl, apiVersion: '62.0', authFlow: 'password',
      clientId: c.clientId, username: c.integration.username, callOptionsClient: 'OrgBridgeTest', apiBudgetPercent: 100,
    },
    { clientSecret: c.clientSecret, password: c.integration.password },
  );
}

export async function plan(conn: OrgConnection, request: CollectionRequest): Promise<CollectionPlan> {
  const api = new OrgApi(conn);
  return planCollection(request, (name) => api.describe(name));
}

export interface Run {
  batches: CollectBatch[];
  summary: CollectSummary;
}

export async function collectAll(conn: OrgConnection, p: CollectionPlan, options: CollectOptions = {}): Promise<Run> {
  const batches: CollectBatch[] = [];
  const gen = collect(conn, p, options);
  for (;;) {
    const next = await gen.next();
    if (next.done) return { batches, summary: next.value };
    batches.push(next.value);
  }
}

/** Index of the batch each record (by source Id) came in. */
export function batchIndexById(batches: CollectBatch[]): Map<string, number> {
  const m = new Map<string, number>();
  batches.forEach((b, i) => {
    for (const r of b.records) {
      if (m.has(r.sourceId)) throw new Error(`record ${r.sourceId} emitted twice`);
      m.set(r.sourceId, i);
    }
  });
  return m;
}

/**
 * Every reference to a record of the run points at an earlier batch, unless it is deferred;
 * returns the number of in-run references checked.
 */
export function assertParentsFirst(batches: CollectBatch[]): number {
  const at = batchIndexById(batches);
  let checked = 0;
  batches.forEach((b, i) => {
    for (const r of b.records) {
      for (const ref of r.references) {
        const p = at.get(ref.id);
        if (p === undefined || ref.deferred) continue;
        checked++;
        if (p >= i) throw new Error(`${r.object} ${r.sourceId} (batch ${i}) comes before its ${ref.field} parent ${ref.id} (batch ${p})`);
      }
    }
  });
  return checked;
}

/** Inserts a record through the REST API (as a user would), returning its Id. */
export async function insert(conn: OrgConnection, object: string, fields: Record<string, unknown>): Promise<string> {
  const r = await conn.run((c) => c.sobject(object).create(fields));
  if (!('id' in r) || !r.success) throw new Error(`insert ${object} failed: ${JSON.stringify(r)}`);
  return r.id;
}

export async function update(conn: OrgConnection, object: string, fields: Record<string, unknown> & { Id: string }): Promise<void> {
  const r = await conn.run((c) => c.sobject(object).update(fields));
  if (!r.success) throw new Error(`update ${object} failed: ${JSON.stringify(r)}`);
}

export async function idOf(conn: OrgConnection, object: string, name: string): Promise<string> {
  const r = await conn.run((c) => c.query<{ Id: string }>(`SELECT Id FROM ${object} WHERE Name = ${soqlString(name)}`));
  if (r.records.length !== 1) throw new Error(`expected one ${object} named ${name}, got ${r.records.length}`);
  return r.records[0]!.Id;
}
