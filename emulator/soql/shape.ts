import type { ObjectSchema } from '../schema/org-schema.js';
import type { StoredRecord } from '../store/types.js';
import type { Hop } from './paths.js';
import type { QueryContext } from './types.js';

/**
 * The compiled form of a SELECT list: what keys a shaped record gets, in SELECT order. Parent
 * relationships nest their own node; several fields through one relationship share it.
 */
export interface ShapeNode {
  entries: ShapeEntry[];
}

export type ShapeEntry =
  | { kind: 'value'; key: string; get: (r: StoredRecord, object: ObjectSchema) => unknown }
  | { kind: 'parent'; key: string; hop: Hop; node: ShapeNode }
  | { kind: 'children'; key: string; run: (parent: StoredRecord) => unknown }
  | { kind: 'typeof'; key: string; hop: Hop; byType: Map<string, ShapeNode>; otherwise?: ShapeNode };

export function newNode(): ShapeNode {
  return { entries: [] };
}

/** The `attributes` block of a record: its type and REST url. */
export function attributes(ctx: QueryContext, type: string, id: string): { type: string; url: string } {
  return { type, url: `${ctx.apiBase}/sobjects/${type}/${id}` };
}

/** Shapes one stored record into the JSON the REST API returns. */
export function shapeRecord(ctx: QueryContext, node: ShapeNode, r: StoredRecord, object: ObjectSchema): Record<string, unknown> {
  const out: Record<string, unknown> = { attributes: attributes(ctx, object.name, r.Id) };
  for (const e of node.entries) {
    switch (e.kind) {
      case 'value':
        out[e.key] = e.get(r, object);
        break;
      case 'parent': {
        const p = ctx.resolver.follow(e.hop, r);
        out[e.key] = p ? shapeRecord(ctx, e.node, p.record, p.object) : null;
        break;
      }
      case 'children':
        out[e.key] = e.run(r);
        break;
      case 'typeof': {
        const p = ctx.resolver.follow(e.hop, r);
        // A parent type with neither a WHEN nor an ELSE still comes back, with attributes only.
        const chosen = p && (e.byType.get(p.object.name.toLowerCase()) ?? e.otherwise ?? newNode());
        out[e.key] = p && chosen ? shapeRecord(ctx, chosen, p.record, p.object) : null;
        break;
      }
    }
  }
  return out;
}
