/**
 * Salesforce record Ids: 15 case-sensitive characters (3-char key prefix, 2-char pod/instance,
 * 10-char counter) plus a 3-character case-safe checksum suffix.
 */
const SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** The 3 checksum characters that make a 15-character Id case-insensitively unique. */
export function idSuffix(id15: string): string {
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let flags = 0;
    for (let i = 0; i < 5; i++) {
      const c = id15.charCodeAt(chunk * 5 + i);
      if (c >= 65 && c <= 90) flags |= 1 << i;
    }
    suffix += SUFFIX_ALPHABET[flags];
  }
  return suffix;
}

export function to18(id: string): string {
  if (id.length === 18) return id;
  if (id.length !== 15) throw new Error(`not a Salesforce Id: ${id}`);
  // join() gives a flat string; `+` would keep a rope that costs twice the memory per stored Id.
  return [id, idSuffix(id)].join('');
}

const ID_SHAPE = /^[a-zA-Z0-9]{15}(?:[A-Z0-5]{3})?$/;

/** True when the text has the shape of a 15- or 18-character Id with a matching checksum. */
export function isValidId(id: unknown): id is string {
  if (typeof id !== 'string' || !ID_SHAPE.test(id)) return false;
  return id.length === 15 || idSuffix(id.slice(0, 15)) === id.slice(15);
}

/** Normalises a 15- or 18-character Id to 18 characters, or returns undefined when it is not an Id. */
export function normalizeId(id: unknown): string | undefined {
  if (!isValidId(id)) return undefined;
  return id.length === 15 ? to18(id) : id;
}

export function keyPrefixOf(id: string): string {
  return id.slice(0, 3);
}

/** Encodes n in base 62, left padded with zeros to `width` characters. */
export function base62(n: number, width: number): string {
  let out = '';
  let v = Math.floor(n);
  while (v > 0) {
    out = BASE62[v % 62] + out;
    v = Math.floor(v / 62);
  }
  if (out.length > width) throw new Error(`counter ${n} does not fit in ${width} base-62 digits`);
  return out.padStart(width, '0');
}

/**
 * Builds an 18-character Id from a key prefix, a 2-character pod code and a counter.
 * Counters are base 62 like real Ids, so Ids sort in creation order within one prefix.
 */
export function makeId(keyPrefix: string, pod: string, counter: number): string {
  if (keyPrefix.length !== 3 || pod.length !== 2) throw new Error('key prefix must be 3 and pod 2 characters');
  return to18(keyPrefix + pod + base62(counter, 10));
}

/** Issues Ids per key prefix for one org. */
export class IdFactory {
  private counters = new Map<string, number>();
  constructor(private readonly pod: string) {}

  next(keyPrefix: string): string {
    const n = (this.counters.get(keyPrefix) ?? 0) + 1;
    this.counters.set(keyPrefix, n);
    return makeId(keyPrefix, this.pod, n);
  }

  reset(): void {
    this.counters.clear();
  }
}
