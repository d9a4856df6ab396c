import { AUTH_FLOWS, DEFAULT_API_VERSION, DEFAULT_CALL_OPTIONS_CLIENT, type AuthFlow, type ConnectionSettings, type LoginEnvironment } from './settings.js';

const ENVIRONMENTS: readonly LoginEnvironment[] = ['production', 'sandbox', 'mydomain', 'custom'];

/** Settings from a config node's plain properties (strings from the editor), with defaults. */
export function settingsFromConfig(config: Record<string, unknown>): ConnectionSettings {
  const text = (k: string) => (typeof config[k] === 'string' ? (config[k] as string).trim() : config[k] === undefined || config[k] === null ? '' : String(config[k]));
  const environment = text('environment') as LoginEnvironment;
  const authFlow = text('authFlow') as AuthFlow;
  const budget = Number(text('apiBudgetPercent') || 100);
  return {
    name: text('name') || 'Salesforce org',
    environment: ENVIRONMENTS.includes(environment) ? environment : 'production',
    domain: text('domain') || undefined,
    apiVersion: text('apiVersion') || DEFAULT_API_VERSION,
    authFlow: AUTH_FLOWS.includes(authFlow) ? authFlow : ((text('authFlow') || 'jwt') as AuthFlow),
    clientId: text('clientId') || undefined,
    username: text('username') || undefined,
    instanceUrl: text('instanceUrl') || undefined,
    callOptionsClient: text('callOptionsClient') || DEFAULT_CALL_OPTIONS_CLIENT,
    apiBudgetPercent: Number.isFinite(budget) ? budget : 100,
  };
}
