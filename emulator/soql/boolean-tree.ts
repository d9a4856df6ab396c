/**
 * soql-parser-js returns WHERE and HAVING as a flat right-leaning chain `{left, operator, right}`
 * with parenthesis counts on the leaves, not as a precedence tree. This rebuilds the tree: the chain
 * is turned back into a token stream and parsed with NOT > AND > OR.
 *
 * Real orgs refuse AND and OR mixed at one parenthesis level ("unexpected token: 'OR'" for
 * `a AND b OR c`: "Client applications must specify parentheses when nesting operators"), so the
 * second operator of such a level is reported through `onMixed` instead of being given a precedence.
 */

export type BoolNode<L> =
  | { type: 'leaf'; leaf: L; index: number }
  | { type: 'not'; child: BoolNode<L> }
  | { type: 'and' | 'or'; children: BoolNode<L>[] };

interface ChainNode {
  left?: unknown;
  operator?: string;
  right?: ChainNode;
}

type Tok<L> = { t: '(' | ')' | 'AND' | 'OR' | 'NOT' } | { t: 'leaf'; leaf: L; index: number };

interface Parens {
  openParen?: number;
  closeParen?: number;
}

function isLeaf(x: unknown): boolean {
  return !!x && typeof x === 'object' && ('field' in x || 'fn' in x || 'valueQuery' in x);
}

function flatten<L>(chain: ChainNode | undefined): Tok<L>[] {
  const out: Tok<L>[] = [];
  let index = 0;
  for (let node = chain; node; node = node.right) {
    const left = node.left as Parens | null | undefined;
    if (node.operator === 'NOT' && !isLeaf(left)) {
      // `{left:{openParen:n}, operator:'NOT'}`: the parens open before the NOT.
      for (let i = 0; i < (left?.openParen ?? 0); i++) out.push({ t: '(' });
      out.push({ t: 'NOT' });
      continue;
    }
    for (let i = 0; i < (left?.openParen ?? 0); i++) out.push({ t: '(' });
    out.push({ t: 'leaf', leaf: left as L, index: index++ });
    for (let i = 0; i < (left?.closeParen ?? 0); i++) out.push({ t: ')' });
    if (node.operator === 'AND' || node.operator === 'OR') out.push({ t: node.operator });
  }
  return out;
}

/** The leaf list in source order and the tree over it. */
export function buildBoolTree<L>(
  chain: ChainNode | undefined,
  onMixed: (operator: 'AND' | 'OR', afterLeaf: L | undefined) => Error,
): { tree: BoolNode<L> | undefined; leaves: L[] } {
  const toks = flatten<L>(chain);
  const leaves = toks.flatMap((t) => (t.t === 'leaf' ? [t.leaf] : []));
  if (!toks.length) return { tree: undefined, leaves };
  let pos = 0;
  let lastLeaf: L | undefined;
  const peek = () => toks[pos]?.t;

  const parseLevel = (): BoolNode<L> => {
    const levelChildren: BoolNode<L>[] = [parseUnary()];
    let levelOp: 'AND' | 'OR' | undefined;
    while (peek() === 'AND' || peek() === 'OR') {
      const op = peek() as 'AND' | 'OR';
      if (levelOp && op !== levelOp) throw onMixed(op, lastLeaf);
      levelOp = op;
      pos++;
      levelChildren.push(parseUnary());
    }
    if (!levelOp) return levelChildren[0]!;
    return { type: levelOp === 'AND' ? 'and' : 'or', children: levelChildren };
  };

  const parseUnary = (): BoolNode<L> => {
    const tok = toks[pos++];
    if (!tok) throw new Error('unbalanced WHERE chain');
    if (tok.t === 'NOT') return { type: 'not', child: parseUnary() };
    if (tok.t === '(') {
      const inner = parseLevel();
      if (peek() === ')') pos++;
      return inner;
    }
    if (tok.t === 'leaf') {
      lastLeaf = tok.leaf;
      return { type: 'leaf', leaf: tok.leaf, index: tok.index };
    }
    throw new Error(`unexpected ${tok.t} in WHERE chain`);
  };

  const tree = parseLevel();
  return { tree, leaves };
}

/** Compiles a tree to a predicate, given a compiler for its leaves. */
export function compileBoolTree<L, T>(node: BoolNode<L>, leaf: (l: L, index: number) => (x: T) => boolean): (x: T) => boolean {
  switch (node.type) {
    case 'leaf':
      return leaf(node.leaf, node.index);
    case 'not': {
      const c = compileBoolTree(node.child, leaf);
      return (x) => !c(x);
    }
    case 'and': {
      const cs = node.children.map((c) => compileBoolTree(c, leaf));
      return (x) => cs.every((c) => c(x));
    }
    case 'or': {
      const cs = node.children.map((c) => compileBoolTree(c, leaf));
      return (x) => cs.some((c) => c(x));
    }
  }
}
