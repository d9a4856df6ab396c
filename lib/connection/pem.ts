import { createPrivateKey } from 'node:crypto';

/**
 * Private keys as people paste them. A PEM pasted into a one-line field, a chat message or an
 * environment variable loses its line breaks (they become spaces, or the two characters `\n`),
 * gains CRLFs or surrounding blanks, or loses its final newline; OpenSSL then refuses it with a
 * decoder code nobody can act on. This puts such a key back into PEM shape, and says in words what
 * is wrong with anything that is not a usable private key.
 */

/** What a private key given as a secret turned out to be. */
export type PrivateKeyCheck =
  | { ok: true; pem: string; repaired: boolean }
  | { ok: false; problem: string };

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/;

/** The key with its line breaks restored: header, base64 body in lines of 64, footer, final newline. */
export function normalizePem(text: string): string {
  // Escaped newlines (`\n` as two characters) come from JSON and .env files.
  const unescaped = text.replace(/\\r\\n|\\n|\\r/g, '\n').replace(/\r\n?/g, '\n').trim();
  const m = BLOCK.exec(unescaped);
  if (!m) return unescaped;
  const label = m[1]!;
  const inner = m[2]!;
  // Encrypted PKCS#1 keys carry headers (Proc-Type, DEK-Info) before the body; keep those lines.
  const headerLines: string[] = [];
  let body = inner;
  const headers = /^\s*((?:[A-Za-z-]+:[^\n]*\n)+)\s*/.exec(inner.replace(/^\s+/, ''));
  if (headers) {
    headerLines.push(...headers[1]!.trim().split('\n').map((l) => l.trim()));
    body = inner.replace(/^\s+/, '').slice(headers[0].length);
  }
  const base64 = body.replace(/\s+/g, '');
  const lines = base64.match(/.{1,64}/g) ?? [];
  return [`-----BEGIN ${label}-----`, ...headerLines, ...(headerLines.length ? [''] : []), ...lines, `-----END ${label}-----`, ''].join('\n');
}

/**
 * Whether `text` is a usable private key for signing (the JWT bearer flow), repaired where only its
 * layout was wrong. Never echoes the key in a problem.
 */
export function checkPrivateKey(text: string | undefined): PrivateKeyCheck {
  if (!text || !text.trim()) return { ok: false, problem: 'no private key was given: paste the PEM file\'s text (-----BEGIN PRIVATE KEY----- …) or load the file' };
  const pem = normalizePem(text);
  const m = BLOCK.exec(pem);
  if (!m) {
    if (/-----BEGIN /.test(pem)) return { ok: false, problem: 'the private key is cut short: its -----END …----- line is missing or does not match the -----BEGIN …----- line' };
    return { ok: false, problem: 'the private key is not a PEM key: it should start with -----BEGIN PRIVATE KEY----- (or -----BEGIN RSA PRIVATE KEY-----)' };
  }
  const label = m[1]!;
  if (/CERTIFICATE/.test(label)) return { ok: false, problem: 'this is a certificate, not a private key: the certificate belongs in the connected app in Salesforce; paste the private key that goes with it here' };
  if (/PUBLIC KEY/.test(label)) return { ok: false, problem: 'this is a public key: paste the private key whose certificate the connected app holds' };
  if (/ENCRYPTED/.test(label) || /Proc-Type: 4,ENCRYPTED/.test(pem)) {
    return { ok: false, problem: 'the private key is encrypted with a passphrase: decrypt it first (openssl pkey -in key.pem -out key-plain.pem) and paste the plain key' };
  }
  if (!/PRIVATE KEY/.test(label)) return { ok: false, problem: `"${label}" is not a private key: paste the -----BEGIN PRIVATE KEY----- block` };
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'rsa') return { ok: false, problem: `the private key is a ${key.asymmetricKeyType ?? 'non-RSA'} key: Salesforce signs JWT bearer tokens with RSA (RS256) keys only` };
  } catch {
    return { ok: false, problem: 'the private key\'s contents are damaged (its base64 text does not decode to a key): copy the whole file again' };
  }
  return { ok: true, pem, repaired: pem !== text };
}
