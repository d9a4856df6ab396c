import type { Org } from '../org.js';
import type { ObjectSchema } from '../schema/org-schema.js';
import type { FieldValue, StoredRecord } from '../store/types.js';
import { sfDateTime } from '../util/clock.js';
import { blankRecord, createDefault } from '../store/record-factory.js';

/** A row to load: field values in their stored wire form (see store/types.ts), keyed by field name. */
export type LoadRow = Record<string, FieldValue | undefined>;

export interface BulkLoadOptions {
  /** Creator, last modifier and default owner; the org's first user (the admin) when absent. */
  userId?: string;
  /** Creation time (ms) for rows that carry no CreatedDate; the org clock when absent. */
  now?: number;
  /**
   * `error` (default) throws on a field the object does not have; `ignore` drops it, so that one
   * generator can feed orgs whose schemas differ.
   */
  unknownFields?: 'error' | 'ignore';
}

/**
 * Everything about an object that the per-row loop needs, worked out once per schema object.
 * Objects are rebuilt on reset, so a WeakMap lets stale plans go with their schema.
 */
interface LoadPlan {
  /** Every stored field with its create default, in describe order. */
  template: StoredRecord;
  /** Builds a fresh record holding the template's values (see `recordFactory`). */
  blank: () => StoredRecord;
  /** Field name as given (exact or lower case) -> canonical name. */
  canonical: Map<string, string>;
  keyPrefix: string;
  has: {
    createdDate: boolean;
    lastModifiedDate: boolean;
    systemModstamp: boolean;
    createdById: boolean;
    lastModifiedById: boolean;
    ownerId: boolean;
  };
  /** Compound person name (Contact, Lead, User): the components it is built from. */
  nameComponents?: string[];
  /** Opportunity: stage -> flags derived by the server. */
  stages?: Map<string, StageInfo>;
  /** Case: status values that close a case. */
  closedStatuses?: Set<string>;
  autoNumberFields: string[];
}

interface StageInfo {
  closed: boolean;
  won: boolean;
  probability: number;
  forecast: string;
}

const plans = new WeakMap<ObjectSchema, LoadPlan>();

/** Default sales-process probabilities, which real orgs keep on OpportunityStage. */
const STAGE_PROBABILITY: Record<string, number> = {
  Prospecting: 10,
  Qualification: 10,
  'Needs Analysis': 20,
  'Value Proposition': 50,
  'Id. Decision Makers': 60,
  'Perception Analysis': 70,
  'Proposal/Price Quote': 75,
  'Negotiation/Review': 90,
  'Closed Won': 100,
  'Closed Lost': 0,
};

function stageInfo(value: string, closedFlag: boolean | undefined, wonFlag: boolean | undefined): StageInfo {
  const closed = closedFlag ?? /^closed/i.test(value);
  const won = wonFlag ?? /^closed won$/i.test(value);
  const probability = STAGE_PROBABILITY[value] ?? (won ? 100 : closed ? 0 : 50);
  // ForecastCategoryName values as the default sales process assigns them.
  const forecast = closed ? (won ? 'Closed' : 'Omitted') : probability >= 90 ? 'Commit' : probability >= 70 ? 'Best Case' : 'Pipeline';
  return { closed, won, probability, forecast };
}

function planFor(o: ObjectSchema): LoadPlan {
  const cached = plans.get(o);
  if (cached) return cached;
  const template: StoredRecord = { Id: '', IsDeleted: false };
  const canonical = new Map<string, string>();
  for (const f of o.fields) {
    // Compound address/location fields are views over their components, never stored (as in dml.ts).
    if (f.type === 'address' || f.type === 'location') continue;
    if (f.name !== 'Id' && f.name !== 'IsDeleted') template[f.name] = createDefault(f);
    canonical.set(f.name, f.name);
    canonical.set(f.name.toLowerCase(), f.name);
  }
  const has = (name: string) => o.field(name) !== undefined;
  const plan: LoadPlan = {
    template,
    blank: () => blankRecord(o),
    canonical,
    keyPrefix: o.keyPrefix,
    has: {
      createdDate: has('CreatedDate'),
      lastModifiedDate: has('LastModifiedDate'),
      systemModstamp: has('SystemModstamp'),
      createdById: has('CreatedById'),
      lastModifiedById: has('LastModifiedById'),
      ownerId: has('OwnerId'),
    },
    autoNumberFields: o.fields.filter((f) => f.autoNumber && f.type === 'string').map((f) => f.name),
  };
  const name = o.field('Name');
  if (name?.components && !name.createable) plan.nameComponents = name.components.filter((c) => c !== 'Salutation');
  if (o.name === 'Opportunity') {
    plan.stages = new Map();
    for (const p of o.field('StageName')?.picklistValues ?? []) plan.stages.set(p.value, stageInfo(p.value, p.closed, p.won));
  }
  if (o.name === 'Case' && has('IsClosed')) {
    plan.closedStatuses = new Set(
      (o.field('Status')?.picklistValues ?? [])
        .filter((p) => (p as { closed?: boolean }).closed ?? /^closed/i.test(p.value))
        .map((p) => p.value),
    );
  }
  plans.set(o, plan);
  return plan;
}

/**
 * Trusted fast load path for seeds and generators: rows go straight into the table with Ids from
 * the org's Id factory, system fields, create defaults and server-derived fields filled in, but no
 * validation beyond field names, no uniqueness or reference checks and no change events. Per row
 * this costs one object literal and the table's index upkeep, so a million accounts load in a few
 * seconds.
 *
 * A row may carry its own `Id` when it was issued by `org.ids` beforehand, which lets a generator
 * point children at parents loaded in the same batch (a row whose Id exists replaces that record).
 * Returns the Ids in row order.
 */
export function bulkLoad(org: Org, objectName: string, rows: readonly LoadRow[], opts: BulkLoadOptions = {}): string[] {
  const o = org.schema.object(objectName);
  const table = org.data.table(objectName);
  if (!o || !table) throw new Error(`bulkLoad: ${org.name} has no object ${objectName}`);
  const plan = planFor(o);
  const userId = opts.userId ?? firstUserId(org);
  const now = sfDateTime(opts.now ?? org.clock.now());
  const ignoreUnknown = opts.unknownFields === 'ignore';
  const { canonical, has, keyPrefix } = plan;
  let autoNumber = table.rows.size;
  const ids: string[] = new Array<string>(rows.length);

  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const r = plan.blank();
    for (const key in row) {
      const v = row[key];
      if (v === undefined) continue;
      const name = canonical.get(key) ?? canonical.get(key.toLowerCase());
      if (name === undefined) {
        if (ignoreUnknown) continue;
        throw new Error(`bulkLoad: ${o.name} has no field ${key}`);
      }
      r[name] = v;
    }

    if (typeof row.Id === 'string' && row.Id) {
      if (row.Id.length !== 18 || !row.Id.startsWith(keyPrefix)) throw new Error(`bulkLoad: ${row.Id} is not an 18-character ${o.name} Id`);
      r.Id = row.Id;
    } else {
      r.Id = org.ids.next(keyPrefix);
    }
    if (typeof r.IsDeleted !== 'boolean') r.IsDeleted = false;

    if (has.createdDate && r.CreatedDate === null) r.CreatedDate = now;
    if (has.lastModifiedDate && r.LastModifiedDate === null) r.LastModifiedDate = r.CreatedDate ?? now;
    if (has.systemModstamp && r.SystemModstamp === null) r.SystemModstamp = r.LastModifiedDate ?? r.CreatedDate ?? now;
    if (has.createdById && r.CreatedById === null) r.CreatedById = userId;
    if (has.lastModifiedById && r.LastModifiedById === null) r.LastModifiedById = r.CreatedById ?? userId;
    if (has.ownerId && r.OwnerId === null) r.OwnerId = userId;

    if (plan.nameComponents) r.Name = personName(r, plan.nameComponents);
    if (plan.stages && typeof r.StageName === 'string') {
      const s = plan.stages.get(r.StageName) ?? stageInfo(r.StageName, undefined, undefined);
      r.IsClosed = s.closed;
      r.IsWon = s.won;
      if ('Probability' in r && r.Probability === null) r.Probability = s.probability;
      if ('ForecastCategoryName' in r && r.ForecastCategoryName === null) r.ForecastCategoryName = s.forecast;
      if ('ForecastCategory' in r && r.ForecastCategory === null) r.ForecastCategory = forecastCategoryApiName(String(r.ForecastCategoryName ?? s.forecast));
    }
    if (plan.closedStatuses && typeof r.Status === 'string') {
      r.IsClosed = plan.closedStatuses.has(r.Status);
      if (r.IsClosed && 'ClosedDate' in r && r.ClosedDate === null) r.ClosedDate = r.LastModifiedDate ?? now;
    }
    for (const f of plan.autoNumberFields) if (r[f] === null) r[f] = String(++autoNumber).padStart(8, '0');

    table.put(r);
    ids[i] = r.Id;
  }
  return ids;
}



function personName(r: StoredRecord, components: string[]): string | null {
  let name = '';
  for (const c of components) {
    const v = r[c];
    if (v === null || v === undefined || v === '') continue;
    name = name ? `${name} ${String(v)}` : String(v);
  }
  return name || null;
}

/** ForecastCategory holds API names where ForecastCategoryName holds labels. */
function forecastCategoryApiName(label: string): string {
  switch (label) {
    case 'Best Case':
      return 'BestCase';
    case 'Commit':
      return 'Forecast';
    case 'Most Likely':
      return 'MostLikely';
    default:
      return label;
  }
}

/** The first user of the spec: the one that owns seed data, as the admin owns a new org's data. */
export function firstUserId(org: Org): string {
  const first = org.users.values().next();
  if (first.done) throw new Error(`bulkLoad: ${org.name} has no users`);
  return first.value.id;
}
