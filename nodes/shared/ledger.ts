import path from 'node:path';
import type { NodeAPI } from 'node-red';
import { acquireLedger, defaultLedgerPath, type LedgerLease } from '../../lib/ledger/index.js';

/**
 * The suite's ledger for this Node-RED instance: `sfLedgerPath` in settings.js, else a file under
 * the user directory. Every node shares one connection to it; release the lease on close.
 */
export function ledgerLease(RED: NodeAPI): LedgerLease {
  const settings = RED.settings as unknown as { sfLedgerPath?: string; userDir?: string };
  const file = settings.sfLedgerPath || defaultLedgerPath(settings.userDir ?? path.join(process.cwd(), '.node-red'));
  return acquireLedger(file);
}
