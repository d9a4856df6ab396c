/**
 * The envelope's JSON Schema in words, for the help pages: build.mjs puts this section where a
 * node's help.html says `<!-- sync-message -->`, so what the help says about the message is the
 * schema the nodes check messages against, and cannot drift from it.
 */
import { BATCH_META_SCHEMA, SYNC_RECORD_SCHEMA } from './envelope-schema.js';

interface SchemaNode {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  description?: string;
  required?: string[];
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  additionalProperties?: SchemaNode | boolean;
}

function typeOf(s: SchemaNode): string {
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.type === 'array') return s.items?.type === 'object' ? 'array of objects' : `array of ${typeOf(s.items ?? {})}`;
  return Array.isArray(s.type) ? s.type.join(' | ') : s.type ?? 'any';
}

/** One bullet per property, nested objects indented under theirs. */
function properties(s: SchemaNode, depth: number): string[] {
  const lines: string[] = [];
  const required = new Set(s.required ?? []);
  for (const [name, p] of Object.entries(s.properties ?? {})) {
    const what = p.description ? `: ${p.description}` : '';
    lines.push(`${'  '.repeat(depth)}- \`${name}\` (${typeOf(p)}${required.has(name) ? '' : ', optional'})${what}`);
    const inner = p.type === 'array' ? p.items : p;
    if (inner?.properties) lines.push(...properties(inner, depth + 1));
  }
  return lines;
}

export function envelopeMarkdown(): string {
  return [
    '### The sync message',
    '',
    'Every OrgBridge sync node passes the same message, so core nodes (switch, function, delay, join) can sit in between.',
    'A message that does not fit is refused as a whole, with the path of the first problem (`msg.payload[3].sourceId is required`).',
    '',
    '`msg.payload` is an array of **sync records** (one batch):',
    '',
    ...properties(SYNC_RECORD_SCHEMA as SchemaNode, 0),
    '',
    '`msg.s2s` is the **batch metadata**; nodes add their parts as the batch passes:',
    '',
    ...properties(BATCH_META_SCHEMA as SchemaNode, 0),
    '',
  ].join('\n');
}
