import type { EventEmitter } from 'node:events';
import type { Node, NodeAPI } from 'node-red';
import type { ConnectionState, OrgConnection, StateChange } from '../../lib/connection/org-connection.js';
import type { Ledger } from '../../lib/ledger/index.js';
import { orgOf } from './connection.js';
import { ledgerLease } from './ledger.js';

export type Fill = 'green' | 'yellow' | 'red' | 'blue' | 'grey';
export type Shape = 'dot' | 'ring';
export interface Status {
  fill: Fill;
  shape: Shape;
  text: string;
}

/** Close work may take this long before Node-RED is told the node has closed (its own limit is 15 s). */
export const CLOSE_WAIT_MS = 10_000;
/** Progress texts reach the editor over its websocket; more often than this is only noise. */
const PROGRESS_EVERY_MS = 250;
/** The shortest schedule a node accepts: more often would spend API calls for nothing. */
export const MIN_INTERVAL_S = 5;

/** The connection states a node shows instead of its own status while they last. */
const TROUBLE: Partial<Record<ConnectionState, Status>> = {
  unavailable: { fill: 'red', shape: 'ring', text: 's2s.connection.unavailable' },
  expired: { fill: 'red', shape: 'ring', text: 's2s.connection.expired' },
  failed: { fill: 'red', shape: 'dot', text: 's2s.connection.failed' },
};

/**
 * What every OrgBridge node needs around its own logic: status texts from its catalog (and the
 * shared `s2s.*` keys every catalog carries), its connection's trouble shown as it happens, timers
 * and schedules, event listeners and the ledger lease, all undone on close, in reverse order, with
 * the node's own close work awaited (up to CLOSE_WAIT_MS). A node's runtime file keeps its wiring.
 */
export class NodeKit {
  /** True once Node-RED has begun closing the node (redeploy, shutdown). */
  closing = false;
  private readonly cleanups: Array<(removed: boolean) => void | Promise<void>> = [];
  private shown?: Status;
  private lastProgress = 0;
  private watched: OrgConnection[] = [];
  private readonly sleepers = new Set<() => void>();

  constructor(
    readonly RED: NodeAPI,
    readonly node: Node,
  ) {
    node.on('close', (removed: boolean, done: () => void) => {
      this.closing = true;
      for (const wake of [...this.sleepers]) wake();
      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        done();
      };
      const timer = setTimeout(finish, CLOSE_WAIT_MS);
      // Last registered, first undone: a lease taken before a queue is released after the queue drains.
      const steps = this.cleanups.splice(0).reverse();
      void (async () => {
        for (const step of steps) {
          try {
            await step(removed);
          } catch (err) {
            node.error(err);
          }
        }
      })().finally(finish);
    });
  }

  /** `RED._` with the node's catalog. */
  t(key: string, args?: Record<string, unknown>): string {
    return this.RED._(key, args as Record<string, string>);
  }

  // --- status -------------------------------------------------------------------------------

  /**
   * Shows a status (the text a catalog key, resolved here so Status nodes see words). While a
   * watched connection is in trouble, that is shown instead and this comes back once it is over.
   */
  status(fill: Fill, shape: Shape, key: string, args?: Record<string, unknown>): void {
    this.shown = { fill, shape, text: this.t(key, args) };
    this.lastProgress = 0;
    this.node.status(this.connectionTrouble() ?? this.shown);
  }

  /** A progress status, at most a few a second however often it is called. */
  progress(key: string, args?: Record<string, unknown>): void {
    const now = Date.now();
    if (now - this.lastProgress < PROGRESS_EVERY_MS) return;
    this.status('yellow', 'ring', key, args);
    this.lastProgress = now;
  }

  clearStatus(): void {
    this.shown = undefined;
    this.node.status({});
  }

  /**
   * The deployed connection `id`, with its trouble (unavailable, session expired, login failed)
   * reflected in this node's status as it happens, not only at the next message.
   */
  connection(id: unknown, options: { watch?: boolean } = {}): OrgConnection | undefined {
    const org = orgOf(this.RED, id);
    if (org && options.watch !== false) this.watch(org);
    return org;
  }

  private watch(org: OrgConnection): void {
    if (this.watched.includes(org)) return;
    this.watched.push(org);
    this.listen(org, 'state', (change: StateChange) => {
      const trouble = TROUBLE[change.state];
      if (trouble) this.node.status({ ...trouble, text: this.t(trouble.text) });
      else if (change.state === 'connected' && this.shown) this.node.status(this.connectionTrouble() ?? this.shown);
    });
  }

  private connectionTrouble(): Status | undefined {
    for (const org of this.watched) {
      const trouble = TROUBLE[org.state];
      if (trouble) return { ...trouble, text: this.t(trouble.text) };
    }
    return undefined;
  }

  // --- lifecycle ----------------------------------------------------------------------------

  /** Runs `fn` on close (awaited); later registrations run first. Returns a function that unregisters it. */
  onClose(fn: (removed: boolean) => void | Promise<void>): () => void {
    this.cleanups.push(fn);
    return () => {
      const i = this.cleanups.indexOf(fn);
      if (i >= 0) this.cleanups.splice(i, 1);
    };
  }

  /** Listens to `emitter` until the node closes. */
  listen(emitter: EventEmitter, event: string, fn: (...args: never[]) => void): void {
    emitter.on(event, fn as (...args: unknown[]) => void);
    this.onClose(() => void emitter.off(event, fn as (...args: unknown[]) => void));
  }

  /**
   * A wait (between retries, say) that ends at once when the node starts closing, so work in
   * progress can finish, every record with a result, within Node-RED's close timeout.
   */
  sleep(ms: number): Promise<void> {
    if (this.closing) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  /** setTimeout, cleared on close (and forgotten once it has fired). Returns a function that cancels it. */
  after(ms: number, fn: () => void): () => void {
    const forget = this.onClose(() => clearTimeout(timer));
    const timer = setTimeout(() => {
      forget();
      fn();
    }, ms);
    return () => {
      clearTimeout(timer);
      forget();
    };
  }

  /**
   * Runs `fn` every `intervalS` seconds (at least MIN_INTERVAL_S, or `minIntervalS` for work that
   * makes no API call) until the node closes, the first
   * time soon after deploy so statuses and dashboards fill in without waiting an interval. Nothing
   * is scheduled for an interval of 0 or less (on input only). Returns whether it was scheduled.
   */
  every(intervalS: number, fn: () => void, options: { firstAfterMs?: number; minIntervalS?: number } = {}): boolean {
    if (!(intervalS > 0)) return false;
    const first = setTimeout(fn, options.firstAfterMs ?? 1000);
    const timer = setInterval(fn, Math.max(intervalS, options.minIntervalS ?? MIN_INTERVAL_S) * 1000);
    this.onClose(() => {
      clearTimeout(first);
      clearInterval(timer);
    });
    return true;
  }

  /** The suite's ledger, held until the node closes (after everything registered later is done). */
  ledger(): Ledger {
    const lease = ledgerLease(this.RED);
    this.onClose(() => lease.release());
    return lease.ledger;
  }
}

/** A number from a config field (strings from the editor); the fallback when empty or not a number. */
export function numberOr(v: unknown, fallback: number): number {
  const n = Number(v);
  return Number.isFinite(n) && String(v ?? '').trim() !== '' ? n : fallback;
}

/** A whole number from a config field, clamped to min..max; the fallback when empty or not a number. */
export function wholeNumber(v: unknown, fallback: number, min: number, max: number): number {
  const n = Number(v);
  if (String(v ?? '').trim() === '' || !Number.isFinite(n)) return fallback;
  return Math.min(max, Math.max(min, Math.round(n)));
}
