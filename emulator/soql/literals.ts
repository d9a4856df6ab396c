/**
 * String literals as the parser hands them over: still quoted, escapes untouched.
 * SOQL escapes: \n \r \t \b \f \" \' \\ \uXXXX, and in LIKE patterns \% and \_ for literal wildcards.
 */

const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', '"': '"', "'": "'", '\\': '\\' };

function stripQuotes(raw: string): string {
  return raw.length >= 2 && raw.startsWith("'") && raw.endsWith("'") ? raw.slice(1, -1) : raw;
}

/** Walks a literal's body, calling `plain` for ordinary characters and `escaped` for `\x` pairs. */
function walk(body: string, plain: (ch: string) => void, escaped: (ch: string) => void): void {
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch !== '\\' || i === body.length - 1) {
      plain(ch);
      continue;
    }
    const next = body[++i]!;
    if ((next === 'u' || next === 'U') && /^[0-9a-fA-F]{4}$/.test(body.slice(i + 1, i + 5))) {
      escaped(String.fromCharCode(parseInt(body.slice(i + 1, i + 5), 16)));
      i += 4;
    } else {
      escaped(SIMPLE_ESCAPES[next.toLowerCase()] ?? next);
    }
  }
}

/** The string value of a quoted literal. */
export function unquote(raw: string): string {
  let out = '';
  walk(stripQuotes(raw), (c) => (out += c), (c) => (out += c));
  return out;
}

/** A LIKE pattern as a case-insensitive, anchored RegExp (% any run, _ one character). */
export function likePattern(raw: string): RegExp {
  let src = '';
  walk(
    stripQuotes(raw),
    (c) => (src += c === '%' ? '.*' : c === '_' ? '.' : escapeRegExp(c)),
    (c) => (src += escapeRegExp(c)),
  );
  return new RegExp(`^${src}$`, 'is');
}

function escapeRegExp(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

/** Numbers may carry an ISO currency prefix in SOQL (USD100.5). */
export function numberLiteral(raw: string): number {
  return Number(raw.replace(/^[A-Za-z]{3}/, ''));
}
