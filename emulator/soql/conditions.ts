import type { FieldDef } from '../schema/types.js';
import type { FieldValue } from '../store/types.js';
import { parseSfDateTime, sfDate, sfDateTime } from '../util/clock.js';
import { normalizeId } from '../util/ids.js';
import { dateLiteralRange } from './date-literals.js';
import { likePattern, numberLiteral, unquote } from './literals.js';
import { soqlErrors } from './query-errors.js';
import type { SourceText } from './source-text.js';
import { comparable, compareComparable, multipicklistSet, soapTypeName, type ValueKind } from './values.js';

/** What a condition compares: a record field, a function of one, or an aggregate of a group. */
export interface Operand<T> {
  kind: ValueKind;
  /** Canonical name used in error messages. */
  name: string;
  /** For the type name in errors and picklist ordering; absent for aggregate results such as COUNT(). */
  field?: FieldDef;
  get: (x: T) => FieldValue | null | undefined;
}

export interface LiteralCondition {
  operator: string;
  value?: string | string[];
  literalType?: string | string[];
}

export interface ConditionEnv {
  src: SourceText;
  now: number;
  /** Token index of the condition's value, for errors about the value. */
  valueToken: () => number;
}

export interface CompiledCondition<T> {
  test: (x: T) => boolean;
  /** For `=` and `IN`: the literal values in comparable form, so the planner can use an index. */
  equals?: Array<string | number>;
}

type Literal = { t: 'null' } | { t: 'value'; v: string | number } | { t: 'range'; start: string; end: string };

/** Types one literal for the operand's kind, raising the real error when it does not fit. */
function typeLiteral<T>(op: Operand<T>, raw: string, literalType: string | undefined, env: ConditionEnv): Literal {
  const lt = (literalType ?? 'STRING').toUpperCase();
  if (lt === 'NULL') return { t: 'null' };
  if (lt === 'APEX_BIND_VARIABLE') throw soqlErrors.bindVariable(env.src, env.src.offsetOf(env.valueToken()));
  const wrongType = () => soqlErrors.filterValueType(env.src, env.valueToken(), op.name, op.field ? soapTypeName(op.field) : typeNameOfKind(op.kind));
  switch (op.kind) {
    case 'string':
    case 'multipicklist':
    case 'time':
      if (lt !== 'STRING') throw wrongType();
      return { t: 'value', v: op.kind === 'time' ? unquote(raw) : unquote(raw).toLowerCase() };
    case 'id': {
      if (lt !== 'STRING') throw wrongType();
      const text = unquote(raw);
      if (text === '') return { t: 'null' };
      const id = normalizeId(text);
      if (!id) throw soqlErrors.invalidId(env.src, env.valueToken(), text);
      return { t: 'value', v: id };
    }
    case 'number':
      if (!/^(INTEGER|DECIMAL)/.test(lt)) throw wrongType();
      return { t: 'value', v: numberLiteral(raw) };
    case 'boolean':
      if (lt !== 'BOOLEAN') throw wrongType();
      return { t: 'value', v: raw.toUpperCase() === 'TRUE' ? 1 : 0 };
    case 'date':
    case 'datetime': {
      const asDate = op.kind === 'date';
      if (lt === 'DATE_LITERAL' || lt === 'DATE_N_LITERAL') {
        const range = dateLiteralRange(raw, env.now);
        if (!range) throw soqlErrors.malformed(env.src, env.valueToken(), `unexpected token: '${raw}'`);
        const fmt = asDate ? sfDate : sfDateTime;
        return { t: 'range', start: fmt(range.start), end: fmt(range.end) };
      }
      if (asDate && lt === 'DATE') return { t: 'value', v: raw };
      if (!asDate && lt === 'DATETIME') {
        const ms = parseSfDateTime(raw);
        if (ms === undefined) throw wrongType();
        return { t: 'value', v: sfDateTime(ms) };
      }
      throw wrongType();
    }
    case 'compound':
      throw soqlErrors.notFilterable(env.src, env.valueToken(), op.name);
  }
}

function typeNameOfKind(kind: ValueKind): string {
  return kind === 'number' ? 'double' : kind === 'datetime' ? 'dateTime' : kind === 'id' ? 'id' : kind;
}

function literals<T>(op: Operand<T>, cond: LiteralCondition, env: ConditionEnv): Literal[] {
  const values = Array.isArray(cond.value) ? cond.value : [cond.value ?? ''];
  return values.map((raw, i) => {
    const lt = Array.isArray(cond.literalType) ? cond.literalType[i] : cond.literalType;
    return typeLiteral(op, raw, lt, env);
  });
}

/** Compiles `operand <operator> literal(s)` into a predicate with SOQL's semantics. */
export function compileCondition<T>(op: Operand<T>, cond: LiteralCondition, env: ConditionEnv): CompiledCondition<T> {
  const operator = cond.operator.toUpperCase();
  const { kind, get } = op;
  const value = (x: T) => comparable(kind, get(x));

  if (operator === 'LIKE') {
    const raw = Array.isArray(cond.value) ? (cond.value[0] ?? '') : (cond.value ?? '');
    const re = likePattern(raw);
    return {
      test: (x) => {
        const v = get(x);
        return v !== null && v !== undefined && v !== '' && re.test(String(v));
      },
    };
  }

  if (operator === 'INCLUDES' || operator === 'EXCLUDES') {
    const raws = Array.isArray(cond.value) ? cond.value : [cond.value ?? ''];
    // Each literal is a set of values that must all be present: INCLUDES ('A;B','C') is (A and B) or C.
    const wanted = raws.map((r) => [...multipicklistSet(unquote(r))]);
    const includes = (x: T) => {
      const have = multipicklistSet(get(x));
      return wanted.some((all) => all.length > 0 && all.every((w) => have.has(w)));
    };
    return { test: operator === 'INCLUDES' ? includes : (x) => !includes(x) };
  }

  const lits = literals(op, cond, env);

  if (operator === 'IN' || operator === 'NOT IN') {
    const set = new Set<string | number>();
    const ranges: Array<{ start: string; end: string }> = [];
    let hasNull = false;
    for (const l of lits) {
      if (l.t === 'null') hasNull = true;
      else if (l.t === 'range') ranges.push(l);
      else set.add(kind === 'multipicklist' ? setKey(String(l.v)) : l.v);
    }
    const member = (x: T) => {
      let c = value(x);
      if (c === null) return hasNull;
      if (kind === 'multipicklist') c = setKey(String(c));
      return set.has(c) || ranges.some((r) => inRange(c!, r));
    };
    if (operator === 'IN') return { test: member, equals: ranges.length || hasNull ? undefined : [...set] };
    return { test: (x) => !member(x) };
  }

  const lit = lits[0] ?? { t: 'null' };
  const eq = equality(kind, lit, value);
  switch (operator) {
    case '=':
      return { test: eq, equals: lit.t === 'value' && kind !== 'multipicklist' ? [lit.v] : undefined };
    case '!=':
    case '<>':
      return { test: (x) => !eq(x) };
    case '<':
    case '<=':
    case '>':
    case '>=':
      return { test: ordering(operator, lit, value) };
    default:
      throw soqlErrors.malformed(env.src, env.valueToken(), `unexpected token: '${cond.operator}'`);
  }
}

function setKey(v: string): string {
  return [...multipicklistSet(v)].sort().join(';');
}

function inRange(c: string | number, r: { start: string; end: string }): boolean {
  return c >= r.start && c < r.end;
}

function equality<T>(kind: ValueKind, lit: Literal, value: (x: T) => string | number | null): (x: T) => boolean {
  if (lit.t === 'null') return (x) => value(x) === null;
  if (lit.t === 'range') return (x) => {
    const c = value(x);
    return c !== null && inRange(c, lit);
  };
  if (kind === 'multipicklist') {
    // `= 'A;B'` matches the exact set of selected values, in any order.
    const key = setKey(String(lit.v));
    return (x) => {
      const c = value(x);
      return c !== null && setKey(String(c)) === key;
    };
  }
  const v = lit.v;
  return (x) => value(x) === v;
}

function ordering<T>(operator: string, lit: Literal, value: (x: T) => string | number | null): (x: T) => boolean {
  if (lit.t === 'null') return () => false;
  // Against a date literal's range: `<` is before its start, `>` after its end.
  const low = lit.t === 'range' ? lit.start : lit.v;
  const high = lit.t === 'range' ? lit.end : lit.v;
  const strictHigh = lit.t === 'range';
  return (x) => {
    const c = value(x);
    if (c === null) return false;
    switch (operator) {
      case '<':
        return compareComparable(c, low) < 0;
      case '<=':
        return strictHigh ? compareComparable(c, high) < 0 : compareComparable(c, high) <= 0;
      case '>':
        return strictHigh ? compareComparable(c, high) >= 0 : compareComparable(c, high) > 0;
      default:
        return compareComparable(c, low) >= 0;
    }
  };
}
