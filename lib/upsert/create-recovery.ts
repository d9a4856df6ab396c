import type { Ledger } from '../ledger/ledger.js';
import type { OrgApi } from '../salesforce/org-api.js';

/** Org and local clocks may disagree; a record created up to this long before we noted the send still counts. */
const CLOCK_SKEW_MS = 5 * 60_000;

export interface CreateCandidate {
  sourceId: string;
  /** The values sent in the create (target field names). */
  body: Record<string, unknown>;
  /** When the first create of this record was sent (ms since epoch). */
  since: number;
}

/**
 * Finds records an earlier create made although its answer never arrived (the process died, the
 * connection dropped): records of `object` created by our user since the send whose values are
 * the ones sent, and that no other source record is mapped to. Each one found is claimed by one
 * candidate, so two identical records sent twice are matched to two target records, not one.
 */
export async function findCreatedRecords(
  api: OrgApi,
  ledger: Ledger,
  targetOrg: string,
  object: string,
  userId: string | undefined,
  candidates: readonly CreateCandidate[],
): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  if (!candidates.length) return found;
  const fields = [...new Set(candidates.flatMap((c) => Object.keys(c.body).filter((k) => isComparable(c.body[k]) && k.toLowerCase() !== 'id')))];
  const since = new Date(Math.min(...candidates.map((c) => c.since)) - CLOCK_SKEW_MS).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const soql = `SELECT Id${fields.map((f) => `, ${f}`).join('')} FROM ${object} WHERE CreatedDate >= ${since}` +
    `${userId ? ` AND CreatedById = '${userId.replace(/'/g, "\\'")}'` : ''} ORDER BY CreatedDate, Id`;
  const rows = await api.rows<Record<string, unknown> & { Id: string }>(soql, `looking for ${object} records created before an answer was lost`);
  const claimed = new Set<string>();
  for (const c of candidates) {
    const compared = Object.keys(c.body).filter((k) => isComparable(c.body[k]) && k.toLowerCase() !== 'id');
    if (!compared.length) continue;
    const row = rows.find((r) => !claimed.has(r.Id) && compared.every((f) => sameValue(c.body[f], fieldOf(r, f))) && !ledger.sourcesOfTarget(targetOrg, r.Id).length);
    if (row) {
      claimed.add(row.Id);
      found.set(c.sourceId, row.Id);
    }
  }
  return found;
}

function isComparable(v: unknown): boolean {
  return v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

function fieldOf(row: Record<string, unknown>, field: string): unknown {
  if (field in row) return row[field];
  const key = Object.keys(row).find((k) => k.toLowerCase() === field.toLowerCase());
  return key === undefined ? undefined : row[key];
}

/** The org answers in its own formats: numbers as numbers, datetimes as `…+0000`, empty text as null. */
function sameValue(sent: unknown, stored: unknown): boolean {
  if (sent === null || sent === '') return stored === null || stored === undefined || stored === '';
  if (typeof sent === 'number' || typeof stored === 'number') return Number(sent) === Number(stored);
  if (typeof sent === 'boolean' || typeof stored === 'boolean') return String(sent) === String(stored);
  const a = String(sent);
  const b = String(stored ?? '');
  if (a === b) return true;
  if (/^\d{4}-\d{2}-\d{2}T/.test(a) && /^\d{4}-\d{2}-\d{2}T/.test(b)) return Date.parse(a) === Date.parse(b.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return false;
}
