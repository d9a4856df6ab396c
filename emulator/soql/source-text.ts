/**
 * The query text as a list of tokens with offsets. The parser's AST has no positions, and real
 * SOQL errors point at the offending token ("ERROR at Row:1:Column:12" plus a caret line), so
 * errors are located by finding the token again in the text.
 */

export interface Token {
  text: string;
  start: number;
  end: number;
  kind: 'word' | 'string' | 'number' | 'punct';
  /** Parenthesis depth the token sits at (the parens themselves count as the outer depth). */
  depth: number;
}

/** A parenthesised (sub)query: the token range it covers and the depth of its own clauses. */
export interface Region {
  first: number;
  last: number;
  depth: number;
}

const WORD = /[A-Za-z_][A-Za-z0-9_.]*/y;
const NUMBER = /[0-9][0-9A-Za-z_.:+-]*/y;

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let depth = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    let kind: Token['kind'];
    if (c === "'") {
      i++;
      while (i < text.length && text[i] !== "'") i += text[i] === '\\' ? 2 : 1;
      i = Math.min(i + 1, text.length);
      kind = 'string';
    } else if (/[A-Za-z_]/.test(c)) {
      WORD.lastIndex = i;
      WORD.exec(text);
      i = WORD.lastIndex;
      kind = 'word';
    } else if (/[0-9]/.test(c)) {
      NUMBER.lastIndex = i;
      NUMBER.exec(text);
      i = NUMBER.lastIndex;
      kind = 'number';
    } else {
      const two = text.slice(i, i + 2);
      i += two === '!=' || two === '<>' || two === '<=' || two === '>=' ? 2 : 1;
      kind = 'punct';
    }
    const tokenText = text.slice(start, i);
    if (tokenText === ')') depth--;
    tokens.push({ text: tokenText, start, end: i, kind, depth });
    if (tokenText === '(') depth++;
  }
  return tokens;
}

const CLAUSE_WORDS = ['SELECT', 'FROM', 'WHERE', 'WITH', 'GROUP', 'HAVING', 'ORDER', 'LIMIT', 'OFFSET', 'FOR', 'USING'];

export class SourceText {
  readonly tokens: Token[];
  readonly root: Region;

  constructor(readonly text: string) {
    this.tokens = tokenize(text);
    this.root = { first: 0, last: this.tokens.length - 1, depth: 0 };
  }

  /** The region of a nested `(SELECT … FROM <name> …)` inside `within`, found by its FROM name. */
  subqueryRegion(within: Region, fromName: string): Region | undefined {
    const t = this.tokens;
    for (let i = within.first; i <= within.last; i++) {
      const tok = t[i]!;
      if (tok.depth <= within.depth || !eq(tok.text, 'FROM')) continue;
      const next = t[i + 1];
      if (!next || !(eq(next.text, fromName) || next.text.toLowerCase().endsWith(`.${fromName.toLowerCase()}`))) continue;
      // Walk back to the "(" that opens this subquery, then forward to its ")".
      let open = i;
      while (open > within.first && !(t[open]!.text === '(' && t[open]!.depth === tok.depth - 1)) open--;
      let close = i;
      while (close < within.last && !(t[close]!.text === ')' && t[close]!.depth === tok.depth - 1)) close++;
      return { first: open + 1, last: close - 1, depth: tok.depth };
    }
    return undefined;
  }

  /** Token index where a clause keyword (WHERE, ORDER...) of this region starts, or the region start. */
  clauseStart(region: Region, clause: string): number {
    for (let i = region.first; i <= region.last; i++) {
      const tok = this.tokens[i]!;
      if (tok.depth === region.depth && eq(tok.text, clause)) return i;
    }
    return region.first;
  }

  /** The token that follows the region's FROM keyword (the object or relationship name). */
  fromTarget(region: Region): number {
    const i = this.clauseStart(region, 'FROM');
    return this.tokens[i + 1] ? i + 1 : i;
  }

  /**
   * Offset of the first word equal to `word` (case-insensitive) in the given clause of the region,
   * falling back to anywhere in the region and then to the region start.
   */
  find(region: Region, word: string, clause?: string): number {
    const from = clause ? this.clauseStart(region, clause) : region.first;
    const end = clause ? this.clauseEnd(region, from) : region.last;
    for (const [a, b] of [[from, end], [region.first, region.last]] as const) {
      for (let i = a; i <= b; i++) {
        const tok = this.tokens[i]!;
        if (tok.kind === 'word' && eq(tok.text, word)) return i;
      }
    }
    return Math.max(0, region.first);
  }

  /** Token index of the value that follows `field <op>` in a condition (for type errors). */
  valueAfter(fieldToken: number): number {
    const t = this.tokens;
    let i = fieldToken + 1;
    while (t[i] && ((t[i]!.kind === 'punct' && t[i]!.text !== ')') || /^(LIKE|IN|NOT|INCLUDES|EXCLUDES)$/i.test(t[i]!.text))) i++;
    return t[i] ? i : fieldToken;
  }

  offsetOf(tokenIndex: number): number {
    return this.tokens[tokenIndex]?.start ?? this.text.length;
  }

  /**
   * The real error framing: a line with the tokens around the error, a caret line, then
   * "ERROR at Row:r:Column:c" and the message.
   */
  frame(offset: number, message: string): string {
    const before = this.text.slice(0, offset);
    const row = before.split('\n').length;
    const lineStart = before.lastIndexOf('\n') + 1;
    const column = offset - lineStart + 1;
    const lineEndRaw = this.text.indexOf('\n', offset);
    const lineEnd = lineEndRaw < 0 ? this.text.length : lineEndRaw;
    const onLine = this.tokens.filter((t) => t.start >= lineStart && t.end <= lineEnd);
    let at = onLine.findIndex((t) => t.start >= offset);
    if (at < 0) at = onLine.length;
    const first = onLine[Math.max(0, at - 4)];
    const last = onLine[Math.min(onLine.length - 1, at + 4)];
    const snipStart = first ? Math.min(first.start, offset) : offset;
    const snipEnd = last ? Math.max(last.end, offset) : offset;
    const snippet = this.text.slice(snipStart, snipEnd);
    const caret = `${' '.repeat(offset - snipStart)}^`;
    return `\n${snippet}\n${caret}\nERROR at Row:${row}:Column:${column}\n${message}`;
  }

  private clauseEnd(region: Region, from: number): number {
    for (let i = from + 1; i <= region.last; i++) {
      const tok = this.tokens[i]!;
      if (tok.depth === region.depth && CLAUSE_WORDS.some((w) => eq(tok.text, w))) return i - 1;
    }
    return region.last;
  }
}

function eq(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
