/**
 * Starting points for the demo orgs and for real ones shaped alike: HQ (source) to a subsidiary
 * (target) that keeps the HQ record Id in an `HQ_Id__c` external Id on every synced object,
 * calls the account tier `Service_Level__c` with its own values and restricts Industry to a
 * shorter list. The editor offers them; tests compile them against the emulator's describes.
 */
import { MAPPING_FORMAT, type TemplateName } from './constants.js';
import type { Mapping } from './format.js';

export type { TemplateName } from './constants.js';

/** The target's external Id holding the source record Id. */
export const HQ_ID_FIELD = 'HQ_Id__c';

const byHqId = { by: 'externalId', field: HQ_ID_FIELD, value: 'sourceId' } as const;
const viaHqId = { externalId: HQ_ID_FIELD };

const copy = (...names: string[]) => names.map((name) => ({ target: name, source: name }));

/**
 * HQ's 32 industries onto the subsidiary's 10. Values both orgs have are listed too: with a
 * default, anything unlisted becomes "Other".
 */
const INDUSTRY_MAP: Record<string, string> = {
  Technology: 'Technology',
  Electronics: 'Technology',
  Telecommunications: 'Technology',
  Consulting: 'Technology',
  Manufacturing: 'Manufacturing',
  Machinery: 'Manufacturing',
  Engineering: 'Manufacturing',
  Chemicals: 'Manufacturing',
  Construction: 'Manufacturing',
  Healthcare: 'Healthcare',
  Biotechnology: 'Healthcare',
  Banking: 'Financial Services',
  Finance: 'Financial Services',
  Insurance: 'Financial Services',
  Energy: 'Energy',
  Utilities: 'Energy',
  Environmental: 'Energy',
  Retail: 'Retail',
  Apparel: 'Retail',
  'Food & Beverage': 'Retail',
  Transportation: 'Transportation',
  Shipping: 'Transportation',
  Media: 'Media',
  Communications: 'Media',
  Entertainment: 'Media',
  Education: 'Education',
};

const account: Mapping = {
  format: MAPPING_FORMAT,
  name: 'Account: HQ to subsidiary',
  version: '1.0.0',
  description: 'HQ accounts into the subsidiary, matched by HQ_Id__c; tiers become service levels, industries the shorter list.',
  source: { object: 'Account' },
  target: { object: 'Account' },
  match: byHqId,
  filter: {
    expression: "$not(Type in ['Channel Partner / Reseller', 'Installation Partner', 'Technology Partner'])",
    description: 'Partners stay in HQ.',
  },
  fields: [
    ...copy('Name', 'Type', 'Phone', 'Fax', 'Website', 'AccountNumber'),
    ...copy('BillingStreet', 'BillingCity', 'BillingState', 'BillingPostalCode', 'BillingCountry'),
    ...copy('ShippingStreet', 'ShippingCity', 'ShippingState', 'ShippingPostalCode', 'ShippingCountry'),
    ...copy('NumberOfEmployees', 'AnnualRevenue', 'Ownership', 'TickerSymbol', 'AccountSource', 'Description'),
    { target: 'Industry', source: 'Industry', valueMap: { values: INDUSTRY_MAP, default: 'Other', caseInsensitive: true } },
    {
      target: 'Service_Level__c',
      source: 'Customer_Tier__c',
      valueMap: { values: { Gold: 'Platinum', Silver: 'Standard', Bronze: 'Basic' } },
      description: 'No default: a tier the subsidiary has no level for is rejected, not guessed.',
    },
    { target: 'Rating', constant: 'Hot', condition: 'Key_Account__c = true', description: 'Key accounts are always hot in the subsidiary.' },
    { target: 'Rating', source: 'Rating' },
    { target: 'Site', expression: "Region__c ? 'HQ ' & Region__c", description: 'The HQ sales region, e.g. "HQ EMEA".' },
  ],
  relationships: [{ source: 'ParentId', target: 'ParentId', object: 'Account', via: viaHqId, nillable: true }],
};

const contact: Mapping = {
  format: MAPPING_FORMAT,
  name: 'Contact: HQ to subsidiary',
  version: '1.0.0',
  description: 'HQ contacts into the subsidiary, under their account (by its HQ_Id__c); language from the mailing country.',
  source: { object: 'Contact' },
  target: { object: 'Contact' },
  match: byHqId,
  fields: [
    ...copy('Salutation', 'FirstName', 'LastName', 'Title', 'Department', 'Email', 'Phone', 'MobilePhone'),
    ...copy('MailingStreet', 'MailingCity', 'MailingState', 'MailingPostalCode', 'MailingCountry'),
    ...copy('LeadSource', 'Birthdate', 'Description', 'DoNotCall', 'HasOptedOutOfEmail'),
    {
      target: 'Language__c',
      expression:
        // A contact without a mailing country gets the default ($lookup refuses an empty key).
        "MailingCountry ? $lookup({'Germany': 'German', 'Austria': 'German', 'Switzerland': 'German', 'France': 'French', 'Belgium': 'French', 'Spain': 'Spanish', 'Mexico': 'Spanish', 'Netherlands': 'Dutch'}, MailingCountry)",
      default: 'English',
    },
  ],
  relationships: [
    { source: 'AccountId', target: 'AccountId', object: 'Account', via: viaHqId },
    { source: 'ReportsToId', target: 'ReportsToId', object: 'Contact', via: viaHqId, nillable: true },
  ],
};

const opportunity: Mapping = {
  format: MAPPING_FORMAT,
  name: 'Opportunity: HQ to subsidiary',
  version: '1.0.0',
  description: 'HQ opportunities into the subsidiary, under their account and contact (by HQ_Id__c).',
  source: { object: 'Opportunity' },
  target: { object: 'Opportunity' },
  match: byHqId,
  fields: [
    ...copy('Name', 'StageName', 'CloseDate', 'Amount', 'Probability', 'Type', 'LeadSource', 'NextStep', 'Description'),
    { target: 'Term_Months__c', source: 'Contract_Term_Months__c' },
  ],
  relationships: [
    { source: 'AccountId', target: 'AccountId', object: 'Account', via: viaHqId },
    { source: 'ContactId', target: 'ContactId', object: 'Contact', via: viaHqId, nillable: true },
  ],
};

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Frozen: take a copy with `mappingTemplate` to edit one. */
export const MAPPING_TEMPLATES: Readonly<Record<TemplateName, Mapping>> = deepFreeze({
  Account: account,
  Contact: contact,
  Opportunity: opportunity,
});


/** An editable copy of a template. */
export function mappingTemplate(name: TemplateName): Mapping {
  return structuredClone(MAPPING_TEMPLATES[name]) as Mapping;
}
