import type { FieldFunctionExpression, FieldType, FieldTypeOf, Subquery } from '@jetstreamapp/soql-parser-js';
import type { ObjectSchema } from '../schema/org-schema.js';
import type { FieldDef } from '../schema/types.js';
import type { FieldValue, StoredRecord } from '../store/types.js';
import { compoundValue, isCompound } from './compound.js';
import { innermostParameter, scalarFunction } from './functions.js';
import { fieldOf, type Hop, type ResolvedField } from './paths.js';
import { soqlErrors } from './query-errors.js';
import { newNode, type ShapeEntry, type ShapeNode } from './shape.js';
import type { Scope } from './types.js';
import { resolveFieldIn } from './where.js';

export interface CompiledSelect {
  node: ShapeNode;
  /** Flat column names (`Account.Name`) in SELECT order, for Bulk CSV. */
  columns: string[];
  flat: Map<string, (r: StoredRecord) => unknown>;
}

/** Compiles a child subquery into what produces its `{totalSize, done, records}` for one parent. */
export type ChildCompiler = (scope: Scope, sub: Subquery) => { key: string; run: (parent: StoredRecord) => unknown };

type Transform = (v: FieldValue | null) => FieldValue | null;

/** The SELECT list of a non-aggregate (sub)query. */
export function compileSelect(scope: Scope, fields: FieldType[], limit: number | undefined, compileChild: ChildCompiler): CompiledSelect {
  const { ctx, object } = scope;
  const src = ctx.src;
  const root = newNode();
  const columns: string[] = [];
  const flat = new Map<string, (r: StoredRecord) => unknown>();
  const seen = new Set<string>();

  const add = (resolved: ResolvedField, key?: string, transform?: Transform, fnName?: string) => {
    const dupKey = (fnName ? `${fnName}(${resolved.path})` : resolved.path).toLowerCase();
    if (seen.has(dupKey)) throw soqlErrors.duplicateField(resolved.path);
    seen.add(dupKey);
    insertValue(root, resolved, key ?? resolved.field.name, transform);
    columns.push(resolved.path);
    flat.set(resolved.path, flatGetter(scope, resolved, transform));
  };

  for (const item of fields) {
    switch (item.type) {
      case 'Field':
      case 'FieldRelationship': {
        const raw = 'rawValue' in item && item.rawValue ? item.rawValue : item.type === 'Field' ? item.field : [...item.relationships, item.field].join('.');
        const at = () => src.find(scope.region, raw, 'SELECT');
        if ('alias' in item && item.alias) throw soqlErrors.aliasOutsideAggregate(src, at());
        const segments = item.type === 'Field' ? [item.field] : [...item.relationships, item.field];
        add(ctx.resolver.resolve(object, segments, at, scope.alias));
        break;
      }
      case 'FieldFunctionExpression': {
        const name = item.functionName.toUpperCase();
        if (name === 'FIELDS') {
          for (const f of expandFields(scope, item, limit)) add(ctx.resolver.resolve(object, [f.name], () => 0));
          break;
        }
        const { resolved, transform } = functionField(scope, item);
        add(resolved, item.alias ?? resolved.field.name, transform, name);
        break;
      }
      case 'FieldSubquery': {
        const child = compileChild(scope, item.subquery);
        root.entries.push({ kind: 'children', key: child.key, run: child.run });
        break;
      }
      case 'FieldTypeof':
        root.entries.push(compileTypeof(scope, item));
        break;
    }
  }
  return { node: root, columns, flat };
}

/** FIELDS(ALL | STANDARD | CUSTOM) as a list of field definitions, with the real LIMIT rule. */
function expandFields(scope: Scope, item: FieldFunctionExpression, limit: number | undefined): FieldDef[] {
  const which = String(item.parameters[0] ?? '').toUpperCase();
  if (which !== 'STANDARD' && (limit === undefined || limit > 200)) throw soqlErrors.fieldsNeedLimit();
  const isCustom = (f: FieldDef) => f.custom ?? /__c$/i.test(f.name);
  const all = scope.object.fields;
  const chosen = which === 'ALL' ? all : which === 'CUSTOM' ? all.filter(isCustom) : all.filter((f) => !isCustom(f));
  // Every object has an Id; a hand-written schema may leave it out.
  if (which !== 'CUSTOM' && !scope.object.field('Id')) return [fieldOf(scope.object, 'Id')!, ...chosen];
  return chosen;
}

/** toLabel(Status), convertCurrency(Amount), FORMAT(CloseDate): the field plus a value transform. */
function functionField(scope: Scope, item: FieldFunctionExpression): { resolved: ResolvedField; transform: Transform } {
  const src = scope.ctx.src;
  const { field: raw, wrappers } = innermostParameter(item);
  const at = () => src.find(scope.region, item.functionName, 'SELECT');
  if (!raw) throw soqlErrors.malformed(src, at(), `unexpected token: '${item.rawValue ?? item.functionName}'`);
  const { resolved } = resolveFieldIn(scope, raw, 'SELECT');
  const steps = [...wrappers].reverse().map((w) => {
    const f = scalarFunction(w, resolved.field);
    if (!f) throw soqlErrors.malformed(src, at(), `unexpected token: '${w}'`);
    return f.apply;
  });
  return { resolved, transform: (v) => steps.reduce<FieldValue | null>((acc, step) => step(acc), v) };
}

/** Puts a field's value into the node tree, creating the nested parent nodes along its path. */
function insertValue(root: ShapeNode, resolved: ResolvedField, key: string, transform?: Transform): void {
  let node = root;
  for (const hop of resolved.hops) node = parentNode(node, hop);
  node.entries.push({ kind: 'value', key, get: valueGetter(resolved, transform) });
}

function parentNode(node: ShapeNode, hop: Hop): ShapeNode {
  const existing = node.entries.find((e): e is Extract<ShapeEntry, { kind: 'parent' }> => e.kind === 'parent' && e.key === hop.relationshipName);
  if (existing) return existing.node;
  const created = newNode();
  node.entries.push({ kind: 'parent', key: hop.relationshipName, hop, node: created });
  return created;
}

/** Reads the field off the record that owns it (the root or a parent reached by the node tree). */
function valueGetter(resolved: ResolvedField, transform?: Transform): (r: StoredRecord, o: ObjectSchema) => unknown {
  const f = resolved.field;
  const t = transform ?? ((v: FieldValue | null) => v);
  if (resolved.polymorphicType) {
    return (r, o) => {
      const own = fieldOf(o, 'Type');
      return own ? (r[own.name] ?? null) : o.name;
    };
  }
  if (isCompound(f)) {
    return (r, o) => {
      const def = fieldOf(o, f.name);
      return def ? compoundValue(o, def, r) : null;
    };
  }
  const lastHop = resolved.hops[resolved.hops.length - 1];
  if (lastHop && lastHop.targets.length > 1) return (r, o) => t(r[fieldOf(o, f.name)?.name ?? f.name] ?? null);
  const name = f.name;
  return (r) => t(r[name] ?? null);
}

function flatGetter(scope: Scope, resolved: ResolvedField, transform?: Transform): (r: StoredRecord) => unknown {
  if (isCompound(resolved.field)) {
    const get = valueGetter(resolved);
    return (r) => {
      const p = scope.ctx.resolver.parentOf(resolved.hops, r, scope.object);
      return p ? get(p.record, p.object) : null;
    };
  }
  const get = resolved.get;
  return transform ? (r) => transform(get(r)) : get;
}

/** TYPEOF Owner WHEN User THEN Name, Email ELSE Name END: a parent whose fields depend on its type. */
function compileTypeof(scope: Scope, item: FieldTypeOf): ShapeEntry {
  const { ctx, object } = scope;
  const src = ctx.src;
  const at = () => src.find(scope.region, item.field, 'SELECT');
  const ref = object.parentRelationship(item.field);
  if (!ref) throw soqlErrors.unknownParentRelationship(src, at(), item.field);
  const targets = (ref.referenceTo ?? []).map((n) => ctx.data.schema.object(n)).filter((o): o is ObjectSchema => !!o);
  const hop: Hop = { refField: ref, relationshipName: ref.relationshipName ?? item.field, targets };
  const byType = new Map<string, ShapeNode>();
  let otherwise: ShapeNode | undefined;
  for (const cond of item.conditions) {
    const node = newNode();
    if (cond.type === 'WHEN') {
      const target = ctx.data.schema.object(cond.objectType ?? '');
      if (!target) throw soqlErrors.unknownObject(src, src.find(scope.region, cond.objectType ?? '', 'SELECT'), cond.objectType ?? '');
      for (const name of cond.fieldList) {
        const resolved = ctx.resolver.resolve(target, name.split('.'), () => src.find(scope.region, name, 'SELECT'));
        insertValue(node, resolved, resolved.field.name);
      }
      byType.set(target.name.toLowerCase(), node);
    } else {
      for (const name of cond.fieldList) {
        const known = targets.map((o) => fieldOf(o, name)).find((f): f is FieldDef => !!f);
        const key = known?.name ?? name;
        node.entries.push({ kind: 'value', key, get: (r, o) => r[fieldOf(o, name)?.name ?? key] ?? null });
      }
      otherwise = node;
    }
  }
  return { kind: 'typeof', key: hop.relationshipName, hop, byType, otherwise };
}
