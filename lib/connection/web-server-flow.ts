import { createHash, randomBytes } from 'node:crypto';
import { describeFailure } from './errors.js';

/**
 * The OAuth 2.0 web-server flow with PKCE, as the sf-connection editor's Authorize button runs it:
 * a pending authorization per random `state` (the callback is a browser redirect that cannot carry
 * the Node-RED admin token, so `state` is what ties it to the admin who started it), single use,
 * expiring after ten minutes.
 */
export interface PendingAuthorization {
  /** The config node the refresh token is for. */
  nodeId: string;
  loginUrl: string;
  clientId: string;
  clientSecret?: string;
  redirectUri: string;
  verifier: string;
  expiresAt: number;
}

export interface AuthorizationResult {
  nodeId: string;
  refreshToken: string;
  instanceUrl: string;
  orgId: string;
  userId: string;
}

const TTL_MS = 10 * 60 * 1000;

export class WebServerFlow {
  private readonly pending = new Map<string, PendingAuthorization>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Starts an authorization and returns the URL to open in the admin's browser. */
  start(p: Omit<PendingAuthorization, 'verifier' | 'expiresAt'>): { state: string; authorizeUrl: string } {
    this.sweep();
    const state = randomBytes(24).toString('base64url');
    const verifier = randomBytes(48).toString('base64url');
    this.pending.set(state, { ...p, verifier, expiresAt: this.now() + TTL_MS });
    const url = new URL('/services/oauth2/authorize', p.loginUrl);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: p.clientId,
      redirect_uri: p.redirectUri,
      state,
      scope: 'api refresh_token',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      prompt: 'login consent',
    }).toString();
    return { state, authorizeUrl: url.toString() };
  }

  /** Exchanges the code of a callback; throws a clear error for an unknown/expired state or a refused code. */
  async complete(state: string | undefined, code: string | undefined, error?: string, errorDescription?: string): Promise<AuthorizationResult> {
    this.sweep();
    const p = state ? this.pending.get(state) : undefined;
    if (!state || !p) throw new Error('This authorization is unknown or has expired; start it again from the connection dialog');
    this.pending.delete(state);
    if (error) throw new Error(`Salesforce refused the authorization: ${errorDescription ?? error}`);
    if (!code) throw new Error('The callback carried no authorization code');
    const body = new URLSearchParams({ grant_type: 'authorization_code', code, client_id: p.clientId, redirect_uri: p.redirectUri, code_verifier: p.verifier });
    if (p.clientSecret) body.set('client_secret', p.clientSecret);
    let res: Response;
    try {
      res = await fetch(new URL('/services/oauth2/token', p.loginUrl), {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body,
      });
    } catch (err) {
      throw new Error(describeFailure(err, { host: new URL(p.loginUrl).host, secrets: [p.clientSecret] }).message, { cause: err });
    }
    const json = (await res.json().catch(() => ({}))) as Record<string, string>;
    if (!res.ok || !json.refresh_token) {
      const failure = describeFailure(
        { name: json.error ?? `ERROR_HTTP_${res.status}`, message: json.error_description ?? 'no refresh token returned (does the connected app grant the refresh_token scope?)' },
        { host: new URL(p.loginUrl).host, secrets: [p.clientSecret] },
      );
      throw new Error(failure.message);
    }
    const parts = (json.id ?? '').split('/');
    const userId = parts.pop() ?? '';
    const orgId = parts.pop() ?? '';
    return { nodeId: p.nodeId, refreshToken: json.refresh_token, instanceUrl: json.instance_url ?? '', orgId, userId };
  }

  private sweep(): void {
    const now = this.now();
    for (const [state, p] of this.pending) if (p.expiresAt <= now) this.pending.delete(state);
  }
}
