import { createPublicKey, createSign, verify, type KeyObject } from 'node:crypto';

/** A JWT split into its parts; nothing in it is trusted until `verifyRs256` says so. */
export interface DecodedJwt {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  /** `base64url(header).base64url(claims)`, the bytes the signature covers. */
  signingInput: string;
  signature: Buffer;
}

function decodeJsonPart(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Splits a compact JWS; undefined when it is not three base64url parts with JSON header and claims. */
export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.trim().split('.');
  if (parts.length !== 3) return undefined;
  const [h, c, s] = parts as [string, string, string];
  if (![h, c, s].every((p) => /^[A-Za-z0-9_-]*$/.test(p))) return undefined;
  const header = decodeJsonPart(h);
  const claims = decodeJsonPart(c);
  if (!header || !claims) return undefined;
  return { header, claims, signingInput: `${h}.${c}`, signature: Buffer.from(s, 'base64url') };
}

/**
 * Connected apps store either an X.509 certificate or a bare public key; `createPublicKey`
 * reads both from PEM. A broken certificate makes every assertion invalid rather than crashing.
 */
export function publicKeyFrom(pem: string): KeyObject | undefined {
  try {
    return createPublicKey(pem);
  } catch {
    return undefined;
  }
}

/** True when the header says RS256 and the signature matches the key (Salesforce accepts only RS256). */
export function verifyRs256(jwt: DecodedJwt, certificatePem: string): boolean {
  if (jwt.header.alg !== 'RS256') return false;
  const key = publicKeyFrom(certificatePem);
  if (!key || key.asymmetricKeyType !== 'rsa') return false;
  try {
    return verify('RSA-SHA256', Buffer.from(jwt.signingInput), key, jwt.signature);
  } catch {
    return false;
  }
}

/** Mints an RS256 assertion, as a client of the JWT bearer flow would. */
export function signRs256(claims: Record<string, unknown>, privateKeyPem: string): string {
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${enc({ alg: 'RS256' })}.${enc(claims)}`;
  const signature = createSign('RSA-SHA256').update(input).sign(privateKeyPem).toString('base64url');
  return `${input}.${signature}`;
}
