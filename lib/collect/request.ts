/**
 * sf-collect's configuration and input messages turned into a `CollectionRequest` for lib/collect.
 *
 * Everything a message carries is checked here, before any API call, with the lib's own SOQL
 * checks (`soqlIdentifier`, `normalizeIds`, `filterClause`), and is only ever handed to the
 * planner as structured data: Ids, field names and filter values, never text pasted into a query.
 * The one raw condition, `where`, comes from the node's configuration alone.
 */
import {
  MAX_BATCH_SIZE,
  MAX_DEPTH,
  filterClause,
  normalizeIds,
  soqlIdentifier,
  type CollectionRequest,
  type Filter,
} from './index.js';

export type CollectMode = 'ids' | 'filter' | 'all';
export type ParentsMode = 'all' | 'none' | 'listed';
/** What a selection by condition reads after its first complete run: what changed since (see watermark.ts), or everything. */
export type ReadMode = 'changes' | 'full';

/** The node's configuration, checked and parsed. */
export interface CollectSettings {
  object: string;
  mode: CollectMode;
  where: string;
  depth: number;
  parents: ParentsMode;
  parentFields: string[];
  children: string[];
  batchSize: number;
  preview: boolean;
  read: ReadMode;
}

/** A problem with the configuration or an input message; the text says what and what to do. */
export class CollectInputError extends Error {
  readonly code = 'INVALID_INPUT';
  constructor(message: string) {
    super(message);
    this.name = 'CollectInputError';
  }
}

export const DEFAULT_DEPTH = 2;
const MODES: readonly CollectMode[] = ['ids', 'filter', 'all'];
const PARENTS_MODES: readonly ParentsMode[] = ['all', 'none', 'listed'];
const READ_MODES: readonly ReadMode[] = ['changes', 'full'];
const PAYLOAD_KEYS = ['object', 'ids', 'filter', 'depth', 'children', 'parents', 'preview', 'full'];

/** Settings from the editor's strings, and the problems that keep the node from running. */
export function settingsFromConfig(config: Record<string, unknown>): { settings: CollectSettings; problems: string[] } {
  const problems: string[] = [];
  const text = (k: string) => (config[k] === undefined || config[k] === null ? '' : String(config[k]).trim());
  const object = text('object');
  if (!object) problems.push('choose the object to collect (e.g. Account)');
  else check(problems, () => soqlIdentifier(object), 'Object');
  const mode = (text('mode') || 'ids') as CollectMode;
  if (!MODES.includes(mode)) problems.push(`Select must be ids, filter or all, not '${mode}'`);
  const depth = wholeNumber(text('depth'), DEFAULT_DEPTH);
  if (depth === undefined || depth < 0 || depth > MAX_DEPTH) problems.push(`Depth must be a whole number from 0 to ${MAX_DEPTH}, not '${text('depth')}'`);
  const batchSize = wholeNumber(text('batchSize'), 200);
  if (batchSize === undefined || batchSize < 1 || batchSize > MAX_BATCH_SIZE) problems.push(`Batch size must be a whole number from 1 to ${MAX_BATCH_SIZE}, not '${text('batchSize')}'`);
  const parents = (text('parents') || 'all') as ParentsMode;
  if (!PARENTS_MODES.includes(parents)) problems.push(`Parents must be all, none or listed, not '${parents}'`);
  const parentFields = nameList(text('parentFields'));
  parentFields.forEach((n) => check(problems, () => soqlIdentifier(n, { path: true }), 'Parent lookups'));
  if (parents === 'listed' && !parentFields.length) problems.push('Parents is set to listed lookups: name at least one lookup field (e.g. ParentId)');
  const children = nameList(text('children'));
  children.forEach((n) => check(problems, () => soqlIdentifier(n, { path: true }), 'Children'));
  const preview = config.preview === true || config.preview === 'true';
  // Flows saved before the setting existed keep reading everything, as they did.
  const read = (text('read') || 'full') as ReadMode;
  if (!READ_MODES.includes(read)) problems.push(`Read must be changes or full, not '${read}'`);
  return {
    settings: { object, mode, where: text('where'), depth: depth ?? DEFAULT_DEPTH, parents, parentFields, children, batchSize: batchSize ?? 200, preview, read },
    problems,
  };
}

export interface ResolvedInput {
  request: CollectionRequest;
  preview: boolean;
  /** Read everything this time, whatever the watermark (`msg.payload.full`). */
  full: boolean;
}

/**
 * The collection one message asks for. `msg.payload` may be a record Id, a list of Ids, or
 * `{object?, ids?, filter?, depth?, children?, parents?, preview?, full?}`; anything else (a timestamp
 * from an inject, an empty string) only triggers the configured selection. Throws
 * CollectInputError naming the property at fault.
 */
export function requestFromMessage(settings: CollectSettings, msg: { payload?: unknown; preview?: unknown }): ResolvedInput {
  const payload = msg.payload;
  let given: PayloadObject = {};
  if (typeof payload === 'string' && payload.trim()) given = { ids: payload };
  else if (Array.isArray(payload)) given = { ids: payload };
  else if (isPlainObject(payload)) given = checkKeys(payload);

  const object = given.object === undefined ? settings.object : checkName(given.object, 'msg.payload.object');
  // The configured condition, children and listed lookups were written for the configured object.
  const sameObject = object.toLowerCase() === settings.object.toLowerCase();
  const ids = given.ids === undefined ? undefined : checkIds(given.ids, typeof payload === 'object' && !Array.isArray(payload) ? 'msg.payload.ids' : 'msg.payload');
  const filter = given.filter === undefined ? undefined : checkFilter(given.filter);
  const where = settings.mode === 'filter' && sameObject && settings.where ? settings.where : undefined;

  const request: CollectionRequest = { rootObject: object, depth: settings.depth };
  if (ids) request.ids = ids;
  if (filter) request.filter = filter;
  if (where) request.where = where;
  if (!ids && !filter && !where) {
    if (settings.mode === 'all') request.all = true;
    else if (settings.mode === 'ids') throw new CollectInputError('no records to collect: send msg.payload as a record Id, a list of Ids or {ids: [...]}, or choose another Select option');
    else throw new CollectInputError('no condition to collect by: write a Where condition in the node, or send msg.payload.filter, e.g. {filter: {Name: {op: "like", value: "Acme%"}}}');
  }

  if (given.depth !== undefined) {
    if (typeof given.depth !== 'number' || !Number.isInteger(given.depth) || given.depth < 0 || given.depth > MAX_DEPTH) {
      throw new CollectInputError(`msg.payload.depth must be a whole number from 0 to ${MAX_DEPTH}, got ${show(given.depth)}`);
    }
    request.depth = given.depth;
  }
  if (given.children !== undefined) request.children = checkNames(given.children, 'msg.payload.children');
  else if (sameObject && settings.children.length) request.children = settings.children;
  if (given.parents !== undefined) {
    if (typeof given.parents === 'boolean') request.parents = given.parents;
    else request.parents = checkNames(given.parents, 'msg.payload.parents');
  } else if (settings.parents === 'none' || (settings.parents === 'listed' && !sameObject)) request.parents = false;
  else if (settings.parents === 'listed') request.parents = settings.parentFields;
  else request.parents = true;

  const preview = firstBoolean([msg.preview, 'msg.preview'], [given.preview, 'msg.payload.preview']) ?? settings.preview;
  const full = firstBoolean([given.full, 'msg.payload.full']) ?? false;
  return { request, preview, full };
}

interface PayloadObject {
  object?: unknown;
  ids?: unknown;
  filter?: unknown;
  depth?: unknown;
  children?: unknown;
  parents?: unknown;
  preview?: unknown;
  full?: unknown;
}

function checkKeys(payload: Record<string, unknown>): PayloadObject {
  const unknown = Object.keys(payload).filter((k) => !PAYLOAD_KEYS.includes(k));
  if (unknown.length) {
    throw new CollectInputError(`msg.payload has ${unknown.length > 1 ? 'unknown properties' : 'an unknown property'} ${unknown.map((k) => `'${clip(k)}'`).join(', ')}; use ${PAYLOAD_KEYS.join(', ')}`);
  }
  return payload;
}

function checkIds(value: unknown, where: string): string[] {
  const list = typeof value === 'string' ? [value.trim()] : value;
  if (!Array.isArray(list)) throw new CollectInputError(`${where} must be a record Id or a list of record Ids, got ${show(value)}`);
  if (!list.length) throw new CollectInputError(`${where} is an empty list: give at least one record Id`);
  return rethrow(where, () => normalizeIds(list));
}

function checkFilter(value: unknown): Filter {
  if (!isPlainObject(value)) throw new CollectInputError(`msg.payload.filter must be an object of field: condition, e.g. {Industry: "Banking"}, got ${show(value)}`);
  // Built once here only to refuse bad names, operators and values before any call; the planner
  // builds the real clause again with each field's describe type.
  rethrow('msg.payload.filter', () => filterClause(value as Filter));
  return value as Filter;
}

function checkName(value: unknown, where: string): string {
  if (typeof value !== 'string') throw new CollectInputError(`${where} must be an API name, got ${show(value)}`);
  return rethrow(where, () => soqlIdentifier(value.trim()));
}

function checkNames(value: unknown, where: string): string[] {
  const list = typeof value === 'string' ? nameList(value) : value;
  if (!Array.isArray(list) || list.some((n) => typeof n !== 'string')) throw new CollectInputError(`${where} must be a list of names, got ${show(value)}`);
  return list.map((n: string) => rethrow(where, () => soqlIdentifier(n.trim(), { path: true })));
}

function firstBoolean(...candidates: Array<[unknown, string]>): boolean | undefined {
  for (const [value, where] of candidates) {
    if (value === undefined) continue;
    if (typeof value !== 'boolean') throw new CollectInputError(`${where} must be true or false, got ${show(value)}`);
    return value;
  }
  return undefined;
}

function rethrow<T>(where: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new CollectInputError(`${where}: ${(err as Error).message}`);
  }
}

function check(problems: string[], fn: () => unknown, label: string): void {
  try {
    fn();
  } catch (err) {
    problems.push(`${label}: ${(err as Error).message}`);
  }
}

/** `Contacts, Opportunities` or one name a line. */
export function nameList(text: string): string[] {
  return text.split(/[\s,;]+/).map((s) => s.trim()).filter(Boolean);
}

function wholeNumber(text: string, fallback: number): number | undefined {
  if (!text) return fallback;
  const n = Number(text);
  return Number.isInteger(n) ? n : undefined;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v) && !(v instanceof Date);
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return `'${clip(v)}'`;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : typeof v;
}
