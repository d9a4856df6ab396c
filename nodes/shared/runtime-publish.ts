import type { Node, NodeAPI } from 'node-red';
import { runtimeContext } from '../../lib/runtime/context.js';

/** Where function nodes and dashboards find the snapshot: `global.get('orgbridge')`. */
export const GLOBAL_KEY = 'orgbridge';
const PUBLISH_MS = 2000;

const holders = new Set<Node>();
let timer: NodeJS.Timeout | undefined;

interface ContextStorage {
  [store: string]: { module?: unknown } | undefined;
}

/**
 * The context store the snapshot goes to: one kept in memory when the settings configure one (a
 * persistent store would write the figures to disk every few seconds for nothing), else the
 * default. The snapshot is plain JSON, so even a file or database store can keep it.
 */
export function snapshotStore(RED: NodeAPI): string | undefined {
  const storage = (RED.settings as unknown as { contextStorage?: ContextStorage }).contextStorage;
  if (!storage) return undefined;
  const memory = Object.keys(storage).find((name) => name !== 'default' && storage[name]?.module === 'memory');
  return memory;
}

function publish(RED: NodeAPI): void {
  const node = holders.values().next().value;
  if (!node) return;
  const global = node.context().global;
  const snapshot = runtimeContext().snapshot();
  const store = snapshotStore(RED);
  // With a callback, so a store without synchronous access takes it too; a failure only costs a snapshot.
  const done = (err?: Error | null) => {
    if (err) node.debug(`the runtime snapshot was not stored: ${err.message}`);
  };
  try {
    if (store) global.set(GLOBAL_KEY, snapshot, store, done);
    else global.set(GLOBAL_KEY, snapshot, done);
  } catch (err) {
    done(err as Error);
  }
}

/**
 * Keeps a plain JSON snapshot of the shared runtime context (connections, acknowledgements,
 * sources, retries, write metrics) in Node-RED's global context while any OrgBridge node that
 * calls this is deployed, refreshed every two seconds.
 */
export function publishRuntime(RED: NodeAPI, node: Node, onClose: (fn: () => void) => unknown): void {
  holders.add(node);
  if (!timer) {
    timer = setInterval(() => publish(RED), PUBLISH_MS);
    timer.unref?.();
    // Once the flows have started, so a function node need not wait two seconds for the first one.
    setTimeout(() => publish(RED), 0).unref?.();
  }
  onClose(() => {
    holders.delete(node);
    if (!holders.size && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  });
}
