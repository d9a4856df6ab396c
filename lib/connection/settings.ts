import { checkPrivateKey } from './pem.js';

/** What an `sf-connection` is configured with: plain settings, and secrets kept apart. */

export type AuthFlow = 'jwt' | 'client-credentials' | 'refresh-token' | 'password' | 'access-token';

export const AUTH_FLOWS: readonly AuthFlow[] = ['jwt', 'client-credentials', 'refresh-token', 'password', 'access-token'];

export type LoginEnvironment = 'production' | 'sandbox' | 'mydomain' | 'custom';

export interface ConnectionSettings {
  /** A label for logs and status; never a secret. */
  name: string;
  environment: LoginEnvironment;
  /** My Domain name (`acme` or `acme.my.salesforce.com`) or a custom login URL, per environment. */
  domain?: string;
  apiVersion: string;
  authFlow: AuthFlow;
  /** Connected app consumer key (not a secret in Salesforce's model, but kept out of logs anyway). */
  clientId?: string;
  username?: string;
  /** Instance URL for the access-token flow. */
  instanceUrl?: string;
  /** Sent as `Sforce-Call-Options: client=<id>` so our own writes can be recognised in change events. */
  callOptionsClient: string;
  /** Share of the org's daily API limit this integration may use, 1..100 percent. */
  apiBudgetPercent: number;
}

export interface ConnectionSecrets {
  clientSecret?: string;
  password?: string;
  /** PEM private key for the JWT bearer flow. */
  privateKey?: string;
  refreshToken?: string;
  accessToken?: string;
}

export const DEFAULT_API_VERSION = '65.0';
export const DEFAULT_CALL_OPTIONS_CLIENT = 'OrgBridge';

/** The OAuth login URL for the configured environment. */
export function loginUrlOf(s: Pick<ConnectionSettings, 'environment' | 'domain'>): string {
  switch (s.environment) {
    case 'production':
      return 'https://login.salesforce.com';
    case 'sandbox':
      return 'https://test.salesforce.com';
    case 'mydomain': {
      const d = (s.domain ?? '').trim().replace(/^https?:\/\//, '').replace(/\/.*$/, '');
      return d.includes('.') ? `https://${d}` : `https://${d}.my.salesforce.com`;
    }
    case 'custom':
      return (s.domain ?? '').trim().replace(/\/+$/, '');
  }
}

/** Every problem with the settings and secrets, worded for the admin; empty when they are usable. */
export function settingsProblems(s: ConnectionSettings, secrets: ConnectionSecrets): string[] {
  const problems: string[] = [];
  if (!/^\d{2,3}\.0$/.test(s.apiVersion)) problems.push(`API version "${s.apiVersion}" is not like 65.0`);
  if (s.environment === 'mydomain' && !/^[A-Za-z0-9-]+(\.[A-Za-z0-9.-]+)?$/.test((s.domain ?? '').replace(/^https?:\/\//, '').replace(/\/.*$/, ''))) {
    problems.push('My Domain needs a domain name such as "acme" or "acme.my.salesforce.com"');
  }
  if (s.environment === 'custom') {
    try {
      const u = new URL(s.domain ?? '');
      if (u.protocol !== 'https:' && u.protocol !== 'http:') problems.push('the custom login URL must start with https://');
      if (u.pathname !== '/' && u.pathname !== '') problems.push('the custom login URL must be a bare origin such as https://acme.my.salesforce.com');
    } catch {
      problems.push('the custom login URL is not a URL (for example https://acme.my.salesforce.com)');
    }
  }
  if (!(s.apiBudgetPercent >= 1 && s.apiBudgetPercent <= 100)) problems.push('the API budget must be between 1 and 100 percent');
  const need = (ok: unknown, what: string) => {
    if (!ok) problems.push(`the ${flowLabel(s.authFlow)} flow needs ${what}`);
  };
  switch (s.authFlow) {
    case 'jwt':
      need(s.clientId, 'a client id (consumer key)');
      need(s.username, 'a username');
      if (!secrets.privateKey?.trim()) need(false, 'a PEM private key');
      else {
        const key = checkPrivateKey(secrets.privateKey);
        if (!key.ok) problems.push(`the JWT bearer flow needs a usable private key, but ${key.problem}`);
      }
      break;
    case 'client-credentials':
      need(s.clientId, 'a client id (consumer key)');
      need(secrets.clientSecret, 'a client secret');
      if (s.environment === 'production' || s.environment === 'sandbox') {
        problems.push('the client credentials flow needs the My Domain login URL, not login.salesforce.com or test.salesforce.com');
      }
      break;
    case 'refresh-token':
      need(s.clientId, 'a client id (consumer key)');
      need(secrets.refreshToken, 'a refresh token: use the Authorize button');
      break;
    case 'password':
      need(s.username, 'a username');
      need(secrets.password, 'a password');
      break;
    case 'access-token':
      need(secrets.accessToken, 'an access token');
      need(s.instanceUrl, 'an instance URL');
      break;
    default:
      problems.push(`unknown authentication flow "${String(s.authFlow)}"; use one of ${AUTH_FLOWS.join(', ')}`);
  }
  return problems;
}

export function flowLabel(flow: AuthFlow): string {
  return {
    jwt: 'JWT bearer',
    'client-credentials': 'client credentials',
    'refresh-token': 'refresh token',
    password: 'username and password',
    'access-token': 'access token',
  }[flow] ?? flow;
}
