import { DEMO_CREDENTIALS } from '../../emulator/data/demo-orgs.js';
import type { Emulator } from '../../emulator/index.js';
import { OrgConnection } from '../../lib/connection/org-connection.js';
import type { ConnectionSecrets, ConnectionSettings } from '../../lib/connection/settings.js';

/** Password-flow settings for the integration user of `alpha` in a `startTestEmulator` emulator. */
export function settingsFor(emulator: Emulator, over: Partial<ConnectionSettings> = {}): ConnectionSettings {
  return {
    name: 'alpha', environment: 'custom', domain: emulator.loginUrl, apiVersion: '62.0', authFlow: 'password',
    clientId: 'cid-alpha', username: 'integration@alpha.test', callOptionsClient: 'OrgBridgeTest', apiBudgetPercent: 100,
    ...over,
  };
}

export const PASSWORD: ConnectionSecrets = { clientSecret: 'secret-alpha', password: 'integration-pass-1' };

/** A demo org of `startDemoEmulator` by the client-credentials flow against its instance URL. */
export function demoOrgConnection(emulator: Emulator, org: 'hq' | 'subsidiary' = 'hq'): OrgConnection {
  return new OrgConnection({
    name: org === 'hq' ? 'HQ' : 'Subsidiary', environment: 'custom', domain: emulator.org(org).instanceUrl, apiVersion: '62.0', authFlow: 'client-credentials',
    clientId: DEMO_CREDENTIALS[org].clientId, username: '', callOptionsClient: 'OrgBridgeTest', apiBudgetPercent: 100,
  }, { clientSecret: DEMO_CREDENTIALS[org].clientSecret });
}
