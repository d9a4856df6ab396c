import { createHmac, timingSafeEqual } from 'node:crypto';
import { LATEST_API_VERSION, type Emulator, type RouteModule } from '../../emulator.js';
import { AuthorizationCodes, pkceMatches } from '../../oauth/codes.js';
import { decodeJwt, verifyRs256 } from '../../oauth/jwt.js';
import type { ConnectedAppSpec, Org, OrgUser } from '../../org.js';
import type { Session } from '../../sessions.js';
import type { RequestContext } from '../context.js';
import type { Router } from '../router.js';

/**
 * OAuth 2.0, identity URL and OpenID userinfo. Every route is served on the shared login host
 * (the org is found from the username, client id, code or token) and on each org's instance URL,
 * which behaves like a My Domain and only knows its own org.
 */

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** Audiences a real org accepts besides its own My Domain. */
const PUBLIC_AUDIENCES = ['https://login.salesforce.com', 'https://test.salesforce.com'];
/** Scopes a connected app grants when the request names none. */
const USER_SCOPES = 'refresh_token api';
/** The client-credentials flow refuses refresh_token/full, so its tokens only carry api. */
const CLIENT_CREDENTIALS_SCOPES = 'api';

/** An OAuth error, answered as `{"error","error_description"}` (400 unless stated). */
class OAuthError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
    readonly status = 400,
  ) {
    super(description);
  }
}

const oauthErrors = {
  unknownClient: () => new OAuthError('invalid_client_id', 'client identifier invalid'),
  badSecret: () => new OAuthError('invalid_client', 'invalid client credentials'),
  authFailure: () => new OAuthError('invalid_grant', 'authentication failure'),
  badRefresh: () => new OAuthError('invalid_grant', 'expired access/refresh token'),
  badAssertion: () => new OAuthError('invalid_grant', 'invalid assertion'),
  badAudience: () => new OAuthError('invalid_grant', 'audience is invalid'),
  // Salesforce reuses the authorization-code wording for an assertion past its exp.
  expiredCode: () => new OAuthError('invalid_grant', 'expired authorization code'),
  invalidCode: () => new OAuthError('invalid_grant', 'invalid authorization code'),
  notApproved: () => new OAuthError('invalid_grant', "user hasn't approved this consumer"),
  redirectMismatch: () => new OAuthError('invalid_grant', 'redirect_uri must match configuration'),
  badVerifier: () => new OAuthError('invalid_grant', 'invalid code verifier'),
  wrongDomain: () => new OAuthError('invalid_grant', 'request not supported on this domain'),
  noRunAsUser: () => new OAuthError('invalid_grant', 'no client credentials user enabled'),
  unsupportedGrant: () => new OAuthError('unsupported_grant_type', 'grant type not supported'),
};

/** The identity and userinfo endpoints answer auth problems with a bare code in a text body. */
class IdentityError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
  ) {
    super(code);
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/** Salesforce accepts 15- and 18-character forms of the same Id. */
function sameId(given: string, actual: string): boolean {
  if (given.length === 18) return given === actual;
  if (given.length === 15) return given === actual.slice(0, 15);
  return false;
}

export const oauthRoutes: RouteModule = {
  root: (router: Router, emulator: Emulator) => {
    const codes = new AuthorizationCodes(emulator.clock);

    /** The orgs a request may reach: its own org on an instance URL, all of them on the login host. */
    const reachable = (ctx: RequestContext): Org[] => (ctx.org ? [ctx.org] : [...emulator.orgs.values()]);

    /** The origin the request came to, which prefixes the `id` URLs it is given. */
    const hostUrl = (ctx: RequestContext): string => (ctx.org ? ctx.org.instanceUrl : emulator.loginUrl);

    const identityUrl = (ctx: RequestContext, org: Org, userId: string): string => `${hostUrl(ctx)}/id/${org.orgId}/${userId}`;

    /**
     * Connected apps are global on the real platform: one created in org A can be used by users of
     * org B. Prefer the app of the user's own org, then any reachable org that defines it.
     */
    const findApp = (ctx: RequestContext, clientId: string | undefined, prefer?: Org): { app: ConnectedAppSpec; org: Org } | undefined => {
      if (!clientId) return undefined;
      const own = prefer?.apps.get(clientId);
      if (own && prefer) return { app: own, org: prefer };
      for (const org of reachable(ctx)) {
        const app = org.apps.get(clientId);
        if (app) return { app, org };
      }
      return undefined;
    };

    const findUser = (ctx: RequestContext, username: string | undefined): { user: OrgUser; org: Org } | undefined => {
      if (!username) return undefined;
      for (const org of reachable(ctx)) {
        const user = org.userByName(username);
        if (user) return { user, org };
      }
      return undefined;
    };

    /** Looks in the org named by the token prefix first; tokens look like `00D…!…`. */
    const orgsForToken = (ctx: RequestContext, token: string): Org[] => {
      const orgs = reachable(ctx);
      const prefix = token.split('!')[0] ?? '';
      return [...orgs.filter((o) => o.orgId === prefix), ...orgs.filter((o) => o.orgId !== prefix)];
    };

    const findSession = (ctx: RequestContext, token: string | undefined): { session: Session; org: Org } | undefined => {
      if (!token) return undefined;
      for (const org of orgsForToken(ctx, token)) {
        const session = org.sessions.validate(token);
        if (session) return { session, org };
      }
      return undefined;
    };

    /** Client credentials from the body, or from HTTP Basic (RFC 6749 §2.3.1: each half form-encoded). */
    const clientAuth = (ctx: RequestContext, form: URLSearchParams): { clientId?: string; clientSecret?: string } => {
      let clientId = form.get('client_id') ?? undefined;
      let clientSecret = form.get('client_secret') ?? undefined;
      const basic = /^Basic\s+(.+)$/i.exec(ctx.header('authorization') ?? '')?.[1];
      if (basic) {
        const decoded = Buffer.from(basic, 'base64').toString('utf8');
        const i = decoded.indexOf(':');
        if (i >= 0) {
          const dec = (s: string) => {
            try {
              return decodeURIComponent(s.replace(/\+/g, ' '));
            } catch {
              return s;
            }
          };
          clientId ??= dec(decoded.slice(0, i));
          clientSecret ??= dec(decoded.slice(i + 1));
        }
      }
      return { clientId, clientSecret };
    };

    const checkSecret = (app: ConnectedAppSpec, secret: string | undefined): void => {
      if (secret === undefined || !safeEqual(secret, app.clientSecret)) throw oauthErrors.badSecret();
    };

    /** The fields every flow shares; each flow then picks the subset a real org returns. */
    const tokenFields = (ctx: RequestContext, org: Org, session: Session, app: ConnectedAppSpec) => {
      const id = identityUrl(ctx, org, session.userId);
      const issuedAt = String(session.issuedAt);
      return {
        access_token: session.accessToken,
        signature: createHmac('sha256', app.clientSecret).update(id + issuedAt).digest('base64'),
        scope: session.scope,
        instance_url: org.instanceUrl,
        id,
        token_type: 'Bearer',
        issued_at: issuedAt,
      };
    };

    const sendOAuthError = (ctx: RequestContext, err: OAuthError): void => {
      ctx.sendJson(err.status, { error: err.error, error_description: err.description });
    };

    // ---- token endpoint -------------------------------------------------------------------

    const passwordGrant = (ctx: RequestContext, form: URLSearchParams): Record<string, unknown> => {
      const { clientId, clientSecret } = clientAuth(ctx, form);
      const found = findUser(ctx, form.get('username') ?? undefined);
      const client = findApp(ctx, clientId, found?.org);
      if (!client) throw oauthErrors.unknownClient();
      checkSecret(client.app, clientSecret);
      // Only the bare password: the emulator has no security tokens to append.
      if (!found || !safeEqual(form.get('password') ?? '', found.user.password)) throw oauthErrors.authFailure();
      const session = found.org.sessions.issue(found.user.id, client.app.clientId, USER_SCOPES);
      const { access_token, instance_url, id, token_type, issued_at, signature } = tokenFields(ctx, found.org, session, client.app);
      return { access_token, instance_url, id, token_type, issued_at, signature };
    };

    const refreshGrant = (ctx: RequestContext, form: URLSearchParams): Record<string, unknown> => {
      const { clientId, clientSecret } = clientAuth(ctx, form);
      const token = form.get('refresh_token') ?? '';
      let grantOrg: Org | undefined;
      let grant;
      for (const org of orgsForToken(ctx, token)) {
        grant = org.sessions.refreshGrant(token);
        if (grant) {
          grantOrg = org;
          break;
        }
      }
      const client = findApp(ctx, clientId, grantOrg);
      if (!client) throw oauthErrors.unknownClient();
      // The secret is optional for refresh (public clients), but a wrong one is still refused.
      if (clientSecret !== undefined) checkSecret(client.app, clientSecret);
      if (!grant || !grantOrg || grant.clientId !== client.app.clientId) throw oauthErrors.badRefresh();
      if (!grantOrg.userById(grant.userId)) throw oauthErrors.badRefresh();
      const session = grantOrg.sessions.issue(grant.userId, grant.clientId, grant.scope);
      const { access_token, signature, scope, instance_url, id, token_type, issued_at } = tokenFields(ctx, grantOrg, session, client.app);
      return { access_token, signature, scope, instance_url, id, token_type, issued_at };
    };

    const jwtGrant = (ctx: RequestContext, form: URLSearchParams): Record<string, unknown> => {
      const jwt = decodeJwt(form.get('assertion') ?? '');
      if (!jwt) throw oauthErrors.badAssertion();
      const { iss, sub, aud, exp } = jwt.claims;
      const found = findUser(ctx, typeof sub === 'string' ? sub : undefined);
      const client = findApp(ctx, typeof iss === 'string' ? iss : undefined, found?.org);
      if (!client) throw oauthErrors.unknownClient();
      if (!client.app.certificate || !verifyRs256(jwt, client.app.certificate)) throw oauthErrors.badAssertion();
      const audiences = new Set([hostUrl(ctx), emulator.loginUrl, ...PUBLIC_AUDIENCES].map(trimSlash));
      if (found) audiences.add(trimSlash(found.org.instanceUrl));
      const given = (Array.isArray(aud) ? aud : [aud]).filter((a): a is string => typeof a === 'string');
      if (!given.some((a) => audiences.has(trimSlash(a)))) throw oauthErrors.badAudience();
      // The docs ask for exp within 3 minutes, but real orgs accept longer-lived assertions
      // (clients commonly send 5 minutes), so only a past exp is refused.
      if (typeof exp !== 'number' || !Number.isFinite(exp)) throw oauthErrors.badAssertion();
      if (exp * 1000 <= emulator.clock.now()) throw oauthErrors.expiredCode();
      if (!found) throw oauthErrors.notApproved();
      const session = found.org.sessions.issue(found.user.id, client.app.clientId, USER_SCOPES);
      const { access_token, scope, instance_url, id, token_type } = tokenFields(ctx, found.org, session, client.app);
      return { access_token, scope, instance_url, id, token_type };
    };

    const clientCredentialsGrant = (ctx: RequestContext, form: URLSearchParams): Record<string, unknown> => {
      // Real orgs run this flow only on My Domain, never on login.salesforce.com.
      const org = ctx.org;
      if (!org) throw oauthErrors.wrongDomain();
      const { clientId, clientSecret } = clientAuth(ctx, form);
      const client = findApp(ctx, clientId, org);
      if (!client) throw oauthErrors.unknownClient();
      checkSecret(client.app, clientSecret);
      const user = client.app.runAsUsername ? org.userByName(client.app.runAsUsername) : undefined;
      if (!user) throw oauthErrors.noRunAsUser();
      const session = org.sessions.issue(user.id, client.app.clientId, CLIENT_CREDENTIALS_SCOPES);
      const { access_token, signature, scope, instance_url, id, token_type, issued_at } = tokenFields(ctx, org, session, client.app);
      return { access_token, signature, scope, instance_url, id, token_type, issued_at };
    };

    const authorizationCodeGrant = (ctx: RequestContext, form: URLSearchParams): Record<string, unknown> => {
      const { clientId, clientSecret } = clientAuth(ctx, form);
      const entry = codes.get(form.get('code') ?? '');
      const reachableOrg = entry && reachable(ctx).includes(entry.org) ? entry.org : undefined;
      const client = findApp(ctx, clientId, reachableOrg);
      if (!client) throw oauthErrors.unknownClient();
      if (!entry || !reachableOrg || entry.clientId !== client.app.clientId) throw oauthErrors.invalidCode();
      // With PKCE the verifier authenticates a public client; otherwise the secret is required.
      if (clientSecret !== undefined || !entry.codeChallenge) checkSecret(client.app, clientSecret);
      if (entry.used || codes.isExpired(entry)) throw oauthErrors.expiredCode();
      if ((form.get('redirect_uri') ?? '') !== entry.redirectUri) throw oauthErrors.redirectMismatch();
      if (entry.codeChallenge) {
        const verifier = form.get('code_verifier');
        if (!verifier || !pkceMatches(entry.codeChallenge, entry.codeChallengeMethod, verifier)) throw oauthErrors.badVerifier();
      }
      const org = entry.org;
      if (!org.userById(entry.userId)) throw oauthErrors.invalidCode();
      entry.used = true;
      const session = org.sessions.issue(entry.userId, entry.clientId, entry.scope);
      const fields = tokenFields(ctx, org, session, client.app);
      const scopes = entry.scope.split(' ');
      const refresh =
        scopes.includes('refresh_token') || scopes.includes('offline_access')
          ? org.sessions.issueRefresh(entry.userId, entry.clientId, entry.scope).refreshToken
          : undefined;
      const { access_token, signature, scope, instance_url, id, token_type, issued_at } = fields;
      return {
        access_token,
        ...(refresh ? { refresh_token: refresh } : {}),
        signature,
        scope,
        instance_url,
        id,
        token_type,
        issued_at,
      };
    };

    router.post('/services/oauth2/token', async (ctx) => {
      // Salesforce also reads token parameters from the query string; the body wins.
      const form = new URLSearchParams(ctx.url.search);
      for (const [k, v] of await ctx.readForm()) form.set(k, v);
      try {
        const grantType = form.get('grant_type');
        let body: Record<string, unknown>;
        if (grantType === 'password') body = passwordGrant(ctx, form);
        else if (grantType === 'refresh_token') body = refreshGrant(ctx, form);
        else if (grantType === JWT_BEARER) body = jwtGrant(ctx, form);
        else if (grantType === 'client_credentials') body = clientCredentialsGrant(ctx, form);
        else if (grantType === 'authorization_code') body = authorizationCodeGrant(ctx, form);
        else throw oauthErrors.unsupportedGrant();
        ctx.sendJson(200, body, { 'Cache-Control': 'no-cache,must-revalidate,max-age=0,no-store,private' });
      } catch (err) {
        if (err instanceof OAuthError) sendOAuthError(ctx, err);
        else throw err;
      }
    });

    // ---- authorize (web server flow; no login page: the app's approving user consents) --------

    const errorPage = (ctx: RequestContext, error: string, description: string): void => {
      const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
      const html =
        '<!DOCTYPE html><html><head><title>OAuth Error</title></head><body>' +
        '<h1>OAuth Error</h1><p>We can\'t authorize you because of an OAuth error. For more information, contact your Salesforce administrator.</p>' +
        `<p>${esc(`error=${error}&error_description=${description}`)}</p></body></html>`;
      ctx.sendText(400, html, 'text/html;charset=UTF-8');
    };

    const authorize = async (ctx: RequestContext): Promise<void> => {
      const q = new URLSearchParams(ctx.url.search);
      if (ctx.method === 'POST') for (const [k, v] of await ctx.readForm()) q.set(k, v);
      const client = findApp(ctx, q.get('client_id') ?? undefined);
      if (!client) return errorPage(ctx, 'invalid_client_id', 'client identifier invalid');
      const redirectUri = q.get('redirect_uri') ?? '';
      const allowed = client.app.callbackUrls ?? [];
      let target: URL;
      try {
        target = new URL(redirectUri);
      } catch {
        return errorPage(ctx, 'redirect_uri_mismatch', 'redirect_uri must match configuration');
      }
      if (allowed.length && !allowed.includes(redirectUri)) {
        return errorPage(ctx, 'redirect_uri_mismatch', 'redirect_uri must match configuration');
      }
      const state = q.get('state');
      const redirect = (params: Record<string, string>): void => {
        for (const [k, v] of Object.entries(params)) target.searchParams.set(k, v);
        if (state !== null) target.searchParams.set('state', state);
        ctx.sendEmpty(302, { Location: target.toString(), 'Cache-Control': 'no-cache,must-revalidate,max-age=0,no-store,private' });
      };
      if (q.get('response_type') !== 'code') {
        return redirect({ error: 'unsupported_response_type', error_description: 'response type not supported' });
      }
      const method = q.get('code_challenge_method') ?? undefined;
      if (method && !['S256', 'plain'].includes(method)) {
        return redirect({ error: 'invalid_request', error_description: 'invalid code_challenge_method' });
      }
      const org = client.org;
      // No login page: login_hint picks the user when it names one, else the app's approving user.
      const hinted = q.get('login_hint') ? org.userByName(q.get('login_hint')!) : undefined;
      const approver = client.app.approvingUsername ? org.userByName(client.app.approvingUsername) : [...org.users.values()][0];
      const user = hinted ?? approver;
      if (!user) return redirect({ error: 'access_denied', error_description: 'end-user denied authorization' });
      const scope = (q.get('scope') ?? USER_SCOPES).split(/\s+/).filter(Boolean).join(' ') || USER_SCOPES;
      const entry = codes.issue({
        org,
        clientId: client.app.clientId,
        userId: user.id,
        redirectUri,
        scope,
        codeChallenge: q.get('code_challenge') ?? undefined,
        codeChallengeMethod: method,
      });
      redirect({ code: entry.code });
    };
    router.get('/services/oauth2/authorize', authorize);
    router.post('/services/oauth2/authorize', authorize);

    // ---- revoke ----------------------------------------------------------------------------

    const revoke = async (ctx: RequestContext): Promise<void> => {
      const q = new URLSearchParams(ctx.url.search);
      if (ctx.method === 'POST') for (const [k, v] of await ctx.readForm()) q.set(k, v);
      const token = q.get('token') ?? '';
      let revoked = false;
      if (token) {
        for (const org of orgsForToken(ctx, token)) {
          if (org.sessions.revoke(token)) {
            revoked = true;
            break;
          }
        }
      }
      const callback = q.get('callback');
      if (callback && /^[A-Za-z_$][\w$.]*$/.test(callback)) {
        // The JSONP variant reports through the callback and always answers 200.
        const payload = revoked ? '{}' : JSON.stringify({ error: 'invalid_token' });
        ctx.sendText(200, `${callback}(${payload});`, 'application/javascript;charset=UTF-8');
        return;
      }
      if (revoked) {
        ctx.sendEmpty(200, { 'Content-Length': '0' });
        return;
      }
      // jsforce parses a failed revoke body as a query string, as Salesforce sends it.
      ctx.sendText(400, 'error=unsupported_token_type&error_description=this+token+type+is+not+supported', 'application/x-www-form-urlencoded');
    };
    router.post('/services/oauth2/revoke', revoke);
    router.get('/services/oauth2/revoke', revoke);

    // ---- identity URL and userinfo ----------------------------------------------------------

    const bearerToken = async (ctx: RequestContext): Promise<string | undefined> => {
      const header = /^(?:Bearer|OAuth)\s+(.+)$/i.exec(ctx.header('authorization') ?? '')?.[1]?.trim();
      if (header) return header;
      const q = ctx.url.searchParams;
      const fromQuery = q.get('oauth_token') ?? q.get('access_token');
      if (fromQuery) return fromQuery;
      if (ctx.method === 'POST') {
        const form = await ctx.readForm();
        return form.get('oauth_token') ?? form.get('access_token') ?? undefined;
      }
      return undefined;
    };

    const authenticate = async (ctx: RequestContext): Promise<{ session: Session; org: Org }> => {
      const token = await bearerToken(ctx);
      if (!token) throw new IdentityError(403, 'Missing_OAuth_Token');
      const found = findSession(ctx, token);
      if (!found) throw new IdentityError(403, 'Bad_OAuth_Token');
      return found;
    };

    const sendIdentityError = (ctx: RequestContext, err: IdentityError): void => {
      ctx.sendText(err.status, err.code, 'text/plain;charset=UTF-8');
    };

    /** `{version}` stays literal unless the caller asks for a version, as on a real org. */
    const urlsFor = (org: Org, user: OrgUser, version: string | null) => {
      const i = org.instanceUrl;
      const o = org.orgId.slice(0, 15);
      const urls: Record<string, string> = {
        enterprise: `${i}/services/Soap/c/{version}/${o}`,
        metadata: `${i}/services/Soap/m/{version}/${o}`,
        partner: `${i}/services/Soap/u/{version}/${o}`,
        rest: `${i}/services/data/v{version}/`,
        sobjects: `${i}/services/data/v{version}/sobjects/`,
        search: `${i}/services/data/v{version}/search/`,
        query: `${i}/services/data/v{version}/query/`,
        recent: `${i}/services/data/v{version}/recent/`,
        tooling_soap: `${i}/services/Soap/T/{version}/${o}`,
        tooling_rest: `${i}/services/data/v{version}/tooling/`,
        profile: `${i}/${user.id}`,
        feeds: `${i}/services/data/v{version}/chatter/feeds`,
        groups: `${i}/services/data/v{version}/chatter/groups`,
        users: `${i}/services/data/v{version}/chatter/users`,
        feed_items: `${i}/services/data/v{version}/chatter/feed-items`,
        feed_elements: `${i}/services/data/v{version}/chatter/feed-elements`,
        custom_domain: i,
      };
      if (version) {
        const v = version === 'latest' ? LATEST_API_VERSION : version;
        for (const k of Object.keys(urls)) urls[k] = urls[k]!.replace('{version}', v);
      }
      return urls;
    };

    /** What the User record says now, so that later edits to the user show up. */
    const userFacts = (org: Org, user: OrgUser) => {
      const rec = org.data.table('User')?.get(user.id) as Record<string, unknown> | undefined;
      const str = (k: string, fallback: string | null): string | null => (typeof rec?.[k] === 'string' ? (rec[k] as string) : fallback);
      const modified = str('LastModifiedDate', null);
      const modifiedMs = modified ? Date.parse(modified.replace(/\+0000$/, 'Z')) : NaN;
      return {
        username: str('Username', user.username)!,
        firstName: str('FirstName', user.firstName ?? null),
        lastName: str('LastName', user.lastName)!,
        name: str('Name', [user.firstName, user.lastName].filter(Boolean).join(' '))!,
        email: str('Email', user.email ?? user.username)!,
        timezone: str('TimeZoneSidKey', 'GMT')!,
        locale: str('LocaleSidKey', 'en_US')!,
        language: str('LanguageLocaleKey', 'en_US')!,
        active: rec?.IsActive !== false,
        // Identity dates carry whole seconds and a Z, unlike REST datetimes.
        lastModified: new Date(Number.isNaN(modifiedMs) ? org.clock.now() : modifiedMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      };
    };

    /** Offset of an IANA zone from UTC at the emulator's now, in milliseconds. */
    const utcOffset = (timezone: string, now: number): number => {
      try {
        const parts = new Intl.DateTimeFormat('en-US', { timeZone: timezone, timeZoneName: 'longOffset' }).formatToParts(new Date(now));
        const m = /GMT([+-])(\d{2}):(\d{2})/.exec(parts.find((p) => p.type === 'timeZoneName')?.value ?? '');
        return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3600000 + Number(m[3]) * 60000) : 0;
      } catch {
        return 0;
      }
    };

    const photosFor = (org: Org) => ({
      picture: `${org.instanceUrl}/profilephoto/005/F`,
      thumbnail: `${org.instanceUrl}/profilephoto/005/T`,
    });

    const identity = async (ctx: RequestContext): Promise<void> => {
      try {
        const { org } = await authenticate(ctx);
        const orgId = ctx.params.orgId ?? '';
        const userId = ctx.params.userId ?? '';
        if (!sameId(orgId, org.orgId)) {
          // A well-formed Id of another org is a cross-org request; anything else is a bad Id.
          if (/^00D[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?$/.test(orgId)) throw new IdentityError(403, 'Wrong_Org');
          throw new IdentityError(404, 'Bad_Id');
        }
        const user = [...org.users.values()].find((u) => sameId(userId, u.id));
        if (!user) throw new IdentityError(404, 'Bad_Id');
        const f = userFacts(org, user);
        if (!f.active) throw new IdentityError(404, 'Inactive');
        const version = ctx.url.searchParams.get('version');
        const body = {
          id: identityUrl(ctx, org, user.id),
          asserted_user: true,
          user_id: user.id,
          organization_id: org.orgId,
          username: f.username,
          nick_name: f.username.split('@')[0] ?? f.username,
          display_name: f.name,
          email: f.email,
          email_verified: true,
          first_name: f.firstName,
          last_name: f.lastName,
          timezone: f.timezone,
          photos: photosFor(org),
          addr_street: null,
          addr_city: null,
          addr_state: null,
          addr_country: null,
          addr_zip: null,
          mobile_phone: null,
          mobile_phone_verified: false,
          is_lightning_login_user: false,
          status: { created_date: null, body: null },
          urls: urlsFor(org, user, version),
          active: f.active,
          user_type: 'STANDARD',
          language: f.language,
          locale: f.locale,
          utcOffset: utcOffset(f.timezone, emulator.clock.now()),
          last_modified_date: f.lastModified,
          is_app_installed: true,
        };
        const format = (ctx.url.searchParams.get('format') ?? 'json').toLowerCase();
        if (format !== 'json') throw new IdentityError(406, 'Invalid_Format');
        ctx.sendJson(200, body);
      } catch (err) {
        if (err instanceof IdentityError) sendIdentityError(ctx, err);
        else throw err;
      }
    };
    router.get('/id/:orgId/:userId', identity);
    router.post('/id/:orgId/:userId', identity);

    const userinfo = async (ctx: RequestContext): Promise<void> => {
      try {
        const { session, org } = await authenticate(ctx);
        const user = org.userById(session.userId);
        if (!user) throw new IdentityError(403, 'Bad_OAuth_Token');
        const f = userFacts(org, user);
        ctx.sendJson(200, {
          sub: identityUrl(ctx, org, user.id),
          user_id: user.id,
          organization_id: org.orgId,
          preferred_username: f.username,
          nickname: f.username.split('@')[0] ?? f.username,
          name: f.name,
          email: f.email,
          email_verified: true,
          given_name: f.firstName,
          family_name: f.lastName,
          zoneinfo: f.timezone,
          photos: photosFor(org),
          profile: `${org.instanceUrl}/${user.id}`,
          picture: photosFor(org).picture,
          address: {},
          is_salesforce_integration_user: !!user.integration,
          urls: urlsFor(org, user, null),
          active: f.active,
          user_type: 'STANDARD',
          language: f.language,
          locale: f.locale,
          utcOffset: utcOffset(f.timezone, emulator.clock.now()),
          updated_at: f.lastModified,
          is_app_installed: true,
        });
      } catch (err) {
        if (err instanceof IdentityError) sendIdentityError(ctx, err);
        else throw err;
      }
    };
    router.get('/services/oauth2/userinfo', userinfo);
    router.post('/services/oauth2/userinfo', userinfo);
  },
};
