/**
 * CDC benchmark: how many change events per second reach one unmodified jsforce subscriber
 * (`conn.streaming`, faye long polling) from the emulator, live while records are written through
 * sObject Collections, and when a new subscriber replays the whole retained log with -2. The sync
 * engine's change capture runs under this ceiling.
 *
 *   BENCH_CDC_WRITES  records written per figure (default 20,000)
 *   BENCH_CDC_BATCH   records per collections call (default 200, the API maximum)
 *
 * node --import tsx --expose-gc bench/cdc.bench.ts
 *
 * Emulator, client and faye share one process, so the figures include the subscriber's own cost.
 */
import os from 'node:os';
import type { Connection } from 'jsforce';
import { StreamingExtension } from 'jsforce/api/streaming';
import { startEmulator } from '../emulator/index.js';
import { streamingService } from '../emulator/streaming/service.js';
import { benchConnection, benchOrgSpec, fmtInt, gc, intEnv, machineSummary, mb, peakRss, percentile, printTable, unsetProxyEnv } from './support.js';

unsetProxyEnv();

const WRITES = intEnv('BENCH_CDC_WRITES', 20_000);
const BATCH = Math.min(200, intEnv('BENCH_CDC_BATCH', 200));
const CHANNEL = '/data/AccountChangeEvent';

interface ChangeEvent {
  payload: { ChangeEventHeader: { changeType: string; recordIds: string[]; commitTimestamp: number } };
  event: { replayId: number };
}

interface FayeClient {
  subscribe(channel: string, listener: (m: ChangeEvent) => void): PromiseLike<void>;
  disconnect(): PromiseLike<void> | undefined;
}

interface Row {
  what: string;
  events: number;
  records: number;
  seconds: number;
  lagP50?: number;
  lagP95?: number;
  note?: string;
}

const rows: Row[] = [];

/** One subscriber: counts events and records, remembers the delivery lag of each event. */
class Subscriber {
  events = 0;
  records = 0;
  lastReplayId = 0;
  readonly lags: number[] = [];
  private target = Infinity;
  private reached?: () => void;
  client!: FayeClient;

  constructor(private readonly conn: Connection) {}

  async start(replayId: number): Promise<void> {
    this.client = this.conn.streaming.createClient([new StreamingExtension.Replay(CHANNEL, replayId)]) as unknown as FayeClient;
    await this.client.subscribe(CHANNEL, (m) => {
      const h = m.payload.ChangeEventHeader;
      if (m.event.replayId <= this.lastReplayId) throw new Error(`replay id ${m.event.replayId} after ${this.lastReplayId}: duplicate or out of order`);
      this.lastReplayId = m.event.replayId;
      this.events++;
      this.records += h.recordIds.length;
      this.lags.push(Date.now() - h.commitTimestamp);
      if (this.records >= this.target) this.reached?.();
    });
  }

  /** Resolves once `records` record changes have arrived in all. */
  waitForRecords(records: number): Promise<void> {
    if (this.records >= records) return Promise.resolve();
    this.target = records;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${this.records} of ${records} record changes arrived`)), 600_000);
      this.reached = () => {
        clearTimeout(timer);
        this.reached = undefined;
        this.target = Infinity;
        resolve();
      };
    });
  }

  reset(): void {
    this.events = 0;
    this.records = 0;
    this.lags.length = 0;
  }

  async stop(): Promise<void> {
    await this.client.disconnect();
  }
}

function printRows(): void {
  printTable(
    ['figure', 'events', 'records', 'seconds', 'events/s', 'records/s', 'lag p50 ms', 'lag p95 ms', 'note'],
    rows.map((r) => [
      r.what,
      fmtInt(r.events),
      fmtInt(r.records),
      r.seconds.toFixed(2),
      fmtInt(r.events / r.seconds),
      fmtInt(r.records / r.seconds),
      r.lagP50 === undefined ? '' : fmtInt(r.lagP50),
      r.lagP95 === undefined ? '' : fmtInt(r.lagP95),
      r.note ?? '',
    ]),
  );
}

const spec = benchOrgSpec({ displayName: 'CDC Bench Org', cdcObjects: ['Account'] });

async function main(): Promise<void> {
  console.log(`CDC bench: ${fmtInt(WRITES)} record changes per figure, ${BATCH} per collections call, one jsforce subscriber on ${CHANNEL}`);
  console.log(`${machineSummary()}, ${mb(os.totalmem())} RAM`);
  const emulator = await startEmulator({ orgs: [spec] });
  const subscribers: Subscriber[] = [];
  try {
    const org = emulator.org('bench');
    const settings = streamingService(emulator).org('bench').settings;
    const conn = benchConnection(org, { callOptionsClient: 'CdcBench' });

    const live = new Subscriber(conn);
    subscribers.push(live);
    await live.start(-1);

    let serial = 0;
    const ids: string[] = [];
    const writePhase = async (what: string, write: (batch: number) => Promise<void>, expectedEvents: (records: number) => number, note: string) => {
      gc?.();
      live.reset();
      const calls = Math.ceil(WRITES / BATCH);
      const started = performance.now();
      for (let b = 0; b < calls; b++) await write(b);
      const written = performance.now();
      await live.waitForRecords(WRITES);
      const seconds = (performance.now() - started) / 1000;
      const lags = [...live.lags].sort((a, b) => a - b);
      if (live.events !== expectedEvents(WRITES)) throw new Error(`${what}: ${live.events} events, expected ${expectedEvents(WRITES)}`);
      rows.push({ what, events: live.events, records: live.records, seconds, lagP50: percentile(lags, 50), lagP95: percentile(lags, 95), note: `${note}; writes took ${((written - started) / 1000).toFixed(2)} s` });
      process.stdout.write(`  ${what}: ${fmtInt(live.events / seconds)} events/s\n`);
    };

    console.log('live delivery while writing:');
    await writePhase(
      'CREATE, live',
      async () => {
        const records = Array.from({ length: BATCH }, () => ({ Name: `CDC ${++serial}`, Industry: 'Energy', BillingCity: 'Oslo' }));
        const results = await conn.sobject('Account').create(records, { allOrNone: true });
        for (const r of results) if (r.success) ids.push(r.id!);
      },
      (n) => n,
      'distinct bodies, one event per record',
    );
    await writePhase(
      'UPDATE, live',
      async (b) => {
        const slice = ids.slice(b * BATCH, (b + 1) * BATCH);
        await conn.sobject('Account').update(slice.map((id, i) => ({ Id: id, Phone: `555-${b}-${i}` })), { allOrNone: true });
      },
      (n) => n,
      'distinct values, one event per record',
    );
    await writePhase(
      'UPDATE merged, live',
      async (b) => {
        const slice = ids.slice(b * BATCH, (b + 1) * BATCH);
        await conn.sobject('Account').update(slice.map((id) => ({ Id: id, Rating: b % 2 ? 'Hot' : 'Warm' })), { allOrNone: true });
      },
      (n) => Math.ceil(n / BATCH),
      `same values: one event per call, ${BATCH} record ids each`,
    );

    console.log('replay of the retained log:');
    const retained = streamingService(emulator).org('bench').log.size;
    for (const batch of [settings.maxEventsPerResponse, 10_000]) {
      settings.maxEventsPerResponse = batch;
      gc?.();
      const replay = new Subscriber(conn);
      subscribers.push(replay);
      const started = performance.now();
      await replay.start(-2);
      const expectedRecords = WRITES * 3;
      await replay.waitForRecords(expectedRecords);
      const seconds = (performance.now() - started) / 1000;
      if (replay.events !== retained) throw new Error(`replay: ${replay.events} events, ${retained} retained`);
      rows.push({ what: `replay -2, ${fmtInt(batch)} events/poll`, events: replay.events, records: replay.records, seconds, note: 'handshake to last event' });
      process.stdout.write(`  replay with ${fmtInt(batch)} events per poll: ${fmtInt(replay.events / seconds)} events/s\n`);
      await replay.stop();
    }

    printRows();
    gc?.();
    const mem = process.memoryUsage();
    console.log('');
    console.log(`retained events ${fmtInt(retained)}; peak RSS ${mb(peakRss())}, heap used ${mb(mem.heapUsed)} of ${mb(mem.heapTotal)} after the run`);
    console.log('lag = delivery time minus commitTimestamp, per event, measured in the subscriber');
    await live.stop();
  } finally {
    await emulator.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
