import { createHash } from 'node:crypto';
import type { OrgConnection } from '../connection/org-connection.js';

/**
 * The key a connection's health is filed under when it has never logged in (org down at start-up,
 * wrong password from the first try), so there is no org Id yet: `login:<host>/<username>`.
 *
 * Why this and not the connection's name or node id: the ledger is keyed by what identifies an org
 * in Salesforce, so renaming or re-creating the config node keeps history. A username is unique
 * across every Salesforce org, and a My Domain or instance host belongs to one org, so the key can
 * only ever mean one org; once the connection logs in, the ledger links the key to the real org Id
 * and moves what was filed under it there (and files later failed checks there too).
 *
 * Flows without a username (client credentials, refresh token) use a hash of the client id:
 * stable, but the consumer key itself stays out of messages and logs, as settings.ts asks.
 */
export function loginKeyOf(conn: Pick<OrgConnection, 'settings' | 'host'>): string {
  const s = conn.settings;
  const username = s.username?.trim().toLowerCase();
  const who = username ? username : s.clientId ? `app-${createHash('sha256').update(s.clientId).digest('hex').slice(0, 12)}` : '';
  return `login:${conn.host.toLowerCase()}${who ? `/${who}` : ''}`;
}

export function isPlaceholderOrgId(orgId: string): boolean {
  return orgId.startsWith('login:');
}
