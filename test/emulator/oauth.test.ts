import { expect } from 'chai';
import { createHash, createHmac, createSign, generateKeyPairSync } from 'node:crypto';
import jsforce, { type Connection } from 'jsforce';
import type { Emulator, Org } from '../../emulator/index.js';
import { API_VERSION, jwtKeys, startTestEmulator, testOrgSpec } from '../support/emulator.js';
import { failure } from '../support/failure.js';

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const CALLBACK = 'http://127.0.0.1/callback';

/** An RS256 JWT built by hand, independent of the emulator's verifier. */
function signJwt(claims: Record<string, unknown>, privateKey: string): string {
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${enc({ alg: 'RS256' })}.${enc(claims)}`;
  return `${input}.${createSign('RSA-SHA256').update(input).sign(privateKey).toString('base64url')}`;
}

async function postForm(url: string, params: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params).toString(),
  });
  const text = await res.text();
  return { status: res.status, text, json: () => JSON.parse(text) as Record<string, unknown>, headers: res.headers };
}

describe('emulator OAuth 2.0, identity and userinfo', () => {
  let emulator: Emulator;
  let alpha: Org;
  let beta: Org;
  const cid = 'cid-alpha';
  const secret = 'secret-alpha';

  before(async () => {
    emulator = await startTestEmulator([testOrgSpec('alpha'), testOrgSpec('beta')]);
    alpha = emulator.org('alpha');
    beta = emulator.org('beta');
  });

  after(async () => {
    await emulator.stop();
  });

  afterEach(() => {
    emulator.clock.reset();
  });

  const userId = (org: Org, username: string) => org.userByName(username)!.id;

  function passwordConnection(loginUrl = emulator.loginUrl, clientId = cid, clientSecret = secret) {
    return new jsforce.Connection({ loginUrl, version: API_VERSION, oauth2: { loginUrl, clientId, clientSecret } });
  }

  describe('password flow', () => {
    it('logs in through the login host and lands on the org instance', async () => {
      const conn = passwordConnection();
      const info = await conn.login('admin@alpha.test', 'admin-pass-1');
      expect(info.organizationId).to.equal(alpha.orgId);
      expect(info.id).to.equal(userId(alpha, 'admin@alpha.test'));
      expect(conn.instanceUrl).to.equal(alpha.instanceUrl);
      expect(conn.accessToken).to.match(new RegExp(`^${alpha.orgId}!`));
      expect(conn.refreshToken ?? undefined).to.equal(undefined);
      const identity = await conn.identity();
      expect(identity.username).to.equal('admin@alpha.test');
      expect(identity.organization_id).to.equal(alpha.orgId);
      const limits = await conn.request<Record<string, unknown>>('/limits');
      expect(limits).to.have.property('DailyApiRequests');
    });

    it('finds the org of the username on the shared login host', async () => {
      const conn = passwordConnection(emulator.loginUrl, 'cid-beta', 'secret-beta');
      const info = await conn.login('integration@beta.test', 'integration-pass-1');
      expect(info.organizationId).to.equal(beta.orgId);
      expect(conn.instanceUrl).to.equal(beta.instanceUrl);
    });

    it('answers with the real success shape, for a chunked form body too', async () => {
      const body = new URLSearchParams({
        grant_type: 'password', username: 'admin@alpha.test', password: 'admin-pass-1', client_id: cid, client_secret: secret,
      }).toString();
      const stream = new ReadableStream<Uint8Array>({
        start(c) {
          const bytes = new TextEncoder().encode(body);
          c.enqueue(bytes.slice(0, 20));
          c.enqueue(bytes.slice(20));
          c.close();
        },
      });
      const res = await fetch(`${emulator.loginUrl}/services/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: stream,
        duplex: 'half',
      } as RequestInit);
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.match(/^application\/json/);
      const json = (await res.json()) as Record<string, string>;
      expect(Object.keys(json).sort()).to.deep.equal(['access_token', 'id', 'instance_url', 'issued_at', 'signature', 'token_type']);
      expect(json.instance_url).to.equal(alpha.instanceUrl);
      expect(json.id).to.equal(`${emulator.loginUrl}/id/${alpha.orgId}/${userId(alpha, 'admin@alpha.test')}`);
      expect(json.token_type).to.equal('Bearer');
      expect(json.issued_at).to.match(/^\d{13}$/);
      expect(json.signature).to.equal(createHmac('sha256', secret).update(json.id! + json.issued_at!).digest('base64'));
    });

    it('works on the org instance URL, which knows only its own users', async () => {
      const conn = passwordConnection(alpha.instanceUrl);
      const info = await conn.login('admin@alpha.test', 'admin-pass-1');
      expect(info.organizationId).to.equal(alpha.orgId);
      expect(conn.userInfo?.url).to.equal(`${alpha.instanceUrl}/id/${alpha.orgId}/${info.id}`);
      const err = await failure(passwordConnection(alpha.instanceUrl).login('admin@beta.test', 'admin-pass-1'));
      expect(err.name).to.equal('invalid_grant');
    });

    it('refuses a wrong password, an unknown client id and a wrong secret', async () => {
      let err = await failure(passwordConnection().login('admin@alpha.test', 'nope'));
      expect(err.name).to.equal('invalid_grant');
      expect(err.message).to.equal('authentication failure');
      err = await failure(passwordConnection().login('nobody@alpha.test', 'admin-pass-1'));
      expect(err.name).to.equal('invalid_grant');
      err = await failure(passwordConnection(emulator.loginUrl, 'no-such-client').login('admin@alpha.test', 'admin-pass-1'));
      expect(err.name).to.equal('invalid_client_id');
      expect(err.message).to.equal('client identifier invalid');
      err = await failure(passwordConnection(emulator.loginUrl, cid, 'wrong').login('admin@alpha.test', 'admin-pass-1'));
      expect(err.name).to.equal('invalid_client');
      expect(err.message).to.equal('invalid client credentials');
    });

    it('refuses an unknown grant type', async () => {
      const oauth2 = new jsforce.OAuth2({ loginUrl: emulator.loginUrl, clientId: cid, clientSecret: secret });
      const err = await failure(oauth2.requestToken({ grant_type: 'magic' }));
      expect(err.name).to.equal('unsupported_grant_type');
      expect(err.message).to.equal('grant type not supported');
    });
  });

  describe('JWT bearer flow', () => {
    const claims = (over: Record<string, unknown> = {}) => ({
      iss: cid,
      sub: 'integration@alpha.test',
      aud: emulator.loginUrl,
      exp: Math.floor(emulator.clock.now() / 1000) + 180,
      ...over,
    });
    const jwtConnection = (loginUrl = emulator.loginUrl) => new jsforce.Connection({ loginUrl, version: API_VERSION });

    it('exchanges an assertion signed with the registered key', async () => {
      const conn = jwtConnection();
      const info = await conn.authorize({ grant_type: JWT_BEARER, assertion: signJwt(claims(), jwtKeys.privateKey) });
      expect(info.organizationId).to.equal(alpha.orgId);
      expect(info.id).to.equal(userId(alpha, 'integration@alpha.test'));
      expect(conn.instanceUrl).to.equal(alpha.instanceUrl);
      expect(conn.refreshToken ?? undefined).to.equal(undefined);
      const limits = await conn.request<Record<string, unknown>>('/limits');
      expect(limits).to.have.property('DailyApiRequests');
    });

    it('returns only the fields a real org returns for JWT', async () => {
      const res = await postForm(`${emulator.loginUrl}/services/oauth2/token`, {
        grant_type: JWT_BEARER,
        assertion: signJwt(claims({ aud: 'https://login.salesforce.com' }), jwtKeys.privateKey),
      });
      expect(res.status).to.equal(200);
      expect(Object.keys(res.json()).sort()).to.deep.equal(['access_token', 'id', 'instance_url', 'scope', 'token_type']);
    });

    it('accepts the org instance URL as host and audience', async () => {
      const conn = jwtConnection(alpha.instanceUrl);
      const info = await conn.authorize({ grant_type: JWT_BEARER, assertion: signJwt(claims({ aud: alpha.instanceUrl }), jwtKeys.privateKey) });
      expect(info.organizationId).to.equal(alpha.orgId);
    });

    it('refuses a foreign signature, an expired assertion, a wrong audience and an unknown user', async () => {
      const other = generateKeyPairSync('rsa', {
        modulusLength: 2048,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      });
      const cases: Array<[string, string]> = [
        [signJwt(claims(), other.privateKey), 'invalid assertion'],
        [signJwt(claims({ exp: Math.floor(emulator.clock.now() / 1000) - 60 }), jwtKeys.privateKey), 'expired authorization code'],
        [signJwt(claims({ aud: 'https://example.com' }), jwtKeys.privateKey), 'audience is invalid'],
        [signJwt(claims({ sub: 'ghost@alpha.test' }), jwtKeys.privateKey), "user hasn't approved this consumer"],
        ['not.a.jwt', 'invalid assertion'],
      ];
      for (const [assertion, description] of cases) {
        const err = await failure(jwtConnection().authorize({ grant_type: JWT_BEARER, assertion }));
        expect(err.name, description).to.equal('invalid_grant');
        expect(err.message).to.equal(description);
      }
      const err = await failure(jwtConnection().authorize({ grant_type: JWT_BEARER, assertion: signJwt(claims({ iss: 'nope' }), jwtKeys.privateKey) }));
      expect(err.name).to.equal('invalid_client_id');
    });

    it('judges exp by the emulator clock', async () => {
      const assertion = signJwt(claims(), jwtKeys.privateKey);
      emulator.clock.advance(10 * 60 * 1000);
      const err = await failure(jwtConnection().authorize({ grant_type: JWT_BEARER, assertion }));
      expect(err.message).to.equal('expired authorization code');
    });
  });

  describe('client credentials flow', () => {
    it('runs as the app run-as user on the org instance URL', async () => {
      const conn = new jsforce.Connection({
        loginUrl: alpha.instanceUrl,
        version: API_VERSION,
        oauth2: { loginUrl: alpha.instanceUrl, clientId: cid, clientSecret: secret },
      });
      const info = await conn.authorize({ grant_type: 'client_credentials' });
      expect(info.id).to.equal(userId(alpha, 'integration@alpha.test'));
      expect(conn.instanceUrl).to.equal(alpha.instanceUrl);
      const identity = await conn.identity();
      expect(identity.username).to.equal('integration@alpha.test');
    });

    it('accepts HTTP Basic client authentication', async () => {
      const basic = Buffer.from(`${cid}:${secret}`).toString('base64');
      const res = await postForm(`${alpha.instanceUrl}/services/oauth2/token`, { grant_type: 'client_credentials' }, { authorization: `Basic ${basic}` });
      expect(res.status).to.equal(200);
      expect(Object.keys(res.json()).sort()).to.deep.equal(['access_token', 'id', 'instance_url', 'issued_at', 'scope', 'signature', 'token_type']);
      const wrong = Buffer.from(`${cid}:nope`).toString('base64');
      const bad = await postForm(`${alpha.instanceUrl}/services/oauth2/token`, { grant_type: 'client_credentials' }, { authorization: `Basic ${wrong}` });
      expect(bad.status).to.equal(400);
      expect(bad.json()).to.deep.equal({ error: 'invalid_client', error_description: 'invalid client credentials' });
    });

    it('is refused on the login host', async () => {
      const conn = new jsforce.Connection({ loginUrl: emulator.loginUrl, version: API_VERSION, oauth2: { loginUrl: emulator.loginUrl, clientId: cid, clientSecret: secret } });
      const err = await failure(conn.authorize({ grant_type: 'client_credentials' }));
      expect(err.name).to.equal('invalid_grant');
      expect(err.message).to.equal('request not supported on this domain');
    });
  });

  describe('web server flow with PKCE', () => {
    /** Follows the authorize URL by hand, as a browser would, and returns the callback query. */
    async function approve(url: string): Promise<URLSearchParams> {
      const res = await fetch(url, { redirect: 'manual' });
      expect(res.status).to.equal(302);
      const location = new URL(res.headers.get('location')!);
      expect(`${location.origin}${location.pathname}`).to.equal(CALLBACK);
      return location.searchParams;
    }

    const pkceOAuth2 = () => new jsforce.OAuth2({ loginUrl: emulator.loginUrl, clientId: cid, redirectUri: CALLBACK, useVerifier: true });

    it('exchanges a code with its verifier and no secret, then refreshes', async () => {
      const oauth2 = pkceOAuth2();
      const query = await approve(oauth2.getAuthorizationUrl({ state: 'st/ate=1', scope: 'api refresh_token' }));
      expect(query.get('state')).to.equal('st/ate=1');
      const code = query.get('code')!;
      const conn = new jsforce.Connection({ oauth2, version: API_VERSION });
      const info = await conn.authorize(code);
      expect(info.id).to.equal(userId(alpha, 'admin@alpha.test'));
      expect(conn.instanceUrl).to.equal(alpha.instanceUrl);
      expect(conn.refreshToken).to.match(/^5Aep/);

      const again = await failure(new jsforce.Connection({ oauth2, version: API_VERSION }).authorize(code));
      expect(again.name).to.equal('invalid_grant');
      expect(again.message).to.equal('expired authorization code');

      // A public client refreshes with its client id alone.
      const res = await postForm(`${emulator.loginUrl}/services/oauth2/token`, { grant_type: 'refresh_token', refresh_token: conn.refreshToken!, client_id: cid });
      expect(res.status).to.equal(200);
      expect(Object.keys(res.json()).sort()).to.deep.equal(['access_token', 'id', 'instance_url', 'issued_at', 'scope', 'signature', 'token_type']);
    });

    it('refuses a wrong verifier', async () => {
      const oauth2 = pkceOAuth2();
      const code = (await approve(oauth2.getAuthorizationUrl({})))!.get('code')!;
      const err = await failure(new jsforce.Connection({ oauth2: pkceOAuth2(), version: API_VERSION }).authorize(code));
      expect(err.name).to.equal('invalid_grant');
      expect(err.message).to.equal('invalid code verifier');
      // The failed attempt does not burn the code for its rightful owner.
      await new jsforce.Connection({ oauth2, version: API_VERSION }).authorize(code);
    });

    it('supports the plain method and the confidential client without PKCE', async () => {
      const plainUrl = `${emulator.loginUrl}/services/oauth2/authorize?${new URLSearchParams({
        response_type: 'code', client_id: cid, redirect_uri: CALLBACK, code_challenge: 'plain-verifier-value', code_challenge_method: 'plain',
      })}`;
      const code = (await approve(plainUrl)).get('code')!;
      const oauth2 = new jsforce.OAuth2({ loginUrl: emulator.loginUrl, clientId: cid, redirectUri: CALLBACK });
      await new jsforce.Connection({ oauth2, version: API_VERSION }).authorize(code, { code_verifier: 'plain-verifier-value' });

      const noPkce = `${emulator.loginUrl}/services/oauth2/authorize?${new URLSearchParams({ response_type: 'code', client_id: cid, redirect_uri: CALLBACK })}`;
      const code2 = (await approve(noPkce)).get('code')!;
      const err = await failure(new jsforce.Connection({ oauth2, version: API_VERSION }).authorize(code2));
      expect(err.name).to.equal('invalid_client');
      const withSecret = new jsforce.OAuth2({ loginUrl: emulator.loginUrl, clientId: cid, clientSecret: secret, redirectUri: CALLBACK });
      const conn = new jsforce.Connection({ oauth2: withSecret, version: API_VERSION });
      await conn.authorize(code2);
      expect(conn.refreshToken).to.be.a('string');
    });

    it('issues no refresh token without the refresh_token scope', async () => {
      const oauth2 = pkceOAuth2();
      const code = (await approve(oauth2.getAuthorizationUrl({ scope: 'api' }))).get('code')!;
      const conn = new jsforce.Connection({ oauth2, version: API_VERSION });
      await conn.authorize(code);
      expect(conn.refreshToken ?? undefined).to.equal(undefined);
    });

    it('lets codes expire after 15 minutes of emulator time', async () => {
      const oauth2 = pkceOAuth2();
      const code = (await approve(oauth2.getAuthorizationUrl({}))).get('code')!;
      emulator.clock.advance(15 * 60 * 1000 + 1000);
      const err = await failure(new jsforce.Connection({ oauth2, version: API_VERSION }).authorize(code));
      expect(err.message).to.equal('expired authorization code');
    });

    it('refuses a redirect URI other than the one authorized', async () => {
      const oauth2 = pkceOAuth2();
      const code = (await approve(oauth2.getAuthorizationUrl({}))).get('code')!;
      const res = await postForm(`${emulator.loginUrl}/services/oauth2/token`, {
        grant_type: 'authorization_code', code, client_id: cid, redirect_uri: 'http://127.0.0.1/other', code_verifier: oauth2.codeVerifier!,
      });
      expect(res.status).to.equal(400);
      expect(res.json()).to.deep.equal({ error: 'invalid_grant', error_description: 'redirect_uri must match configuration' });
    });

    it('answers bad authorize requests like a real org', async () => {
      const base = `${emulator.loginUrl}/services/oauth2/authorize`;
      let res = await fetch(`${base}?${new URLSearchParams({ response_type: 'code', client_id: 'nope', redirect_uri: CALLBACK })}`, { redirect: 'manual' });
      expect(res.status).to.equal(400);
      expect(await res.text()).to.contain('invalid_client_id');
      res = await fetch(`${base}?${new URLSearchParams({ response_type: 'code', client_id: cid, redirect_uri: 'http://evil.example/cb' })}`, { redirect: 'manual' });
      expect(res.status).to.equal(400);
      expect(await res.text()).to.contain('redirect_uri_mismatch');
      const query = await approve(`${base}?${new URLSearchParams({ response_type: 'token', client_id: cid, redirect_uri: CALLBACK, state: 's1' })}`);
      expect(query.get('error')).to.equal('unsupported_response_type');
      expect(query.get('state')).to.equal('s1');
      expect(query.get('code')).to.equal(null);
    });
  });

  describe('session expiry and refresh', () => {
    /** A connection rebuilt from stored tokens, the way the nodes keep them. */
    async function refreshableConnection(): Promise<Connection> {
      const oauth2 = new jsforce.OAuth2({ loginUrl: emulator.loginUrl, clientId: cid, clientSecret: secret, redirectUri: CALLBACK });
      const res = await fetch(`${oauth2.getAuthorizationUrl({ scope: 'api refresh_token' })}`, { redirect: 'manual' });
      const code = new URL(res.headers.get('location')!).searchParams.get('code')!;
      const first = new jsforce.Connection({ oauth2, version: API_VERSION });
      await first.authorize(code);
      return new jsforce.Connection({
        oauth2: { clientId: cid, clientSecret: secret, loginUrl: emulator.loginUrl },
        instanceUrl: first.instanceUrl,
        accessToken: first.accessToken!,
        refreshToken: first.refreshToken!,
        version: API_VERSION,
      });
    }

    it('refreshes once on a 401 and re-sends the request with the new token', async () => {
      const conn = await refreshableConnection();
      const seen: string[] = [];
      const path = '/__oauth_test_probe';
      emulator.apiRouter.get(path, (ctx) => {
        seen.push(ctx.header('authorization') ?? '');
        ctx.sendJson(200, { userId: ctx.session!.userId });
      });
      const refreshes: Array<{ token: string; res: Record<string, unknown> }> = [];
      conn.on('refresh', (token: string, res: Record<string, unknown>) => refreshes.push({ token, res }));
      const oldToken = conn.accessToken;

      expect(alpha.sessions.expireAll()).to.be.greaterThan(0);
      const out = await conn.request<{ userId: string }>(path);
      expect(out.userId).to.equal(userId(alpha, 'admin@alpha.test'));
      expect(refreshes).to.have.length(1);
      expect(refreshes[0]!.token).to.not.equal(oldToken);
      expect(refreshes[0]!.res).to.not.have.property('refresh_token');
      expect(seen).to.deep.equal([`Bearer ${refreshes[0]!.token}`]);

      // Concurrent 401s share one refresh, and real data routes accept the refreshed token.
      alpha.sessions.expireAll();
      await Promise.all([conn.request('/limits'), conn.request('/limits'), conn.request(path)]);
      expect(refreshes).to.have.length(2);
    });

    it('refreshes when the emulator clock passes the token lifetime', async () => {
      const conn = await refreshableConnection();
      let refreshed = 0;
      conn.on('refresh', () => refreshed++);
      emulator.clock.advance(alpha.sessions.ttlMs + 1000);
      await conn.request('/limits');
      expect(refreshed).to.equal(1);
    });

    it('fails the refresh once the refresh token is revoked', async () => {
      const conn = await refreshableConnection();
      const refreshToken = conn.refreshToken!;
      await new jsforce.OAuth2({ loginUrl: emulator.loginUrl }).revokeToken(refreshToken);
      // Revoking the refresh token also ends the access tokens issued from it.
      const err = await failure(conn.request('/limits'));
      expect(err.message).to.contain('expired access/refresh token');
      const res = await postForm(`${emulator.loginUrl}/services/oauth2/token`, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: cid, client_secret: secret });
      expect(res.status).to.equal(400);
      expect(res.json()).to.deep.equal({ error: 'invalid_grant', error_description: 'expired access/refresh token' });
    });
  });

  describe('revoke', () => {
    it('logout revokes the access token, which then gets 401 INVALID_SESSION_ID', async () => {
      const conn = passwordConnection();
      await conn.login('admin@alpha.test', 'admin-pass-1');
      const { accessToken, instanceUrl } = conn;
      await conn.logout();
      const stale = new jsforce.Connection({ instanceUrl, accessToken: accessToken!, version: API_VERSION });
      const err = await failure(stale.request('/limits'));
      expect(err.errorCode).to.equal('INVALID_SESSION_ID');
      expect(err.message).to.equal('Session expired or invalid');
    });

    it('revokes by GET and refuses unknown tokens with a query-string body', async () => {
      const conn = passwordConnection(alpha.instanceUrl);
      await conn.login('admin@alpha.test', 'admin-pass-1');
      const res = await fetch(`${alpha.instanceUrl}/services/oauth2/revoke?token=${encodeURIComponent(conn.accessToken!)}`);
      expect(res.status).to.equal(200);
      expect(await res.text()).to.equal('');
      const err = await failure(new jsforce.OAuth2({ loginUrl: emulator.loginUrl }).revokeToken(conn.accessToken!));
      expect(err.name).to.equal('unsupported_token_type');
    });
  });

  describe('userinfo and identity', () => {
    let conn: Connection;
    before(async () => {
      conn = passwordConnection();
      await conn.login('admin@alpha.test', 'admin-pass-1');
    });

    const get = async (url: string, token?: string) => {
      const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      return { status: res.status, text: await res.text() };
    };

    it('serves OpenID userinfo', async () => {
      const res = await get(`${emulator.loginUrl}/services/oauth2/userinfo`, conn.accessToken!);
      expect(res.status).to.equal(200);
      const info = JSON.parse(res.text) as Record<string, unknown>;
      expect(info).to.include.keys(
        'sub', 'user_id', 'organization_id', 'preferred_username', 'nickname', 'name', 'email', 'email_verified', 'given_name',
        'family_name', 'zoneinfo', 'photos', 'profile', 'picture', 'address', 'urls', 'active', 'user_type', 'language', 'locale',
        'utcOffset', 'updated_at', 'is_app_installed',
      );
      expect(info.organization_id).to.equal(alpha.orgId);
      expect(info.preferred_username).to.equal('admin@alpha.test');
      expect(info.user_id).to.equal(userId(alpha, 'admin@alpha.test'));
      expect(info.sub).to.equal(conn.userInfo!.url);
      expect(info.given_name).to.equal('Ada');
      expect(info.family_name).to.equal('Admin');
      expect(info.updated_at).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    });

    it('answers userinfo without a good token with 403', async () => {
      expect(await get(`${emulator.loginUrl}/services/oauth2/userinfo`, 'garbage')).to.deep.equal({ status: 403, text: 'Bad_OAuth_Token' });
      expect(await get(`${alpha.instanceUrl}/services/oauth2/userinfo`)).to.deep.equal({ status: 403, text: 'Missing_OAuth_Token' });
    });

    it('serves the identity URL with the real shape', async () => {
      const identity = (await conn.identity()) as unknown as Record<string, unknown>;
      expect(identity).to.include({
        id: conn.userInfo!.url,
        user_id: userId(alpha, 'admin@alpha.test'),
        organization_id: alpha.orgId,
        username: 'admin@alpha.test',
        display_name: 'Ada Admin',
        email: 'admin@alpha.test',
        active: true,
        user_type: 'STANDARD',
        language: 'en_US',
        locale: 'en_US',
        utcOffset: 0,
        is_app_installed: true,
      });
      expect(identity).to.include.keys('nick_name', 'photos', 'last_modified_date', 'addr_street', 'addr_city', 'addr_country', 'addr_zip');
      const urls = identity.urls as Record<string, string>;
      expect(urls.rest).to.equal(`${alpha.instanceUrl}/services/data/v{version}/`);
      expect(urls.partner).to.equal(`${alpha.instanceUrl}/services/Soap/u/{version}/${alpha.orgId.slice(0, 15)}`);
      for (const k of ['enterprise', 'metadata', 'partner', 'rest', 'sobjects', 'search', 'query', 'profile']) {
        expect(urls[k], k).to.match(new RegExp(`^${alpha.instanceUrl}/`));
      }
      const latest = JSON.parse((await get(`${conn.userInfo!.url}?version=latest`, conn.accessToken!)).text) as { urls: Record<string, string> };
      expect(latest.urls.rest).to.match(/\/services\/data\/v\d+\.\d\/$/);
    });

    it('finds the identity URL through the REST discovery resource', async () => {
      const fresh = new jsforce.Connection({ instanceUrl: conn.instanceUrl, accessToken: conn.accessToken!, version: API_VERSION });
      const identity = await fresh.identity();
      expect(identity.username).to.equal('admin@alpha.test');
    });

    it('accepts the token as oauth_token and refuses mismatches', async () => {
      const adminId = userId(alpha, 'admin@alpha.test');
      const url = `${emulator.loginUrl}/id/${alpha.orgId}/${adminId}`;
      const byParam = await get(`${url}?format=json&oauth_token=${encodeURIComponent(conn.accessToken!)}`);
      expect(byParam.status).to.equal(200);
      expect(await get(`${url}`)).to.deep.equal({ status: 403, text: 'Missing_OAuth_Token' });
      expect(await get(url, 'garbage')).to.deep.equal({ status: 403, text: 'Bad_OAuth_Token' });
      const betaAdmin = userId(beta, 'admin@beta.test');
      expect(await get(`${emulator.loginUrl}/id/${beta.orgId}/${betaAdmin}`, conn.accessToken!)).to.deep.equal({ status: 403, text: 'Wrong_Org' });
      expect(await get(`${emulator.loginUrl}/id/${alpha.orgId}/005000000000000AAA`, conn.accessToken!)).to.deep.equal({ status: 404, text: 'Bad_Id' });
      // 15-character Ids name the same org and user.
      expect((await get(`${emulator.loginUrl}/id/${alpha.orgId.slice(0, 15)}/${adminId.slice(0, 15)}`, conn.accessToken!)).status).to.equal(200);
    });

    it('refuses an expired token at the identity URL with 403, which jsforce does not refresh', async () => {
      const other = passwordConnection();
      await other.login('admin@alpha.test', 'admin-pass-1');
      emulator.clock.advance(alpha.sessions.ttlMs + 1000);
      expect(await get(other.userInfo!.url!, other.accessToken!)).to.deep.equal({ status: 403, text: 'Bad_OAuth_Token' });
    });
  });

  it('verifies PKCE S256 exactly as RFC 7636 describes', async () => {
    // RFC 7636 appendix B test vector, through the real endpoints.
    const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    expect(challenge).to.equal('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
    const res = await fetch(
      `${alpha.instanceUrl}/services/oauth2/authorize?${new URLSearchParams({
        response_type: 'code', client_id: cid, redirect_uri: CALLBACK, code_challenge: challenge, code_challenge_method: 'S256',
      })}`,
      { redirect: 'manual' },
    );
    const code = new URL(res.headers.get('location')!).searchParams.get('code')!;
    const token = await postForm(`${alpha.instanceUrl}/services/oauth2/token`, {
      grant_type: 'authorization_code', code, client_id: cid, redirect_uri: CALLBACK, code_verifier: verifier,
    });
    expect(token.status).to.equal(200);
    expect(token.json().id).to.match(new RegExp(`^${alpha.instanceUrl}/id/`));
  });
});
