/** Platform events (`X__e`): validating a publish request and shaping the delivered event. */
import { createHash, randomUUID } from 'node:crypto';
import { errors, SfError } from '../errors.js';
import type { ObjectSchema } from '../schema/org-schema.js';
import { coerceFieldValue } from '../store/coerce.js';
import type { FieldValue } from '../store/types.js';

/** Fields the platform fills in on every event; a publisher may not set them. */
const SYSTEM_EVENT_FIELDS = new Set(['id', 'replayid', 'createddate', 'createdbyid', 'eventuuid']);

export function platformEventChannel(objectName: string): string {
  return `/event/${objectName}`;
}

/** A stable schema id per event object and field list, like the hash a real org reports. */
export function platformEventSchemaId(o: ObjectSchema): string {
  return createHash('sha256')
    .update(`${o.name}:${o.fields.map((f) => f.name).join(',')}`)
    .digest('base64url')
    .slice(0, 22);
}

export interface PlatformEventPayload {
  payload: Record<string, unknown>;
  eventUuid: string;
}

/**
 * Checks a publish body against the event's fields with the same errors as a record create, and
 * returns the payload subscribers receive: the given fields plus CreatedDate, CreatedById and EventUuid.
 */
export function platformEventPayload(o: ObjectSchema, input: Record<string, unknown>, userId: string, nowIso: string): PlatformEventPayload {
  const values: Record<string, FieldValue> = {};
  const notWritable: string[] = [];
  for (const [key, raw] of Object.entries(input)) {
    if (key === 'attributes') continue;
    const f = o.field(key);
    if (!f) throw new SfError('INVALID_FIELD', `No such column '${key}' on sobject of type ${o.name}`, 400, [key]);
    if (SYSTEM_EVENT_FIELDS.has(f.name.toLowerCase()) || f.createable === false) {
      notWritable.push(f.name);
      continue;
    }
    values[f.name] = coerceFieldValue(f, raw);
  }
  if (notWritable.length) throw errors.fieldsNotWritable(notWritable);
  const missing = o.fields
    .filter((f) => !SYSTEM_EVENT_FIELDS.has(f.name.toLowerCase()) && f.createable && !f.nillable && !f.defaultedOnCreate && f.type !== 'boolean')
    .filter((f) => values[f.name] === null || values[f.name] === undefined)
    .map((f) => f.name);
  if (missing.length) throw new SfError('REQUIRED_FIELD_MISSING', `Required fields are missing: [${missing.join(', ')}]`, 400, missing);
  const eventUuid = randomUUID();
  const payload: Record<string, unknown> = { CreatedDate: nowIso, CreatedById: userId, EventUuid: eventUuid };
  for (const f of o.fields) {
    if (SYSTEM_EVENT_FIELDS.has(f.name.toLowerCase())) continue;
    if (f.name in values) payload[f.name] = wireValue(f.type, values[f.name]!);
    else if (f.defaultValue !== undefined) payload[f.name] = f.defaultValue;
    else if (f.type === 'boolean') payload[f.name] = false;
    else payload[f.name] = null;
  }
  return { payload, eventUuid };
}

function wireValue(type: string, v: FieldValue): FieldValue {
  if (type === 'datetime' && typeof v === 'string' && v.endsWith('+0000')) return `${v.slice(0, -5)}Z`;
  return v;
}
