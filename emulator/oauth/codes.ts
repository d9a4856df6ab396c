import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Org } from '../org.js';
import type { Clock } from '../util/clock.js';

/** How long an authorization code can be exchanged, in emulator-clock milliseconds. */
export const CODE_TTL_MS = 15 * 60 * 1000;

export interface AuthorizationCode {
  code: string;
  org: Org;
  clientId: string;
  userId: string;
  redirectUri: string;
  scope: string;
  codeChallenge?: string;
  /** `S256` or `plain`. */
  codeChallengeMethod?: string;
  expiresAt: number;
  used: boolean;
}

/** Codes handed out by `/services/oauth2/authorize`, shared by the login host and every org host. */
export class AuthorizationCodes {
  private readonly codes = new Map<string, AuthorizationCode>();

  constructor(private readonly clock: Clock) {}

  issue(entry: Omit<AuthorizationCode, 'code' | 'expiresAt' | 'used'>): AuthorizationCode {
    this.prune();
    // Real codes are standard base64 with padding, so clients must URL-decode them; keep that.
    const code = `aPrx${randomBytes(36).toString('base64')}`;
    const c: AuthorizationCode = { ...entry, code, expiresAt: this.clock.now() + CODE_TTL_MS, used: false };
    this.codes.set(code, c);
    return c;
  }

  get(code: string): AuthorizationCode | undefined {
    return this.codes.get(code);
  }

  isExpired(c: AuthorizationCode): boolean {
    return this.clock.now() >= c.expiresAt;
  }

  /** Used codes stay until they would have expired, so a replay reads "expired", not "invalid". */
  private prune(): void {
    const now = this.clock.now();
    for (const [k, c] of this.codes) if (now >= c.expiresAt + CODE_TTL_MS) this.codes.delete(k);
  }
}

/** RFC 7636 check; Salesforce treats a challenge sent without a method as S256, and jsforce sends none. */
export function pkceMatches(challenge: string, method: string | undefined, verifier: string): boolean {
  const expected = (method ?? 'S256').toUpperCase() === 'PLAIN' ? verifier : createHash('sha256').update(verifier).digest('base64url');
  const a = Buffer.from(expected);
  const b = Buffer.from(challenge.replace(/=+$/, ''));
  return a.length === b.length && timingSafeEqual(a, b);
}
