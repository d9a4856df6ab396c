/**
 * Change capture taking over from a backfill without a gap. While the backfill runs, the change
 * capture waits with a start-time anchor as its checkpoint (the Streaming API gives no replay id
 * before the first event); once the backfill is written, the anchor is moved back to when the
 * backfill began, if that was earlier, and the capture starts: it reads every record changed since
 * then (SystemModstamp, deletes through queryAll) after the backfill, then the live events. A
 * record the backfill already wrote as it is now is unchanged by its field hashes and costs nothing.
 * A checkpoint that is a replay id already (a capture that ran before) is kept as it is.
 */
import type { Ledger } from '../ledger/ledger.js';

/** Puts a start-time anchor on every channel that has no checkpoint yet. */
export function holdForBackfill(ledger: Ledger, orgId: string, channels: readonly string[], name: string, at: number): void {
  for (const channel of channels) {
    if (!ledger.cdcCheckpoint(orgId, channel, name)) ledger.moveCdcCheckpoint({ orgId, channel, name, replayId: -1, committedAt: at }, at);
  }
}

/** Moves each channel's anchor back to `since` (when the backfill began) where it is later. */
export function takeOverFrom(ledger: Ledger, orgId: string, channels: readonly string[], name: string, since: number, at: number = Date.now()): void {
  for (const channel of channels) {
    const saved = ledger.cdcCheckpoint(orgId, channel, name);
    if (!saved || (saved.replayId === -1 && saved.committedAt > since)) {
      ledger.replaceCdcCheckpoint({ orgId, channel, name, replayId: -1, committedAt: since }, at);
    }
  }
}
