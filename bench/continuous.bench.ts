/**
 * Continuous sync benchmark, through Node-RED: the shipped example flow "09 Keep two orgs in sync
 * continuously" (sf-cdc-in on HQ → Account, Contact and Opportunity mappings → sf-upsert-out into
 * the subsidiary) in a real embedded Node-RED 4 with the built nodes and an SQLite ledger on disk.
 * The emulator runs in a child process and makes the changes there, as people editing accounts in
 * HQ would (no API client in their change origin), at a steady rate: every change writes a new
 * token into an account's Description. The same process sees the subsidiary commit it, so the
 * change-to-target latency is measured on one clock.
 *
 *   BENCH_CDC_ACCOUNTS  accounts the changes go to (default 1,000; synced once before measuring)
 *   BENCH_CDC_RATES     changes per second of the measured phases (default 100,500,1000,2000)
 *   BENCH_CDC_SECONDS   length of each phase (default 20)
 *   BENCH_CDC_LONG      changes of the long run for peak memory, at 500 per second (default 100,000)
 *
 * A change superseded by a later one to the same record before it was written is coalesced (never
 * written on its own): it counts as delivered when the later one arrives, and is reported apart.
 * A rate is sustained when the subsidiary has caught up within 10 s of the phase's end and the
 * p99 latency stays under 5 s. Needs the build: `npm run build` first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { DEMO_CREDENTIALS, startDemoEmulator } from '../emulator/data/demo-orgs.js';
import { fmtInt, gc, intEnv, machineSummary, mb, peakRss, percentile, printTable, unsetProxyEnv } from './support.js';

unsetProxyEnv();

const ACCOUNTS = intEnv('BENCH_CDC_ACCOUNTS', 1000);
const RATES = (process.env.BENCH_CDC_RATES ?? '100,500,1000,2000').split(',').map((r) => Number(r.trim())).filter((r) => r > 0);
const SECONDS = intEnv('BENCH_CDC_SECONDS', 20);
const LONG = intEnv('BENCH_CDC_LONG', 100_000);
const ROOT = path.resolve(__dirname, '..');
const EXAMPLE = path.join(ROOT, 'examples', '09 Keep two orgs in sync continuously.json');

interface EmulatorInfo {
  loginUrl: string;
  orgs: Record<'hq' | 'subsidiary', string>;
}

/** What the emulator child reports after a phase. */
interface PhaseResult {
  changes: number;
  /** ms from HQ's commit to the subsidiary's, per change written. */
  latencies: number[];
  /** Changes never written on their own: a later change to the record came first. */
  superseded: number;
  /** Changes not in the subsidiary when the phase's wait ended. */
  missing: number;
  /** ms after the last change until the subsidiary held every record's last value. */
  drainMs: number;
  calls: { hq: number; subsidiary: number };
}

type FlowNode = Record<string, unknown> & { id: string; type: string };

interface Embed {
  startNodeRed(options: { repoRoot: string; userDir: string; port: number; credentialSecret: string; log: (line: string) => void }): Promise<{
    RED: unknown;
    url: string;
    stop(): Promise<void>;
  }>;
  deployFlows(url: string, flows: FlowNode[]): Promise<unknown>;
  waitForConnections(RED: unknown, ids: string[], timeoutMs?: number): Promise<unknown>;
}

// ---------------------------------------------------------------------------------------------
// The emulator child: both demo orgs, the accounts, the changes, the clock of both commits.
// ---------------------------------------------------------------------------------------------

async function emulatorChild(): Promise<void> {
  const emulator = await startDemoEmulator({ seed: false });
  const hq = emulator.org('hq');
  const subsidiary = emulator.org('subsidiary');
  const user = [...hq.users.values()][0]!;
  const person = { userId: user.id, api: 'ui' as const, apiVersion: '65.0' };
  const ids = hq.transaction(person, (tx) => Array.from({ length: ACCOUNTS }, (_, i) => tx.insert('Account', { Name: `Bench account ${i}`, Description: 'start' })));
  // The subsidiary's last value per HQ Id, and when each token was committed on either side.
  const hqIdOf = new Map<string, string>();
  const lastWritten = new Map<string, string>();
  const hqAt = new Map<string, number>();
  const subAt = new Map<string, number>();
  subsidiary.addCommitListener((tx) => {
    for (const c of tx.changes) {
      if (c.object !== 'Account') continue;
      const hqId = (c.fields.HQ_Id__c as string | undefined) ?? hqIdOf.get(c.id);
      if (hqId) hqIdOf.set(c.id, hqId);
      const token = c.fields.Description;
      if (typeof token === 'string' && hqId) {
        lastWritten.set(hqId, token);
        if (!subAt.has(token)) subAt.set(token, tx.commitTimestamp);
      }
    }
  });
  const lastSent = new Map<string, string>(ids.map((id) => [id, 'start']));
  const caughtUp = () => [...lastSent].every(([id, token]) => lastWritten.get(id) === token);
  let serial = 0;

  const phase = async (rate: number, changes: number): Promise<PhaseResult> => {
    await fetch(`${emulator.loginUrl}/__emulator__/orgs/hq/api-calls`, { method: 'DELETE' });
    await fetch(`${emulator.loginUrl}/__emulator__/orgs/subsidiary/api-calls`, { method: 'DELETE' });
    const tokens: string[] = [];
    const start = performance.now();
    let sent = 0;
    // Ticks of 10 ms: each makes the changes due by then, one transaction per change, as people would.
    while (sent < changes) {
      const due = Math.min(changes, Math.floor(((performance.now() - start) / 1000) * rate));
      for (; sent < due; sent++) {
        const id = ids[Math.floor(Math.random() * ids.length)]!;
        const token = `c${++serial}`;
        hq.transaction(person, (tx) => tx.update('Account', id, { Description: token }));
        hqAt.set(token, Date.now());
        lastSent.set(id, token);
        tokens.push(token);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    const ended = Date.now();
    while (!caughtUp() && Date.now() - ended < 60_000) await new Promise((r) => setTimeout(r, 20));
    const drainMs = caughtUp() ? Date.now() - ended : -1;
    const latencies: number[] = [];
    let superseded = 0;
    let missing = 0;
    const finalTokens = new Set(lastSent.values());
    for (const t of tokens) {
      const at = subAt.get(t);
      if (at !== undefined) latencies.push(at - hqAt.get(t)!);
      else if (finalTokens.has(t)) missing++;
      else superseded++;
      hqAt.delete(t);
      subAt.delete(t);
    }
    const calls = async (org: string) => ((await (await fetch(`${emulator.loginUrl}/__emulator__/orgs/${org}/api-calls`)).json()) as { total: number }).total;
    return { changes, latencies: latencies.sort((a, b) => a - b), superseded, missing, drainMs, calls: { hq: await calls('hq'), subsidiary: await calls('subsidiary') } };
  };

  const info: EmulatorInfo = { loginUrl: emulator.loginUrl, orgs: { hq: hq.instanceUrl, subsidiary: subsidiary.instanceUrl } };
  process.stdout.write(`${JSON.stringify(info)}\n`);
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const cmd = JSON.parse(line) as { op: 'touch-all' | 'phase'; rate?: number; changes?: number };
    const run = async () => {
      if (cmd.op === 'touch-all') {
        // One change to every account, and the wait until all are in the subsidiary.
        for (const id of ids) {
          const token = `c${++serial}`;
          hq.transaction(person, (tx) => tx.update('Account', id, { Description: token }));
          lastSent.set(id, token);
        }
        const t0 = Date.now();
        while (!caughtUp() && Date.now() - t0 < 120_000) await new Promise((r) => setTimeout(r, 50));
        hqAt.clear();
        subAt.clear();
        return { ok: caughtUp() };
      }
      return phase(cmd.rate!, cmd.changes!);
    };
    void run().then((r) => process.stdout.write(`${JSON.stringify(r)}\n`));
  });
  lines.on('close', () => void emulator.stop().then(() => process.exit(0)));
}

// ---------------------------------------------------------------------------------------------
// The Node-RED process.
// ---------------------------------------------------------------------------------------------

class EmulatorChild {
  private constructor(
    readonly child: ChildProcess,
    private readonly lines: Interface,
    readonly info: EmulatorInfo,
  ) {}

  static async start(): Promise<EmulatorChild> {
    const child = spawn(process.execPath, ['--import', 'tsx', __filename, '--emulator'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'], env: process.env });
    const lines = createInterface({ input: child.stdout! });
    const first = await new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`the emulator process exited (code ${code}) before it was ready`)));
      lines.once('line', resolve);
    });
    child.removeAllListeners('exit');
    return new EmulatorChild(child, lines, JSON.parse(first) as EmulatorInfo);
  }

  ask<T>(cmd: object): Promise<T> {
    return new Promise((resolve) => {
      this.lines.once('line', (line) => resolve(JSON.parse(line) as T));
      this.child.stdin!.write(`${JSON.stringify(cmd)}\n`);
    });
  }

  stop(): void {
    this.child.stdin?.end();
  }
}

/** Example 09 against the bench orgs: client-credentials connections, debug nodes off. */
function benchFlow(info: EmulatorInfo): FlowNode[] {
  const nodes = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as FlowNode[];
  const tab = String(nodes.find((n) => n.z)!.z);
  return [
    { id: tab, type: 'tab', label: 'continuous bench' },
    ...nodes.map((n): FlowNode => {
      if (n.type === 'sf-connection') {
        const org = n.id === 'sf-conn-hq' ? 'hq' : 'subsidiary';
        return {
          ...n, environment: 'custom', domain: info.orgs[org], authFlow: 'client-credentials', clientId: DEMO_CREDENTIALS[org].clientId, username: '',
          apiBudgetPercent: '100', credentials: { clientSecret: DEMO_CREDENTIALS[org].clientSecret },
        };
      }
      // A debug node per batch would measure the sidebar, not the sync.
      if (n.type === 'debug') return { ...n, active: false };
      return n;
    }),
  ];
}

async function main(): Promise<void> {
  if (!existsSync(path.join(ROOT, 'dist', 'nodes', 'sf-cdc-in.js'))) throw new Error('dist/nodes is missing: run npm run build first');
  const embed = (await import(path.join(ROOT, 'scripts', 'demo', 'node-red-embed.mjs'))) as Embed;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orgbridge-cdc-bench-'));
  let emulator: EmulatorChild | undefined;
  let nodeRed: Awaited<ReturnType<Embed['startNodeRed']>> | undefined;
  const warnings: string[] = [];
  try {
    emulator = await EmulatorChild.start();
    console.log(`continuous sync bench (example 09 in Node-RED): changes to ${fmtInt(ACCOUNTS)} HQ accounts at ${RATES.join(', ')} per second for ${SECONDS} s each, then ${fmtInt(LONG)} changes at 500 per second`);
    console.log(`${machineSummary()}, ${mb(os.totalmem())} RAM`);
    nodeRed = await embed.startNodeRed({ repoRoot: ROOT, userDir: path.join(dir, 'node-red'), port: 0, credentialSecret: 'bench', log: (line) => warnings.push(line) });
    await embed.deployFlows(nodeRed.url, benchFlow(emulator.info));
    await embed.waitForConnections(nodeRed.RED, ['sf-conn-hq', 'sf-conn-subsidiary']);
    // Until sf-cdc-in listens and the mappers are compiled: the first change to every account creates it in the subsidiary.
    await new Promise((r) => setTimeout(r, 3000));
    const warm = await emulator.ask<{ ok: boolean }>({ op: 'touch-all' });
    if (!warm.ok) throw new Error('the accounts did not all reach the subsidiary before the measured phases');
    const rssDeployed = process.memoryUsage().rss;

    const rows: string[][] = [];
    const row = (what: string, rate: number, r: PhaseResult) => {
      const p = (q: number) => (r.latencies.length ? fmtInt(percentile(r.latencies, q)) : '-');
      const sustained = r.drainMs >= 0 && r.drainMs <= 10_000 && r.missing === 0 && (r.latencies.length ? percentile(r.latencies, 99) < 5000 : false);
      const per1000 = (n: number) => (n / (r.changes / 1000)).toFixed(2);
      rows.push([
        what, fmtInt(rate), fmtInt(r.changes), fmtInt(r.latencies.length), fmtInt(r.superseded), p(50), p(99),
        r.drainMs < 0 ? 'not within 60 s' : fmtInt(r.drainMs), per1000(r.calls.hq), per1000(r.calls.subsidiary), sustained ? 'yes' : 'no', mb(peakRss()),
      ]);
      return sustained;
    };
    let highest = 0;
    for (const rate of RATES) {
      gc?.();
      const r = await emulator.ask<PhaseResult>({ op: 'phase', rate, changes: rate * SECONDS });
      if (row(`${SECONDS} s`, rate, r)) highest = Math.max(highest, rate);
    }
    gc?.();
    const long = await emulator.ask<PhaseResult>({ op: 'phase', rate: 500, changes: LONG });
    row('long run', 500, long);
    printTable(
      ['phase', 'changes/s', 'changes', 'written', 'coalesced', 'lag p50 ms', 'lag p99 ms', 'drained after ms', 'HQ calls/1,000', 'subsidiary calls/1,000', 'sustained', 'peak RSS so far'],
      rows,
    );
    console.log('');
    console.log(`highest sustained rate measured: ${highest ? `${fmtInt(highest)} changes per second` : 'none of the rates'} (caught up within 10 s, p99 under 5 s)`);
    console.log(`Node-RED process: RSS ${mb(rssDeployed)} once deployed and warm, peak ${mb(peakRss())} over all phases (the emulator is in another process)`);
    const noise = warnings.filter((w) => !/Projects disabled|Encrypted credentials not found/.test(w));
    if (noise.length) console.log(`\nNode-RED said:\n${noise.slice(0, 20).join('\n')}`);
  } finally {
    await nodeRed?.stop();
    emulator?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--emulator')) {
  emulatorChild().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
} else {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
