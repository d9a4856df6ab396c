/**
 * The two demo orgs `npm start`, the examples and the end-to-end tests run against: `hq`, the
 * source, and `subsidiary`, the target. Their schemas differ the way two real orgs of one company
 * do: the target keeps the source Id in `HQ_Id__c` external Id fields, calls the account tier
 * `Service_Level__c` with other values, restricts Industry to a shorter list, and each org has a
 * custom object of its own.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startEmulator, type Emulator } from '../index.js';
import { orgIdFor, type Org, type OrgSpec } from '../org.js';
import {
  checkbox,
  currency,
  customObjectFields,
  date,
  double,
  int,
  masterDetail,
  picklist,
  reference,
  text,
  textarea,
} from '../schema/field-builders.js';
import type { ObjectDef, SchemaFile } from '../schema/types.js';
import { sfDate, sfDateTime } from '../util/clock.js';
import { makeId } from '../util/ids.js';
import { bulkLoad, type LoadRow } from './bulk-load.js';
import { CITIES, FIRST_NAMES, LAST_NAMES, Random, TITLES, fillPattern, slug, type City } from './generator.js';

// ---------------------------------------------------------------------------------------------
// Demo JWT key pair.
//
// FOR THE EMULATOR ONLY. emulator/data/keys/demo-jwt-*.pem is a published test fixture: the
// private key is in the repository on purpose so that demos and tests can sign JWT bearer
// assertions for the demo connected apps. Never register it with a real org.
// ---------------------------------------------------------------------------------------------

export interface DemoJwtKeys {
  /** PKCS#8 PEM private key that signs JWT bearer assertions for the demo apps. */
  privateKey: string;
  /** SPKI PEM public key: the `certificate` of every demo connected app. */
  publicKey: string;
  /** Self-signed X.509 certificate of the same key, for tools that want a certificate. */
  certificate: string;
  privateKeyPath: string;
  publicKeyPath: string;
  certificatePath: string;
}

const KEY_FILES = {
  privateKey: 'demo-jwt-private-key.pem',
  publicKey: 'demo-jwt-public-key.pem',
  certificate: 'demo-jwt-certificate.pem',
};

/** The PEM files sit beside this module in the sources, and build.mjs copies them beside the bundle. */
function keysDir(): string {
  const dir = path.join(__dirname, 'keys');
  if (!existsSync(path.join(dir, KEY_FILES.publicKey))) throw new Error(`demo JWT keys not found in ${dir}`);
  return dir;
}

let cachedKeys: DemoJwtKeys | undefined;

export function demoJwtKeys(): DemoJwtKeys {
  if (cachedKeys) return cachedKeys;
  const dir = keysDir();
  const file = (name: string) => path.join(dir, name);
  cachedKeys = {
    privateKey: readFileSync(file(KEY_FILES.privateKey), 'utf8'),
    publicKey: readFileSync(file(KEY_FILES.publicKey), 'utf8'),
    certificate: readFileSync(file(KEY_FILES.certificate), 'utf8'),
    privateKeyPath: file(KEY_FILES.privateKey),
    publicKeyPath: file(KEY_FILES.publicKey),
    certificatePath: file(KEY_FILES.certificate),
  };
  return cachedKeys;
}

// ---------------------------------------------------------------------------------------------
// Org specs.
// ---------------------------------------------------------------------------------------------

export const DEMO_ORG_NAMES = { hq: 'hq', subsidiary: 'subsidiary' } as const;

/** Credentials of the demo orgs, for examples, docs and tests (emulator-only secrets). */
export const DEMO_CREDENTIALS = {
  hq: {
    admin: { username: 'admin@hq.orgbridge.demo', password: 'demo-hq-admin-1' },
    integration: { username: 'integration@hq.orgbridge.demo', password: 'demo-hq-integration-1' },
    clientId: 'orgbridge-demo-hq-client',
    clientSecret: 'orgbridge-demo-hq-secret',
  },
  subsidiary: {
    admin: { username: 'admin@subsidiary.orgbridge.demo', password: 'demo-sub-admin-1' },
    integration: { username: 'integration@subsidiary.orgbridge.demo', password: 'demo-sub-integration-1' },
    clientId: 'orgbridge-demo-subsidiary-client',
    clientSecret: 'orgbridge-demo-subsidiary-secret',
  },
} as const;

/** The path the `sf-connection` editor serves for the OAuth web-server flow's redirect. */
export const NODE_RED_OAUTH_CALLBACK_PATH = '/sf-connection/oauth/callback';

export interface DemoOrgOptions {
  /** Fixed instance ports (0 or absent: any free port). */
  ports?: { hq?: number; subsidiary?: number };
  /** The same as a list in org order, hq then subsidiary (the CLI's `--org-ports A,B`). */
  orgPorts?: number[];
  /** Node-RED editor port the OAuth callback URLs point at. Default 1880. */
  nodeRedPort?: number;
  /** Further allowed OAuth redirect URIs, e.g. for an editor behind another host name. */
  extraCallbackUrls?: string[];
  /** Access token lifetime in seconds. */
  sessionTtlSeconds?: number;
}

function callbackUrls(opts: DemoOrgOptions): string[] {
  const port = opts.nodeRedPort ?? 1880;
  return [
    `http://127.0.0.1:${port}${NODE_RED_OAUTH_CALLBACK_PATH}`,
    `http://localhost:${port}${NODE_RED_OAUTH_CALLBACK_PATH}`,
    ...(opts.extraCallbackUrls ?? []),
  ];
}

export const HQ_TIERS = ['Gold', 'Silver', 'Bronze'];
export const SUBSIDIARY_SERVICE_LEVELS = ['Platinum', 'Standard', 'Basic'];
export const REGIONS = ['North America', 'LATAM', 'EMEA', 'APAC'];
/** Subsidiary Industry: shorter and restricted, so unmapped HQ values (Banking, Insurance...) fail. */
export const SUBSIDIARY_INDUSTRIES = [
  'Technology', 'Manufacturing', 'Healthcare', 'Financial Services', 'Energy', 'Retail', 'Transportation', 'Media', 'Education', 'Other',
];
const CHANNELS = ['Email', 'Phone', 'SMS', 'In Person'];
const PROJECT_STATUSES = ['Planned', 'In Progress', 'On Hold', 'Completed'];

/** The source Id field every synced object has in the subsidiary. */
function hqIdField(): ReturnType<typeof text> {
  return text('HQ_Id__c', 18, {
    label: 'HQ Id',
    externalId: true,
    unique: true,
    caseSensitive: true,
    inlineHelpText: 'Id of the matching record in the HQ org, written by OrgBridge.',
  });
}

function hqSchema(): SchemaFile {
  const project: ObjectDef = {
    name: 'Project__c',
    label: 'Project',
    labelPlural: 'Projects',
    keyPrefix: 'a01',
    custom: true,
    fields: [
      ...customObjectFields('Project', { owner: false }),
      masterDetail('Account__c', 'Account', 'Account__r', { label: 'Account' }),
      picklist('Status__c', PROJECT_STATUSES, { label: 'Status', defaultValue: 'Planned' }),
      date('Start_Date__c', { label: 'Start Date' }),
      date('End_Date__c', { label: 'End Date' }),
      currency('Budget__c', 16, 2, { label: 'Budget' }),
      textarea('Summary__c', 255, { label: 'Summary' }),
    ],
  };
  return {
    objects: [project],
    fields: {
      Account: [
        picklist('Customer_Tier__c', HQ_TIERS, { label: 'Customer Tier' }),
        picklist('Region__c', REGIONS, { label: 'Region' }),
        checkbox('Key_Account__c', { label: 'Key Account' }),
      ],
      Contact: [picklist('Preferred_Channel__c', CHANNELS, { label: 'Preferred Channel' })],
      Opportunity: [
        int('Contract_Term_Months__c', 3, { label: 'Contract Term (Months)' }),
        date('Go_Live_Date__c', { label: 'Go-Live Date' }),
      ],
    },
  };
}

function subsidiarySchema(): SchemaFile {
  const engagement: ObjectDef = {
    name: 'Engagement__c',
    label: 'Engagement',
    labelPlural: 'Engagements',
    keyPrefix: 'a02',
    custom: true,
    fields: [
      ...customObjectFields('Engagement'),
      reference('Account__c', ['Account'], 'Account__r', { label: 'Account' }),
      picklist('Engagement_Type__c', ['Implementation', 'Advisory', 'Support', 'Training'], { label: 'Engagement Type' }),
      picklist('Stage__c', ['Scheduled', 'Active', 'Paused', 'Done'], { label: 'Stage', restrictedPicklist: true, defaultValue: 'Scheduled' }),
      date('Start_Date__c', { label: 'Start Date' }),
      double('Hours__c', 6, 1, { label: 'Hours' }),
      hqIdField(),
    ],
  };
  return {
    objects: [engagement],
    fields: {
      Account: [
        hqIdField(),
        picklist('Service_Level__c', SUBSIDIARY_SERVICE_LEVELS, { label: 'Service Level', restrictedPicklist: true }),
        picklist('Industry', SUBSIDIARY_INDUSTRIES, { label: 'Industry', restrictedPicklist: true }),
        text('VAT_Number__c', 20, { label: 'VAT Number' }),
      ],
      Contact: [hqIdField(), picklist('Language__c', ['English', 'German', 'French', 'Spanish', 'Dutch'], { label: 'Language' })],
      Opportunity: [hqIdField(), int('Term_Months__c', 3, { label: 'Term (Months)' })],
    },
    // Leads keep an unrestricted Industry, but with the subsidiary's values.
    picklists: { 'Lead.Industry': SUBSIDIARY_INDUSTRIES.map((value) => ({ value, label: value, active: true, defaultValue: false })) },
  };
}

function users(org: 'hq' | 'subsidiary', admin: { first: string; last: string }) {
  const c = DEMO_CREDENTIALS[org];
  return [
    {
      ...c.admin,
      firstName: admin.first,
      lastName: admin.last,
      email: c.admin.username,
      alias: (admin.first[0]! + admin.last).toLowerCase().slice(0, 8),
      profile: 'System Administrator',
    },
    {
      ...c.integration,
      firstName: 'OrgBridge',
      lastName: 'Integration',
      email: c.integration.username,
      alias: 'obint',
      integration: true,
      profile: 'Salesforce API Only System Integrations',
    },
  ];
}

function app(org: 'hq' | 'subsidiary', opts: DemoOrgOptions) {
  const c = DEMO_CREDENTIALS[org];
  return {
    name: 'OrgBridge Sync',
    clientId: c.clientId,
    clientSecret: c.clientSecret,
    certificate: demoJwtKeys().publicKey,
    runAsUsername: c.integration.username,
    approvingUsername: c.admin.username,
    callbackUrls: callbackUrls(opts),
  };
}

/** Specs of the `hq` (source) and `subsidiary` (target) demo orgs, without data: see `seedDemoData`. */
export function demoOrgSpecs(opts: DemoOrgOptions = {}): OrgSpec[] {
  const hqPort = opts.ports?.hq ?? opts.orgPorts?.[0];
  const subsidiaryPort = opts.ports?.subsidiary ?? opts.orgPorts?.[1];
  const ttl = opts.sessionTtlSeconds ? { sessionTtlSeconds: opts.sessionTtlSeconds } : {};
  return [
    {
      name: DEMO_ORG_NAMES.hq,
      displayName: 'OrgBridge Demo HQ',
      users: users('hq', { first: 'Hannah', last: 'Quinn' }),
      apps: [app('hq', opts)],
      schema: hqSchema(),
      cdcObjects: ['Account', 'Contact', 'Opportunity'],
      ...(hqPort ? { port: hqPort } : {}),
      ...ttl,
    },
    {
      name: DEMO_ORG_NAMES.subsidiary,
      displayName: 'OrgBridge Demo Subsidiary GmbH',
      users: users('subsidiary', { first: 'Stefan', last: 'Brandt' }),
      apps: [app('subsidiary', opts)],
      schema: subsidiarySchema(),
      // Selected too, so that changes made in the subsidiary can flow back (two-way sync).
      cdcObjects: ['Account', 'Contact', 'Opportunity'],
      ...(subsidiaryPort ? { port: subsidiaryPort } : {}),
      ...ttl,
    },
  ];
}

export interface DemoEmulatorOptions extends DemoOrgOptions {
  /** Port of the shared login host; 0 or absent picks a free one. */
  loginPort?: number;
  log?: (line: string) => void;
  /** Load the demo data (default true); seeding happens again after every reset. */
  seed?: boolean;
}

/** Starts an emulator with both demo orgs, seeded now and again after each reset. */
export async function startDemoEmulator(opts: DemoEmulatorOptions = {}): Promise<Emulator> {
  const emulator = await startEmulator({
    orgs: demoOrgSpecs(opts),
    ...(opts.loginPort !== undefined ? { loginPort: opts.loginPort } : {}),
    ...(opts.log ? { log: opts.log } : {}),
  });
  if (opts.seed !== false) seedDemoOrgs(emulator);
  return emulator;
}

/** Registers `seedDemoData` as the seeder of every demo org of a running emulator. */
export function seedDemoOrgs(emulator: Emulator): void {
  for (const org of emulator.orgs.values()) org.addSeeder(seedDemoData);
}

// ---------------------------------------------------------------------------------------------
// Demo data. Plans are pure functions of nothing, so the subsidiary can refer to HQ records
// (its `HQ_Id__c` values) by position without the HQ org at hand.
// ---------------------------------------------------------------------------------------------

interface DemoAccount {
  name: string;
  parent?: string;
  industry: string;
  tier: 'Gold' | 'Silver' | 'Bronze';
  region: string;
  city: string;
  type: string;
  employees: number;
  createdDaysAgo: number;
}

const A = (
  name: string,
  parent: string | undefined,
  industry: string,
  tier: DemoAccount['tier'],
  region: string,
  city: string,
  employees: number,
  type = 'Customer - Direct',
): Omit<DemoAccount, 'createdDaysAgo'> => ({ name, parent, industry, tier, region, city, employees, type });

/** 30 accounts: three groups with 3 to 5 level hierarchies and nine independent companies. */
const HQ_ACCOUNTS: Omit<DemoAccount, 'createdDaysAgo'>[] = [
  A('Altura Industries', undefined, 'Manufacturing', 'Gold', 'North America', 'Chicago', 42000),
  A('Altura Americas', 'Altura Industries', 'Manufacturing', 'Gold', 'North America', 'Chicago', 18000),
  A('Altura USA', 'Altura Americas', 'Manufacturing', 'Gold', 'North America', 'Chicago', 12000),
  A('Altura West', 'Altura USA', 'Manufacturing', 'Silver', 'North America', 'Seattle', 4100),
  A('Altura San Francisco Plant', 'Altura West', 'Manufacturing', 'Silver', 'North America', 'San Francisco', 900),
  A('Altura East', 'Altura USA', 'Manufacturing', 'Silver', 'North America', 'Boston', 3800),
  A('Altura Canada', 'Altura Americas', 'Manufacturing', 'Bronze', 'North America', 'Toronto', 1500),
  A('Altura EMEA', 'Altura Industries', 'Manufacturing', 'Gold', 'EMEA', 'London', 14000),
  A('Altura UK', 'Altura EMEA', 'Manufacturing', 'Silver', 'EMEA', 'Manchester', 5200),
  A('Altura Germany', 'Altura EMEA', 'Machinery', 'Gold', 'EMEA', 'Munich', 7400),
  A('Altura APAC', 'Altura Industries', 'Manufacturing', 'Silver', 'APAC', 'Singapore', 6000),
  A('Altura Japan', 'Altura APAC', 'Electronics', 'Silver', 'APAC', 'Tokyo', 2700),
  A('Brightwave Health', undefined, 'Healthcare', 'Gold', 'EMEA', 'London', 23000),
  A('Brightwave Clinics', 'Brightwave Health', 'Healthcare', 'Silver', 'EMEA', 'London', 9000),
  A('Brightwave Diagnostics', 'Brightwave Clinics', 'Healthcare', 'Silver', 'EMEA', 'Amsterdam', 2100),
  A('Brightwave Research Labs', 'Brightwave Diagnostics', 'Biotechnology', 'Bronze', 'EMEA', 'Zurich', 640),
  A('Brightwave Pharma', 'Brightwave Health', 'Biotechnology', 'Gold', 'EMEA', 'Berlin', 8300),
  A('Cobalt Financial Group', undefined, 'Finance', 'Gold', 'North America', 'New York', 31000),
  A('Cobalt Insurance', 'Cobalt Financial Group', 'Insurance', 'Silver', 'North America', 'New York', 8800),
  A('Cobalt Insurance Brokers', 'Cobalt Insurance', 'Insurance', 'Bronze', 'North America', 'Atlanta', 450),
  A('Cobalt Bank', 'Cobalt Financial Group', 'Banking', 'Gold', 'North America', 'New York', 15500),
  A('Driftwood Logistics', undefined, 'Transportation', 'Silver', 'EMEA', 'Amsterdam', 3300),
  A('Evergreen Foods', undefined, 'Food & Beverage', 'Bronze', 'North America', 'Austin', 1200, 'Customer - Channel'),
  A('Falcon Aerospace', undefined, 'Engineering', 'Gold', 'North America', 'Seattle', 16000),
  A('Granite Construction Partners', undefined, 'Construction', 'Bronze', 'LATAM', 'Mexico City', 2400, 'Prospect'),
  A('Harbor Telecom', undefined, 'Telecommunications', 'Silver', 'APAC', 'Sydney', 5600),
  A('Ionic Energy', undefined, 'Energy', 'Gold', 'EMEA', 'Madrid', 9700),
  A('Juniper Media', undefined, 'Media', 'Bronze', 'EMEA', 'Paris', 800, 'Prospect'),
  A('Keystone University', undefined, 'Education', 'Bronze', 'North America', 'Boston', 6500, 'Customer - Channel'),
  A('Lumen Retail', undefined, 'Retail', 'Silver', 'LATAM', 'São Paulo', 11000),
];

interface DemoContact {
  account: number;
  salutation: string;
  first: string;
  last: string;
  title: string;
  channel: string;
}

interface DemoOpportunity {
  account: number;
  name: string;
  stage: string;
  amount: number;
  /** Close date relative to seeding day. */
  closeInDays: number;
  termMonths: number;
}

interface HqPlan {
  accounts: DemoAccount[];
  contacts: DemoContact[];
  opportunities: DemoOpportunity[];
}

const STAGE_CYCLE = [
  'Prospecting', 'Qualification', 'Needs Analysis', 'Value Proposition', 'Proposal/Price Quote', 'Negotiation/Review', 'Closed Won', 'Closed Lost', 'Closed Won',
];
const PRODUCT_NAMES = ['Platform Subscription', 'Implementation Services', 'Support Renewal', 'Expansion', 'Analytics Add-on', 'Training Package'];

let hqPlanCache: HqPlan | undefined;

function hqPlan(): HqPlan {
  if (hqPlanCache) return hqPlanCache;
  const rng = new Random(20240501);
  const accounts = HQ_ACCOUNTS.map((a, i) => ({ ...a, createdDaysAgo: 900 - i * 23 }));
  const contacts: DemoContact[] = [];
  const opportunities: DemoOpportunity[] = [];
  accounts.forEach((a, i) => {
    const count = 1 + (i % 3);
    for (let c = 0; c < count; c++) {
      contacts.push({
        account: i,
        salutation: rng.pick(['Mr.', 'Ms.', 'Dr.', 'Mrs.']),
        first: rng.pick(FIRST_NAMES),
        last: rng.pick(LAST_NAMES),
        title: c === 0 ? rng.pick(['CEO', 'CFO', 'CTO', 'VP Operations']) : rng.pick(TITLES),
        channel: rng.pick(CHANNELS),
      });
    }
    if (i % 3 === 2) return;
    const oppCount = a.tier === 'Gold' ? 2 : 1;
    for (let o = 0; o < oppCount; o++) {
      const stage = STAGE_CYCLE[opportunities.length % STAGE_CYCLE.length]!;
      const closed = stage.startsWith('Closed');
      opportunities.push({
        account: i,
        name: `${a.name} - ${PRODUCT_NAMES[(i + o) % PRODUCT_NAMES.length]}`,
        stage,
        amount: (10 + rng.int(190)) * 1000 * (a.tier === 'Gold' ? 5 : 1),
        closeInDays: closed ? -(10 + rng.int(300)) : 5 + rng.int(240),
        termMonths: rng.pick([12, 24, 36]),
      });
    }
  });
  hqPlanCache = { accounts, contacts, opportunities };
  return hqPlanCache;
}

const DAY = 86_400_000;

function cityOf(name: string): City {
  const c = CITIES.find((x) => x.city === name);
  if (!c) throw new Error(`demo data: unknown city ${name}`);
  return c;
}

function domainOf(accountName: string): string {
  return `${slug(accountName.split(' ')[0]!)}.example.com`;
}

/**
 * The Id a demo HQ record gets: the HQ org issues Ids per key prefix in load order, from a pod
 * derived from its name (the same two characters its org Id carries).
 */
export function hqDemoId(keyPrefix: '001' | '003' | '006' | 'a01', index: number): string {
  return makeId(keyPrefix, orgIdFor(DEMO_ORG_NAMES.hq).slice(3, 5), index + 1);
}

/**
 * Loads the demo data set that fits the org's schema: the subsidiary's when Account has `HQ_Id__c`,
 * HQ's when the org has `Project__c`.
 */
export function seedDemoData(org: Org): void {
  if (org.schema.object('Account')?.field('HQ_Id__c')) seedSubsidiaryData(org);
  else if (org.schema.object('Project__c')) seedHqData(org);
  else throw new Error(`seedDemoData: ${org.name} has neither the hq nor the subsidiary demo schema`);
}

/** HQ: 30 accounts in hierarchies, ~60 contacts, ~30 opportunities at every stage, leads, cases, projects. */
export function seedHqData(org: Org): void {
  const plan = hqPlan();
  const now = org.clock.now();
  const today = Math.floor(now / DAY) * DAY;
  const rng = new Random(7);
  const ago = (days: number) => sfDateTime(now - days * DAY);
  const accountIds: string[] = [];
  const byName = new Map<string, number>();
  plan.accounts.forEach((a, i) => byName.set(a.name, i));
  for (let i = 0; i < plan.accounts.length; i++) accountIds.push(org.ids.next('001'));

  const accountRows: LoadRow[] = plan.accounts.map((a, i) => {
    const city = cityOf(a.city);
    const parent = a.parent === undefined ? undefined : byName.get(a.parent);
    return {
      Id: accountIds[i],
      Name: a.name,
      ParentId: parent === undefined ? null : accountIds[parent]!,
      Type: a.type,
      Industry: a.industry,
      NumberOfEmployees: a.employees,
      AnnualRevenue: a.employees * 180_000,
      Ownership: parent === undefined ? 'Public' : 'Subsidiary',
      Rating: a.tier === 'Gold' ? 'Hot' : a.tier === 'Silver' ? 'Warm' : 'Cold',
      AccountNumber: `HQ-${String(1001 + i)}`,
      Phone: fillPattern(rng, city.phone),
      Website: `https://www.${domainOf(a.name)}`,
      BillingStreet: `${10 + i * 7} ${['Market St', 'King St', 'Harbor Blvd', 'Station Rd'][i % 4]}`,
      BillingCity: city.city,
      BillingState: city.state,
      BillingPostalCode: fillPattern(rng, city.postal),
      BillingCountry: city.country,
      Customer_Tier__c: a.tier,
      Region__c: a.region,
      Key_Account__c: a.tier === 'Gold' && parent === undefined,
      Description: parent === undefined ? `${a.name} group headquarters.` : `Part of the ${plan.accounts[parent]!.name} group.`,
      CreatedDate: ago(a.createdDaysAgo),
      LastModifiedDate: ago(Math.max(1, a.createdDaysAgo - 200)),
    };
  });
  bulkLoad(org, 'Account', accountRows);

  const contactRows: LoadRow[] = plan.contacts.map((c) => {
    const a = plan.accounts[c.account]!;
    const city = cityOf(a.city);
    return {
      AccountId: accountIds[c.account]!,
      Salutation: c.salutation,
      FirstName: c.first,
      LastName: c.last,
      Title: c.title,
      Email: `${slug(c.first)}.${slug(c.last)}@${domainOf(a.name)}`,
      Phone: fillPattern(rng, city.phone),
      MailingCity: city.city,
      MailingCountry: city.country,
      LeadSource: 'Partner Referral',
      Preferred_Channel__c: c.channel,
      CreatedDate: ago(a.createdDaysAgo - 5),
      LastModifiedDate: ago(Math.max(1, a.createdDaysAgo - 120)),
    };
  });
  const contactIds = bulkLoad(org, 'Contact', contactRows);

  const opportunityRows: LoadRow[] = plan.opportunities.map((o) => ({
    AccountId: accountIds[o.account]!,
    Name: o.name,
    StageName: o.stage,
    Amount: o.amount,
    CloseDate: sfDate(today + o.closeInDays * DAY),
    Type: o.stage === 'Closed Won' ? 'Existing Customer - Upgrade' : 'New Customer',
    LeadSource: 'Web',
    Contract_Term_Months__c: o.termMonths,
    Go_Live_Date__c: sfDate(today + (o.closeInDays + 60) * DAY),
    CreatedDate: ago(Math.max(2, 60 - o.closeInDays)),
  }));
  bulkLoad(org, 'Opportunity', opportunityRows);

  bulkLoad(org, 'Lead', [
    { FirstName: 'Marta', LastName: 'Nowak', Company: 'Vistula Robotics', Title: 'COO', Email: 'marta.nowak@vistula.example.com', Industry: 'Technology', LeadSource: 'Web', Status: 'Open - Not Contacted', City: 'Warsaw', Country: 'Poland' },
    { FirstName: 'Tom', LastName: 'Becker', Company: 'Rhein Chemicals', Title: 'Head of Procurement', Email: 'tom.becker@rhein.example.com', Industry: 'Chemicals', LeadSource: 'Partner Referral', Status: 'Working - Contacted', City: 'Cologne', Country: 'Germany' },
    { FirstName: 'Grace', LastName: 'Okafor', Company: 'Lagos Fintech Hub', Title: 'CTO', Email: 'grace@lagosfintech.example.com', Industry: 'Finance', LeadSource: 'Phone Inquiry', Status: 'Working - Contacted', City: 'Lagos', Country: 'Nigeria' },
    { FirstName: 'Ben', LastName: 'Carter', Company: 'Carter & Sons Hardware', Email: 'ben@carterhardware.example.com', Industry: 'Retail', LeadSource: 'Purchased List', Status: 'Closed - Not Converted', City: 'Denver', State: 'CO', Country: 'United States' },
    { FirstName: 'Aiko', LastName: 'Mori', Company: 'Mori Precision', Title: 'Plant Manager', Email: 'a.mori@moriprecision.example.com', Industry: 'Machinery', LeadSource: 'Web', Status: 'Open - Not Contacted', City: 'Osaka', Country: 'Japan' },
    { FirstName: 'Luis', LastName: 'Ortega', Company: 'Andes Mining', Email: 'lortega@andesmining.example.com', Industry: 'Energy', LeadSource: 'Other', Status: 'Open - Not Contacted', City: 'Santiago', Country: 'Chile' },
  ]);

  const contactOf = (account: number) => contactIds[plan.contacts.findIndex((c) => c.account === account)] ?? null;
  const caseRow = (account: number, subject: string, status: string, priority: string, origin: string, type: string, daysAgo: number): LoadRow => ({
    AccountId: accountIds[account]!,
    ContactId: contactOf(account),
    Subject: subject,
    Status: status,
    Priority: priority,
    Origin: origin,
    Type: type,
    Description: `${subject} (reported by ${plan.accounts[account]!.name}).`,
    CreatedDate: ago(daysAgo),
  });
  bulkLoad(org, 'Case', [
    caseRow(4, 'Line 3 controller keeps rebooting', 'Working', 'High', 'Phone', 'Electronic', 12),
    caseRow(9, 'Spare parts delivery delayed', 'New', 'Medium', 'Email', 'Mechanical', 3),
    caseRow(13, 'Portal login fails for clinic staff', 'Escalated', 'High', 'Web', 'Other', 6),
    caseRow(20, 'Invoice shows wrong currency', 'Closed', 'Low', 'Email', 'Other', 45),
    caseRow(23, 'Sensor calibration drift', 'Working', 'Medium', 'Phone', 'Electrical', 20),
    caseRow(25, 'Request for on-site training', 'Closed', 'Low', 'Web', 'Other', 80),
  ]);

  const project = (account: number, name: string, status: string, startInDays: number, months: number, budget: number): LoadRow => ({
    Name: name,
    Account__c: accountIds[account]!,
    Status__c: status,
    Start_Date__c: sfDate(today + startInDays * DAY),
    End_Date__c: sfDate(today + (startInDays + months * 30) * DAY),
    Budget__c: budget,
    Summary__c: `${name} for ${plan.accounts[account]!.name}.`,
  });
  bulkLoad(org, 'Project__c', [
    project(0, 'Global ERP Rollout', 'In Progress', -120, 18, 2_400_000),
    project(7, 'EMEA Data Migration', 'In Progress', -40, 6, 380_000),
    project(9, 'Munich Plant Automation', 'Planned', 30, 9, 920_000),
    project(12, 'Patient Portal', 'Completed', -400, 8, 610_000),
    project(16, 'Clinical Trials Analytics', 'On Hold', -60, 12, 450_000),
    project(17, 'Risk Reporting Platform', 'In Progress', -200, 14, 1_150_000),
    project(23, 'Hangar IoT Sensors', 'Planned', 45, 5, 275_000),
    project(26, 'Grid Forecasting', 'Completed', -300, 4, 190_000),
  ]);
}

/**
 * Subsidiary: a few records of its own, so that a first sync both matches and creates: accounts
 * already linked to HQ through `HQ_Id__c` (with stale values), accounts with an HQ name but no link,
 * local-only accounts, and contacts, an opportunity and engagements hanging off them.
 */
export function seedSubsidiaryData(org: Org): void {
  const plan = hqPlan();
  const now = org.clock.now();
  const today = Math.floor(now / DAY) * DAY;
  const ago = (days: number) => sfDateTime(now - days * DAY);
  const hqAccount = (name: string) => {
    const i = plan.accounts.findIndex((a) => a.name === name);
    if (i < 0) throw new Error(`demo data: no HQ account ${name}`);
    return i;
  };
  const emea = hqAccount('Altura EMEA');
  const germany = hqAccount('Altura Germany');
  const brightwave = hqAccount('Brightwave Health');

  const accountIds = bulkLoad(org, 'Account', [
    // Synced before: linked, but some values have drifted since.
    { Name: 'Altura EMEA', HQ_Id__c: hqDemoId('001', emea), Industry: 'Manufacturing', Service_Level__c: 'Platinum', BillingCity: 'London', BillingCountry: 'United Kingdom', Phone: '+44 20 7946 0000', CreatedDate: ago(300) },
    { Name: 'Altura Deutschland GmbH', HQ_Id__c: hqDemoId('001', germany), Industry: 'Manufacturing', Service_Level__c: 'Platinum', BillingCity: 'München', BillingCountry: 'Germany', VAT_Number__c: 'DE129273398', CreatedDate: ago(290) },
    { Name: 'Brightwave Health', HQ_Id__c: hqDemoId('001', brightwave), Industry: 'Healthcare', Service_Level__c: 'Standard', BillingCity: 'London', BillingCountry: 'United Kingdom', CreatedDate: ago(250) },
    // Same companies as in HQ, never linked: a sync has to match them some other way or create duplicates.
    { Name: 'Driftwood Logistics', Industry: 'Transportation', Service_Level__c: 'Standard', BillingCity: 'Amsterdam', BillingCountry: 'Netherlands', VAT_Number__c: 'NL859216734B01', CreatedDate: ago(200) },
    { Name: 'Juniper Media', Industry: 'Media', Service_Level__c: 'Basic', BillingCity: 'Paris', BillingCountry: 'France', CreatedDate: ago(150) },
    // Local customers HQ does not know about.
    { Name: 'Nordlicht Maschinenbau GmbH', Industry: 'Manufacturing', Service_Level__c: 'Standard', BillingCity: 'Berlin', BillingCountry: 'Germany', VAT_Number__c: 'DE811907980', Type: 'Customer - Direct', CreatedDate: ago(500) },
    { Name: 'Rivera Consultores S.L.', Industry: 'Other', Service_Level__c: 'Basic', BillingCity: 'Madrid', BillingCountry: 'Spain', Type: 'Prospect', CreatedDate: ago(90) },
  ]);
  const [altEmea, altDe, , driftwood, , nordlicht, rivera] = accountIds;

  const hqContact = (account: number, nth = 0) => {
    const matches = plan.contacts.map((c, i) => ({ c, i })).filter((x) => x.c.account === account);
    const m = matches[nth];
    if (!m) throw new Error(`demo data: HQ account ${account} has no contact ${nth}`);
    return m;
  };
  const emeaContact = hqContact(emea);
  const deContact = hqContact(germany);
  bulkLoad(org, 'Contact', [
    { AccountId: altEmea!, FirstName: emeaContact.c.first, LastName: emeaContact.c.last, Title: emeaContact.c.title, HQ_Id__c: hqDemoId('003', emeaContact.i), Language__c: 'English', CreatedDate: ago(300) },
    { AccountId: altDe!, FirstName: deContact.c.first, LastName: deContact.c.last, Title: deContact.c.title, HQ_Id__c: hqDemoId('003', deContact.i), Language__c: 'German', CreatedDate: ago(290) },
    { AccountId: driftwood!, FirstName: 'Sanne', LastName: 'de Vries', Title: 'Logistics Director', Email: 'sanne.devries@driftwood.example.com', Language__c: 'Dutch', CreatedDate: ago(200) },
    { AccountId: nordlicht!, FirstName: 'Jürgen', LastName: 'Hoffmann', Title: 'Geschäftsführer', Email: 'j.hoffmann@nordlicht.example.com', Language__c: 'German', CreatedDate: ago(500) },
    { AccountId: rivera!, FirstName: 'Lucía', LastName: 'Rivera', Title: 'Socia Directora', Email: 'lucia@rivera.example.com', Language__c: 'Spanish', CreatedDate: ago(90) },
  ]);

  const hqOpp = plan.opportunities.findIndex((o) => o.account === germany);
  bulkLoad(org, 'Opportunity', [
    ...(hqOpp >= 0
      ? [{ AccountId: altDe!, Name: plan.opportunities[hqOpp]!.name, StageName: 'Qualification', CloseDate: sfDate(today + 30 * DAY), Amount: plan.opportunities[hqOpp]!.amount, HQ_Id__c: hqDemoId('006', hqOpp), Term_Months__c: 12, CreatedDate: ago(120) }]
      : []),
    { AccountId: nordlicht!, Name: 'Nordlicht - Wartungsvertrag 2025', StageName: 'Negotiation/Review', CloseDate: sfDate(today + 20 * DAY), Amount: 84_000, Term_Months__c: 24, CreatedDate: ago(40) },
  ]);

  bulkLoad(org, 'Engagement__c', [
    { Name: 'Nordlicht Implementation', Account__c: nordlicht!, Engagement_Type__c: 'Implementation', Stage__c: 'Active', Start_Date__c: sfDate(today - 50 * DAY), Hours__c: 320 },
    { Name: 'Altura DE Advisory', Account__c: altDe!, Engagement_Type__c: 'Advisory', Stage__c: 'Scheduled', Start_Date__c: sfDate(today + 14 * DAY), Hours__c: 40 },
  ]);
}
