import { generateKeyPairSync } from 'node:crypto';
import { Connection } from 'jsforce';
import { startEmulator, type Emulator, type OrgSpec } from '../../emulator/index.js';

// jsforce and faye send even loopback traffic through a proxy when these are set.
for (const k of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY']) delete process.env[k];

export const API_VERSION = '62.0';

/** A unique external Id on any object, the key upserts and relationship columns match by. */
export const EXT_FIELD = {
  name: 'Ext__c', type: 'string' as const, label: 'Ext', length: 40, externalId: true, idLookup: true, unique: true,
  nillable: true, createable: true, updateable: true, custom: true,
};
/** An external Id without a unique index, so that several records can share a value. */
export const LEGACY_KEY_FIELD = { ...EXT_FIELD, name: 'Legacy_Key__c', label: 'Legacy Key', unique: false };

/** A key pair whose public half is registered as the test app's certificate (JWT bearer). */
export const jwtKeys = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});

export function testOrgSpec(name: string, extra: Partial<OrgSpec> = {}): OrgSpec {
  return {
    name,
    displayName: `${name} Inc.`,
    users: [
      { username: `admin@${name}.test`, password: 'admin-pass-1', firstName: 'Ada', lastName: 'Admin' },
      { username: `integration@${name}.test`, password: 'integration-pass-1', lastName: 'Integration', integration: true },
    ],
    apps: [
      {
        name: 'OrgBridge',
        clientId: `cid-${name}`,
        clientSecret: `secret-${name}`,
        certificate: jwtKeys.publicKey,
        runAsUsername: `integration@${name}.test`,
        approvingUsername: `admin@${name}.test`,
        callbackUrls: ['http://127.0.0.1/callback'],
      },
    ],
    ...extra,
  };
}

export async function startTestEmulator(specs: OrgSpec[] = [testOrgSpec('alpha')]): Promise<Emulator> {
  return startEmulator({ orgs: specs });
}

/** A jsforce connection logged in with the password flow as the org's integration user. */
export async function login(emulator: Emulator, orgName = 'alpha', options: Record<string, unknown> = {}): Promise<Connection> {
  const org = emulator.org(orgName);
  const app = [...org.apps.values()][0]!;
  const conn = new Connection({
    loginUrl: emulator.loginUrl,
    version: API_VERSION,
    oauth2: { loginUrl: emulator.loginUrl, clientId: app.clientId, clientSecret: app.clientSecret },
    ...options,
  });
  await conn.login(`integration@${orgName}.test`, 'integration-pass-1');
  return conn;
}

/** A jsforce connection that skips OAuth: a session issued directly for the integration user. */
export function connectDirect(emulator: Emulator, orgName = 'alpha', options: Record<string, unknown> = {}): Connection {
  const org = emulator.org(orgName);
  const user = [...org.users.values()].find((u) => u.integration)!;
  const session = org.sessions.issue(user.id, [...org.apps.keys()][0]!);
  return new Connection({ instanceUrl: org.instanceUrl, accessToken: session.accessToken, version: API_VERSION, ...options });
}

/** Every org up again (a test may have taken one down) with its data reset, so each test starts alike. */
export async function restoreOrgs(emulator: Emulator): Promise<void> {
  for (const org of emulator.orgs.values()) {
    await emulator.orgUp(org.name);
    org.reset();
  }
}

/** One call to the emulator's control API, `path` below `/__emulator__`; the JSON answer comes back parsed. */
export async function control(emulator: Emulator, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${emulator.loginUrl}/__emulator__${path}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}
