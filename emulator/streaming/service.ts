/** Streaming state of every org of one emulator: event logs, CometD engines, CDC publishing. */
import type { Emulator } from '../emulator.js';
import { errors, SfError } from '../errors.js';
import type { Org } from '../org.js';
import type { CommittedTransaction } from '../store/types.js';
import { sfDateTime } from '../util/clock.js';
import { BayeuxEngine, type BayeuxHost, type BayeuxSettings } from './bayeux.js';
import {
  ALL_CHANGE_EVENTS,
  changeEventChannel,
  changeEventsFor,
  gapEvent,
  objectOfChangeEventChannel,
  objectPlan,
  overflowEvent,
  type ChangeEventDraft,
  type ChangeType,
} from './cdc.js';
import { EventLog } from './event-log.js';
import { platformEventChannel, platformEventPayload, platformEventSchemaId } from './platform-events.js';

const HOUR = 60 * 60 * 1000;

export interface StreamingSettings extends BayeuxSettings {
  /** How long events stay available for replay, judged on the emulator clock (real: 72 h). */
  retentionMs: number;
  /** Changes in one transaction beyond which GAP_OVERFLOW events replace change events (real: 100,000). */
  overflowThreshold: number;
}

export const DEFAULT_STREAMING_SETTINGS: Readonly<StreamingSettings> = {
  connectTimeoutMs: 110_000,
  clientIdleTimeoutMs: 40_000,
  maxEventsPerResponse: 1000,
  retentionMs: 72 * HOUR,
  overflowThreshold: 100_000,
};

/** Settings an org reset puts back; the transport timeouts are harness settings and survive it. */
const ORG_DATA_SETTINGS = ['retentionMs', 'overflowThreshold'] as const;

const CHANGE_TYPES = new Set<string>(['CREATE', 'UPDATE', 'DELETE', 'UNDELETE']);

const bad = errors.invalidControlRequest;

export class OrgStreaming implements BayeuxHost {
  readonly log: EventLog;
  readonly engine: BayeuxEngine;
  readonly settings: StreamingSettings;
  /** Commit numbers only grow, across resets too, like a real org's system change number. */
  private commitNumber = 1_000_000_000_000;
  /** CDC switched on or off through the control API, by canonical object name. */
  private readonly cdcOverrides = new Map<string, boolean>();

  constructor(
    readonly org: Org,
    settings: StreamingSettings,
  ) {
    this.settings = { ...settings };
    this.log = new EventLog(() => org.clock.now(), this.settings.retentionMs);
    this.engine = new BayeuxEngine(this);
    org.addCommitListener((tx) => this.onCommit(tx));
    // Streaming state (clients, held polls, retained events) goes with the data it describes.
    org.onReset(() => this.reset());
    org.platformEventPublisher = (objectName, fields, userId) => this.publishPlatformEvent(objectName, fields, userId);
  }

  isAuthenticated(token: string): boolean {
    return !!this.org.sessions.validate(token);
  }

  checkChannel(channel: string): string | undefined {
    if (channel === ALL_CHANGE_EVENTS) return undefined;
    const schema = this.org.schema;
    const cdcObject = objectOfChangeEventChannel(channel);
    if (cdcObject) {
      const o = schema.object(cdcObject);
      if (o && !o.def.isPlatformEvent && changeEventChannel(o.name) === channel) return undefined;
    }
    const m = /^\/event\/(\w+__e)$/.exec(channel);
    if (m) {
      const o = schema.object(m[1]!);
      if (o?.def.isPlatformEvent && o.name === m[1]) return undefined;
    }
    return `The channel you requested to subscribe to does not exist {${channel}}`;
  }

  isCdcEnabled(objectName: string): boolean {
    const o = this.org.schema.object(objectName);
    if (!o || o.def.isPlatformEvent) return false;
    return this.cdcOverrides.get(o.name) ?? (this.org.cdcObjects.has(o.name) || !!o.def.cdcEnabled);
  }

  /** Selects or deselects objects for CDC; returns their canonical names. */
  setCdcEnabled(objects: string[], enabled: boolean): string[] {
    const names = objects.map((n) => {
      const o = this.org.schema.object(n);
      if (!o || o.def.isPlatformEvent) throw bad(`${n} is not an object of org ${this.org.name} that supports Change Data Capture`);
      return o.name;
    });
    for (const name of names) {
      this.cdcOverrides.set(name, enabled);
      // Keep the org's own list in step for code that reads it (describe, the nodes' setup checks).
      if (enabled) this.org.cdcObjects.add(name);
      else this.org.cdcObjects.delete(name);
    }
    return names;
  }

  cdcEnabledObjects(): string[] {
    return this.org.schema
      .objects()
      .filter((o) => this.isCdcEnabled(o.name))
      .map((o) => o.name)
      .sort();
  }

  private onCommit(tx: CommittedTransaction): void {
    const drafts = changeEventsFor(tx, {
      schema: this.org.schema,
      isEnabled: (name) => this.isCdcEnabled(name),
      overflowThreshold: this.settings.overflowThreshold,
      commitNumber: this.commitNumber + 1,
    });
    if (!drafts.length) return;
    this.commitNumber++;
    this.publishChangeEvents(drafts);
  }

  private publishChangeEvents(drafts: ChangeEventDraft[]): number[] {
    this.log.retentionMs = this.settings.retentionMs;
    const ids: number[] = [];
    for (const d of drafts) {
      const o = this.org.schema.object(d.entityName)!;
      const e = this.log.append([ALL_CHANGE_EVENTS, changeEventChannel(o.name)], { schema: objectPlan(o).schemaId, payload: d.payload, event: {} });
      ids.push(e.replayId);
      this.engine.notify(e);
    }
    return ids;
  }

  private headerBase(): { commitTimestamp: number; commitNumber: number; commitUser: string } {
    const user = [...this.org.users.values()][0];
    return { commitTimestamp: this.org.clock.now(), commitNumber: ++this.commitNumber, commitUser: user?.id ?? '' };
  }

  private cdcObject(name: unknown): string {
    const o = typeof name === 'string' ? this.org.schema.object(name) : undefined;
    if (!o || o.def.isPlatformEvent) throw bad(`unknown object ${JSON.stringify(name)} in org ${this.org.name}`);
    return o.name;
  }

  /** A gap event for records whose change could not be captured; returns its replay id. */
  triggerGap(object: unknown, ids: unknown, changeType: unknown): number {
    const name = this.cdcObject(object);
    if (!Array.isArray(ids) || !ids.length || !ids.every((id) => typeof id === 'string')) throw bad('gap needs {"ids": ["001..."]}');
    const type = String(changeType ?? 'UPDATE').replace(/^GAP_/, '');
    if (!CHANGE_TYPES.has(type)) throw bad('gap changeType must be CREATE, UPDATE, DELETE or UNDELETE');
    return this.publishChangeEvents([gapEvent(name, ids as string[], type as ChangeType, this.headerBase())])[0]!;
  }

  /** One GAP_OVERFLOW event per object, as after a transaction of more than 100,000 changes. */
  triggerOverflow(objects: unknown): number[] {
    if (!Array.isArray(objects) || !objects.length) throw bad('overflow needs {"objects": ["Account", ...]}');
    const base = this.headerBase();
    return this.publishChangeEvents(objects.map((o) => overflowEvent(this.cdcObject(o), base)));
  }

  /** Publishes a platform event for a REST create of `X__e`; returns the publish result id. */
  publishPlatformEvent(objectName: string, body: Record<string, unknown>, userId: string): string {
    const o = this.org.schema.object(objectName);
    if (!o?.def.isPlatformEvent) throw new SfError('NOT_FOUND', 'The requested resource does not exist', 404);
    const { payload, eventUuid } = platformEventPayload(o, body, userId, sfDateTime(this.org.clock.now()).replace('+0000', 'Z'));
    this.log.retentionMs = this.settings.retentionMs;
    const e = this.log.append([platformEventChannel(o.name)], { schema: platformEventSchemaId(o), payload, event: { EventUuid: eventUuid } });
    this.engine.notify(e);
    return this.org.ids.next('e00');
  }

  configure(patch: Partial<StreamingSettings>): void {
    for (const [k, v] of Object.entries(patch) as Array<[keyof StreamingSettings, unknown]>) {
      if (v === undefined) continue;
      if (!(k in DEFAULT_STREAMING_SETTINGS)) throw bad(`unknown streaming setting ${k}`);
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw bad(`${k} must be a number >= 0`);
      this.settings[k] = v;
    }
    this.log.retentionMs = this.settings.retentionMs;
  }

  stats(): Record<string, unknown> {
    return {
      org: this.org.name,
      ...this.engine.stats(),
      retainedEvents: this.log.size,
      retainedByChannel: this.log.channelSizes(),
      lastReplayId: this.log.lastReplayId,
      cdcObjects: this.cdcEnabledObjects(),
      settings: { ...this.settings, retentionHours: this.settings.retentionMs / HOUR },
    };
  }

  private reset(): void {
    this.engine.close();
    this.log.clear();
    this.cdcOverrides.clear();
    for (const k of ORG_DATA_SETTINGS) this.settings[k] = DEFAULT_STREAMING_SETTINGS[k];
    this.log.retentionMs = this.settings.retentionMs;
  }

  stop(): void {
    this.engine.close(true);
  }
}

/** The streaming side of one emulator; created with its route module, stopped with it. */
export class StreamingService {
  readonly orgs = new Map<string, OrgStreaming>();

  constructor(emulator: Emulator, settings: StreamingSettings = DEFAULT_STREAMING_SETTINGS) {
    for (const org of emulator.orgs.values()) this.orgs.set(org.name, new OrgStreaming(org, settings));
    emulator.onStop(() => {
      for (const o of this.orgs.values()) o.stop();
    });
  }

  org(name: string): OrgStreaming {
    const o = this.orgs.get(name);
    if (!o) throw new SfError('NOT_FOUND', `no org named '${name}'; orgs: ${[...this.orgs.keys()].join(', ')}`, 404);
    return o;
  }

  configure(patch: Partial<StreamingSettings>): void {
    for (const o of this.orgs.values()) o.configure(patch);
  }
}

const services = new WeakMap<Emulator, StreamingService>();

/** The emulator's streaming service, created on first use (route registration does it at construction). */
export function streamingService(emulator: Emulator): StreamingService {
  let s = services.get(emulator);
  if (!s) services.set(emulator, (s = new StreamingService(emulator)));
  return s;
}
