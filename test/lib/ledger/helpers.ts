import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AvailabilitySample, AvailabilityStatus } from '../../../lib/ledger/index.js';

/** A fresh folder under the system temp dir; removed by the returned cleanup. */
export function tempDir(prefix = 'orgbridge-ledger-'): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

export function sample(orgId: string, at: number, status: AvailabilityStatus, over: Partial<AvailabilitySample> = {}): AvailabilitySample {
  return {
    orgId,
    orgName: 'alpha',
    at,
    status,
    severity: status === 'available' ? 'info' : status === 'degraded' ? 'warning' : 'critical',
    latencyMs: status === 'unavailable' ? null : 20,
    apiUsed: status === 'unavailable' ? null : 100,
    apiLimit: status === 'unavailable' ? null : 100_000,
    reason: '',
    ...over,
  };
}
