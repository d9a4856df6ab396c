/**
 * Health-check benchmark: what one check of a connection costs (time and API calls) against the
 * emulator, and how fast the ledger takes availability samples and answers uptime and history
 * queries over a week of one-minute samples (what an org checked every minute accumulates).
 *
 *   BENCH_CHECKS    health checks per timing figure (default 200)
 *   BENCH_WRITES    single-sample write transactions (default 5,000)
 *   BENCH_QUERIES   uptime/history queries per figure (default 200)
 *
 * The emulator runs in this process on loopback, so check times are the client's and the
 * emulator's cost without a network; a real org adds its round trip (typically 50–300 ms).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { startEmulator } from '../emulator/index.js';
import { OrgConnection } from '../lib/connection/org-connection.js';
import { checkConnection, HealthMonitor, type HealthCheckOptions } from '../lib/health/index.js';
import { Ledger, type AvailabilitySample, type AvailabilityStatus } from '../lib/ledger/index.js';
import { API_VERSION, BENCH_LOGIN, BENCH_SECRETS, benchOrgSpec, fmtInt, fmtMs, gc, intEnv, machineSummary, percentile, printTable, timeCalls, unsetProxyEnv } from './support.js';

unsetProxyEnv();

const CHECKS = intEnv('BENCH_CHECKS', 200);
const WRITES = intEnv('BENCH_WRITES', 5000);
const QUERIES = intEnv('BENCH_QUERIES', 200);
const WEEK_OF_MINUTES = 7 * 24 * 60;
const MINUTE = 60_000;
const ORG_ID = '00D000000000001AAA';

interface Row {
  what: string;
  count: number;
  /** Operations per second, when a rate means something. */
  rate?: string;
  p50?: number;
  p95?: number;
  note?: string;
}

const rows: Row[] = [];

/** Runs `fn` `count` times one after another, from a freshly collected heap. */
async function timed(count: number, fn: (i: number) => unknown): Promise<{ latencies: number[]; seconds: number }> {
  gc?.();
  return timeCalls(count, fn);
}

function addTimed(what: string, t: { latencies: number[]; seconds: number }, unit: string, note?: string): void {
  rows.push({
    what, count: t.latencies.length, rate: `${fmtInt(t.latencies.length / t.seconds)} ${unit}/s`,
    p50: percentile(t.latencies, 50), p95: percentile(t.latencies, 95), note,
  });
}

function printRows(): void {
  printTable(
    ['figure', 'count', 'rate', 'p50 ms', 'p95 ms', 'note'],
    rows.map((r) => [r.what, fmtInt(r.count), r.rate ?? '', fmtMs(r.p50), fmtMs(r.p95), r.note ?? '']),
  );
}

function minuteSamples(count: number, end: number): AvailabilitySample[] {
  return Array.from({ length: count }, (_, i) => {
    const status: AvailabilityStatus = i % 97 === 0 ? 'unavailable' : i % 31 === 0 ? 'degraded' : 'available';
    return {
      orgId: ORG_ID, orgName: 'bench', at: end - (count - i) * MINUTE, status,
      severity: status === 'available' ? 'info' : status === 'degraded' ? 'warning' : 'critical',
      latencyMs: status === 'unavailable' ? null : 40 + (i % 17), apiUsed: status === 'unavailable' ? null : 1000 + i, apiLimit: 100_000,
      reason: status === 'available' ? 'OK' : 'bench',
    };
  });
}

async function benchChecks(dir: string): Promise<void> {
  const emulator = await startEmulator({ orgs: [benchOrgSpec()] });
  try {
    const org = emulator.org('bench');
    const conn = new OrgConnection(
      { name: 'bench', environment: 'custom', domain: emulator.loginUrl, apiVersion: API_VERSION, authFlow: 'password', clientId: BENCH_LOGIN.clientId, username: BENCH_LOGIN.username, callOptionsClient: 'OrgBridgeBench', apiBudgetPercent: 100 },
      { ...BENCH_SECRETS },
    );
    const options: HealthCheckOptions = { degradedLatencyMs: 2000, degradedApiPercent: 90 };

    const loginStarted = performance.now();
    const first = await checkConnection(conn, options);
    const firstMs = performance.now() - loginStarted;
    if (first.status !== 'available') throw new Error(`first check: ${first.status}: ${first.reason}`);
    rows.push({ what: 'first check (logs in)', count: 1, p50: firstMs, p95: firstMs, note: 'OAuth login + GET /limits' });

    const callsBefore = org.limits.counts().total;
    const probe: number[] = [];
    const checks = await timed(CHECKS, async () => {
      const s = await checkConnection(conn, options);
      if (s.latencyMs !== null) probe.push(s.latencyMs);
    });
    const calls = org.limits.counts().total - callsBefore;
    addTimed('health check (logged in)', checks, 'checks', `${(calls / CHECKS).toFixed(2)} API calls per check (${fmtInt(calls)} for ${fmtInt(CHECKS)})`);
    probe.sort((a, b) => a - b);
    rows.push({ what: '  of which GET /limits', count: probe.length, p50: percentile(probe, 50), p95: percentile(probe, 95), note: 'the latencyMs a sample reports' });

    const ledger = Ledger.open(path.join(dir, 'checks.sqlite'));
    const monitor = new HealthMonitor({ ledger, ...options });
    const monitored = await timed(CHECKS, () => monitor.check(conn));
    addTimed('monitor check + ledger write', monitored, 'checks');
    ledger.close();

    await emulator.orgDown('bench');
    const downCount = Math.min(CHECKS, 50);
    const down = await timed(downCount, async () => {
      const s = await checkConnection(conn, options);
      if (s.status !== 'unavailable') throw new Error(`org down but check says ${s.status}`);
    });
    addTimed('check of a down org', down, 'checks', 'connection refused, one attempt (no jsforce retries)');
    await emulator.orgUp('bench');
    conn.close();
  } finally {
    await emulator.stop();
  }
}

async function benchLedger(dir: string): Promise<void> {
  const end = Date.UTC(2025, 0, 13);
  const ledger = Ledger.open(path.join(dir, 'ledger.sqlite'));
  const singles = minuteSamples(WRITES, end - WEEK_OF_MINUTES * MINUTE).map((s) => ({ ...s, orgId: '00D000000000002AAA' }));
  const single = await timed(WRITES, (i) => ledger.recordSample(singles[i]!));
  addTimed('sample write, one per transaction', single, 'writes', 'WAL, synchronous=NORMAL, temp file');

  const week = minuteSamples(WEEK_OF_MINUTES, end);
  gc?.();
  const t0 = performance.now();
  ledger.recordSamples(week);
  const batchSeconds = (performance.now() - t0) / 1000;
  rows.push({ what: 'sample writes, one batch transaction', count: week.length, rate: `${fmtInt(week.length / batchSeconds)} writes/s`, note: 'a week of minute samples' });

  const window = { from: end - WEEK_OF_MINUTES * MINUTE, to: end };
  const u = ledger.uptime(ORG_ID, window);
  if (u.samples !== WEEK_OF_MINUTES) throw new Error(`expected ${WEEK_OF_MINUTES} samples, got ${u.samples}`);
  addTimed('uptime over a week', await timed(QUERIES, () => ledger.uptime(ORG_ID, window)), 'queries', `${fmtInt(WEEK_OF_MINUTES)} samples; up ${(u.up! * 100).toFixed(2)}%`);
  const monitor = new HealthMonitor({ ledger, degradedLatencyMs: 2000, degradedApiPercent: 90 });
  addTimed('uptime report: hour, day and week', await timed(QUERIES, () => monitor.uptimeReport(ORG_ID, end)), 'reports', 'one read of the week, three sums');
  addTimed('uptime over an hour', await timed(QUERIES, () => ledger.uptime(ORG_ID, { from: end - 60 * MINUTE, to: end })), 'queries', '60 samples');
  addTimed('history, week in 168 hourly buckets', await timed(QUERIES, () => ledger.history(ORG_ID, { ...window, bucketMs: 60 * MINUTE })), 'queries');
  ledger.close();
  const bytes = fs.statSync(path.join(dir, 'ledger.sqlite')).size + (fs.existsSync(path.join(dir, 'ledger.sqlite-wal')) ? fs.statSync(path.join(dir, 'ledger.sqlite-wal')).size : 0);
  rows.push({ what: 'ledger file size', count: WRITES + WEEK_OF_MINUTES, note: `${fmtInt(bytes / 1024)} KiB for that many samples (${fmtInt(bytes / (WRITES + WEEK_OF_MINUTES))} bytes each)` });
}

async function main(): Promise<void> {
  console.log(`health bench: ${fmtInt(CHECKS)} checks per figure, ${fmtInt(WRITES)} single writes, ${fmtInt(QUERIES)} queries per figure`);
  console.log(`${machineSummary()}${gc ? '' : ' (run with --expose-gc for steadier figures)'}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orgbridge-health-bench-'));
  try {
    await benchChecks(dir);
    await benchLedger(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  printRows();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
