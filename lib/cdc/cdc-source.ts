/**
 * Continuous change capture from one org: subscribes to change event channels, drops what the
 * flow does not want (other objects, change types it did not choose, changes to fields it does not
 * watch, OrgBridge's own writes coming back), coalesces changes to one record within a short
 * window, reads the changed records again in full, and hands them on as batches within an
 * acknowledgement window. The checkpoint in the ledger moves only past events whose batches were
 * acknowledged, contiguously, so a restart resumes exactly where the written changes end.
 *
 * What moves the checkpoint: a batch settled by its writer (written, unchanged or dead-lettered),
 * and one released because no writer acknowledged it in time (the flow routed it elsewhere; it
 * was delivered, and a warning says so). A batch that failed as a whole (a node threw) holds the
 * checkpoint: after a restart its events are delivered again.
 *
 * A replay id the org no longer retains (older than its retention, or the org was reset) is
 * recovered by a catch-up read of every record changed since the checkpoint's commit time
 * (SystemModstamp; deletes through queryAll), while a fresh subscription takes the live events.
 * GAP events re-read their records; GAP_OVERFLOW re-reads its object from the commit time on.
 */
import type { OrgConnection } from '../connection/org-connection.js';
import type { Ledger } from '../ledger/ledger.js';
import { AckWindow, type AckRegistry, type AckSettlement } from '../runtime/acks.js';
import type { OrgApi } from '../salesforce/org-api.js';
import { StreamSubscription, type StreamState } from '../salesforce/streaming.js';
import { soqlIdentifier } from '../collect/soql-text.js';
import type { BatchMeta, SyncRecord } from '../sync/types.js';
import { expressionErrorText, jsonataTruthy, type ExpressionEvaluator } from '../mapping/expressions.js';
import { isChangeEvent, isOverflow, isOwnChange, recordChanges, type ChangeType, type RecordChange } from './change-event.js';
import { coalesce, type CoalescedChange } from './coalesce.js';
import { ChangeReader } from './change-reader.js';
import { ReplayTracker } from './replay-tracker.js';

/** Node-RED's clock and the org's may differ a little: a catch-up from a start time reads this much earlier. */
const CLOCK_MARGIN_MS = 60_000;

export interface CdcSourceOptions {
  org: OrgConnection;
  api: OrgApi;
  ledger: Ledger;
  acks: AckRegistry;
  /** Who owns the acknowledgement handles (the node's id). */
  owner: string;
  /** Objects whose changes are wanted. */
  objects: string[];
  /** Channels to subscribe to (per-object channels, /data/ChangeEvents or a custom channel). */
  channels: string[];
  /** Tells apart checkpoints of subscriptions to one org and channel that feed different flows. */
  checkpointName: string;
  changeTypes: ReadonlySet<ChangeType>;
  /** Per object, the fields whose change matters; an UPDATE changing none of them is dropped. Empty: every change. */
  watchedFields: ReadonlyMap<string, ReadonlySet<string>>;
  /** Where a subscription without a checkpoint starts: -1 new events only, -2 every retained event. */
  firstStart: -1 | -2;
  /**
   * A JSONata condition over the re-read record (its fields; `$record` the change): records for
   * which it is false are dropped and counted as filtered. Deletes carry no fields and always pass.
   */
  recordCondition?: { text: string; prepared: unknown; evaluator: ExpressionEvaluator };
  batchSize: number;
  /** Changes are gathered this long before a batch goes out; changes to one record within it become one. */
  windowMs: number;
  inFlight: number;
  ackTimeoutMs: number;
  /** Wait for acknowledgements (a writer is wired downstream); otherwise a batch counts as done once sent. */
  acked: boolean;
  /** Sforce-Call-Options client of OrgBridge's writes: changes made by it are echoes. */
  echoClient: string;
  send(batch: { records: SyncRecord[]; meta: BatchMeta; ack?: string[] }): void;
  /** Something the flow should know (replay expired, a gap, a held checkpoint): for Catch and the status output. */
  onProblem(problem: CdcProblem): void;
  /** Any change of the figures (for the node status and the runtime context). */
  onChange?(): void;
  now?: () => number;
}

export interface CdcProblem {
  code: 'REPLAY_EXPIRED' | 'GAP_OVERFLOW' | 'CHECKPOINT_HELD' | 'RELEASED' | 'READ_FAILED' | 'SUBSCRIBE_FAILED' | 'CONDITION_FAILED';
  message: string;
  channel?: string;
  object?: string;
  /** Warnings carry on by themselves; errors need someone to look. */
  severity: 'warning' | 'error';
}

export interface CdcCounts {
  events: number;
  changes: number;
  echoes: number;
  filtered: number;
  duplicates: number;
  vanished: number;
  coalesced: number;
  records: number;
  batches: number;
  caughtUp: number;
}

/** A catch-up read under way: done once every record change it queued is done with. */
interface CatchUp {
  open: number;
  /** Every change is queued (the read is over). */
  read: boolean;
  onDone: () => void;
}

interface ChannelState {
  channel: string;
  tracker: ReplayTracker;
  /** While a catch-up after lost events is not written, the old checkpoint stays in the ledger. */
  /** Catch-ups under way that hold the saved checkpoint where it is until they are written. */
  holds: number;
  /** Commit time of the event at the in-memory checkpoint. */
  committedAt: number;
  subscription?: StreamSubscription;
  /** Parts of each received event not yet done with (an event can stand for many records). */
  outstanding: Map<number, number>;
  state: StreamState;
  reason?: string;
  catchingUp: boolean;
}

interface Pending {
  channel: ChannelState;
  change: RecordChange;
}

const READ_RETRY_MS = [1000, 2000, 5000, 10_000, 30_000, 60_000];
/** Fields every write changes: not what a person changed. */
const BOOKKEEPING_FIELDS = new Set(['LastModifiedDate', 'LastModifiedById', 'SystemModstamp']);

export class CdcSource {
  readonly counts: CdcCounts = { events: 0, changes: 0, echoes: 0, filtered: 0, duplicates: 0, vanished: 0, coalesced: 0, records: 0, batches: 0, caughtUp: 0 };
  readonly window: AckWindow;
  private readonly channels = new Map<string, ChannelState>();
  private readonly reader: ChangeReader;
  private buffer: Pending[] = [];
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  /** The parts each open batch stands for: channel and replay id per record change. */
  private readonly batchParts = new Map<string, Pending[]>();
  private readonly abort = new AbortController();
  private stopped = false;
  private orgId = '';
  private batchSeq = 0;
  private readonly now: () => number;
  /** Catch-up changes carry negative ids of their own (they have no replay id): which catch-up each belongs to. */
  private readonly catchUpOf = new Map<number, CatchUp>();
  private syntheticSeq = 0;
  /** Why the checkpoint is held, while it is. */
  held?: string;

  constructor(private readonly o: CdcSourceOptions) {
    this.now = o.now ?? Date.now;
    this.reader = new ChangeReader(o.api);
    this.window = new AckWindow(o.acks, o.owner, {
      size: o.inFlight,
      timeoutMs: o.ackTimeoutMs,
      onSettled: (handle, s) => this.settled(handle, s),
    });
  }

  /** Every channel's state, checkpoint and liveness, for status and dashboards. */
  channelStates(): Array<{
    channel: string; state: StreamState; reason?: string; checkpoint: number; open: number; lastEventAt: number | null; lastPollAt: number | null;
    subscribedAt: number | null; pollTimeoutMs: number | null; catchingUp: boolean;
  }> {
    return [...this.channels.values()].map((c) => ({
      channel: c.channel, state: c.state, ...(c.reason ? { reason: c.reason } : {}), checkpoint: c.tracker.checkpoint, open: c.tracker.open,
      lastEventAt: c.subscription?.lastEventAt ?? null, lastPollAt: c.subscription?.lastPollAt ?? null,
      subscribedAt: c.subscription?.subscribedAt ?? null, pollTimeoutMs: c.subscription?.pollTimeoutMs ?? null, catchingUp: c.catchingUp,
    }));
  }

  /** Logs in (for the org Id the checkpoints are filed under) and subscribes to every channel. */
  async start(): Promise<void> {
    await this.o.org.connection();
    this.orgId = this.o.org.identity?.orgId ?? '';
    const startedAt = this.now();
    const anchored: Array<{ c: ChannelState; since: number }> = [];
    for (const channel of this.o.channels) {
      const saved = this.o.ledger.cdcCheckpoint(this.orgId, channel, this.o.checkpointName);
      if (!saved && this.o.firstStart === -1) {
        // "From now" has no replay id until the first event: the start time stands in for it, so a
        // stop before anything was written still knows from when to catch up.
        this.o.ledger.moveCdcCheckpoint({ orgId: this.orgId, channel, name: this.o.checkpointName, replayId: -1, committedAt: startedAt }, this.now());
      }
      const from = saved ? saved.replayId : this.o.firstStart;
      const state: ChannelState = { channel, tracker: new ReplayTracker(from), holds: 0, committedAt: saved?.committedAt ?? 0, outstanding: new Map(), state: 'connecting', catchingUp: false };
      if (saved?.replayId === -1) {
        state.holds++;
        anchored.push({ c: state, since: saved.committedAt });
      }
      this.channels.set(channel, state);
      this.subscribe(state, from, saved?.committedAt);
    }
    await Promise.all([...this.channels.values()].map((c) => c.subscription?.start()));
    // Stopped again before the first change was written: what changed since that first start is
    // read as a catch-up (the events are not asked for again, as there is no replay id to ask from).
    for (const { c, since } of anchored) {
      void this.catchUp(c, this.objectsOf(c), since - CLOCK_MARGIN_MS, () => this.release(c, startedAt, false));
    }
  }

  /**
   * A catch-up is written: once none holds the checkpoint any more, it moves to the newest written
   * event, or, with none yet, to `from` (a start-time anchor: a later start catches up from there).
   * `replace`: the replay ids began again (an expired replay id), so a lower one must be kept.
   */
  private release(c: ChannelState, from: number, replace: boolean): void {
    c.holds = Math.max(0, c.holds - 1);
    if (c.holds > 0 || this.stopped) return;
    const replayId = c.tracker.checkpoint;
    const checkpoint = replayId >= 0
      ? { orgId: this.orgId, channel: c.channel, name: this.o.checkpointName, replayId, committedAt: c.committedAt }
      : { orgId: this.orgId, channel: c.channel, name: this.o.checkpointName, replayId: -1, committedAt: from };
    if (replace || replayId < 0) this.o.ledger.replaceCdcCheckpoint(checkpoint, this.now());
    else this.o.ledger.moveCdcCheckpoint(checkpoint, this.now());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort(new Error('the change capture stopped'));
    if (this.timer) clearTimeout(this.timer);
    this.window.close('the change capture stopped');
    await Promise.all([...this.channels.values()].map((c) => c.subscription?.stop()));
  }

  private subscribe(c: ChannelState, from: number, committedAt?: number): void {
    c.subscription = new StreamSubscription(this.o.org, {
      channel: c.channel,
      replayFrom: from,
      onEvent: (data) => this.onEvent(c, data),
      onState: (state, reason) => {
        c.state = state;
        c.reason = reason;
        this.o.onChange?.();
      },
      onReplayExpired: (replayId, message) => void this.recover(c, replayId, message, committedAt),
      onFatal: (message) => this.o.onProblem({ code: 'SUBSCRIBE_FAILED', severity: 'error', channel: c.channel, message: `cannot subscribe to ${c.channel}: ${message}` }),
    });
  }

  /**
   * The org no longer has the events after the checkpoint: take new events from now on, and read
   * every record changed since the checkpoint's commit time, so nothing in between is skipped.
   */
  private async recover(c: ChannelState, replayId: number, message: string, committedAt?: number): Promise<void> {
    if (this.stopped) return;
    const since = this.o.ledger.cdcCheckpoint(this.orgId, c.channel, this.o.checkpointName)?.committedAt ?? committedAt;
    this.o.onProblem({
      code: 'REPLAY_EXPIRED', severity: 'warning', channel: c.channel,
      message: `the org no longer retains the events after replay id ${replayId} on ${c.channel} (${message.replace(/^\d+::/, '')}); ` +
        (since ? `reading every record changed since ${new Date(since).toISOString()} instead, then the new events` : 'taking the new events from now on; no commit time was kept to read changes since'),
    });
    // The old ids mean nothing any more (an org reset starts them again): the new events get a
    // checkpoint of their own, which replaces the saved one only once the catch-up is written. A
    // restart before then finds the old one expired again and catches up again.
    const recoveringAt = this.now();
    c.tracker = new ReplayTracker(-1);
    c.outstanding.clear();
    if (since !== undefined) c.holds++;
    this.subscribe(c, -1);
    await c.subscription!.start();
    if (since === undefined) {
      // Nothing to catch up from: the new events begin here, and a stop before one is written
      // catches up from this moment.
      this.o.ledger.replaceCdcCheckpoint({ orgId: this.orgId, channel: c.channel, name: this.o.checkpointName, replayId: -1, committedAt: recoveringAt }, this.now());
      return;
    }
    await this.catchUp(c, this.objectsOf(c), since, () => this.release(c, recoveringAt, true));
  }

  /** The objects whose changes come on a channel. */
  private objectsOf(c: ChannelState): string[] {
    const m = /^\/data\/(\w+?)(__)?ChangeEvent$/.exec(c.channel);
    if (m && c.channel !== '/data/ChangeEvents') {
      const name = m[2] ? `${m[1]}__c` : m[1]!;
      return this.o.objects.filter((o) => o.toLowerCase() === name.toLowerCase());
    }
    return this.o.objects;
  }

  /**
   * Reads the Ids of records changed (and deleted) since `since` and queues them as changes; calls
   * `onDone` once every one of them is done with (written, or found gone).
   */
  private async catchUp(c: ChannelState, objects: readonly string[], since: number, onDone: () => void): Promise<void> {
    c.catchingUp = true;
    this.o.onChange?.();
    const job: CatchUp = { open: 0, read: false, onDone };
    try {
      const at = new Date(since).toISOString().replace(/\.\d{3}Z$/, 'Z');
      for (const object of objects) {
        const queue = async (soql: string, changeType: ChangeType, queryAll: boolean) => {
          for await (const page of this.o.api.pages<{ Id: string }>(soql, `catching up on ${object} changes`, { queryAll })) {
            for (const row of page.records) {
              const change = this.syntheticChange(object, row.Id, changeType);
              this.catchUpOf.set(change.replayId, job);
              job.open++;
              this.queue(c, change, true);
            }
            this.counts.caughtUp += page.records.length;
          }
        };
        await this.withRetry(() => queue(`SELECT Id FROM ${soqlIdentifier(object)} WHERE SystemModstamp >= ${at}`, 'UPDATE', false), `catching up on ${object}`);
        if (this.o.changeTypes.has('DELETE')) {
          await this.withRetry(() => queue(`SELECT Id FROM ${soqlIdentifier(object)} WHERE IsDeleted = true AND SystemModstamp >= ${at}`, 'DELETE', true), `catching up on ${object} deletes`);
        }
      }
    } finally {
      c.catchingUp = false;
      job.read = true;
      if (job.open === 0 && !this.stopped) job.onDone();
      this.o.onChange?.();
    }
  }

  private syntheticChange(object: string, recordId: string, changeType: ChangeType): RecordChange {
    return { object, recordId, changeType, gap: true, changedFields: [], replayId: -++this.syntheticSeq, commitTimestamp: this.now(), changeOrigin: '', commitUser: '', transactionKey: '', sequenceNumber: 0 };
  }

  private onEvent(c: ChannelState, data: unknown): void {
    if (this.stopped || !isChangeEvent(data)) return;
    const id = data.event.replayId;
    if (!c.tracker.isNew(id)) {
      this.counts.duplicates++;
      this.o.onChange?.();
      return;
    }
    this.counts.events++;
    c.tracker.received(id, data.payload.ChangeEventHeader.commitTimestamp ?? 0);
    if (isOverflow(data)) {
      const h = data.payload.ChangeEventHeader;
      this.o.onProblem({
        code: 'GAP_OVERFLOW', severity: 'warning', channel: c.channel, object: h.entityName,
        message: `a transaction changed more ${h.entityName} records than the org sends one by one; reading every ${h.entityName} changed since ${new Date(h.commitTimestamp ?? this.now()).toISOString()}`,
      });
      // The event is done with once every record the catch-up found is written: it stays open until then.
      c.outstanding.set(id, 1);
      void this.catchUp(c, this.o.objects.filter((o) => o.toLowerCase() === h.entityName.toLowerCase()), (h.commitTimestamp ?? this.now()) - 1000, () => this.partDone(c, id));
      return;
    }
    const changes = recordChanges(data);
    c.outstanding.set(id, changes.length);
    if (!changes.length) this.finishEvent(c, id);
    for (const change of changes) this.queue(c, change, false);
  }

  private wanted(change: RecordChange): boolean {
    if (!this.o.objects.some((o) => o.toLowerCase() === change.object.toLowerCase())) return false;
    if (!this.o.changeTypes.has(change.changeType)) return false;
    if (change.changeType === 'UPDATE' && !change.gap) {
      const watched = this.o.watchedFields.get(change.object);
      if (watched?.size && !change.changedFields.some((f) => watched.has(f))) return false;
    }
    return true;
  }

  private queue(c: ChannelState, change: RecordChange, caughtUp: boolean): void {
    this.counts.changes++;
    if (!caughtUp && isOwnChange(change.changeOrigin, this.o.echoClient)) {
      this.counts.echoes++;
      this.partDone(c, change.replayId);
    } else if (!this.wanted(change)) {
      this.counts.filtered++;
      this.partDone(c, change.replayId);
    } else {
      this.buffer.push({ channel: c, change });
    }
    this.o.onChange?.();
    if (this.buffer.length >= this.o.batchSize) this.flushSoon(0);
    else if (this.buffer.length) this.flushSoon(this.o.windowMs);
  }

  private flushSoon(ms: number): void {
    if (this.timer && ms > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flushing = this.flushing.then(() => this.flush()).catch(() => undefined);
    }, ms);
    this.timer.unref?.();
  }

  /** Sends what is buffered, in batches of at most batchSize records, each within the window. */
  private async flush(): Promise<void> {
    while (!this.stopped && this.buffer.length) {
      const taken = this.buffer.splice(0);
      const merged = coalesce(taken.map((p) => p.change));
      this.counts.coalesced += taken.length - merged.length;
      // Which channel each merged change came from (one record's changes come on one channel).
      const channelOf = new Map(taken.map((p) => [`${p.change.object}\u0000${p.change.recordId}`, p.channel]));
      for (let i = 0; i < merged.length && !this.stopped; i += this.o.batchSize) {
        await this.sendBatch(merged.slice(i, i + this.o.batchSize), (ch) => channelOf.get(`${ch.object}\u0000${ch.recordId}`)!);
      }
    }
  }

  private async sendBatch(changes: CoalescedChange[], channelOf: (c: CoalescedChange) => ChannelState): Promise<void> {
    const parts = (list: readonly CoalescedChange[]) => list.flatMap((ch) => ch.replayIds.map((replayId) => ({ channel: channelOf(ch), change: { ...ch, replayId } })));
    const read = await this.withRetry(() => this.reader.read(changes, this.abort.signal), 'reading the changed records');
    if (!read) return;
    this.counts.vanished += read.vanished.length;
    for (const p of parts(read.vanished)) this.partDone(p.channel, p.change.replayId);
    // Echoes the change origin did not give away (a trigger wrote it, or the org left the client out).
    const echoes = read.records.flatMap((r, k) => (this.isLedgerEcho(r, read.changes[k]!) ? [k] : []));
    if (echoes.length) {
      this.counts.echoes += echoes.length;
      for (const p of parts(echoes.map((k) => read.changes[k]!))) this.partDone(p.channel, p.change.replayId);
      const keep = new Set(read.records.keys());
      for (const k of echoes) keep.delete(k);
      read.records = read.records.filter((_r, k) => keep.has(k));
      read.changes = read.changes.filter((_c, k) => keep.has(k));
    }
    if (this.o.recordCondition && read.records.length) {
      const keep = await this.meetingCondition(read.records, read.changes);
      const dropped = read.changes.filter((_c, k) => !keep[k]);
      if (dropped.length) {
        this.counts.filtered += dropped.length;
        for (const p of parts(dropped)) this.partDone(p.channel, p.change.replayId);
        read.records = read.records.filter((_r, k) => keep[k]);
        read.changes = read.changes.filter((_c, k) => keep[k]);
      }
    }
    if (!read.records.length) return;
    let ack: string[] | undefined;
    if (this.o.acked) {
      try {
        ack = [await this.window.acquire(this.abort.signal)];
      } catch {
        return;
      }
    }
    const batchId = `cdc:${this.o.owner}:${++this.batchSeq}`;
    const meta: BatchMeta = {
      source: { orgId: this.orgId, name: this.o.org.settings.name },
      object: read.records[0]!.object,
      batchId,
      level: 0,
      last: true,
      ...(ack ? { ack } : {}),
    };
    this.counts.records += read.records.length;
    this.counts.batches++;
    const done = parts(read.changes);
    if (ack) this.batchParts.set(ack[0]!, done);
    this.o.send({ records: read.records, meta, ...(ack ? { ack } : {}) });
    // With no writer to acknowledge it, a batch is done with once it is sent.
    if (!ack) for (const p of done) this.partDone(p.channel, p.change.replayId);
    this.o.onChange?.();
  }

  /**
   * Which records the condition lets through. One that the condition cannot be evaluated on is
   * sent on, and the problem reported: the mappings and the writer still apply their own rules,
   * whereas a change dropped here would be lost.
   */
  private async meetingCondition(records: readonly SyncRecord[], changes: readonly CoalescedChange[]): Promise<boolean[]> {
    const { text, prepared, evaluator } = this.o.recordCondition!;
    const failed: string[] = [];
    const keep = await Promise.all(records.map(async (r, k) => {
      if (r.operation === 'delete') return true;
      const c = changes[k]!;
      const binding = { sourceId: r.sourceId, object: r.object, operation: r.operation, changeType: c.changeType, changedFields: c.changedFields, origin: r.origin };
      try {
        return jsonataTruthy(await evaluator.evaluate(prepared, r.fields, { record: binding }));
      } catch (err) {
        if (failed.length < 3) failed.push(`${r.object} ${r.sourceId}: ${expressionErrorText(err)}`);
        return true;
      }
    }));
    if (failed.length) {
      this.o.onProblem({ code: 'CONDITION_FAILED', severity: 'warning', message: `the condition ${JSON.stringify(text)} could not be evaluated (${failed.join('; ')}); those records are sent on` });
    }
    return keep;
  }

  /**
   * Whether a change only repeats what OrgBridge wrote into this org: the record is the target of
   * a sync, and every field the change touched holds the value the ledger says was written there
   * (a create: the record is one OrgBridge created). Catch-up and gap re-reads are never echoes:
   * what they stand for is not known.
   */
  private isLedgerEcho(record: SyncRecord, change: CoalescedChange): boolean {
    if (change.gap || record.operation !== 'upsert') return false;
    const written = this.o.ledger.sourcesOfTarget(this.orgId, record.sourceId);
    if (!written.length) return false;
    if (change.changeType === 'CREATE') return true;
    const touched = change.changedFields.filter((f) => !BOOKKEEPING_FIELDS.has(f));
    if (!touched.length) return false;
    const values: Record<string, unknown> = {};
    for (const f of touched) {
      if (!(f in record.fields)) return false;
      values[f] = record.fields[f];
    }
    return !!this.o.ledger.echoOf(this.orgId, record.sourceId, values);
  }

  /** Retries a read while the org cannot answer, saying so; undefined once the source stops. */
  private async withRetry<T>(fn: () => Promise<T>, what: string): Promise<T | undefined> {
    for (let attempt = 0; ; attempt++) {
      if (this.stopped) return undefined;
      try {
        return await fn();
      } catch (err) {
        if (this.stopped) return undefined;
        const wait = READ_RETRY_MS[Math.min(attempt, READ_RETRY_MS.length - 1)]!;
        this.o.onProblem({ code: 'READ_FAILED', severity: 'warning', message: `${what} failed (${this.o.org.mask((err as Error).message)}); trying again in ${wait / 1000} s` });
        await new Promise((r) => setTimeout(r, wait).unref?.());
      }
    }
  }

  private settled(handle: string, s: AckSettlement): void {
    const done = this.batchParts.get(handle);
    this.batchParts.delete(handle);
    if (!done || this.stopped) return;
    if (s.outcome === 'failed') {
      // Held, not skipped: after a restart these events come again.
      this.held = s.reason ?? 'a batch failed';
      this.o.onProblem({ code: 'CHECKPOINT_HELD', severity: 'error', message: `a batch of ${done.length} changes failed (${this.held}): the checkpoint stays before it, so its changes are delivered again after a restart` });
      this.o.onChange?.();
      return;
    }
    if (s.outcome === 'released') {
      this.o.onProblem({ code: 'RELEASED', severity: 'warning', message: `a batch of ${done.length} changes was not acknowledged by a writer within ${Math.round(this.o.ackTimeoutMs / 1000)} s: the checkpoint moves past it; check that every batch reaches sf-upsert-out` });
    }
    for (const p of done) this.partDone(p.channel, p.change.replayId);
    this.o.onChange?.();
  }

  /** One record change of an event is done with; the event is once all of them are. */
  private partDone(c: ChannelState, replayId: number): void {
    if (replayId < 0) {
      const job = this.catchUpOf.get(replayId);
      this.catchUpOf.delete(replayId);
      if (job && --job.open === 0 && job.read && !this.stopped) job.onDone();
      return;
    }
    const left = (c.outstanding.get(replayId) ?? 1) - 1;
    if (left > 0) {
      c.outstanding.set(replayId, left);
      return;
    }
    c.outstanding.delete(replayId);
    this.finishEvent(c, replayId);
  }

  private finishEvent(c: ChannelState, replayId: number): void {
    const moved = c.tracker.finish([replayId]);
    if (moved) c.committedAt = moved.commitTimestamp;
    if (moved && c.holds === 0) this.saveCheckpoint(c, moved.replayId, moved.commitTimestamp);
  }

  private saveCheckpoint(c: ChannelState, replayId: number, committedAt: number): void {
    if (replayId < 0) return;
    this.o.ledger.moveCdcCheckpoint({ orgId: this.orgId, channel: c.channel, name: this.o.checkpointName, replayId, committedAt }, this.now());
  }
}
