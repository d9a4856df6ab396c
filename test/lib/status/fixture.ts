import path from 'node:path';
import { Ledger, RECORD_LEVEL, type NewDeadLetter } from '../../../lib/ledger/index.js';
import { HOUR, MINUTE, sample, tempDir } from '../ledger/helpers.js';

export { HOUR, MINUTE };

export const SRC = '00D000000000001AAA';
export const TGT = '00D000000000002AAA';
export const OTHER = '00D000000000003AAA';
/** A Monday noon; reports are taken 20 minutes later. */
export const T0 = Date.UTC(2025, 0, 6, 12, 0, 0);
export const NOW = T0 + 20 * MINUTE;
export const TRICKY = 'Phone: bad, "value"\nsee line 2';

export function letter(sourceId: string, over: Partial<NewDeadLetter> = {}): NewDeadLetter {
  return {
    sourceOrg: SRC, sourceId, targetOrg: TGT, object: 'Account', targetObject: 'Account', operation: 'upsert',
    record: { sourceId }, errorCode: 'STRING_TOO_LONG', message: 'Name: data value too large', category: 'permanent',
    fields: ['Name'], attempts: 1, ...over,
  };
}

/**
 * A ledger file filled through its public API, as sf-upsert-out and sf-health-check fill it:
 * - HQ (SRC) → Subsidiary (TGT), Account: 2 h ago 10 synced, 2 skipped, 1 failed, 1 dead-lettered
 *   (fields Name and Phone), and 5 synced in the current hour; 30 h ago 100 synced (outside 24 h);
 * - HQ → Subsidiary, Contact: 1 h ago 3 synced, 2 dead-lettered (Email);
 * - HQ → OTHER (no name known), Account: 1 h ago 7 synced;
 * - dead letters: Name twice (the newer one with a message full of CSV specials, also blaming
 *   Phone), Email once, a resolved one on Phone, and one outside the window on Fax.
 */
export function filledLedger(): { ledger: Ledger; file: string; cleanup: () => void } {
  const { dir, cleanup } = tempDir('orgbridge-status-');
  const file = path.join(dir, 'ledger.sqlite');
  const ledger = Ledger.open(file);
  ledger.recordSamples([
    sample(SRC, T0 - HOUR, 'available', { orgName: 'HQ', apiUsed: 1200, apiLimit: 100_000 }),
    sample(TGT, T0 - HOUR, 'available', { orgName: 'Subsidiary', apiUsed: 300, apiLimit: 50_000 }),
  ]);
  ledger.addSyncCounts(SRC, TGT, [
    { object: 'Account', field: RECORD_LEVEL, synced: 10, skipped: 2, failed: 1, deadLettered: 1 },
    { object: 'Account', field: 'Name', synced: 8, skipped: 2, deadLettered: 1 },
    { object: 'Account', field: 'Phone', synced: 5, deadLettered: 1 },
  ], T0 - 2 * HOUR + 5 * MINUTE);
  ledger.addSyncCounts(SRC, TGT, [
    { object: 'Account', field: RECORD_LEVEL, synced: 5 },
    { object: 'Account', field: 'Name', synced: 5 },
  ], T0 + 5 * MINUTE);
  ledger.addSyncCounts(SRC, TGT, [{ object: 'Account', field: RECORD_LEVEL, synced: 100 }, { object: 'Account', field: 'Fax', synced: 100 }], T0 - 30 * HOUR);
  ledger.addSyncCounts(SRC, TGT, [
    { object: 'Contact', field: RECORD_LEVEL, synced: 3, deadLettered: 2 },
    { object: 'Contact', field: 'Email', synced: 3, deadLettered: 2 },
  ], T0 - HOUR + 10 * MINUTE);
  ledger.addSyncCounts(SRC, OTHER, [{ object: 'Account', field: RECORD_LEVEL, synced: 7 }], T0 - HOUR + 10 * MINUTE);

  ledger.addDeadLetters([letter('001A')], T0 - 2 * HOUR + 5 * MINUTE);
  ledger.addDeadLetters([letter('001B', { errorCode: 'INVALID_FIELD', message: TRICKY, fields: ['Name', 'Phone'] })], T0 - 90 * MINUTE);
  ledger.addDeadLetters([
    letter('003C', { object: 'Contact', targetObject: 'Contact', errorCode: 'INVALID_EMAIL_ADDRESS', message: 'Email: invalid email address', fields: ['Email'] }),
    letter('003D', { object: 'Contact', targetObject: 'Contact', errorCode: 'UNABLE_TO_LOCK_ROW', message: 'locked', category: 'transient', fields: [] }),
  ], T0 - HOUR + 10 * MINUTE);
  ledger.addDeadLetters([letter('001R', { errorCode: 'FIELD_CUSTOM_VALIDATION_EXCEPTION', message: 'fixed since', fields: ['Phone'] })], T0 - 80 * MINUTE);
  ledger.resolveDeadLetters(SRC, TGT, ['001R'], T0 - 70 * MINUTE);
  ledger.addDeadLetters([letter('001Z', { fields: ['Fax'], errorCode: 'OLD' })], T0 - 30 * HOUR);
  return { ledger, file, cleanup: () => (ledger.close(), cleanup()) };
}
