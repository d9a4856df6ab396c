/**
 * The condition of a bulk read, from the node's settings and the message that starts it: the
 * flow author's WHERE (written in the node, so trusted as SOQL) with `:name` placeholders whose
 * values come from `msg.payload.params` and are always escaped, a date range on a date field, and an
 * owner. Nothing from a message is ever pasted into the query as written.
 */
import { andClauses, filterClause, soqlIdentifier, soqlNumber, soqlString, SoqlInputError, type FilterCondition } from '../collect/soql-text.js';
import { toId18 } from '../collect/record-ids.js';

export interface ReadFilterSettings {
  /** SOQL condition from the node's configuration; `:name` takes `params.name`. */
  where?: string;
  /** A date or datetime field, e.g. CreatedDate; with `from` and/or `to`. */
  dateField?: string;
  /** From this date on (inclusive): YYYY-MM-DD, an ISO datetime or a date literal. */
  from?: string;
  /** Before this date (exclusive). */
  to?: string;
  /** A user Id (005…) or username: only records this user owns. */
  owner?: string;
}

/** Placeholders: a colon, then a name starting with a letter (date literals such as LAST_N_DAYS:30 have digits). */
const PLACEHOLDER = /:([A-Za-z][A-Za-z0-9_]*)/g;

/** The placeholders a WHERE uses, outside its quoted strings. */
export function placeholders(where: string): string[] {
  const names = new Set<string>();
  for (const part of unquotedParts(where)) for (const m of part.text.matchAll(PLACEHOLDER)) names.add(m[1]!);
  return [...names];
}

/** `where` with each placeholder replaced by its escaped value. */
export function bindWhere(where: string, params: Record<string, unknown> | undefined): string {
  return unquotedParts(where)
    .map((part) => (part.quoted ? part.text : part.text.replace(PLACEHOLDER, (_, name: string) => {
      if (!params || !Object.prototype.hasOwnProperty.call(params, name)) {
        throw new SoqlInputError(`the WHERE uses :${name}, and msg.payload.params has no '${name}': send msg.payload = { params: { ${name}: … } }`);
      }
      return valueText(name, params[name]);
    })))
    .join('');
}

/**
 * The whole condition for one object (undefined for none). `fieldType` gives the describe type of
 * a field of that object, so a date range is written as a date or a datetime as the field is.
 */
export function readCondition(s: ReadFilterSettings, params: Record<string, unknown> | undefined, fieldType: (field: string) => string | undefined): string | undefined {
  const clauses: Array<string | undefined> = [];
  if (s.where?.trim()) clauses.push(bindWhere(s.where.trim(), params));
  if (s.dateField && (s.from || s.to)) {
    const field = soqlIdentifier(s.dateField);
    const type = fieldType(field);
    if (type !== 'date' && type !== 'datetime') {
      throw new SoqlInputError(type ? `the date range is on ${field}, a ${type} field; choose a date or datetime field such as CreatedDate` : `the date range is on ${field}, which this object does not have`);
    }
    const range = (op: '>=' | '<', value: string): string => filterClause({ [field]: { op, value } as FilterCondition }, { fieldType: () => type });
    if (s.from) clauses.push(range('>=', s.from));
    if (s.to) clauses.push(range('<', s.to));
  }
  if (s.owner?.trim()) {
    const owner = s.owner.trim();
    const id = toId18(owner);
    clauses.push(id ? `OwnerId = '${id}'` : `Owner.Username = ${soqlString(owner)}`);
  }
  return andClauses(...clauses);
}

function valueText(name: string, value: unknown): string {
  if (value === null) return 'NULL';
  if (typeof value === 'string') return soqlString(value);
  if (typeof value === 'number') return soqlNumber(value);
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new SoqlInputError(`msg.payload.params.${name} is an invalid date`);
    return value.toISOString();
  }
  if (Array.isArray(value)) {
    if (!value.length) throw new SoqlInputError(`msg.payload.params.${name} is an empty list; an IN needs at least one value`);
    return `(${value.map((v, i) => {
      if (Array.isArray(v) || (v !== null && typeof v === 'object' && !(v instanceof Date))) throw new SoqlInputError(`msg.payload.params.${name}[${i}] is not a text, number, true/false or date`);
      return valueText(`${name}[${i}]`, v);
    }).join(',')})`;
  }
  throw new SoqlInputError(`msg.payload.params.${name} is ${value === undefined ? 'undefined' : 'an object'}; give a text, a number, true/false, a date or a list of them`);
}

/** The text split into quoted strings (SOQL's '…' with backslash escapes) and what lies between. */
function unquotedParts(text: string): Array<{ text: string; quoted: boolean }> {
  const parts: Array<{ text: string; quoted: boolean }> = [];
  let i = 0;
  let start = 0;
  while (i < text.length) {
    if (text[i] === "'") {
      if (i > start) parts.push({ text: text.slice(start, i), quoted: false });
      let j = i + 1;
      while (j < text.length && text[j] !== "'") j += text[j] === '\\' ? 2 : 1;
      parts.push({ text: text.slice(i, j + 1), quoted: true });
      i = j + 1;
      start = i;
    } else i++;
  }
  if (start < text.length) parts.push({ text: text.slice(start), quoted: false });
  return parts;
}
