import { errors, SfError } from '../../errors.js';
import type { ObjectSchema } from '../../schema/org-schema.js';
import type { ChildRelationship } from '../../schema/types.js';
import type { RequestContext } from '../context.js';
import { tooManyRecords, type RecordError } from './collections.js';

/** Records across all trees of one request, and tree depth (root is level 1). */
export const MAX_TREE_RECORDS = 200;
export const MAX_TREE_DEPTH = 5;

type Json = Record<string, unknown>;

/** One record of the request, with the relationship it hangs from. */
interface TreeNode {
  object: ObjectSchema;
  referenceId: string;
  fields: Json;
  level: number;
  parent?: TreeNode;
  /** The lookup on this record that points at `parent`. */
  parentField?: string;
  id?: string;
}

interface TreeFailure {
  referenceId: string | null;
  errors: RecordError[];
}

class TreeError extends Error {
  constructor(readonly failures: TreeFailure[]) {
    super('tree rejected');
  }
}

function isObject(v: unknown): v is Json {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

function failure(referenceId: string | null, statusCode: string, message: string, fields: string[] = []): TreeError {
  return new TreeError([{ referenceId, errors: [{ statusCode, message, fields }] }]);
}

/**
 * Flattens the nested request into nodes, checking shapes, types, limits and reference Ids
 * before anything is written. Keys whose value is `{records:[...]}` and that name a child
 * relationship of the record's object are children; everything else is a field.
 */
function flatten(ctx: RequestContext, root: ObjectSchema, records: unknown[]): TreeNode[] {
  const schema = ctx.requireOrg.schema;
  const nodes: TreeNode[] = [];
  const walk = (list: unknown[], expected: ObjectSchema, level: number, parent?: TreeNode, rel?: ChildRelationship): void => {
    for (const raw of list) {
      if (!isObject(raw)) throw errors.jsonParser('Cannot deserialize instance of SObject from VALUE_STRING value or request may be missing a required field');
      const attributes = isObject(raw.attributes) ? raw.attributes : {};
      const referenceId = typeof attributes.referenceId === 'string' && attributes.referenceId ? attributes.referenceId : null;
      // Unverified wording for the three request-shape errors below.
      if (!referenceId) throw failure(null, 'INVALID_INPUT', 'Include a reference ID for each record in the request.');
      const type = typeof attributes.type === 'string' ? attributes.type : undefined;
      const object = type ? schema.object(type) : undefined;
      if (!type) throw failure(referenceId, 'INVALID_TYPE', 'Must send a concrete entity type.');
      if (!object) throw failure(referenceId, 'INVALID_TYPE', `sObject type '${type}' is not supported.`);
      if (object !== expected) {
        throw failure(referenceId, 'INVALID_TYPE', `The sObject type ${object.name} doesn't match the expected type ${expected.name}.`);
      }
      if (level > MAX_TREE_DEPTH) {
        throw failure(referenceId, 'INVALID_INPUT', `The request exceeds the maximum depth of ${MAX_TREE_DEPTH} levels.`);
      }
      const node: TreeNode = { object, referenceId, fields: {}, level, parent, parentField: rel?.field };
      nodes.push(node);
      if (nodes.length > MAX_TREE_RECORDS) throw tooManyRecords(MAX_TREE_RECORDS);
      const children: Array<[ChildRelationship, unknown[]]> = [];
      for (const [key, value] of Object.entries(raw)) {
        if (key === 'attributes') continue;
        const nested = isObject(value) && Array.isArray(value.records) ? (value.records as unknown[]) : undefined;
        const childRel = nested && !object.field(key) ? object.childRelationship(key) : undefined;
        if (childRel && nested) children.push([childRel, nested]);
        else node.fields[key] = value;
      }
      for (const [childRel, childRecords] of children) {
        const childObject = schema.object(childRel.childSObject)!;
        walk(childRecords, childObject, level + 1, node, childRel);
      }
    }
  };
  walk(records, root, 1);
  const seen = new Map<string, TreeNode[]>();
  for (const n of nodes) seen.set(n.referenceId, [...(seen.get(n.referenceId) ?? []), n]);
  const duplicates = [...seen.values()].filter((group) => group.length > 1).flat();
  if (duplicates.length) {
    // One result per instance of a duplicated reference Id, as the documentation describes.
    throw new TreeError(
      duplicates.map((n) => ({
        referenceId: n.referenceId,
        errors: [{ statusCode: 'INVALID_INPUT', message: 'Duplicate ReferenceId provided in the request.', fields: [] }],
      })),
    );
  }
  return nodes;
}

/**
 * POST /composite/tree/{type}: creates nested records all-or-nothing, level by level across all
 * trees (every root, then every second-level record...), which is the order results come back in.
 */
export async function createTree(ctx: RequestContext): Promise<void> {
  const org = ctx.requireOrg;
  const root = org.schema.object(ctx.params.type!);
  if (!root) throw errors.notFound();
  const body = await ctx.readJson<unknown>();
  if (!isObject(body) || !Array.isArray(body.records)) {
    throw errors.jsonParser('Cannot deserialize instance of SObjectTreeRequest from START_ARRAY value or request may be missing a required field');
  }
  try {
    const nodes = flatten(ctx, root, body.records);
    const ordered = [...nodes].sort((a, b) => a.level - b.level);
    org.transaction(ctx.writeContext(), (tx) => {
      for (const node of ordered) {
        const fields = { ...node.fields };
        if (node.parent && node.parentField) {
          for (const k of Object.keys(fields)) if (k.toLowerCase() === node.parentField.toLowerCase()) delete fields[k];
          fields[node.parentField] = node.parent.id!;
        }
        try {
          node.id = tx.insert(node.object.name, fields);
        } catch (err) {
          if (err instanceof SfError) throw new TreeError([{ referenceId: node.referenceId, errors: [err.toRecordError()] }]);
          throw err;
        }
      }
    });
    ctx.sendJson(201, { hasErrors: false, results: ordered.map((n) => ({ referenceId: n.referenceId, id: n.id! })) });
  } catch (err) {
    if (err instanceof TreeError) {
      ctx.sendJson(400, { hasErrors: true, results: err.failures });
      return;
    }
    throw err;
  }
}
