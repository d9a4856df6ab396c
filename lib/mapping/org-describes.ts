import { LRUCache } from 'lru-cache';
import type { OrgConnection } from '../connection/org-connection.js';
import type { DescribeField, ObjectDescribe } from './index.js';

/** An object as the editor's object picker lists it. */
export interface ObjectSummary {
  name: string;
  label: string;
  custom: boolean;
  createable: boolean;
  updateable: boolean;
  queryable: boolean;
}

/** What the editor's field pickers and its type warnings need of a field; nothing else travels. */
export type FieldSummary = Pick<
  DescribeField,
  | 'name' | 'label' | 'type' | 'length' | 'precision' | 'scale' | 'digits' | 'picklistValues' | 'restrictedPicklist' | 'referenceTo'
  | 'relationshipName' | 'externalId' | 'idLookup' | 'createable' | 'updateable' | 'nillable' | 'defaultedOnCreate' | 'calculated' | 'autoNumber'
>;

export interface DescribeSummary {
  name: string;
  label: string;
  fields: FieldSummary[];
}

interface GlobalObject {
  name: string;
  label: string;
  custom?: boolean;
  createable?: boolean;
  updateable?: boolean;
  queryable?: boolean;
}

/**
 * One org's describes, asked once per object and kept (for `ttlMs` when given, else for the life of
 * the owner: a deploy). A failed call is forgotten so the next caller tries again; an object the org
 * does not have is remembered as null, which the mapping compiler words as a problem.
 */
export class OrgDescribes {
  private readonly objects: LRUCache<string, Promise<ObjectDescribe | null>>;
  private global?: Promise<ObjectSummary[]>;
  private globalAt = 0;

  constructor(
    readonly org: OrgConnection,
    private readonly ttlMs = 0,
  ) {
    this.objects = new LRUCache({ max: 500, ...(ttlMs > 0 ? { ttl: ttlMs } : {}) });
  }

  describe(objectName: string): Promise<ObjectDescribe | null> {
    const key = objectName.toLowerCase();
    let d = this.objects.get(key);
    if (!d) {
      d = this.org.run((c) => c.describe(objectName)).then(
        (r) => r as unknown as ObjectDescribe,
        (err: Error & { code?: string }) => {
          if (err.code === 'NOT_FOUND') return null;
          this.objects.delete(key);
          throw err;
        },
      );
      this.objects.set(key, d);
    }
    return d;
  }

  list(): Promise<ObjectSummary[]> {
    if (!this.global || (this.ttlMs > 0 && Date.now() - this.globalAt > this.ttlMs)) {
      this.globalAt = Date.now();
      const asked = this.org.run((c) => c.describeGlobal()).then((r) =>
        (r.sobjects as GlobalObject[]).map((o) => ({
          name: o.name, label: o.label, custom: !!o.custom, createable: !!o.createable, updateable: !!o.updateable, queryable: !!o.queryable,
        })),
      );
      asked.catch(() => {
        if (this.global === asked) this.global = undefined;
      });
      this.global = asked;
    }
    return this.global;
  }
}

export function summarize(d: ObjectDescribe): DescribeSummary {
  return {
    name: d.name,
    label: d.label ?? d.name,
    fields: d.fields.map((f) => ({
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
  };
}
