import { EventEmitter } from 'node:events';
import { Connection } from 'jsforce';
import { API_BUDGET_EXCEEDED, CONFIGURATION, describeFailure, errorCode, maskSecrets, type ConnectionFailure } from './errors.js';
import { apiUsageOf, type ApiUsage } from './api-usage.js';
import { jwtAssertion } from './jwt.js';
import { checkPrivateKey } from './pem.js';
import { loginUrlOf, settingsProblems, type ConnectionSecrets, type ConnectionSettings } from './settings.js';

/** How long a spent API budget is believed before one call is let through to re-read usage. */
const BUDGET_RECHECK_MS = 60_000;

export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'expired' | 'failed' | 'unavailable';

export interface StateChange {
  state: ConnectionState;
  previous: ConnectionState;
  /** Why, for failed/unavailable/expired. */
  failure?: ConnectionFailure;
  orgId?: string;
}

export type { ApiUsage } from './api-usage.js';

export interface OrgIdentity {
  orgId: string;
  userId: string;
  username?: string;
  orgName?: string;
  instanceUrl: string;
}

/**
 * The connection's own refusals carry `code`, `kind` and `transient` like the failures it wraps, and
 * are recognised by `code` (see errorCode): code, not class, is what stays true for an error that was
 * copied into a message, a Catch node's msg.error or the ledger.
 */
export class ConfigurationError extends Error {
  readonly code = CONFIGURATION;
  readonly kind = 'config';
  readonly transient = false;
  constructor(readonly problems: string[]) {
    super(`Connection settings are incomplete: ${problems.join('; ')}`);
    this.name = 'ConfigurationError';
  }
}

export class ApiBudgetExceededError extends Error {
  readonly code = API_BUDGET_EXCEEDED;
  readonly kind = 'limit';
  /** It resets by itself (the daily limit is a rolling 24 hours), but not within a retry's wait. */
  readonly transient = true;
  constructor(readonly usage: ApiUsage) {
    super(`API budget used up: ${usage.used} of ${usage.budget} calls this integration may use (org limit ${usage.limit}); waiting for the daily reset`);
    this.name = 'ApiBudgetExceededError';
  }
}

export interface OrgConnectionOptions {
  /** Clock for JWT expiry; tests may pass the emulator's. */
  now?: () => number;
}

/**
 * One org: a shared, lazily logged-in jsforce Connection that renews its own session (JWT and
 * client-credentials sessions too, which jsforce cannot refresh by itself), reports its state as
 * events, and tracks API usage against a budget. Never logs in per message.
 */
export class OrgConnection extends EventEmitter {
  private conn?: Connection;
  private connecting?: Promise<Connection>;
  private current: ConnectionState = 'idle';
  private lastFailure?: ConnectionFailure;
  private usage?: ApiUsage;
  private ident?: OrgIdentity;
  private closed = false;
  /** The connection's clock (the emulator's in tests): token expiry and the age of usage figures. */
  readonly now: () => number;

  private readonly secrets: ConnectionSecrets;

  constructor(
    readonly settings: ConnectionSettings,
    secrets: ConnectionSecrets,
    options: OrgConnectionOptions = {},
  ) {
    super();
    // A key whose line breaks were lost on the way (pasted into one line, escaped in JSON) is used
    // as the PEM it was; one that is no key at all is left as given for problems() to word.
    const key = secrets.privateKey ? checkPrivateKey(secrets.privateKey) : undefined;
    this.secrets = key?.ok ? { ...secrets, privateKey: key.pem } : secrets;
    // Every node using the org listens for its state, and a flow may have dozens: not a leak.
    this.setMaxListeners(0);
    this.now = options.now ?? Date.now;
  }

  get state(): ConnectionState {
    return this.current;
  }

  get failure(): ConnectionFailure | undefined {
    return this.lastFailure;
  }

  get identity(): OrgIdentity | undefined {
    return this.ident;
  }

  get loginUrl(): string {
    return loginUrlOf(this.settings);
  }

  get host(): string {
    try {
      return new URL(this.settings.authFlow === 'access-token' ? this.settings.instanceUrl ?? '' : this.loginUrl).host;
    } catch {
      return this.loginUrl;
    }
  }

  /** Problems with the configuration, worded for the admin (empty when usable). */
  problems(): string[] {
    return settingsProblems(this.settings, this.secrets);
  }

  /** The logged-in connection, logging in on first use; concurrent callers share one login. */
  async connection(): Promise<Connection> {
    if (this.closed) throw new Error(`connection ${this.settings.name} is closed`);
    if (this.conn && this.current === 'connected') return this.conn;
    this.connecting ??= this.login().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /**
   * Runs `fn` with the connection, turning failures into state changes (unavailable, expired,
   * failed) and refusing calls once the API budget is spent.
   */
  async run<T>(fn: (conn: Connection) => PromiseLike<T>): Promise<T> {
    this.checkBudget();
    const conn = await this.connection();
    try {
      const result = await fn(conn);
      this.noteHeaderUsage(conn);
      if (this.current !== 'connected') this.setState('connected');
      return result;
    } catch (err) {
      this.noteHeaderUsage(conn);
      throw this.fail(err, hostOf(conn.instanceUrl) ?? this.host);
    }
  }

  apiUsage(): ApiUsage | undefined {
    return this.usage;
  }

  /** Usage read from the body of GET /limits (see OrgApi.limits); the header's figures are noted by run(). */
  noteUsage(usage: ApiUsage): void {
    this.usage = usage;
  }

  /**
   * Throws when this integration has used its share of the org's daily API limit. The daily limit
   * is a rolling 24 hours, so a spent figure is trusted only for a minute: then one call may go
   * through, and its `Sforce-Limit-Info` says whether usage has dropped below the budget again.
   */
  checkBudget(): void {
    const u = this.usage;
    if (u && u.used >= u.budget && this.now() - u.at < BUDGET_RECHECK_MS) throw new ApiBudgetExceededError(u);
  }

  /** Forgets the session so the next call logs in again (after a failure was fixed, or on demand). */
  reset(): void {
    this.conn = undefined;
    if (this.current !== 'idle') this.setState('idle');
  }

  close(): void {
    this.closed = true;
    this.conn = undefined;
    this.removeAllListeners();
  }

  /** Masks this connection's secrets in a text meant for logs, status or messages. */
  mask(text: string): string {
    return maskSecrets(text, Object.values(this.secrets));
  }

  private async login(): Promise<Connection> {
    const problems = this.problems();
    if (problems.length) {
      const failure: ConnectionFailure = { kind: 'config', code: CONFIGURATION, message: new ConfigurationError(problems).message, transient: false };
      this.setState('failed', failure);
      throw new ConfigurationError(problems);
    }
    this.setState('connecting');
    try {
      const conn = await this.authenticate();
      conn.on('refresh', () => {
        if (this.conn === conn && this.current !== 'connected') this.setState('connected');
      });
      this.conn = conn;
      this.ident = {
        orgId: conn.userInfo?.organizationId ?? '',
        userId: conn.userInfo?.id ?? '',
        instanceUrl: conn.instanceUrl,
        username: this.settings.username,
      };
      this.setState('connected');
      return conn;
    } catch (err) {
      throw this.fail(err, this.host);
    }
  }

  private newConnection(extra: Record<string, unknown> = {}): Connection {
    const s = this.settings;
    return new Connection({
      loginUrl: this.loginUrl,
      version: s.apiVersion,
      callOptions: { client: s.callOptionsClient },
      ...(s.clientId
        ? { oauth2: { loginUrl: this.loginUrl, clientId: s.clientId, clientSecret: this.secrets.clientSecret, redirectUri: 'http://localhost/unused' } }
        : {}),
      ...extra,
    });
  }

  /** Logs in by the configured flow. JWT and client credentials get a refreshFn that logs in again. */
  private async authenticate(): Promise<Connection> {
    const s = this.settings;
    switch (s.authFlow) {
      case 'password': {
        const conn = this.newConnection();
        await conn.login(s.username!, this.secrets.password!);
        return conn;
      }
      case 'jwt':
      case 'client-credentials': {
        const grant = () => this.grantParams();
        const conn = this.newConnection({
          refreshFn: (c: Connection, callback: (err: Error | null, token?: string, res?: unknown) => void) => {
            c.oauth2
              .requestToken(grant())
              .then((res) => callback(null, res.access_token, res), (err: Error) => callback(err));
          },
        });
        await conn.authorize(grant());
        return conn;
      }
      case 'refresh-token': {
        const conn = this.newConnection();
        const res = await conn.oauth2.refreshToken(this.secrets.refreshToken!);
        conn.refreshToken = this.secrets.refreshToken;
        setIdentity(conn, res as unknown as Record<string, string>);
        return conn;
      }
      case 'access-token': {
        const conn = new Connection({
          instanceUrl: s.instanceUrl,
          accessToken: this.secrets.accessToken,
          version: s.apiVersion,
          callOptions: { client: s.callOptionsClient },
        });
        const identity = await conn.identity();
        conn.userInfo = { id: identity.user_id, organizationId: identity.organization_id, url: identity.id };
        return conn;
      }
    }
  }

  private grantParams(): { grant_type: string; [name: string]: string } {
    const s = this.settings;
    if (s.authFlow === 'client-credentials') return { grant_type: 'client_credentials' };
    const audience = s.environment === 'sandbox' ? 'https://test.salesforce.com' : s.environment === 'custom' ? this.loginUrl : 'https://login.salesforce.com';
    return {
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion: jwtAssertion({ clientId: s.clientId!, username: s.username!, audience, privateKey: this.secrets.privateKey!, nowMs: this.now() }),
    };
  }

  /** `host` is where the failed call went: the login host while logging in, the instance after. */
  private fail(err: unknown, host: string): Error {
    const code = errorCode(err);
    if (code === API_BUDGET_EXCEEDED || code === CONFIGURATION) return err as Error;
    const failure = describeFailure(err, { host, secrets: Object.values(this.secrets) });
    if (failure.kind === 'network') {
      this.conn = undefined;
      this.setState('unavailable', failure);
    } else if (failure.kind === 'auth') {
      this.conn = undefined;
      this.setState(failure.code === 'INVALID_SESSION_ID' || failure.code === 'REFRESH_FAILED' ? 'expired' : 'failed', failure);
    } else if (failure.kind === 'config') {
      this.conn = undefined;
      this.setState('failed', failure);
    }
    // Data errors (a bad query, a validation rule) say nothing about the connection itself.
    const wrapped = new Error(failure.message) as Error & { code: string; kind: string; transient: boolean; cause?: unknown };
    wrapped.code = failure.code;
    wrapped.kind = failure.kind;
    wrapped.transient = failure.transient;
    if (failure.kind === 'unknown' || failure.kind === 'server' || failure.kind === 'limit') {
      const original = err as Error & { errorCode?: string };
      wrapped.code = original.errorCode ?? failure.code;
    }
    return wrapped;
  }

  private noteHeaderUsage(conn: Connection): void {
    const info = conn.limitInfo?.apiUsage;
    if (info && info.limit > 0) this.usage = apiUsageOf(info.used, info.limit, this.settings.apiBudgetPercent, this.now());
  }

  private setState(state: ConnectionState, failure?: ConnectionFailure): void {
    const previous = this.current;
    this.current = state;
    this.lastFailure = state === 'connected' ? undefined : failure ?? this.lastFailure;
    if (previous === state && state !== 'failed' && state !== 'unavailable') return;
    const change: StateChange = { state, previous, failure, orgId: this.ident?.orgId };
    this.emit('state', change);
  }
}

function hostOf(url: string | undefined): string | undefined {
  try {
    return url ? new URL(url).host : undefined;
  } catch {
    return undefined;
  }
}

/** jsforce's refreshToken() returns the token response without establishing it: do that here. */
function setIdentity(conn: Connection, res: Record<string, string>): void {
  const idParts = (res.id ?? '').split('/');
  const userId = idParts.pop() ?? '';
  const orgId = idParts.pop() ?? '';
  conn.accessToken = res.access_token!;
  conn.instanceUrl = res.instance_url ?? conn.instanceUrl;
  conn.userInfo = { id: userId, organizationId: orgId, url: res.id ?? '' };
}
