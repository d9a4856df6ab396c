/**
 * What the benchmarks that run a shipped example in Node-RED share: the emulator with the demo
 * orgs in a child process (so the Node-RED process's RSS is its own and the two do not share an
 * event loop), the source org filled by the generator, the emulator's control API, and the
 * example's connections pointed at the bench orgs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { generateOrgData } from '../emulator/data/generator.js';
import { DEMO_CREDENTIALS, startDemoEmulator } from '../emulator/data/demo-orgs.js';

export interface EmulatorInfo {
  loginUrl: string;
  orgs: Record<'hq' | 'subsidiary', string>;
  generated: { accounts: number; contacts: number; opportunities: number; total: number; maxDepth: number };
}

export type FlowNode = Record<string, unknown> & { id: string; type: string };

/** What scripts/demo/node-red-embed.mjs offers (a plain .mjs module, so typed here). */
export interface Embed {
  startNodeRed(options: { repoRoot: string; userDir: string; port: number; credentialSecret: string; log: (line: string) => void }): Promise<{
    RED: { nodes: { getNode(id: string): { on(event: 'input', cb: (msg: { payload: unknown; topic?: string }) => void): void; receive(msg: object): void } | null } };
    url: string;
    stop(): Promise<void>;
  }>;
  deployFlows(url: string, flows: FlowNode[]): Promise<unknown>;
  waitForConnections(RED: unknown, ids: string[], timeoutMs?: number): Promise<unknown>;
}

/** The generated source data: accounts in hierarchies up to 4 deep, 3 contacts and 2 opportunities each on average. */
export const GENERATED = { seed: 42, contactsPerAccount: 3, opportunitiesPerAccount: 2, hierarchyDepth: 4 };

/** Child mode (the bench file run with --emulator): the demo orgs without demo data, `accounts` generated into hq. */
export async function emulatorChild(accounts: number): Promise<void> {
  const emulator = await startDemoEmulator({ seed: false });
  const generated = generateOrgData(emulator.org('hq'), { ...GENERATED, accounts });
  const info: EmulatorInfo = {
    loginUrl: emulator.loginUrl,
    orgs: { hq: emulator.org('hq').instanceUrl, subsidiary: emulator.org('subsidiary').instanceUrl },
    generated,
  };
  process.stdout.write(`${JSON.stringify(info)}\n`);
  // The parent ends us by closing our stdin (or dies, which closes it too).
  process.stdin.resume();
  process.stdin.on('end', () => void emulator.stop().then(() => process.exit(0)));
}

/** Starts `benchFile --emulator` as a child process and waits for its orgs. */
export async function startEmulatorChild(benchFile: string, cwd: string): Promise<{ child: ChildProcess; info: EmulatorInfo }> {
  // A profiled bench (node --cpu-prof …) profiles the emulator process too.
  const profile = process.execArgv.filter((a) => a.startsWith('--cpu-prof'));
  // Two orgs of a million records each pass Node's default heap limit (about 4 GB) in the emulator.
  const child = spawn(process.execPath, [...profile, '--max-old-space-size=12288', '--import', 'tsx', benchFile, '--emulator'], { cwd, stdio: ['pipe', 'pipe', 'inherit'], env: process.env });
  const line = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the emulator process exited (code ${code}) before it was ready`)));
    createInterface({ input: child.stdout! }).once('line', resolve);
  });
  child.removeAllListeners('exit');
  return { child, info: JSON.parse(line) as EmulatorInfo };
}

export async function control<T>(info: EmulatorInfo, method: string, route: string): Promise<T> {
  const res = await fetch(`${info.loginUrl}/__emulator__${route}`, { method });
  if (!res.ok) throw new Error(`${method} ${route}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

/** An example's sf-connection nodes (sf-conn-hq, sf-conn-subsidiary) as client-credentials logins to the bench orgs. */
export function benchConnection(n: FlowNode, info: EmulatorInfo): FlowNode {
  const org = n.id === 'sf-conn-hq' ? 'hq' : 'subsidiary';
  return {
    ...n, environment: 'custom', domain: info.orgs[org], authFlow: 'client-credentials', clientId: DEMO_CREDENTIALS[org].clientId, username: '',
    apiBudgetPercent: '100', credentials: { clientSecret: DEMO_CREDENTIALS[org].clientSecret },
  };
}

/** Waits until an org's API call count stops moving (the mappers compile against describes at deploy). */
export async function settled(info: EmulatorInfo, org: 'hq' | 'subsidiary'): Promise<void> {
  let last = -1;
  for (;;) {
    await new Promise((r) => setTimeout(r, 300));
    const calls = (await control<{ total: number }>(info, 'GET', `/orgs/${org}/api-calls`)).total;
    if (calls === last) return;
    last = calls;
  }
}
