import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { DEMO_CREDENTIALS } from '../../emulator/data/demo-orgs.js';

const require = createRequire(__filename);
const DIST_NODES = path.resolve('dist/nodes');
const FIXTURE = path.resolve('test/package/fixtures/node-red-with-package.mjs');

interface Ready {
  url: string;
  emulator: { loginUrl: string; orgs: Array<{ name: string; instanceUrl: string }> };
}

/** Node-RED with the package, as an installed module, in a child process (see the fixture). */
async function startNodeRedWithPackage(): Promise<{ ready: Ready; child: ChildProcess; log: string[] }> {
  const env = { ...process.env };
  for (const k of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY']) delete env[k];
  const child = spawn(process.execPath, [FIXTURE], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (l) => log.push(l));
  const ready = await new Promise<Ready>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Node-RED with the package did not start:\n${log.join('\n')}`)), 60_000);
    child.once('exit', (code) => reject(new Error(`the fixture exited (${code}) before it was ready:\n${log.join('\n')}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('{')) return log.push(line);
      clearTimeout(timer);
      resolve(JSON.parse(line) as Ready);
    });
  });
  return { ready, child, log };
}

async function json(url: string, init: RequestInit = {}): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { ...init, headers: { 'content-type': 'application/json', ...(init.headers ?? {}) }, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  // Express answers a route that is not there (yet) with an HTML page.
  const isJson = (res.headers.get('content-type') ?? '').includes('json');
  return { status: res.status, body: isJson && text ? JSON.parse(text) : text };
}

describe('the built package: one runtime for every node', function () {
  this.timeout(120_000);

  it('keeps lib/ out of the node files: each requires the shared modules, so Node.js loads each once', () => {
    const nodeFiles = readdirSync(DIST_NODES).filter((f) => f.endsWith('.js'));
    expect(nodeFiles.length).to.be.greaterThan(5);
    for (const f of nodeFiles) {
      const code = readFileSync(path.join(DIST_NODES, f), 'utf8');
      // A class of lib/ defined inside a node file would be a copy of its own.
      expect(code, f).not.to.match(/\bclass (OrgConnection|Ledger|OrgApi|DescribeCache)\b/);
      expect(code, f).to.match(/require\("\.\.\/lib\//);
    }
    const connectionModule = path.resolve('dist/lib/connection/org-connection.js');
    for (const f of nodeFiles) require(path.join(DIST_NODES, f));
    const loaded = Object.keys(require.cache).filter((k) => k.endsWith(`${path.sep}org-connection.js`));
    expect(loaded).to.deep.equal([connectionModule]);
  });

  describe('in Node-RED, loaded as an installed module', () => {
    let nodeRed: Awaited<ReturnType<typeof startNodeRedWithPackage>>;

    before(async () => {
      nodeRed = await startNodeRedWithPackage();
    });
    after(async () => {
      if (!nodeRed) return;
      const exited = new Promise((r) => nodeRed.child.once('exit', r));
      nodeRed.child.kill('SIGTERM');
      await exited;
    });

    it('reports a spent API budget as API_BUDGET_EXCEEDED, also when the connection itself refuses the call', async () => {
      const { url, emulator } = nodeRed.ready;
      const hq = emulator.orgs.find((o) => o.name === 'hq')!;
      const flows = [
        { id: 'tab', type: 'tab', label: 'budget' },
        {
          id: 'conn', type: 'sf-connection', name: 'HQ', environment: 'custom', domain: hq.instanceUrl, apiVersion: '62.0', authFlow: 'client-credentials',
          clientId: DEMO_CREDENTIALS.hq.clientId, username: '', instanceUrl: '', callOptionsClient: 'OrgBridge', apiBudgetPercent: '80',
          credentials: { clientSecret: DEMO_CREDENTIALS.hq.clientSecret },
        },
        { id: 'in', type: 'http in', z: 'tab', url: '/check', method: 'post', upload: false, swaggerDoc: '', x: 100, y: 100, wires: [['hc']] },
        {
          id: 'hc', type: 'sf-health-check', z: 'tab', name: 'health', connection: 'conn', allConnections: false, interval: '0', degradedLatencyMs: '2000',
          degradedApiPercent: '90', publishConnection: '', publishEvent: '', x: 300, y: 100, wires: [[], ['out']],
        },
        { id: 'out', type: 'http response', z: 'tab', statusCode: '', headers: {}, x: 500, y: 100, wires: [] },
      ];
      const deployed = await json(`${url}flows`, {
        method: 'POST', headers: { 'Node-RED-API-Version': 'v2', 'Node-RED-Deployment-Type': 'full' }, body: JSON.stringify({ flows }),
      });
      expect(deployed.status, JSON.stringify(deployed.body)).to.equal(200);

      // 900 of 1,000 calls used, and this integration may use 80 %: its budget is spent.
      const limits = await json(`${emulator.loginUrl}/__emulator__/orgs/hq/limits`, { method: 'POST', body: JSON.stringify({ DailyApiRequests: { max: 1000, used: 900 } }) });
      expect(limits.status).to.equal(200);

      type Report = Array<{ status: string; code?: string; reason: string }>;
      const check = async () => {
        for (let i = 0; ; i++) {
          const r = await json(`${url}check`, { method: 'POST', body: '{}' });
          // The deploy starts the flows a moment after it answers.
          if (r.status === 404 && i < 50) {
            await new Promise((res) => setTimeout(res, 100));
            continue;
          }
          expect(r.status, JSON.stringify(r.body)).to.equal(200);
          return (r.body as Report)[0]!;
        }
      };
      const calls = async () => (await json(`${emulator.loginUrl}/__emulator__/orgs/hq/api-calls`)).body as { total: number };

      // First check: /limits answers, and its figures say the budget is spent.
      const first = await check();
      expect(first).to.include({ status: 'unavailable', code: 'API_BUDGET_EXCEEDED' });
      // Second: the connection (sf-connection's side) refuses the call before it is made.
      const before = await calls();
      const second = await check();
      expect(second, second.reason).to.include({ status: 'unavailable', code: 'API_BUDGET_EXCEEDED' });
      expect(second.reason).to.match(/API budget used up/);
      expect((await calls()).total).to.equal(before.total);
    });
  });
});
