/**
 * What the editors are told about an org's objects and fields: one shape for every editor (object
 * pickers, field pickers, relationship pickers, type warnings), cut down from the describes so only
 * what a picker shows travels to the browser.
 */
import type { DescribeSObjectResult } from 'jsforce';
import type { DescribeField } from '../mapping/describe.js';
import type { GlobalObject } from './describes.js';

export interface ObjectSummary {
  name: string;
  label: string;
  custom: boolean;
  keyPrefix: string | null;
  queryable: boolean;
  createable: boolean;
  updateable: boolean;
}

/** What the field pickers and the type warnings need of a field; nothing else travels. */
export type FieldSummary = Required<Pick<
  DescribeField,
  | 'name' | 'label' | 'type' | 'picklistValues' | 'restrictedPicklist' | 'referenceTo' | 'relationshipName' | 'externalId' | 'idLookup'
  | 'createable' | 'updateable' | 'nillable' | 'defaultedOnCreate' | 'calculated' | 'autoNumber'
>> & Pick<DescribeField, 'length' | 'precision' | 'scale' | 'digits'>;

export interface ChildSummary {
  relationshipName: string;
  childSObject: string;
  field: string;
}

export interface DescribeSummary {
  name: string;
  label: string;
  keyPrefix: string | null;
  fields: FieldSummary[];
  /** Child relationships that have a name (the ones a query or a collection can follow). */
  children: ChildSummary[];
}

/** The org's objects for a picker, sorted by label; deprecated-and-hidden ones left out. */
export function objectSummaries(list: readonly GlobalObject[]): ObjectSummary[] {
  return list
    .filter((o) => !o.deprecatedAndHidden)
    .map((o) => ({
      name: o.name, label: o.label, custom: !!o.custom, keyPrefix: o.keyPrefix ?? null,
      queryable: !!o.queryable, createable: !!o.createable, updateable: !!o.updateable,
    }))
    .sort((a, b) => a.label.localeCompare(b.label) || a.name.localeCompare(b.name));
}

export function describeSummary(d: DescribeSObjectResult): DescribeSummary {
  const fields = d.fields as unknown as DescribeField[];
  return {
    name: d.name,
    label: d.label ?? d.name,
    keyPrefix: d.keyPrefix ?? null,
    fields: fields.map((f) => ({
      name: f.name,
      label: f.label,
      type: f.type,
      length: f.length,
      precision: f.precision,
      scale: f.scale,
      digits: f.digits,
      picklistValues: (f.picklistValues ?? []).map((p) => ({ value: p.value, label: p.label ?? p.value, active: p.active !== false })),
      restrictedPicklist: !!f.restrictedPicklist,
      referenceTo: f.referenceTo ?? [],
      relationshipName: f.relationshipName ?? null,
      externalId: !!f.externalId,
      idLookup: !!f.idLookup,
      createable: f.createable,
      updateable: f.updateable,
      nillable: f.nillable,
      defaultedOnCreate: !!f.defaultedOnCreate,
      calculated: !!f.calculated,
      autoNumber: !!f.autoNumber,
    })),
    children: (d.childRelationships ?? [])
      .filter((r) => !!r.relationshipName)
      .map((r) => ({ relationshipName: r.relationshipName!, childSObject: r.childSObject, field: r.field })),
  };
}
