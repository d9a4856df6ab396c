// What an sf-connection node stores, shared by its runtime and its editor (the editor bundles this
// module too, so it imports nothing at run time).
import type { ConnectionSecrets } from '../../lib/connection/settings.js';

/** The node's plain properties, as the editor saves them (strings). */
export interface ConnectionFields {
  name: string;
  environment: string;
  domain: string;
  apiVersion: string;
  authFlow: string;
  clientId: string;
  username: string;
  instanceUrl: string;
  callOptionsClient: string;
  apiBudgetPercent: string | number;
}

/** The secrets: kept in Node-RED's encrypted credentials only, never in the flow. */
export const SECRET_KEYS = ['clientSecret', 'password', 'privateKey', 'refreshToken', 'accessToken'] as const satisfies ReadonlyArray<keyof ConnectionSecrets>;

/** The credentials definition for registerType, in the runtime and the editor alike. */
export const CREDENTIALS = Object.fromEntries(SECRET_KEYS.map((k) => [k, { type: 'password' as const }])) as Record<(typeof SECRET_KEYS)[number], { type: 'password' }>;
