/**
 * Runs a compiled mapping over a batch of sync records. Every record ends in exactly one list:
 * mapped (with `record.target` filled), rejected (with a reason per field) or filtered out.
 * Nothing is dropped silently, and one bad record never stops the batch.
 *
 * Partial records (CDC updates, `changedFields` set) carry only what changed: a field they do not
 * carry is left out of the target rather than written empty, so an update never wipes values it
 * did not touch. Whole records (`changedFields` undefined) treat a missing field as empty.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { FieldValue, SyncRecord, TargetMatch, TargetReference, TargetSide } from '../sync/types.js';
import type { CompiledMapping, CompiledRelationship, CompiledRule, CompiledTarget, CompiledValueMap } from './compile.js';
import { isEmptyValue, multiSelectItems } from './convert.js';
import { expressionErrorText, jsonataTruthy } from './expressions.js';
import type { MappingValue } from './format.js';
import { Invalid, PROBLEM_CODES as P, type RecordProblem } from './problems.js';

export interface ApplyContext {
  /** Extra `$name` variables for every expression (e.g. the target org). `$record` is always set. */
  bindings?: Record<string, unknown>;
  /** Longest stretch of work in milliseconds before yielding to the event loop (default 5). */
  sliceMs?: number;
}

export interface RejectedRecord {
  record: SyncRecord;
  problems: RecordProblem[];
}

export interface MappingResult {
  mapped: SyncRecord[];
  rejected: RejectedRecord[];
  filtered: SyncRecord[];
}

/** What the `$record` variable holds in expressions. */
export interface RecordBinding {
  sourceId: string;
  object: string;
  operation: SyncRecord['operation'];
  origin: SyncRecord['origin'];
  changedFields: string[] | undefined;
}

const NOT_SET = Symbol('not set');
type Outcome = FieldValue | typeof NOT_SET;

/** Per-record state shared by the steps below. */
interface RecordRun {
  readonly compiled: CompiledMapping;
  readonly record: SyncRecord;
  readonly partial: boolean;
  readonly extra: Record<string, unknown> | undefined;
  /** Made on the first expression: copies and constants never need it. */
  bindings?: Record<string, unknown>;
  readonly problems: RecordProblem[];
}

async function evaluate(run: RecordRun, prepared: unknown, where: string, field: string): Promise<unknown> {
  try {
    run.bindings ??= { ...run.extra, record: recordBinding(run.record) };
    return await run.compiled.evaluator.evaluate(prepared, run.record.fields, run.bindings);
  } catch (err) {
    run.problems.push({ field, code: P.EXPRESSION_ERROR, message: `${where} failed: ${expressionErrorText(err)}` });
    return NOT_SET;
  }
}

function lookupValue(vm: CompiledValueMap, value: unknown): MappingValue | unknown {
  const key = typeof value === 'string' ? value : String(value);
  const k = vm.caseInsensitive ? key.toLowerCase() : key;
  const hit = vm.lookup.get(k);
  if (hit !== undefined || vm.lookup.has(k)) return hit;
  return vm.hasDefault ? vm.default : value;
}

/** Each item of a multi-select value goes through the map on its own; values may map to `A;B`. */
function applyValueMap(vm: CompiledValueMap, value: unknown, multi: boolean): unknown {
  if (!multi && !Array.isArray(value)) return lookupValue(vm, value);
  const items = multiSelectItems(value);
  if (items instanceof Invalid) return items;
  const out: string[] = [];
  for (const item of items) {
    const v = lookupValue(vm, item);
    if (!isEmptyValue(v)) out.push(String(v));
  }
  return multi ? out.join(';') : out;
}

function restrictedHint(rule: CompiledRule): string {
  if (!rule.valueMap) return '; add a value map with a default for unmapped values';
  return rule.valueMap.hasDefault ? '' : ' and the value map has no default for it';
}

/** What a raw value becomes for a target: default when empty, value map, conversion. */
function settle(run: RecordRun, target: CompiledTarget, rule: CompiledRule, raw: unknown): Outcome {
  if (raw === undefined && run.partial) return NOT_SET;
  if (isEmptyValue(raw)) return rule.hasDefault ? rule.default : target.empty;
  const mapped = rule.valueMap ? applyValueMap(rule.valueMap, raw, target.kind === 'multipicklist') : raw;
  if (mapped instanceof Invalid) {
    run.problems.push({ field: target.field, code: mapped.code, message: `${target.field}: ${mapped.message}` });
    return NOT_SET;
  }
  if (isEmptyValue(mapped)) return target.empty;
  const converted = rule.convert(mapped);
  if (converted instanceof Invalid) {
    const hint = converted.code === P.INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST ? restrictedHint(rule) : '';
    run.problems.push({ field: target.field, code: converted.code, message: `${converted.message}${hint}` });
    return NOT_SET;
  }
  return converted;
}

/** A copy or a constant with no condition: no JSONata, so no promise per field on the hot path. */
function staticValue(run: RecordRun, target: CompiledTarget): Outcome {
  const rule = target.rules[0]!;
  if (rule.kind === 'constant') return rule.constant ?? target.empty;
  return settle(run, target, rule, run.record.fields[rule.source!]);
}

/** The first rule whose condition holds gives the value; NOT_SET when none does or an expression failed. */
async function evaluatedValue(run: RecordRun, target: CompiledTarget): Promise<Outcome> {
  for (const rule of target.rules) {
    if (rule.condition !== undefined) {
      const holds = await evaluate(run, rule.condition, `fields[${rule.index}].condition`, target.field);
      if (holds === NOT_SET) return NOT_SET;
      if (!jsonataTruthy(holds)) continue;
    }
    if (rule.kind === 'constant') return rule.constant ?? target.empty;
    if (rule.kind === 'source') return settle(run, target, rule, run.record.fields[rule.source!]);
    const raw = await evaluate(run, rule.expression, `fields[${rule.index}].expression`, target.field);
    return raw === NOT_SET ? NOT_SET : settle(run, target, rule, raw);
  }
  return NOT_SET;
}

function missing(run: RecordRun, field: string, why: string): void {
  run.problems.push({ field, code: P.REQUIRED_FIELD_MISSING, message: `${field} is required in the target ${run.compiled.targetObject}; ${why}` });
}

async function mapFields(run: RecordRun): Promise<Record<string, FieldValue>> {
  const out: Record<string, FieldValue> = {};
  for (const target of run.compiled.targets) {
    const before = run.problems.length;
    const value = target.evaluated ? await evaluatedValue(run, target) : staticValue(run, target);
    if (run.problems.length > before) continue;
    if (value === NOT_SET) {
      // Nothing applied on a whole record: a create would lack the field.
      if (target.required && !run.partial && !target.allowMissing) missing(run, target.field, 'no field mapping for it applied (every condition was false)');
      continue;
    }
    if (value === null && target.required) {
      if (!target.allowMissing) missing(run, target.field, 'the mapped value is empty');
      continue;
    }
    out[target.field] = value;
  }
  return out;
}

function sourceParentId(run: RecordRun, rel: CompiledRelationship): string | null | undefined {
  for (const ref of run.record.references) {
    if (ref.field !== rel.source) continue;
    // A polymorphic lookup pointing at another object belongs to another relationship entry.
    if (ref.object && ref.object.toLowerCase() !== rel.object.toLowerCase()) return undefined;
    return ref.id || null;
  }
  const v = run.record.fields[rel.source];
  if (v === undefined) return run.partial ? undefined : null;
  return isEmptyValue(v) ? null : String(v);
}

function mapReferences(run: RecordRun, fields: Record<string, FieldValue>): TargetReference[] {
  const refs: TargetReference[] = [];
  for (const rel of run.compiled.relationships) {
    const parentId = sourceParentId(run, rel);
    if (parentId === undefined) continue;
    if (parentId === null) {
      if (rel.required) missing(run, rel.target, `the source lookup ${rel.source} is empty`);
      // An emptied source lookup empties the target one: the parent link was removed.
      else fields[rel.target] = null;
      continue;
    }
    refs.push({
      field: rel.target,
      relationshipName: rel.relationshipName,
      object: rel.object,
      sourceId: parentId,
      ...(rel.externalIdField ? { externalId: { field: rel.externalIdField, value: parentId } } : {}),
      nillable: rel.nillable,
    });
  }
  return refs;
}

async function mapMatch(run: RecordRun): Promise<TargetMatch | undefined> {
  const match = run.compiled.match;
  if (match.by === 'ledger') return { by: 'ledger' };
  let raw: unknown = run.record.sourceId;
  if (match.expression !== undefined) {
    raw = await evaluate(run, match.expression, 'match.value.expression', match.field);
    if (raw === NOT_SET) return undefined;
  }
  if (isEmptyValue(raw)) {
    run.problems.push({ field: match.field, code: P.MATCH_KEY_MISSING, message: `no value for the match key ${match.field}` });
    return undefined;
  }
  const value = match.convert(raw);
  if (value instanceof Invalid) {
    run.problems.push({ field: match.field, code: value.code, message: `match key: ${value.message}` });
    return undefined;
  }
  return { by: 'externalId', field: match.field, value: String(value) };
}

type RecordOutcome = { kind: 'mapped'; target: TargetSide } | { kind: 'filtered' } | { kind: 'rejected'; problems: RecordProblem[] };

function recordBinding(record: SyncRecord): RecordBinding {
  return { sourceId: record.sourceId, object: record.object, operation: record.operation, origin: record.origin, changedFields: record.changedFields };
}

async function mapRecord(compiled: CompiledMapping, record: SyncRecord, extra: Record<string, unknown> | undefined): Promise<RecordOutcome> {
  if (record.object.toLowerCase() !== compiled.sourceObject.toLowerCase()) {
    return { kind: 'rejected', problems: [{ field: '(record)', code: P.WRONG_OBJECT, message: `the record is a ${record.object}; mapping "${compiled.stamp.name}" maps ${compiled.sourceObject}` }] };
  }
  const run: RecordRun = {
    compiled,
    record,
    partial: record.changedFields !== undefined,
    extra,
    problems: [],
  };
  // Deletes carry no field values to filter on; whether the record was ever synced is the ledger's call.
  // An undelete carries the whole record: the writer restores it and then writes it as an upsert.
  const withFields = record.operation === 'upsert' || record.operation === 'undelete';
  if (withFields && compiled.filter !== undefined) {
    const keep = await evaluate(run, compiled.filter, 'filter.expression', '(filter)');
    if (keep === NOT_SET) return { kind: 'rejected', problems: run.problems };
    if (!jsonataTruthy(keep)) return { kind: 'filtered' };
  }
  const match = await mapMatch(run);
  const fields = withFields ? await mapFields(run) : {};
  const references = withFields ? mapReferences(run, fields) : [];
  if (run.problems.length || !match) return { kind: 'rejected', problems: run.problems };
  const untouched = record.changedFields && withFields ? untouchedFields(compiled, record.changedFields) : undefined;
  return { kind: 'mapped', target: { object: compiled.targetObject, match, fields, references, mapping: compiled.stamp, ...(untouched?.length ? { untouched } : {}) } };
}

/**
 * Target fields a change cannot have changed: every rule a plain copy (no condition) of a source
 * field outside `changedFields` that the platform does not compute (a formula changes with no
 * event naming it), or a constant; lookups whose source lookup did not change.
 * Expressions may read anything, so their fields always count as touched.
 */
function untouchedFields(compiled: CompiledMapping, changedFields: readonly string[]): string[] {
  const changed = new Set(changedFields.map((f) => f.toLowerCase()));
  const out: string[] = [];
  for (const target of compiled.targets) {
    const still = target.rules.every((r) => !r.condition && (r.kind === 'constant' || (r.kind === 'source' && !changed.has(r.source!.toLowerCase()) && !compiled.derivedSourceFields.has(r.source!.toLowerCase()))));
    if (still) out.push(target.field);
  }
  for (const rel of compiled.relationships) if (!changed.has(rel.source.toLowerCase())) out.push(rel.target);
  return out;
}

/**
 * Maps `records`, yielding to the event loop every few milliseconds so a large batch never
 * stalls Node-RED. Input records are not modified: mapped ones are copies with `target` set.
 */
export async function applyMapping(compiled: CompiledMapping, records: readonly SyncRecord[], ctx: ApplyContext = {}): Promise<MappingResult> {
  const result: MappingResult = { mapped: [], rejected: [], filtered: [] };
  const sliceMs = ctx.sliceMs ?? 5;
  let sliceStart = performance.now();
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    const outcome = await mapRecord(compiled, record, ctx.bindings);
    if (outcome.kind === 'mapped') result.mapped.push({ ...record, target: outcome.target });
    else if (outcome.kind === 'rejected') result.rejected.push({ record, problems: outcome.problems });
    else result.filtered.push(record);
    if ((i & 15) === 15 && performance.now() - sliceStart > sliceMs) {
      await nextTurn();
      sliceStart = performance.now();
    }
  }
  return result;
}
