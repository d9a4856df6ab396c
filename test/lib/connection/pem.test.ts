import { expect } from 'chai';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { checkPrivateKey, normalizePem } from '../../../lib/connection/pem.js';

const rsa = (type: 'pkcs8' | 'pkcs1') =>
  generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type, format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });

describe('private keys as people paste them', () => {
  const { privateKey, publicKey } = rsa('pkcs8');
  const pkcs1 = rsa('pkcs1').privateKey;

  it('takes a well-formed PEM as it is', () => {
    expect(checkPrivateKey(privateKey)).to.deep.equal({ ok: true, pem: privateKey, repaired: false });
  });

  const mangled: Array<[string, (k: string) => string]> = [
    ['line breaks turned into spaces (a one-line field)', (k) => k.replace(/\n/g, ' ')],
    ['no line breaks at all', (k) => k.replace(/\n/g, '').replace('-----BEGIN PRIVATE KEY-----', '-----BEGIN PRIVATE KEY-----').trim()],
    ['CRLF line ends', (k) => k.replace(/\n/g, '\r\n')],
    ['escaped \\n (JSON, .env)', (k) => k.replace(/\n/g, '\\n')],
    ['no final newline, blanks around', (k) => `  \n${k.trim()}\t `],
    ['lines re-wrapped at another width', (k) => k.replace(/\n/g, '').replace(/(.{40})/g, '$1\n')],
  ];
  for (const [what, mangle] of mangled) {
    it(`repairs a key with ${what} into the exact PEM`, () => {
      const r = checkPrivateKey(mangle(privateKey));
      expect(r).to.deep.include({ ok: true, repaired: true });
      expect((r as { pem: string }).pem).to.equal(privateKey);
    });
  }

  it('repairs a PKCS#1 (BEGIN RSA PRIVATE KEY) key too', () => {
    const r = checkPrivateKey(pkcs1.replace(/\n/g, ' '));
    expect(r.ok && r.pem).to.equal(pkcs1);
  });

  it('refuses what is not a usable private key, saying what it is instead, never quoting the key', () => {
    const cert = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256', privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey;
    const encrypted = generateKeyPairSync('rsa', {
      modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' },
    }).privateKey;
    const damaged = privateKey.replace(/\n([A-Za-z0-9+/]{64})\n/, '\n' + 'A'.repeat(64) + '\n').replace(/\n[A-Za-z0-9+/]{10}/, '\n!!!!!!!!!!');
    const cases: Array<[string | undefined, RegExp]> = [
      [undefined, /no private key was given/],
      ['   ', /no private key was given/],
      ['ssh-rsa AAAAB3NzaC1yc2E', /not a PEM key: it should start with -----BEGIN PRIVATE KEY-----/],
      [privateKey.slice(0, 300), /cut short/],
      [cert, /certificate, not a private key/],
      [publicKey, /public key/],
      [encrypted, /encrypted with a passphrase: decrypt it first/],
      [ec, /ec key: Salesforce signs JWT bearer tokens with RSA/],
      [damaged, /damaged/],
    ];
    for (const [text, problem] of cases) {
      const r = checkPrivateKey(text);
      expect(r.ok, String(problem)).to.equal(false);
      const p = (r as { problem: string }).problem;
      expect(p).to.match(problem);
      expect(p).to.not.contain('MII');
      expect(p).to.not.match(/DECODER|error:[0-9A-F]{8}/);
    }
  });

  it('leaves text without a PEM block as it is (for the check to word)', () => {
    expect(normalizePem('  hello \r\n')).to.equal('hello');
    // Still a key: the public half matches.
    expect(createPublicKey(normalizePem(privateKey.replace(/\n/g, ' '))).export({ type: 'spki', format: 'pem' })).to.equal(publicKey);
  });
});
