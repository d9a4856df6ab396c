/**
 * The shared runtime context: one registry per Node-RED process that every OrgBridge node uses,
 * for what must be shared live and is not the ledger's to keep: acknowledgements of batches in
 * flight, retries under way, write metrics, and the state of every source. A node finds it with
 * runtimeContext(); a snapshot (plain JSON) is what sf-sync-status reports and publishes.
 */
import type { OrgConnection } from '../connection/org-connection.js';
import { LiveMetrics, type LiveSnapshot } from '../status/live-metrics.js';
import { AckRegistry } from './acks.js';
import { RetryBoard, type RetryEntry } from './retry-board.js';

/** What a source (sf-collect, sf-cdc-in, sf-bulk-query) says about itself. */
export interface SourceState {
  /** The node's id and name. */
  id: string;
  name: string;
  kind: string;
  /** A word for what it is doing: idle, running, waiting for acknowledgements, … */
  state: string;
  /** Batches sent and not settled yet. */
  inFlight: number;
  /** What became of its batches since deploy. */
  settled: number;
  failed: number;
  released: number;
  /** Last batch sent (ms since epoch), or null. */
  lastBatchAt: number | null;
  /** Anything else the source reports (a checkpoint, the last event). */
  detail?: Record<string, unknown>;
}

/** A connection as the snapshot shows it: never its credentials or tokens. */
export interface ConnectionView {
  id: string;
  name: string;
  state: string;
  orgId: string | null;
  instanceUrl: string | null;
  /** Why it is not connected, when it is not. */
  problem: { code: string; message: string } | null;
}

export interface RuntimeSnapshot {
  at: number;
  connections: ConnectionView[];
  acks: { open: number; oldestAt: number | null };
  metrics: LiveSnapshot;
  retries: RetryEntry[];
  sources: SourceState[];
}

export class RuntimeContext {
  readonly acks: AckRegistry;
  readonly metrics: LiveMetrics;
  readonly retries = new RetryBoard();
  private readonly sources = new Map<string, SourceState>();
  private readonly connections = new Map<string, OrgConnection>();

  constructor(private readonly now: () => number = Date.now) {
    this.acks = new AckRegistry(now);
    this.metrics = new LiveMetrics(now);
  }

  /** Records (or replaces) what a source says about itself. */
  reportSource(state: SourceState): void {
    this.sources.set(state.id, { ...state });
  }

  forgetSource(id: string): void {
    this.sources.delete(id);
  }

  /** A live connection (an sf-connection node's), by the node's id, until it is forgotten. */
  addConnection(id: string, org: OrgConnection): void {
    this.connections.set(id, org);
  }

  forgetConnection(id: string, org?: OrgConnection): void {
    if (!org || this.connections.get(id) === org) this.connections.delete(id);
  }

  /** What a source reported last, or undefined. */
  source(id: string): SourceState | undefined {
    const s = this.sources.get(id);
    return s && { ...s };
  }

  /** Everything, as plain JSON-safe data (for global context, dashboards and function nodes). */
  snapshot(): RuntimeSnapshot {
    const oldest = this.acks.oldest();
    return {
      at: this.now(),
      connections: [...this.connections].map(([id, org]) => ({
        id,
        name: org.settings.name,
        state: org.state,
        orgId: org.identity?.orgId ?? null,
        instanceUrl: org.identity?.instanceUrl ?? null,
        problem: org.state === 'connected' || !org.failure ? null : { code: org.failure.code, message: org.failure.message },
      })),
      acks: { open: this.acks.open(), oldestAt: oldest ?? null },
      metrics: this.metrics.snapshot(),
      retries: this.retries.list(),
      sources: [...this.sources.values()].map((s) => ({ ...s, ...(s.detail ? { detail: { ...s.detail } } : {}) })),
    };
  }
}

// One per process. The built nodes load this module once, but tests and benchmarks can hold a
// second copy of lib/ (from source): the instance lives on a global symbol that every copy finds.
const KEY = Symbol.for('orgbridge.runtime.context');

export function runtimeContext(): RuntimeContext {
  const g = globalThis as Record<symbol, unknown>;
  return (g[KEY] ??= new RuntimeContext()) as RuntimeContext;
}
