import { readFileSync } from 'node:fs';
import type { SchemaFile } from './types.js';

const FIELD_TYPES = new Set([
  'id', 'string', 'textarea', 'picklist', 'multipicklist', 'combobox', 'reference', 'boolean', 'int', 'double', 'currency',
  'percent', 'date', 'datetime', 'time', 'email', 'phone', 'url', 'address', 'location', 'base64', 'encryptedstring',
]);

function fail(file: string, where: string, problem: string): never {
  throw new Error(`schema file ${file}: ${where}: ${problem}`);
}

function checkField(file: string, where: string, f: unknown): void {
  if (!f || typeof f !== 'object') fail(file, where, 'a field must be an object');
  const field = f as Record<string, unknown>;
  if (typeof field.name !== 'string' || !field.name) fail(file, where, 'a field needs a "name"');
  if (!FIELD_TYPES.has(String(field.type))) fail(file, `${where} ${field.name}`, `unknown type ${JSON.stringify(field.type)}; use one of ${[...FIELD_TYPES].join(', ')}`);
  if (field.type === 'reference' && !Array.isArray(field.referenceTo)) fail(file, `${where} ${field.name}`, 'a reference needs "referenceTo": ["Object"]');
}

/**
 * Reads a per-org schema file (custom objects, extra fields, picklist changes) and checks its
 * shape, so that a typo names the file and the field instead of surfacing later as a bad describe.
 * Fields default to what a custom field usually is: nillable, createable, updateable, custom.
 */
export function loadSchemaFile(file: string): SchemaFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    fail(file, 'top level', `cannot read JSON (${(err as Error).message})`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) fail(file, 'top level', 'expected an object with "objects", "fields" and/or "picklists"');
  const schema = parsed as SchemaFile;
  const withDefaults = (f: Record<string, unknown>) => ({
    label: f.name, nillable: true, createable: true, updateable: true, custom: String(f.name).endsWith('__c'), ...f,
  });
  for (const [i, o] of (schema.objects ?? []).entries()) {
    if (!o || typeof o.name !== 'string') fail(file, `objects[${i}]`, 'an object needs a "name"');
    if (typeof o.keyPrefix !== 'string' || o.keyPrefix.length !== 3) fail(file, o.name, 'an object needs a 3-character "keyPrefix"');
    if (!Array.isArray(o.fields)) fail(file, o.name, 'an object needs "fields": [...]');
    o.fields.forEach((f, j) => checkField(file, `${o.name}.fields[${j}]`, f));
    o.label ??= o.name;
    o.labelPlural ??= `${o.label}s`;
    o.custom ??= o.name.endsWith('__c');
    o.fields = o.fields.map((f) => withDefaults(f as unknown as Record<string, unknown>)) as typeof o.fields;
  }
  for (const [objectName, fields] of Object.entries(schema.fields ?? {})) {
    if (!Array.isArray(fields)) fail(file, `fields.${objectName}`, 'expected an array of fields');
    fields.forEach((f, j) => checkField(file, `fields.${objectName}[${j}]`, f));
    schema.fields![objectName] = fields.map((f) => withDefaults(f as unknown as Record<string, unknown>)) as typeof fields;
  }
  return schema;
}
