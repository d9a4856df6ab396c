/**
 * Turns ajv's errors into sentences an admin can act on: the path in the document's own terms
 * (`fields[3].valueMap.values`, `msg.payload[2].sourceId`), what is wrong, what was found. ajv's
 * defaults ("must match exactly one schema in oneOf") name schema machinery, not the mistake. Used
 * for every JSON Schema the suite checks input against (mapping documents, the message envelope).
 */
import type { ErrorObject } from 'ajv';
import { didYouMean } from './did-you-mean.js';

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `/fields/3/valueMap/values/Food & Beverage` → `fields[3].valueMap.values["Food & Beverage"]`. */
export function readablePath(pointer: string): string {
  if (!pointer) return '';
  let out = '';
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(seg)) out += `[${seg}]`;
    else if (IDENTIFIER.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

function child(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

export function shown(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

const TYPE_WORDS: Record<string, string> = {
  object: 'an object',
  array: 'an array',
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'true or false',
  null: 'null',
};

function typeText(type: unknown): string {
  if (Array.isArray(type)) {
    const names = type.map(String);
    return `a ${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
  }
  return TYPE_WORDS[String(type)] ?? String(type);
}

/** A oneOf the caller words itself: the branch errors ajv collects for one explain nothing. */
export interface OneOfMessage {
  schemaPath: RegExp;
  /** The branch that takes objects: an object is best explained by that branch's own errors. */
  objectBranch?: number;
  message: (path: string, e: ErrorObject) => string;
}

export interface ProblemWording {
  /** What the paths are relative to (`msg.payload`); also the subject of errors at the root. */
  root?: string;
  /** The subject of errors at the root when there is no `root` ("the mapping"). */
  rootName?: string;
  /** Patterns in words: `{ '^[A-Za-z]…$': 'a Salesforce API name such as Industry' }`. */
  patterns?: Record<string, string>;
  oneOf?: OneOfMessage[];
}

function describeError(e: ErrorObject, w: ProblemWording): string {
  const path = rooted(w, readablePath(e.instancePath));
  const subject = (p: string) => p || w.rootName || 'the input';
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return `${child(path, String(p.missingProperty))} is required`;
    case 'additionalProperties': {
      const allowed = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const name = String(p.additionalProperty);
      return `${subject(path)} has an unknown property "${name}"${didYouMean(name, allowed)}`;
    }
    case 'type':
      return `${subject(path)} must be ${typeText(p.type)}`;
    case 'const':
      return `${path} must be ${shown(p.allowedValue)} (got ${shown(e.data)})`;
    case 'enum':
      return `${path} must be one of ${(p.allowedValues as unknown[]).map(shown).join(', ')} (got ${shown(e.data)})`;
    case 'minLength':
      return p.limit === 1 ? `${path} must not be empty` : `${path} must be at least ${String(p.limit)} characters`;
    case 'maxLength':
      return `${path} must be at most ${String(p.limit)} characters`;
    case 'pattern':
      return `${path} must be ${w.patterns?.[String(p.pattern)] ?? `text matching ${String(p.pattern)}`} (got ${shown(e.data)})`;
    case 'discriminator':
      if (p.error === 'tag') {
        // ajv reports the object holding the tag, not the tag's value.
        const tagValue = (e.data as Record<string, unknown> | undefined)?.[String(p.tag)];
        return `${child(path, String(p.tag))} ${tagValue === undefined ? 'is required' : 'must be a string'}`;
      }
      return `${child(path, String(p.tag))} must be "externalId" or "ledger" (got ${shown(p.tagValue)})`;
    default:
      return `${subject(path)} ${e.message ?? 'is invalid'}`;
  }
}

/** `root` joined with a readable path (`msg.payload` + `[3].sourceId`). */
function rooted(w: ProblemWording, path: string): string {
  if (!w.root) return path;
  return !path ? w.root : path.startsWith('[') ? `${w.root}${path}` : `${w.root}.${path}`;
}

/** One sentence per distinct problem, in document order. */
export function schemaProblems(errors: ErrorObject[], w: ProblemWording = {}): string[] {
  const ONE_OF_MESSAGES = w.oneOf ?? [];
  const handled: Array<{ prefix: string; instancePath: string; keepBranch?: string }> = [];
  const messages: string[] = [];
  for (const e of errors) {
    if (e.keyword !== 'oneOf') continue;
    const special = ONE_OF_MESSAGES.find((m) => m.schemaPath.test(e.schemaPath));
    if (!special) continue;
    const isObject = typeof e.data === 'object' && e.data !== null && !Array.isArray(e.data);
    // An object meant for the object branch is best explained by that branch's own errors.
    const keepBranch = isObject && special.objectBranch !== undefined ? `${e.schemaPath}/${special.objectBranch}/` : undefined;
    handled.push({ prefix: `${e.schemaPath}/`, instancePath: e.instancePath, ...(keepBranch ? { keepBranch } : {}) });
  }
  for (const e of errors) {
    if (e.keyword === 'oneOf') {
      const special = ONE_OF_MESSAGES.find((m) => m.schemaPath.test(e.schemaPath));
      const h = handled.find((x) => x.prefix === `${e.schemaPath}/` && x.instancePath === e.instancePath);
      if (special && h && !h.keepBranch) messages.push(special.message(rooted(w, readablePath(e.instancePath)), e));
      else if (!special) messages.push(describeError(e, w));
      continue;
    }
    const inBranch = handled.find((h) => e.schemaPath.startsWith(h.prefix) && e.instancePath.startsWith(h.instancePath));
    if (inBranch && !(inBranch.keepBranch && e.schemaPath.startsWith(inBranch.keepBranch))) continue;
    messages.push(describeError(e, w));
  }
  return [...new Set(messages)];
}
