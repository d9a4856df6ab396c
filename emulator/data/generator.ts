import type { Org } from '../org.js';
import type { ObjectSchema } from '../schema/org-schema.js';
import { LEAD_SOURCES, OPPORTUNITY_STAGES, OWNERSHIP, RATINGS } from '../schema/standard-objects.js';
import type { FieldDef, PicklistValue } from '../schema/types.js';
import { sfDate } from '../util/clock.js';
import { bulkLoad, type LoadRow } from './bulk-load.js';

/** mulberry32: a tiny, fast PRNG whose whole state is one 32-bit integer, so a seed fixes every value. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded random source with the helpers the data sets need. */
export class Random {
  private readonly next: () => number;

  constructor(seed: number) {
    this.next = mulberry32(seed);
  }

  float(): number {
    return this.next();
  }

  /** 0 <= n < max */
  int(max: number): number {
    return Math.floor(this.next() * max);
  }

  between(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  digits(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += Math.floor(this.next() * 10);
    return s;
  }
}

/** Separate streams per object keep each object's values independent of batch size and of each other. */
function streamSeed(seed: number, salt: number): number {
  let h = Math.imul((seed >>> 0) ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(salt, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return h >>> 0;
}

export const COMPANY_PREFIXES = [
  'Alder', 'Amber', 'Apex', 'Arrow', 'Aspen', 'Atlas', 'Aurora', 'Beacon', 'Birch', 'Blue Ridge', 'Bright', 'Cascade',
  'Cedar', 'Clear', 'Cobalt', 'Copper', 'Crescent', 'Crown', 'Delta', 'Eagle', 'Ember', 'Evergreen', 'Falcon', 'First',
  'Fox', 'Frontier', 'Golden', 'Granite', 'Harbor', 'Heron', 'Highland', 'Horizon', 'Iron', 'Juniper', 'Keystone',
  'Lake', 'Liberty', 'Linden', 'Maple', 'Meridian', 'Midway', 'Monarch', 'North Star', 'Oak', 'Orion', 'Pacific',
  'Peak', 'Pine', 'Pioneer', 'Prairie', 'Quantum', 'Red Rock', 'Ridge', 'River', 'Sage', 'Silver', 'Sterling',
  'Stone', 'Summit', 'Sun', 'Tidewater', 'Trident', 'Union', 'Valley', 'Vertex', 'Willow', 'Zenith',
];

export const COMPANY_NOUNS = [
  'Analytics', 'Logistics', 'Systems', 'Foods', 'Energy', 'Health', 'Dynamics', 'Labs', 'Capital', 'Robotics',
  'Networks', 'Pharma', 'Freight', 'Software', 'Materials', 'Textiles', 'Motors', 'Media', 'Foundry', 'Outfitters',
  'Biosciences', 'Instruments', 'Partners', 'Mills', 'Aerospace', 'Devices', 'Brewing', 'Insurance', 'Solar', 'Telecom',
];

export const COMPANY_SUFFIXES = ['Inc.', 'LLC', 'Corp.', 'Ltd.', 'Group', 'Co.', 'GmbH', 'S.A.', 'Holdings', 'PLC'];

/** How child accounts in a hierarchy are told apart from their parent. */
const DIVISIONS = ['Americas', 'EMEA', 'APAC', 'North', 'South', 'East', 'West', 'Central', 'Services', 'Manufacturing', 'Retail', 'Research', 'Digital', 'Operations'];

export const FIRST_NAMES = [
  'James', 'Mary', 'Robert', 'Patricia', 'John', 'Jennifer', 'Michael', 'Linda', 'David', 'Elizabeth', 'William',
  'Barbara', 'Richard', 'Susan', 'Joseph', 'Jessica', 'Thomas', 'Sarah', 'Carlos', 'Karen', 'Daniel', 'Lisa', 'Ahmed',
  'Nancy', 'Wei', 'Sofia', 'Hiroshi', 'Amara', 'Lars', 'Priya', 'Mateo', 'Olivia', 'Noah', 'Emma', 'Lucas', 'Chloe',
  'Ravi', 'Fatima', 'Jonas', 'Ingrid', 'Kenji', 'Aisha', 'Pierre', 'Elena', 'Marco', 'Yuki', 'Diego', 'Anna',
];

export const LAST_NAMES = [
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez', 'Hernandez',
  'Lopez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin', 'Lee', 'Thompson', 'White', 'Harris',
  'Clark', 'Lewis', 'Walker', 'Young', 'Allen', 'King', 'Wright', 'Nguyen', 'Chen', 'Patel', 'Kim', 'Müller', 'Schmidt',
  'Rossi', 'Dubois', 'Tanaka', 'Sato', 'Silva', 'Kowalski', 'Novak', 'Johansson', 'Okafor', 'Haddad', 'Murphy', "O'Brien",
];

export const TITLES = [
  'CEO', 'CFO', 'CTO', 'VP Sales', 'VP Operations', 'Director of IT', 'Procurement Manager', 'Head of Finance',
  'Operations Manager', 'IT Manager', 'Purchasing Agent', 'Account Manager', 'Marketing Director', 'Project Manager',
  'Business Analyst', 'Office Manager',
];

export const DEPARTMENTS = ['Executive', 'Finance', 'IT', 'Operations', 'Procurement', 'Sales', 'Marketing', 'Legal', 'Engineering'];

export interface City {
  city: string;
  state: string | null;
  country: string;
  /** Dialling prefix and local number shape: `#` are random digits. */
  phone: string;
  /** Postal code shape: `#` digits, `@` letters. */
  postal: string;
  domain: string;
}

export const CITIES: City[] = [
  { city: 'San Francisco', state: 'CA', country: 'United States', phone: '+1 415 555 ####', postal: '941##', domain: 'com' },
  { city: 'New York', state: 'NY', country: 'United States', phone: '+1 212 555 ####', postal: '100##', domain: 'com' },
  { city: 'Chicago', state: 'IL', country: 'United States', phone: '+1 312 555 ####', postal: '606##', domain: 'com' },
  { city: 'Austin', state: 'TX', country: 'United States', phone: '+1 512 555 ####', postal: '787##', domain: 'com' },
  { city: 'Seattle', state: 'WA', country: 'United States', phone: '+1 206 555 ####', postal: '981##', domain: 'com' },
  { city: 'Boston', state: 'MA', country: 'United States', phone: '+1 617 555 ####', postal: '021##', domain: 'com' },
  { city: 'Atlanta', state: 'GA', country: 'United States', phone: '+1 404 555 ####', postal: '303##', domain: 'com' },
  { city: 'Toronto', state: 'ON', country: 'Canada', phone: '+1 416 555 ####', postal: '@#@ #@#', domain: 'ca' },
  { city: 'Mexico City', state: 'CDMX', country: 'Mexico', phone: '+52 55 #### ####', postal: '0####', domain: 'mx' },
  { city: 'São Paulo', state: 'SP', country: 'Brazil', phone: '+55 11 ####-####', postal: '0####-###', domain: 'com.br' },
  { city: 'London', state: null, country: 'United Kingdom', phone: '+44 20 7946 ####', postal: 'EC#@ #@@', domain: 'co.uk' },
  { city: 'Manchester', state: null, country: 'United Kingdom', phone: '+44 161 496 ####', postal: 'M# #@@', domain: 'co.uk' },
  { city: 'Berlin', state: 'BE', country: 'Germany', phone: '+49 30 #######', postal: '10###', domain: 'de' },
  { city: 'Munich', state: 'BY', country: 'Germany', phone: '+49 89 #######', postal: '80###', domain: 'de' },
  { city: 'Paris', state: null, country: 'France', phone: '+33 1 ## ## ## ##', postal: '750##', domain: 'fr' },
  { city: 'Amsterdam', state: 'NH', country: 'Netherlands', phone: '+31 20 ### ####', postal: '10## @@', domain: 'nl' },
  { city: 'Madrid', state: 'MD', country: 'Spain', phone: '+34 91 ### ## ##', postal: '280##', domain: 'es' },
  { city: 'Stockholm', state: null, country: 'Sweden', phone: '+46 8 ### ### ##', postal: '1## ##', domain: 'se' },
  { city: 'Zurich', state: 'ZH', country: 'Switzerland', phone: '+41 44 ### ## ##', postal: '80##', domain: 'ch' },
  { city: 'Tokyo', state: null, country: 'Japan', phone: '+81 3 ####-####', postal: '1##-####', domain: 'co.jp' },
  { city: 'Singapore', state: null, country: 'Singapore', phone: '+65 6### ####', postal: '0#####', domain: 'com.sg' },
  { city: 'Sydney', state: 'NSW', country: 'Australia', phone: '+61 2 #### ####', postal: '2###', domain: 'com.au' },
  { city: 'Bangalore', state: 'KA', country: 'India', phone: '+91 80 #### ####', postal: '560###', domain: 'in' },
  { city: 'Dubai', state: null, country: 'United Arab Emirates', phone: '+971 4 ### ####', postal: '#####', domain: 'ae' },
];

const STREETS = ['Main St', 'Market St', 'Oak Ave', 'Park Rd', 'High St', 'Harbor Blvd', 'Station Rd', 'King St', 'Mill Ln', 'Riverside Dr', 'Commerce Way', 'Innovation Pkwy'];
const LETTERS = 'ABCDEFGHJKLMNPRSTUVWXYZ';

/**
 * Joins parts into one flat string. V8 represents `a + b` of 13 or more characters as a tree of
 * cons cells that stays in memory as such: a 28-character datetime built with `+` costs ~230 bytes
 * against ~50 flat, which for millions of stored values decides how much an org fits in memory.
 */
export function cat(...parts: Array<string | number>): string {
  return parts.join('');
}

export function fillPattern(rng: Random, pattern: string): string {
  const out: string[] = [];
  for (const ch of pattern) out.push(ch === '#' ? String(rng.int(10)) : ch === '@' ? LETTERS[rng.int(LETTERS.length)]! : ch);
  return out.join('');
}

export function slug(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '');
}

const ACCOUNT_TYPES = ['Customer - Direct', 'Customer - Direct', 'Customer - Channel', 'Prospect', 'Prospect', 'Channel Partner / Reseller', 'Technology Partner', 'Other'];
const PRODUCTS = ['Platform Subscription', 'Enterprise License', 'Implementation Services', 'Support Renewal', 'Expansion', 'Pilot', 'Training Package', 'Hardware Refresh', 'Managed Services', 'Analytics Add-on'];
const OPPORTUNITY_TYPES = ['New Customer', 'Existing Customer - Upgrade', 'Existing Customer - Replacement', 'Existing Customer - Downgrade'];
// Not INDUSTRIES: a seed must keep producing the same data for orgs whose schema has no Industry values.
const DEFAULT_INDUSTRIES = ['Technology', 'Manufacturing', 'Healthcare', 'Finance', 'Retail', 'Energy', 'Transportation', 'Media', 'Education', 'Consulting'];
const STAGE_PROBABILITY: Record<string, number> = {
  Prospecting: 10, Qualification: 10, 'Needs Analysis': 20, 'Value Proposition': 50, 'Id. Decision Makers': 60,
  'Perception Analysis': 70, 'Proposal/Price Quote': 75, 'Negotiation/Review': 90, 'Closed Won': 100, 'Closed Lost': 0,
};

const DAY = 86_400_000;

/**
 * `sfDateTime` for the generator's hot loop: the date part comes from a per-day cache and the rest
 * from arithmetic, cheaper than `Date#toISOString` plus `replace`, the same text, and one flat string.
 */
class DateTimeFormatter {
  private readonly days = new Map<number, string>();

  dateTime(ms: number): string {
    const day = Math.floor(ms / DAY);
    let d = this.days.get(day);
    if (d === undefined) {
      d = sfDate(day * DAY);
      this.days.set(day, d);
    }
    const t = ms - day * DAY;
    const h = Math.floor(t / 3_600_000);
    const m = Math.floor(t / 60_000) % 60;
    const sec = Math.floor(t / 1000) % 60;
    const milli = t % 1000;
    return cat(d, h < 10 ? 'T0' : 'T', h, m < 10 ? ':0' : ':', m, sec < 10 ? ':0' : ':', sec, milli < 10 ? '.00' : milli < 100 ? '.0' : '.', milli, '+0000');
  }

  date(ms: number): string {
    const day = Math.floor(ms / DAY);
    let d = this.days.get(day);
    if (d === undefined) {
      d = sfDate(day * DAY);
      this.days.set(day, d);
    }
    return d;
  }
}

export interface GenerateOptions {
  /** Same seed, same options and the same starting org give identical records, Ids included. */
  seed: number;
  accounts: number;
  /** Average contacts per account (each account gets 0 to twice this). Default 2. */
  contactsPerAccount?: number;
  /** Average opportunities per account. Default 1. */
  opportunitiesPerAccount?: number;
  /** Levels of the deepest account hierarchy, roots included (1 = no hierarchies). Default 4. */
  hierarchyDepth?: number;
  /** Share of accounts that start a hierarchy (or stand alone). Default 0.1. */
  rootShare?: number;
  /** Accounts generated and loaded per step; children of a step are loaded with it. Default 10,000. */
  batchSize?: number;
  /**
   * The "today" of the data set (ISO date): records were created in the three years before it and
   * opportunities close within a year either side. Fixed by default so data never depends on the clock.
   */
  baseDate?: string;
  /** Called after each batch is loaded, e.g. for progress output. */
  onBatch?: (progress: { accounts: number; contacts: number; opportunities: number }) => void;
}

export interface GenerateResult {
  accounts: number;
  contacts: number;
  opportunities: number;
  total: number;
  /** Levels of the deepest hierarchy generated. */
  maxDepth: number;
  /** Time spent building rows, loading them into tables, and both (ms). */
  generateMs: number;
  loadMs: number;
  totalMs: number;
}

/**
 * Values of generated external Id fields: `ACC-000000001` for the first account generated into an
 * org, so benchmarks and tests can look records up by external Id without reading them first.
 */
export function externalIdValue(objectName: string, n: number): string {
  return cat(EXT_TAGS[objectName] ?? objectName.slice(0, 3).toUpperCase(), '-', String(n).padStart(9, '0'));
}

const EXT_TAGS: Record<string, string> = { Account: 'ACC', Contact: 'CON', Opportunity: 'OPP' };

/** Custom external Id text fields long enough for `externalIdValue`. */
function externalIdFields(o: ObjectSchema | undefined): string[] {
  if (!o) return [];
  return o.fields
    .filter((f) => f.externalId && f.custom && (f.type === 'string' || f.type === 'email') && (f.length ?? 255) >= 13)
    .map((f) => f.name);
}

/** Active values of a picklist in this org's schema (the org may have replaced or restricted them). */
function picklistValues(o: ObjectSchema | undefined, field: string, fallback: readonly string[]): string[] {
  const values = o?.field(field)?.picklistValues?.filter((p) => p.active !== false).map((p) => p.value);
  return values && values.length ? values : [...fallback];
}

/** Custom picklists the generator fills with random values, so every org's own fields have data. */
function customPicklists(o: ObjectSchema | undefined, skip: readonly string[]): Array<{ name: string; values: string[] }> {
  if (!o) return [];
  return o.fields
    .filter((f: FieldDef) => f.custom && (f.type === 'picklist' || f.type === 'multipicklist') && f.createable && !skip.includes(f.name))
    .map((f) => ({ name: f.name, values: (f.picklistValues ?? []).filter((p) => p.active !== false).map((p) => p.value) }))
    .filter((p) => p.values.length > 0);
}

/** The org's own fields of a generated row: its external Ids, numbered by `serial`, and a random value for each custom picklist. */
function fillOrgFields(row: LoadRow, object: string, serial: number, ext: readonly string[], picklists: ReadonlyArray<{ name: string; values: string[] }>, rng: Random): void {
  for (const f of ext) row[f] = externalIdValue(object, serial);
  for (const p of picklists) row[p.name] = rng.pick(p.values);
}

/**
 * Generates a realistic, deterministic data set straight into an org through `bulkLoad`: accounts
 * in hierarchies (a share of roots, every other account a child of an earlier one, depth capped),
 * their contacts and opportunities. Work goes in batches of accounts with their children, so memory
 * beyond the stored records stays at one batch of rows plus a few bytes per account.
 */
export function generateOrgData(org: Org, options: GenerateOptions): GenerateResult {
  const opts = {
    seed: options.seed,
    accounts: options.accounts,
    contactsPerAccount: options.contactsPerAccount ?? 2,
    opportunitiesPerAccount: options.opportunitiesPerAccount ?? 1,
    hierarchyDepth: options.hierarchyDepth ?? 4,
    rootShare: options.rootShare ?? 0.1,
    batchSize: options.batchSize ?? 10_000,
    baseDate: options.baseDate ?? '2025-01-01',
    onBatch: options.onBatch,
  };
  if (!Number.isInteger(opts.accounts) || opts.accounts < 0) throw new Error('generateOrgData: accounts must be a non-negative integer');
  if (!Number.isInteger(opts.hierarchyDepth) || opts.hierarchyDepth < 1 || opts.hierarchyDepth > 255) {
    throw new Error('generateOrgData: hierarchyDepth must be an integer from 1 to 255');
  }
  if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) throw new Error('generateOrgData: batchSize must be a positive integer');
  if (!(opts.contactsPerAccount >= 0) || !(opts.opportunitiesPerAccount >= 0)) throw new Error('generateOrgData: per-account counts must be >= 0');
  const base = Date.parse(`${opts.baseDate}T00:00:00Z`);
  if (Number.isNaN(base)) throw new Error(`generateOrgData: bad baseDate ${opts.baseDate}`);

  const accountSchema = org.schema.object('Account');
  const contactSchema = org.schema.object('Contact');
  const opportunitySchema = org.schema.object('Opportunity');
  if (!accountSchema) throw new Error(`generateOrgData: ${org.name} has no Account object`);
  const accountPrefix = accountSchema.keyPrefix;

  const accountRng = new Random(streamSeed(opts.seed, 1));
  const contactRng = new Random(streamSeed(opts.seed, 2));
  const opportunityRng = new Random(streamSeed(opts.seed, 3));

  const industries = picklistValues(accountSchema, 'Industry', DEFAULT_INDUSTRIES);
  const typeValues = picklistValues(accountSchema, 'Type', ACCOUNT_TYPES);
  // The weighted list, limited to what this org's picklist offers.
  const accountTypes = ACCOUNT_TYPES.filter((v) => typeValues.includes(v));
  const ratings = picklistValues(accountSchema, 'Rating', RATINGS);
  const ownership = picklistValues(accountSchema, 'Ownership', OWNERSHIP);
  const accountSources = picklistValues(accountSchema, 'AccountSource', LEAD_SOURCES);
  const contactSources = picklistValues(contactSchema, 'LeadSource', LEAD_SOURCES);
  const salutations = picklistValues(contactSchema, 'Salutation', ['Mr.', 'Ms.', 'Dr.']);
  const oppSources = picklistValues(opportunitySchema, 'LeadSource', LEAD_SOURCES);
  const oppTypes = picklistValues(opportunitySchema, 'Type', OPPORTUNITY_TYPES);
  const stageDefs = opportunitySchema?.field('StageName')?.picklistValues?.filter((p) => p.active !== false) ?? OPPORTUNITY_STAGES;
  const isClosed = (p: PicklistValue) => p.closed ?? /^closed/i.test(p.value);
  const isWon = (p: PicklistValue) => p.won ?? /^closed won$/i.test(p.value);
  const openStages = stageDefs.filter((p) => !isClosed(p)).map((p) => p.value);
  const wonStages = stageDefs.filter((p) => isClosed(p) && isWon(p)).map((p) => p.value);
  const lostStages = stageDefs.filter((p) => isClosed(p) && !isWon(p)).map((p) => p.value);
  const accountExt = externalIdFields(accountSchema);
  const contactExt = externalIdFields(contactSchema);
  const opportunityExt = externalIdFields(opportunitySchema);
  const accountPicklists = customPicklists(accountSchema, accountExt);
  const contactPicklists = customPicklists(contactSchema, contactExt);
  const opportunityPicklists = customPicklists(opportunitySchema, opportunityExt);
  // External Id numbering continues after what the table already holds, so a second run into the
  // same org does not collide with the first.
  let accountSerial = org.data.table('Account')?.rows.size ?? 0;
  let contactSerial = org.data.table('Contact')?.rows.size ?? 0;
  let opportunitySerial = org.data.table('Opportunity')?.rows.size ?? 0;

  const fmt = new DateTimeFormatter();
  const slugs = new Map([...FIRST_NAMES, ...LAST_NAMES].map((w) => [w, slug(w)]));
  const years = Array.from({ length: 80 }, (_, i) => String(1945 + i));
  const n = opts.accounts;
  const maxLevel = opts.hierarchyDepth - 1;
  // Per-account bookkeeping for hierarchies: ~17 bytes an account, the only state kept across batches.
  const level = new Uint8Array(n);
  const parentOf = new Int32Array(n).fill(-1);
  const ids: string[] = new Array<string>(n);
  const familyName: string[] = new Array<string>(n);
  const familyDomain: string[] = new Array<string>(n);
  const familyWebsite: string[] = new Array<string>(n);
  const WINDOW = 2000;

  let contacts = 0;
  let opportunities = 0;
  let maxDepth = 0;
  let generateMs = 0;
  let loadMs = 0;
  const started = performance.now();
  // Generation and loading are timed apart, so a slow run says which of the two it was.
  const load = (object: string, rows: LoadRow[], generatingSince: number): void => {
    const loading = performance.now();
    generateMs += loading - generatingSince;
    bulkLoad(org, object, rows, { unknownFields: 'ignore' });
    loadMs += performance.now() - loading;
  };

  for (let start = 0; start < n; start += opts.batchSize) {
    const end = Math.min(n, start + opts.batchSize);
    let t0 = performance.now();
    // Ids up front: a child can then point at a parent that is in the same batch.
    for (let i = start; i < end; i++) ids[i] = org.ids.next(accountPrefix);

    const accountRows: LoadRow[] = new Array<LoadRow>(end - start);
    for (let i = start; i < end; i++) {
      const rng = accountRng;
      let parent = -1;
      if (i > 0 && maxLevel > 0) {
        if (i <= maxLevel) {
          // The first accounts form one full-depth chain, so the requested depth exists even in small sets.
          parent = i - 1;
        } else if (!rng.chance(opts.rootShare)) {
          parent = i - 1 - rng.int(Math.min(i, WINDOW));
          // Shallow levels are likelier: real hierarchies are wide near the top.
          const target = Math.floor(rng.float() * rng.float() * maxLevel);
          while (level[parent]! > target) parent = parentOf[parent]!;
        }
      }
      const city = rng.pick(CITIES);
      let name: string;
      if (parent < 0) {
        const stem = cat(rng.pick(COMPANY_PREFIXES), ' ', rng.pick(COMPANY_NOUNS));
        name = cat(stem, ' ', rng.pick(COMPANY_SUFFIXES));
        familyName[i] = stem;
        const domain = cat(slug(stem), '.', city.domain);
        familyDomain[i] = domain;
        familyWebsite[i] = cat('https://www.', domain);
      } else {
        level[i] = level[parent]! + 1;
        parentOf[i] = parent;
        familyName[i] = familyName[parent]!;
        familyDomain[i] = familyDomain[parent]!;
        familyWebsite[i] = familyWebsite[parent]!;
        name = cat(familyName[i]!, ' ', rng.chance(0.5) ? city.city : rng.pick(DIVISIONS));
      }
      if (level[i]! + 1 > maxDepth) maxDepth = level[i]! + 1;
      const employees = Math.round(10 * Math.pow(10, rng.float() * 4.5));
      // Whole seconds, as real orgs report them (`.000`).
      const created = base - rng.int(3 * 365) * DAY - rng.int(86_400) * 1000;
      const modified = Math.min(base, created + rng.int(400) * DAY + rng.int(86_400) * 1000);
      const row: LoadRow = {
        Id: ids[i],
        Name: name,
        ParentId: parent >= 0 ? ids[parent] : null,
        Type: rng.pick(accountTypes.length ? accountTypes : ACCOUNT_TYPES),
        Industry: rng.pick(industries),
        AnnualRevenue: employees * (50_000 + rng.int(250_000)),
        NumberOfEmployees: employees,
        Ownership: parent >= 0 ? 'Subsidiary' : rng.pick(ownership),
        Rating: rng.pick(ratings),
        AccountSource: rng.pick(accountSources),
        AccountNumber: cat('A-', String(accountSerial + 1).padStart(8, '0')),
        Phone: fillPattern(rng, city.phone),
        Website: familyWebsite[i],
        BillingStreet: cat(rng.between(1, 9999), ' ', rng.pick(STREETS)),
        BillingCity: city.city,
        BillingState: city.state,
        BillingPostalCode: fillPattern(rng, city.postal),
        BillingCountry: city.country,
        ShippingCity: city.city,
        ShippingCountry: city.country,
        YearStarted: years[5 + rng.int(74)],
        CreatedDate: fmt.dateTime(created),
        LastModifiedDate: fmt.dateTime(modified),
      };
      fillOrgFields(row, 'Account', ++accountSerial, accountExt, accountPicklists, rng);
      accountRows[i - start] = row;
    }
    load('Account', accountRows, t0);
    accountRows.length = 0;

    if (contactSchema && opts.contactsPerAccount > 0) {
      t0 = performance.now();
      const rows: LoadRow[] = [];
      const rng = contactRng;
      for (let i = start; i < end; i++) {
        const count = Math.floor(rng.float() * (2 * opts.contactsPerAccount + 1));
        for (let c = 0; c < count; c++) {
          const first = rng.pick(FIRST_NAMES);
          const last = rng.pick(LAST_NAMES);
          const city = rng.pick(CITIES);
          const created = base - rng.int(3 * 365) * DAY - rng.int(86_400) * 1000;
          const row: LoadRow = {
            AccountId: ids[i],
            Salutation: rng.chance(0.6) ? rng.pick(salutations) : null,
            FirstName: first,
            LastName: last,
            Title: rng.pick(TITLES),
            Department: rng.pick(DEPARTMENTS),
            Email: cat(slugs.get(first) ?? slug(first), '.', slugs.get(last) ?? slug(last), c > 0 ? c : '', '@', familyDomain[i]!),
            Phone: fillPattern(rng, city.phone),
            MobilePhone: rng.chance(0.7) ? fillPattern(rng, city.phone) : null,
            MailingCity: city.city,
            MailingState: city.state,
            MailingCountry: city.country,
            LeadSource: rng.pick(contactSources),
            HasOptedOutOfEmail: rng.chance(0.08),
            DoNotCall: rng.chance(0.04),
            Birthdate: rng.chance(0.3) ? fmt.date(base - (22 + rng.int(43)) * 365 * DAY - rng.int(365) * DAY) : null,
            CreatedDate: fmt.dateTime(created),
          };
          fillOrgFields(row, 'Contact', ++contactSerial, contactExt, contactPicklists, rng);
          rows.push(row);
        }
      }
      load('Contact', rows, t0);
      contacts += rows.length;
    }

    if (opportunitySchema && opts.opportunitiesPerAccount > 0) {
      t0 = performance.now();
      const rows: LoadRow[] = [];
      const rng = opportunityRng;
      for (let i = start; i < end; i++) {
        const count = Math.floor(rng.float() * (2 * opts.opportunitiesPerAccount + 1));
        for (let c = 0; c < count; c++) {
          // Close dates a year either side of the base date; the past is mostly closed, the future open.
          const close = base + (rng.int(730) - 365) * DAY;
          let stage: string;
          if (close < base && rng.chance(0.85) && wonStages.length + lostStages.length > 0) {
            stage = rng.chance(0.55) && wonStages.length ? rng.pick(wonStages) : rng.pick(lostStages.length ? lostStages : wonStages);
          } else {
            stage = rng.pick(openStages.length ? openStages : stageDefs.map((p) => p.value));
          }
          const created = Math.min(close, base) - (30 + rng.int(300)) * DAY - rng.int(86_400) * 1000;
          const row: LoadRow = {
            AccountId: ids[i],
            Name: cat(familyName[i]!, ' - ', rng.pick(PRODUCTS)),
            StageName: stage,
            CloseDate: fmt.date(close),
            Amount: (5 + rng.int(500)) * 1000,
            Probability: STAGE_PROBABILITY[stage] ?? null,
            Type: rng.pick(oppTypes),
            LeadSource: rng.pick(oppSources),
            NextStep: rng.chance(0.3) ? 'Follow up call' : null,
            CreatedDate: fmt.dateTime(created),
          };
          fillOrgFields(row, 'Opportunity', ++opportunitySerial, opportunityExt, opportunityPicklists, rng);
          rows.push(row);
        }
      }
      load('Opportunity', rows, t0);
      opportunities += rows.length;
    }
    opts.onBatch?.({ accounts: end, contacts, opportunities });
  }

  const totalMs = performance.now() - started;
  return { accounts: n, contacts, opportunities, total: n + contacts + opportunities, maxDepth, generateMs, loadMs, totalMs };
}
