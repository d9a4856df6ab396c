import type { Emulator } from '../../emulator/index.js';
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
