/**
 * Salesforce record Ids as users hand them over: 15-character case-sensitive Ids from the UI or a
 * report, 18-character case-safe ones from the API, and sometimes 18-character ones that a
 * spreadsheet has upper- or lower-cased. Everything the collector keys by is the exact 18-character
 * form, so the same record given two ways is collected once.
 */

const SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
const ID15 = /^[a-zA-Z0-9]{15}$/;
const ID18 = /^[a-zA-Z0-9]{15}[a-zA-Z0-5]{3}$/;

/** The three checksum characters that record which of the first 15 characters are upper case. */
function checksum(id15: string): string {
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const c = id15.charCodeAt(chunk * 5 + i);
      if (c >= 65 && c <= 90) bits |= 1 << i;
    }
    suffix += SUFFIX_ALPHABET[bits];
  }
  return suffix;
}

/**
 * The 15 characters in the case the suffix records, or undefined when the suffix cannot belong to
 * them (a digit marked upper case). This is how an 18-character Id survives a case change.
 */
function restoreCase(id15: string, suffix: string): string | undefined {
  const out: string[] = [];
  for (let chunk = 0; chunk < 3; chunk++) {
    const bits = SUFFIX_ALPHABET.indexOf(suffix[chunk]!.toUpperCase());
    if (bits < 0) return undefined;
    for (let i = 0; i < 5; i++) {
      const ch = id15[chunk * 5 + i]!;
      const upper = (bits & (1 << i)) !== 0;
      const isLetter = /[a-zA-Z]/.test(ch);
      if (upper && !isLetter) return undefined;
      out.push(isLetter ? (upper ? ch.toUpperCase() : ch.toLowerCase()) : ch);
    }
  }
  return out.join('');
}

/** The canonical 18-character form of a record Id, or undefined when the text is not one. */
export function toId18(id: unknown): string | undefined {
  if (typeof id !== 'string') return undefined;
  if (ID15.test(id)) return id + checksum(id);
  if (!ID18.test(id)) return undefined;
  const head = id.slice(0, 15);
  const suffix = id.slice(15).toUpperCase();
  if (checksum(head) === suffix) return head + suffix;
  const restored = restoreCase(head, suffix);
  return restored && checksum(restored) === suffix ? restored + suffix : undefined;
}

export function isRecordId(id: unknown): id is string {
  return toId18(id) !== undefined;
}

/** The key prefix (first three characters), which names the object an Id belongs to. */
export function keyPrefixOf(id: string): string {
  return id.slice(0, 3);
}
