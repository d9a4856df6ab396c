import { createPrivateKey, sign } from 'node:crypto';

/**
 * A JWT bearer assertion for Salesforce: RS256, issuer = consumer key, subject = username,
 * audience = the login URL, valid for three minutes (the most Salesforce accepts).
 */
export function jwtAssertion(opts: { clientId: string; username: string; audience: string; privateKey: string; nowMs: number }): string {
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const header = enc({ alg: 'RS256', typ: 'JWT' });
  const claims = enc({ iss: opts.clientId, sub: opts.username, aud: opts.audience, exp: Math.floor(opts.nowMs / 1000) + 180 });
  const key = createPrivateKey(opts.privateKey);
  const signature = sign('RSA-SHA256', Buffer.from(`${header}.${claims}`), key).toString('base64url');
  return `${header}.${claims}.${signature}`;
}
