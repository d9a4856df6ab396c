/**
 * The content hash stamped on every sync result, so a result can be traced to the exact mapping
 * that produced it even when someone edits a document without bumping its version.
 */
import { createHash } from 'node:crypto';
import type { Mapping } from './format.js';

/** JSON with object keys sorted at every level; array order is kept (field order is meaningful). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.keys(value)
    .sort()
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

/**
 * First 16 hex characters of the sha256 of the canonical form. `$schema` is left out (it only
 * helps editors) and an absent `relationships` counts as an empty one, so the same content
 * hashes alike whether or not it went through parseMapping.
 */
export function mappingHash(mapping: Mapping): string {
  const { $schema: _schema, ...content } = mapping;
  const normalized = { ...content, relationships: content.relationships ?? [] };
  return createHash('sha256').update(canonicalJson(normalized)).digest('hex').slice(0, 16);
}
