import { randomBytes } from 'node:crypto';
import type { Clock } from './util/clock.js';

export interface Session {
  accessToken: string;
  userId: string;
  clientId: string;
  issuedAt: number;
  expiresAt: number;
  scope: string;
}

export interface RefreshGrant {
  refreshToken: string;
  userId: string;
  clientId: string;
  scope: string;
}

/** Access and refresh tokens of one org. Tokens look like `00D…!…`, as real ones do. */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly refreshGrants = new Map<string, RefreshGrant>();
  /** How long an access token lives, in milliseconds of the emulator clock. */
  ttlMs = 2 * 60 * 60 * 1000;

  constructor(
    private readonly orgId: string,
    private readonly clock: Clock,
  ) {}

  issue(userId: string, clientId: string, scope = 'api refresh_token'): Session {
    const now = this.clock.now();
    const s: Session = {
      accessToken: `${this.orgId}!${randomBytes(36).toString('base64url')}`,
      userId,
      clientId,
      issuedAt: now,
      expiresAt: now + this.ttlMs,
      scope,
    };
    this.sessions.set(s.accessToken, s);
    return s;
  }

  issueRefresh(userId: string, clientId: string, scope: string): RefreshGrant {
    const g: RefreshGrant = { refreshToken: `5Aep${randomBytes(40).toString('base64url')}`, userId, clientId, scope };
    this.refreshGrants.set(g.refreshToken, g);
    return g;
  }

  refreshGrant(token: string): RefreshGrant | undefined {
    return this.refreshGrants.get(token);
  }

  /** The live session for a token, or undefined when it is unknown, revoked or expired. */
  validate(token: string | undefined): Session | undefined {
    if (!token) return undefined;
    const s = this.sessions.get(token);
    if (!s) return undefined;
    if (this.clock.now() >= s.expiresAt) return undefined;
    return s;
  }

  /** Revokes an access token, or a refresh token together with every session issued from it. */
  revoke(token: string): boolean {
    if (this.sessions.delete(token)) return true;
    const g = this.refreshGrants.get(token);
    if (!g) return false;
    this.refreshGrants.delete(token);
    for (const [t, s] of this.sessions) if (s.userId === g.userId && s.clientId === g.clientId) this.sessions.delete(t);
    return true;
  }

  /** Expires every access token now (refresh tokens stay valid, as after a real session timeout). */
  expireAll(): number {
    const now = this.clock.now();
    let n = 0;
    for (const s of this.sessions.values()) {
      if (s.expiresAt > now) n++;
      s.expiresAt = now;
    }
    return n;
  }

  clear(): void {
    this.sessions.clear();
    this.refreshGrants.clear();
  }

  get activeCount(): number {
    const now = this.clock.now();
    let n = 0;
    for (const s of this.sessions.values()) if (s.expiresAt > now) n++;
    return n;
  }
}
