import type { ObjectSchema } from '../schema/org-schema.js';
import type { FieldDef } from '../schema/types.js';
import type { FieldValue } from '../store/types.js';

/** Keys every address value carries, present as null when the component is empty or missing. */
const ADDRESS_KEYS = ['street', 'city', 'state', 'postalCode', 'country', 'latitude', 'longitude', 'geocodeAccuracy'];
const ADDRESS_SUFFIXES = ['Street', 'City', 'State', 'PostalCode', 'Country', 'Latitude', 'Longitude', 'GeocodeAccuracy', 'StateCode', 'CountryCode'];

export function isCompound(f: FieldDef): boolean {
  return f.type === 'address' || f.type === 'location';
}

/** Component field names of a compound field: declared ones, else those pointing back at it, else the naming convention. */
export function compoundComponents(object: ObjectSchema, field: FieldDef): string[] {
  if (field.components?.length) return field.components;
  const pointing = object.fields.filter((f) => f.compoundFieldName === field.name).map((f) => f.name);
  if (pointing.length) return pointing;
  if (field.type === 'location') {
    const base = field.name.replace(/__c$/i, '');
    return [`${base}__Latitude__s`, `${base}__Longitude__s`].filter((n) => object.field(n));
  }
  const prefix = addressPrefix(field.name);
  return ADDRESS_SUFFIXES.map((s) => prefix + s).filter((n) => object.field(n));
}

function addressPrefix(name: string): string {
  return name.replace(/Address$/, '');
}

/** `BillingPostalCode` -> `postalCode`, `Loc__Latitude__s` -> `latitude`. */
function componentKey(field: FieldDef, component: string): string {
  let rest = component;
  if (field.type === 'location') {
    rest = rest.replace(/__s$/i, '');
    const sep = rest.lastIndexOf('__');
    if (sep >= 0) rest = rest.slice(sep + 2);
  } else {
    const prefix = addressPrefix(field.name);
    if (rest.toLowerCase().startsWith(prefix.toLowerCase())) rest = rest.slice(prefix.length);
  }
  return rest.charAt(0).toLowerCase() + rest.slice(1);
}

/**
 * The REST value of an address or location field (`BillingAddress`, `Loc__c`), built from its
 * components: an object with keys in alphabetical order as real orgs send them, or null when
 * every component is empty.
 */
export function compoundValue(
  object: ObjectSchema,
  field: FieldDef,
  record: Readonly<Record<string, FieldValue | undefined>>,
): Record<string, FieldValue> | null {
  const values: Record<string, FieldValue> = {};
  if (field.type === 'address') for (const k of ADDRESS_KEYS) values[k] = null;
  else values.latitude = values.longitude = null;
  let any = false;
  for (const c of compoundComponents(object, field)) {
    const canonical = object.field(c)?.name ?? c;
    const v = record[canonical];
    const value = v === undefined || v === '' ? null : v;
    if (value !== null) any = true;
    values[componentKey(field, canonical)] = value;
  }
  if (!any) return null;
  const sorted: Record<string, FieldValue> = {};
  for (const k of Object.keys(values).sort()) sorted[k] = values[k]!;
  return sorted;
}
