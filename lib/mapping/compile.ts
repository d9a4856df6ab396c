/**
 * A mapping checked against the two orgs' describes and turned into what applyMapping runs:
 * field names resolved to the orgs' spelling, converters built per target field, value maps as
 * Maps, expressions prepared. Done once per deploy (or describe refresh), never per record.
 */
import type { FieldValue } from '../sync/types.js';
import { converterFor, emptyValueFor, type Converter } from './convert.js';
import { FieldIndex, fieldKind, isWritable, requiredOnCreate, activePicklistValues, type DescribeField, type FieldKind, type ObjectDescribe } from './describe.js';
import { didYouMean } from '../schema/did-you-mean.js';
import { expressionErrorText, type ExpressionEvaluator, type PreparedExpression } from './expressions.js';
import { parseMapping, type FieldMapping, type Mapping, type MappingStamp, type MappingValue, type RelationshipMapping } from './format.js';
import { MappingError } from './mapping-error.js';
import { mappingHash } from './mapping-hash.js';
import { Invalid } from './problems.js';
import { fieldCompatibility } from './type-compat.js';

export interface CompileOptions {
  /** Describe of the mapping's source object in the source org; null when the org has no such object. */
  sourceDescribe: ObjectDescribe | null | undefined;
  /** Describe of the mapping's target object in the target org; null when the org has no such object. */
  targetDescribe: ObjectDescribe | null | undefined;
  evaluator: ExpressionEvaluator;
  /**
   * Target-org describes of the objects relationships point at, by object name, so `via.externalId`
   * can be checked to be an external Id there. The target object itself need not be repeated.
   */
  parentDescribes?: Record<string, ObjectDescribe>;
}

export interface CompiledValueMap {
  /** Source value (lower-cased when case-insensitive) → target value. */
  readonly lookup: ReadonlyMap<string, MappingValue>;
  readonly caseInsensitive: boolean;
  readonly hasDefault: boolean;
  readonly default: MappingValue;
}

export interface CompiledRule {
  /** Index in `mapping.fields`, for messages. */
  readonly index: number;
  readonly kind: 'source' | 'expression' | 'constant';
  readonly source?: string;
  readonly expression?: PreparedExpression;
  /** Already converted to the target's type. */
  readonly constant?: FieldValue;
  readonly condition?: PreparedExpression;
  readonly valueMap?: CompiledValueMap;
  readonly hasDefault: boolean;
  /** Already converted to the target's type. */
  readonly default: FieldValue;
  readonly convert: Converter;
}

export interface CompiledTarget {
  /** Target API name as the target org spells it. */
  readonly field: string;
  readonly kind: FieldKind;
  /** What an empty value is written as (false for checkboxes, else null). */
  readonly empty: FieldValue;
  /** Reject records without a value: the target field is not nillable, or a mapping says `required`. */
  readonly required: boolean;
  /** Leave the field out rather than reject when a required value is missing. */
  readonly allowMissing: boolean;
  /** Tried in order; the first whose condition holds supplies the value. */
  readonly rules: readonly CompiledRule[];
  /** Some rule has a condition or an expression (else there is exactly one rule, run synchronously). */
  readonly evaluated: boolean;
}

export interface CompiledRelationship {
  readonly index: number;
  readonly source: string;
  readonly target: string;
  readonly object: string;
  readonly relationshipName: string;
  /** External Id field on the parent in the target; absent: resolve through the ledger. */
  readonly externalIdField?: string;
  readonly nillable: boolean;
  /** The target lookup cannot be empty. */
  readonly required: boolean;
}

export type CompiledMatch =
  | { readonly by: 'externalId'; readonly field: string; readonly expression?: PreparedExpression; readonly convert: Converter }
  | { readonly by: 'ledger' };

export interface CompiledMapping {
  readonly mapping: Mapping;
  readonly stamp: MappingStamp;
  readonly sourceObject: string;
  readonly targetObject: string;
  /** Doubts that do not stop the mapping (conversions that may fail for some values...). */
  readonly warnings: readonly string[];
  /**
   * Source fields the mapping reads, for the query that feeds it: copied fields, lookups, and
   * source fields whose names appear in an expression, condition, filter or match expression.
   */
  readonly sourceFields: readonly string[];
  /**
   * Source fields (lower case) whose value can change without a change event naming them: formulas
   * and roll-ups, compound fields, and other fields no one writes (the platform computes them).
   */
  readonly derivedSourceFields: ReadonlySet<string>;
  readonly filter?: PreparedExpression;
  readonly match: CompiledMatch;
  readonly targets: readonly CompiledTarget[];
  readonly relationships: readonly CompiledRelationship[];
  readonly evaluator: ExpressionEvaluator;
}

/** Collects problems and warnings while compiling; compile throws at the end if any problem. */
class Findings {
  readonly problems: string[] = [];
  readonly warnings: string[] = [];
  problem(text: string): void {
    this.problems.push(text);
  }
  warn(text: string): void {
    this.warnings.push(text);
  }
}

function prepare(evaluator: ExpressionEvaluator, text: string, path: string, findings: Findings): PreparedExpression | undefined {
  try {
    return evaluator.prepare(text);
  } catch (err) {
    findings.problem(`${path} does not parse: ${expressionErrorText(err)}`);
    return undefined;
  }
}

function checkObject(describe: ObjectDescribe | null | undefined, wanted: string, side: 'source' | 'target', findings: Findings): FieldIndex | undefined {
  if (!describe) {
    findings.problem(`${side}.object: ${wanted} does not exist in the ${side} org`);
    return undefined;
  }
  if (describe.name.toLowerCase() !== wanted.toLowerCase()) {
    findings.problem(`${side}.object: the mapping is for ${wanted} but the ${side} describe is of ${describe.name}`);
    return undefined;
  }
  return new FieldIndex(describe);
}

function lookupField(index: FieldIndex | undefined, name: string, path: string, side: 'source' | 'target', findings: Findings): DescribeField | undefined {
  if (!index) return undefined;
  const f = index.get(name);
  if (!f) findings.problem(`${path}: ${index.describe.name} has no field "${name}" in the ${side} org${didYouMean(name, index.names())}`);
  return f;
}

function checkWritable(field: DescribeField, object: string, path: string, findings: Findings): void {
  if (!isWritable(field)) findings.problem(`${path}: ${object}.${field.name} is read-only in the target`);
  else if (!field.updateable) findings.warn(`${path}: ${object}.${field.name} can be set on create only; updates that include it will fail`);
  else if (!field.createable) findings.warn(`${path}: ${object}.${field.name} can be set on update only; creates that include it will fail`);
}

function convertStatic(value: MappingValue, convert: Converter, path: string, findings: Findings): FieldValue {
  if (value === null || value === '') return null;
  const out = convert(value);
  if (out instanceof Invalid) {
    findings.problem(`${path}: ${out.message}`);
    return null;
  }
  return out;
}

function compileValueMap(rule: FieldMapping, i: number, convert: Converter, source: DescribeField | undefined, findings: Findings): CompiledValueMap | undefined {
  const vm = rule.valueMap;
  if (!vm) return undefined;
  const caseInsensitive = !!vm.caseInsensitive;
  const lookup = new Map<string, MappingValue>();
  for (const [key, value] of Object.entries(vm.values)) {
    const stored = convertStatic(value, convert, `fields[${i}].valueMap.values[${JSON.stringify(key)}]`, findings);
    lookup.set(caseInsensitive ? key.toLowerCase() : key, value === null ? null : stored);
  }
  const hasDefault = 'default' in vm;
  const dflt = hasDefault ? convertStatic(vm.default ?? null, convert, `fields[${i}].valueMap.default`, findings) : null;
  if (source && (fieldKind(source) === 'picklist' || fieldKind(source) === 'multipicklist')) {
    const known = new Set(activePicklistValues(source).map((v) => (caseInsensitive ? v.toLowerCase() : v)));
    const strays = Object.keys(vm.values).filter((k) => !known.has(caseInsensitive ? k.toLowerCase() : k));
    if (strays.length) {
      findings.warn(`fields[${i}].valueMap.values: ${strays.map((s) => `"${s}"`).join(', ')} ${strays.length === 1 ? 'is' : 'are'} not a value of the source picklist ${source.name}`);
    }
  }
  return { lookup, caseInsensitive, hasDefault, default: dflt };
}

function compileRule(
  rule: FieldMapping,
  i: number,
  target: DescribeField,
  src: FieldIndex | undefined,
  opts: CompileOptions,
  findings: Findings,
): CompiledRule {
  const convert = converterFor(target, { truncate: rule.truncate });
  if (rule.truncate && !['text', 'picklist', 'multipicklist'].includes(fieldKind(target))) {
    findings.warn(`fields[${i}].truncate has no effect: ${target.name} is not a text field`);
  }
  let source: DescribeField | undefined;
  if (rule.source !== undefined) {
    source = lookupField(src, rule.source, `fields[${i}].source`, 'source', findings);
    if (source) {
      const keys = rule.valueMap ? new Set(Object.keys(rule.valueMap.values).map((k) => (rule.valueMap?.caseInsensitive ? k.toLowerCase() : k))) : undefined;
      for (const c of fieldCompatibility(source, target, {
        truncate: rule.truncate,
        ...(keys ? { valueMapKeys: keys } : {}),
        hasDefault: !!rule.valueMap && 'default' in rule.valueMap,
        caseInsensitive: !!rule.valueMap?.caseInsensitive,
      })) {
        const text = `fields[${i}] (${source.name} → ${target.name}): ${c.reason}`;
        if (c.level === 'error') findings.problem(text);
        else findings.warn(text);
      }
    }
  }
  const base = {
    index: i,
    convert,
    hasDefault: 'default' in rule,
    default: 'default' in rule ? convertStatic(rule.default ?? null, convert, `fields[${i}].default`, findings) : null,
    ...(rule.condition !== undefined ? { condition: prepare(opts.evaluator, rule.condition, `fields[${i}].condition`, findings) } : {}),
  };
  const valueMap = compileValueMap(rule, i, convert, source, findings);
  if (rule.expression !== undefined) {
    return { ...base, kind: 'expression', expression: prepare(opts.evaluator, rule.expression, `fields[${i}].expression`, findings), ...(valueMap ? { valueMap } : {}) };
  }
  if (rule.source !== undefined) {
    return { ...base, kind: 'source', source: source?.name ?? rule.source, ...(valueMap ? { valueMap } : {}) };
  }
  return { ...base, kind: 'constant', constant: convertStatic(rule.constant ?? null, convert, `fields[${i}].constant`, findings) };
}

function compileTargets(m: Mapping, src: FieldIndex | undefined, tgt: FieldIndex | undefined, opts: CompileOptions, findings: Findings): CompiledTarget[] {
  const groups = new Map<string, { field: DescribeField; rules: CompiledRule[]; required: boolean; allowMissing: boolean }>();
  m.fields.forEach((rule, i) => {
    const target = lookupField(tgt, rule.target, `fields[${i}].target`, 'target', findings);
    if (rule.source !== undefined && !target) lookupField(src, rule.source, `fields[${i}].source`, 'source', findings);
    if (!target) return;
    checkWritable(target, m.target.object, `fields[${i}].target`, findings);
    const compiled = compileRule(rule, i, target, src, opts, findings);
    const group = groups.get(target.name) ?? { field: target, rules: [], required: false, allowMissing: false };
    group.rules.push(compiled);
    group.required ||= !!rule.required;
    group.allowMissing ||= !!rule.allowMissing;
    groups.set(target.name, group);
  });
  return [...groups.values()].map((g) => ({
    field: g.field.name,
    kind: fieldKind(g.field),
    empty: emptyValueFor(g.field),
    required: g.required || (!g.field.nillable && g.field.type !== 'boolean'),
    allowMissing: g.allowMissing,
    rules: g.rules,
    evaluated: g.rules.length > 1 || g.rules.some((r) => r.condition !== undefined || r.kind === 'expression'),
  }));
}

function parentIndex(object: string, opts: CompileOptions, tgt: FieldIndex | undefined): FieldIndex | undefined {
  if (tgt && tgt.describe.name.toLowerCase() === object.toLowerCase()) return tgt;
  const found = Object.entries(opts.parentDescribes ?? {}).find(([name]) => name.toLowerCase() === object.toLowerCase());
  return found ? new FieldIndex(found[1]) : undefined;
}

function pointsAt(field: DescribeField, object: string): boolean {
  return (field.referenceTo ?? []).some((o) => o.toLowerCase() === object.toLowerCase());
}

function compileRelationship(
  r: RelationshipMapping,
  i: number,
  m: Mapping,
  src: FieldIndex | undefined,
  tgt: FieldIndex | undefined,
  opts: CompileOptions,
  findings: Findings,
): CompiledRelationship | undefined {
  const path = `relationships[${i}]`;
  const source = lookupField(src, r.source, `${path}.source`, 'source', findings);
  if (source && (source.type !== 'reference' || !pointsAt(source, r.object))) {
    findings.problem(`${path}.source: ${m.source.object}.${source.name} is not a lookup to ${r.object}${source.referenceTo?.length ? ` (it refers to ${source.referenceTo.join(', ')})` : ''}`);
  }
  const target = lookupField(tgt, r.target, `${path}.target`, 'target', findings);
  if (!target) return undefined;
  if (target.type !== 'reference' || !pointsAt(target, r.object)) {
    findings.problem(`${path}.target: ${m.target.object}.${target.name} is not a lookup to ${r.object}${target.referenceTo?.length ? ` (it refers to ${target.referenceTo.join(', ')})` : ''}`);
    return undefined;
  }
  checkWritable(target, m.target.object, `${path}.target`, findings);
  const viaExternalId = typeof r.via === 'object' ? r.via.externalId : undefined;
  let externalIdField = viaExternalId;
  if (viaExternalId !== undefined) {
    if (!target.relationshipName) findings.problem(`${path}.via: ${m.target.object}.${target.name} has no relationship name to reference a parent by external Id; use "ledger"`);
    const parent = parentIndex(r.object, opts, tgt);
    if (parent) {
      const ext = lookupField(parent, viaExternalId, `${path}.via.externalId`, 'target', findings);
      if (ext && !ext.externalId && !ext.idLookup) findings.problem(`${path}.via.externalId: ${r.object}.${ext.name} is not an external Id field in the target`);
      if (ext) externalIdField = ext.name;
    }
  }
  const required = !target.nillable;
  if (r.nillable && required) findings.problem(`${path}.nillable: ${m.target.object}.${target.name} is required in the target, so it cannot be left empty on a first pass`);
  return {
    index: i,
    source: source?.name ?? r.source,
    target: target.name,
    object: (target.referenceTo ?? []).find((o) => o.toLowerCase() === r.object.toLowerCase()) ?? r.object,
    relationshipName: target.relationshipName ?? '',
    ...(externalIdField !== undefined ? { externalIdField } : {}),
    nillable: r.nillable ?? target.nillable,
    required,
  };
}

function compileMatch(m: Mapping, tgt: FieldIndex | undefined, opts: CompileOptions, findings: Findings): CompiledMatch {
  if (m.match.by === 'ledger') return { by: 'ledger' };
  const field = lookupField(tgt, m.match.field, 'match.field', 'target', findings);
  if (field && !field.externalId) findings.problem(`match.field: ${m.target.object}.${field.name} is not an external Id field in the target`);
  const value = m.match.value;
  const expression = typeof value === 'object' ? prepare(opts.evaluator, value.expression, 'match.value.expression', findings) : undefined;
  const convert: Converter = field ? converterFor(field) : (v) => (v === undefined ? null : (v as FieldValue));
  return { by: 'externalId', field: field?.name ?? m.match.field, convert, ...(expression !== undefined ? { expression } : {}) };
}

function checkRequiredCovered(m: Mapping, tgt: FieldIndex | undefined, targets: CompiledTarget[], rels: CompiledRelationship[], match: CompiledMatch, findings: Findings): void {
  if (!tgt) return;
  const covered = new Set<string>([...targets.map((t) => t.field), ...rels.map((r) => r.target)].map((n) => n.toLowerCase()));
  if (match.by === 'externalId') covered.add(match.field.toLowerCase());
  for (const f of tgt.describe.fields) {
    if (requiredOnCreate(f) && !covered.has(f.name.toLowerCase())) {
      findings.problem(`target ${m.target.object}.${f.name} is required on create and nothing maps it (add a field mapping or a constant)`);
    }
  }
}

/** Source fields named in expression texts: a word match is enough to select them in a query. */
function sourceFieldsUsed(m: Mapping, src: FieldIndex | undefined, rules: CompiledTarget[], rels: CompiledRelationship[]): string[] {
  const used = new Set<string>();
  for (const t of rules) for (const r of t.rules) if (r.source) used.add(r.source);
  for (const r of rels) used.add(r.source);
  const texts = [
    ...m.fields.flatMap((f) => [f.expression, f.condition]),
    m.filter?.expression,
    m.match.by === 'externalId' && typeof m.match.value === 'object' ? m.match.value.expression : undefined,
  ].filter((t): t is string => !!t);
  if (src && texts.length) {
    const words = new Set(texts.join(' ').match(/[A-Za-z][A-Za-z0-9_]*/g) ?? []);
    for (const name of src.names()) if (words.has(name)) used.add(name);
  }
  return [...used].sort();
}

/**
 * Checks `mapping` (a document or its JSON) against the describes and compiles it. Throws a
 * MappingError listing every problem (with the warnings); otherwise the warnings travel on the
 * result for the node to show.
 */
function isDerived(f: DescribeField): boolean {
  return !!f.calculated || f.type === 'address' || f.type === 'location' || (!f.createable && !f.updateable);
}

export function compileMapping(mapping: Mapping | string | object, opts: CompileOptions): CompiledMapping {
  const m = parseMapping(mapping);
  const findings = new Findings();
  const src = checkObject(opts.sourceDescribe, m.source.object, 'source', findings);
  const tgt = checkObject(opts.targetDescribe, m.target.object, 'target', findings);
  const filter = m.filter ? prepare(opts.evaluator, m.filter.expression, 'filter.expression', findings) : undefined;
  const match = compileMatch(m, tgt, opts, findings);
  const targets = compileTargets(m, src, tgt, opts, findings);
  const relationships = (m.relationships ?? [])
    .map((r, i) => compileRelationship(r, i, m, src, tgt, opts, findings))
    .filter((r): r is CompiledRelationship => !!r);
  checkRequiredCovered(m, tgt, targets, relationships, match, findings);
  if (findings.problems.length) throw new MappingError(findings.problems, findings.warnings, `mapping "${m.name}"`);
  return {
    mapping: m,
    stamp: { name: m.name, version: m.version, hash: mappingHash(m) },
    sourceObject: src?.describe.name ?? m.source.object,
    targetObject: tgt?.describe.name ?? m.target.object,
    warnings: findings.warnings,
    sourceFields: sourceFieldsUsed(m, src, targets, relationships),
    derivedSourceFields: new Set((src?.describe.fields ?? []).filter(isDerived).map((f) => f.name.toLowerCase())),
    ...(filter !== undefined ? { filter } : {}),
    match,
    targets,
    relationships,
    evaluator: opts.evaluator,
  };
}
