import { createHash, randomBytes } from 'node:crypto';
import type { Emulator } from '../../emulator/index.js';

/**
 * Runs the web-server flow with PKCE against the emulator the way the sf-connection editor does
 * (authorize redirect, then code exchange) and returns the refresh token.
 */
export async function obtainRefreshToken(emulator: Emulator, orgName: string, redirectUri = 'http://127.0.0.1/callback'): Promise<string> {
  const org = emulator.org(orgName);
  const app = [...org.apps.values()][0]!;
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const authorize = new URL('/services/oauth2/authorize', org.instanceUrl);
  authorize.search = new URLSearchParams({
    response_type: 'code', client_id: app.clientId, redirect_uri: redirectUri, state: 's1',
    code_challenge: challenge, code_challenge_method: 'S256', scope: 'api refresh_token',
  }).toString();
  const redirect = await fetch(authorize, { redirect: 'manual' });
  const code = new URL(redirect.headers.get('location')!).searchParams.get('code');
  if (!code) throw new Error(`authorize gave no code: ${redirect.status} ${redirect.headers.get('location')}`);
  const res = await fetch(new URL('/services/oauth2/token', org.instanceUrl), {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, client_id: app.clientId, redirect_uri: redirectUri, code_verifier: verifier }),
  });
  const body = (await res.json()) as { refresh_token?: string };
  if (!body.refresh_token) throw new Error(`no refresh token: ${JSON.stringify(body)}`);
  return body.refresh_token;
}
