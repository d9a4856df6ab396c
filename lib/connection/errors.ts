/**
 * Turns whatever jsforce, undici or Salesforce threw into a reason an admin can act on, with the
 * state it puts the connection in. Messages never carry secrets: known secret values are masked.
 */
/** This integration has used its share of the org's daily API limit (the connection refuses calls). */
export const API_BUDGET_EXCEEDED = 'API_BUDGET_EXCEEDED';
/** The connection's settings are incomplete or wrong; nothing is sent until they are fixed. */
export const CONFIGURATION = 'CONFIGURATION';

/**
 * The machine-readable code of any error the suite or Salesforce threw: our own `code`, else
 * Salesforce's `errorCode`, else undefined. Errors are told apart by this, never by class.
 */
export function errorCode(err: unknown): string | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const e = err as { code?: unknown; errorCode?: unknown };
  if (typeof e.code === 'string' && e.code) return e.code;
  if (typeof e.errorCode === 'string' && e.errorCode) return e.errorCode;
  return undefined;
}

export type FailureKind = 'auth' | 'config' | 'network' | 'limit' | 'server' | 'unknown';

export interface ConnectionFailure {
  kind: FailureKind;
  /** Machine-readable code, e.g. `invalid_grant`, `ECONNREFUSED`, `REQUEST_LIMIT_EXCEEDED`. */
  code: string;
  /** What went wrong and what to do, for status, logs and Catch nodes. */
  message: string;
  /** True when retrying later may succeed without anyone changing the configuration. */
  transient: boolean;
}

interface RawError {
  name?: string;
  errorCode?: string;
  code?: string;
  message?: string;
  cause?: { code?: string; message?: string };
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EHOSTDOWN', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET', 'EPIPE']);

export function describeFailure(err: unknown, context: { host: string; secrets?: Array<string | undefined> }): ConnectionFailure {
  const e = (err ?? {}) as RawError;
  const code = e.errorCode ?? e.name ?? '';
  const netCode = [e.code, e.cause?.code].find((c) => c && NETWORK_CODES.has(c));
  const raw = `${e.message ?? String(err)}${e.cause?.message ? ` (${e.cause.message})` : ''}`;
  const mask = (text: string) => maskSecrets(text, context.secrets ?? []);
  const f = (kind: FailureKind, c: string, message: string, transient: boolean): ConnectionFailure => ({
    kind, code: c, message: mask(message), transient,
  });

  if (netCode || /fetch failed|socket hang up|other side closed/i.test(raw)) {
    const what = netCode === 'ENOTFOUND' || netCode === 'EAI_AGAIN' ? 'unknown host' : netCode === 'ECONNREFUSED' ? 'connection refused' : (netCode ?? 'connection failed');
    return f('network', netCode ?? 'NETWORK_ERROR', `Cannot reach ${context.host} (${what}); check the login URL and the network, it will be retried`, true);
  }
  if (/certificate|self[- ]signed|UNABLE_TO_VERIFY_LEAF_SIGNATURE|CERT_/i.test(raw) && !/invalid assertion/i.test(raw)) {
    return f('network', 'TLS_ERROR', `TLS certificate of ${context.host} not trusted: ${raw}`, false);
  }
  switch (code) {
    case 'invalid_client_id':
      return f('config', code, 'Unknown client id: check the connected app\'s consumer key and that the app is installed in this org', false);
    case 'invalid_client':
      return f('config', code, 'Wrong client secret for this connected app (or the app does not allow this flow)', false);
    case 'unsupported_grant_type':
      return f('config', code, 'The org does not allow this OAuth flow for the connected app', false);
    case 'invalid_grant':
      return f('auth', code, invalidGrantReason(raw), false);
    case 'INVALID_SESSION_ID':
      return f('auth', code, 'The session expired and could not be renewed; re-authorize the connection', false);
    case 'REQUEST_LIMIT_EXCEEDED':
      return f('limit', code, 'The org\'s daily API limit is spent; calls resume when it resets', true);
    case 'SERVER_UNAVAILABLE':
    case 'ERROR_HTTP_503':
    case 'ERROR_HTTP_502':
    case 'ERROR_HTTP_500':
      return f('server', code, `Salesforce answered ${code}: ${raw}`, true);
    default:
      break;
  }
  if (/Unable to refresh session/i.test(raw)) return f('auth', 'REFRESH_FAILED', `Could not renew the session: ${raw}`, false);
  if (/INVALID_LOGIN|Invalid username, password/i.test(raw)) return f('auth', 'INVALID_LOGIN', 'Wrong username or password (or security token), or the user is locked out', false);
  return f('unknown', code || 'UNKNOWN', raw, false);
}

function invalidGrantReason(raw: string): string {
  if (/authentication failure/i.test(raw)) return 'Wrong username or password (or security token), or the user is locked out';
  if (/invalid assertion/i.test(raw)) return 'JWT rejected: the private key does not match the certificate uploaded to the connected app';
  if (/audience/i.test(raw)) return 'JWT rejected: its audience does not match the login URL (use the sandbox environment for sandboxes)';
  if (/hasn't approved|not approved/i.test(raw)) return 'The user has not approved this connected app (pre-authorize it for the user\'s profile or permission set)';
  if (/expired access\/refresh token|expired/i.test(raw)) return 'The refresh token is expired or revoked; use the Authorize button again';
  if (/not supported on this domain/i.test(raw)) return 'This flow needs the org\'s My Domain login URL';
  if (/no client credentials user/i.test(raw)) return 'The connected app has no run-as user for the client credentials flow';
  return `Salesforce refused the login: ${raw}`;
}

/** Replaces every known secret (and any access token shape) in a text with `***`. */
export function maskSecrets(text: string, secrets: Array<string | undefined>): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('***');
  return out.replace(/00D[A-Za-z0-9]{12,15}![A-Za-z0-9._-]{20,}/g, '***');
}
