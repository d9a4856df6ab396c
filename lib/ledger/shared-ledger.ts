import path from 'node:path';
import { MEMORY_PATH } from './database.js';
import { Ledger, type LedgerOptions } from './ledger.js';

/** A hold on the process-wide ledger of one file; release it when the node closes. */
export interface LedgerLease {
  readonly ledger: Ledger;
  /** Gives the hold back; the file closes when the last holder releases. Safe to call twice. */
  release(): void;
}

interface SharedEntry {
  ledger: Ledger;
  holders: number;
}

// One connection per file per process: SQLite serialises writers per file anyway, and one
// connection lets every node share its prepared statements and see each other's writes at once.
// The built nodes load this module once (it is shared, not bundled into each node), but a process
// can still hold a second copy: tests and benchmarks import lib/ from source beside the built nodes.
// So the registry lives on a global symbol that every copy finds.
const REGISTRY = Symbol.for('orgbridge.ledger.shared');
const shared: Map<string, SharedEntry> = ((globalThis as Record<symbol, unknown>)[REGISTRY] ??= new Map<string, SharedEntry>()) as Map<string, SharedEntry>;

function keyOf(file: string): string {
  return file === MEMORY_PATH ? file : path.resolve(file);
}

/**
 * The shared ledger for `file`, opened on first use. Options apply when this call opens it; later
 * callers get the instance as it was opened. Never close() a shared ledger: release the lease.
 */
export function acquireLedger(file: string, options: LedgerOptions = {}): LedgerLease {
  const key = keyOf(file);
  let entry = shared.get(key);
  if (!entry) {
    entry = { ledger: Ledger.open(key, options), holders: 0 };
    shared.set(key, entry);
  }
  entry.holders++;
  const held = entry;
  let released = false;
  return {
    ledger: held.ledger,
    release() {
      if (released) return;
      released = true;
      held.holders--;
      if (held.holders === 0) {
        if (shared.get(key) === held) shared.delete(key);
        held.ledger.close();
      }
    },
  };
}

/** How many leases are held on the ledger of `file` (0 when it is not open). */
export function ledgerHolders(file: string): number {
  return shared.get(keyOf(file))?.holders ?? 0;
}

/** Where the ledger lives when settings.js does not say: beside the flows, in the Node-RED user directory. */
export function defaultLedgerPath(userDir: string): string {
  return path.join(userDir, 'orgbridge', 'ledger.sqlite');
}
