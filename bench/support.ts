/**
 * What every benchmark shares: its knobs, the org it runs against, the session it talks through
 * and how it prints figures. Not a benchmark itself: run-bench.mjs only runs `*.bench.ts`.
 */
import os from 'node:os';
import { Connection } from 'jsforce';
import type { Org, OrgSpec } from '../emulator/org.js';

export const API_VERSION = '62.0';

/** The bench org's integration user and connected app, for benches that log in like a real client. */
export const BENCH_LOGIN = {
  username: 'integration@bench.test',
  password: 'bench-pass-1',
  clientId: 'bench-client',
  clientSecret: 'bench-secret',
} as const;

/** The same, split the way OrgBridge keeps them: the user for the org spec, the secrets for OrgConnection. */
const { username, password, clientSecret } = BENCH_LOGIN;
export const BENCH_USER = { username, password };
export const BENCH_SECRETS = { clientSecret, password };

/** `global.gc` when Node runs with --expose-gc; collecting before a figure keeps one phase's garbage out of the next. */
export const gc = (globalThis as { gc?: () => void }).gc;

/** jsforce (and faye under it) would otherwise send even loopback traffic through a proxy. */
export function unsetProxyEnv(): void {
  for (const k of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY']) delete process.env[k];
}

/** A positive integer knob from the environment; `1_000_000` is accepted, so sizes stay readable. */
export function intEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got '${raw}'`);
  return n;
}

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function mb(bytes: number): string {
  return `${fmtInt(bytes / 1024 / 1024)} MB`;
}

/** A latency cell: two decimals, or empty where the figure has none. */
export function fmtMs(ms: number | undefined): string {
  return ms === undefined ? '' : ms.toFixed(2);
}

/** Nearest-rank percentile of an ascending list; NaN for an empty one. */
export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** The process's peak resident set so far, in bytes (maxRSS is reported in KiB). */
export function peakRss(): number {
  return process.resourceUsage().maxRSS * 1024;
}

/** Node version, CPU count and model: figures from different machines are not comparable without it. */
export function machineSummary(): string {
  return `node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'})`;
}

/**
 * Runs `count` calls of `fn`, `concurrency` of them in flight; returns the wall time and each
 * call's latency in ms, sorted ascending.
 */
export async function timeCalls(count: number, fn: (i: number) => unknown, concurrency = 1): Promise<{ seconds: number; latencies: number[] }> {
  const latencies: number[] = new Array<number>(count);
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const t0 = performance.now();
      await fn(i);
      latencies[i] = performance.now() - t0;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { seconds, latencies };
}

/** Prints an aligned table after a blank line: the first and last columns (text) flush left, the figures between flush right. */
export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log('');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

/** The org every bench runs against: an admin, the integration user and one connected app. */
export function benchOrgSpec(extra: Partial<OrgSpec> = {}): OrgSpec {
  return {
    name: 'bench',
    displayName: 'Bench Org',
    users: [
      { username: 'admin@bench.test', password: 'bench-admin-1', firstName: 'Bea', lastName: 'Admin' },
      { ...BENCH_USER, lastName: 'Integration', integration: true },
    ],
    apps: [{ name: 'Bench', clientId: BENCH_LOGIN.clientId, clientSecret: BENCH_LOGIN.clientSecret }],
    ...extra,
  };
}

/** A jsforce connection on a session issued straight to the integration user: no OAuth round trip in the figures. */
export function benchConnection(org: Org, options: { callOptionsClient?: string } = {}): Connection {
  const user = [...org.users.values()].find((u) => u.integration)!;
  const session = org.sessions.issue(user.id, BENCH_LOGIN.clientId);
  return new Connection({
    instanceUrl: org.instanceUrl,
    accessToken: session.accessToken,
    version: API_VERSION,
    ...(options.callOptionsClient ? { callOptions: { client: options.callOptionsClient } } : {}),
  });
}
