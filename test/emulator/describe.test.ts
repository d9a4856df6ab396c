import { expect } from 'chai';
import { describeGlobal, describeSObject, MASTER_RECORD_TYPE_ID } from '../../emulator/schema/describe.js';
import { customObjectFields, picklist, reference, text } from '../../emulator/schema/field-builders.js';
import { OrgSchema } from '../../emulator/schema/org-schema.js';
import { STANDARD_OBJECTS } from '../../emulator/schema/standard-objects.js';
import { SfError } from '../../emulator/errors.js';

// Describe output is untyped JSON; the assertions below are what check its shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

const FIELD_KEYS = [
  'aggregatable', 'aiPredictionField', 'autoNumber', 'byteLength', 'calculated', 'calculatedFormula', 'cascadeDelete',
  'caseSensitive', 'compoundFieldName', 'controllerName', 'createable', 'custom', 'defaultValue', 'defaultValueFormula',
  'defaultedOnCreate', 'dependentPicklist', 'deprecatedAndHidden', 'digits', 'displayLocationInDecimal', 'encrypted',
  'externalId', 'extraTypeInfo', 'filterable', 'filteredLookupInfo', 'formulaTreatNullNumberAsZero', 'groupable',
  'highScaleNumber', 'htmlFormatted', 'idLookup', 'inlineHelpText', 'label', 'length', 'mask', 'maskType', 'name',
  'nameField', 'namePointing', 'nillable', 'permissionable', 'picklistValues', 'polymorphicForeignKey', 'precision',
  'queryByDistance', 'referenceTargetField', 'referenceTo', 'relationshipName', 'relationshipOrder', 'restrictedDelete',
  'restrictedPicklist', 'scale', 'searchPrefilterable', 'soapType', 'sortable', 'type', 'unique', 'updateable',
  'writeRequiresMasterRead',
];

const OBJECT_KEYS = [
  'actionOverrides', 'activateable', 'childRelationships', 'compactLayoutable', 'createable', 'custom', 'customSetting',
  'deletable', 'deprecatedAndHidden', 'feedEnabled', 'fields', 'hasSubtypes', 'isSubtype', 'keyPrefix', 'label',
  'labelPlural', 'layoutable', 'listviewable', 'lookupLayoutable', 'mergeable', 'mruEnabled', 'name', 'namedLayoutInfos',
  'networkScopeFieldName', 'queryable', 'recordTypeInfos', 'replicateable', 'retrieveable', 'searchLayoutable',
  'searchable', 'supportedScopes', 'triggerable', 'undeletable', 'updateable', 'urls',
];

const GLOBAL_KEYS = [
  'activateable', 'createable', 'custom', 'customSetting', 'deletable', 'deprecatedAndHidden', 'feedEnabled', 'hasSubtypes',
  'isSubtype', 'keyPrefix', 'label', 'labelPlural', 'layoutable', 'mergeable', 'mruEnabled', 'name', 'queryable',
  'replicateable', 'retrieveable', 'searchable', 'triggerable', 'undeletable', 'updateable', 'urls',
];

const V = '62.0';
const schema = OrgSchema.fromDefs(STANDARD_OBJECTS);
const desc = (name: string, s: OrgSchema = schema): Json => describeSObject(s, name, V) as Json;
const field = (d: Json, name: string): Json => {
  const f = (d.fields as Json[]).find((x) => x.name === name);
  if (!f) throw new Error(`${d.name}.${name} missing from describe`);
  return f;
};
const picklistValues = (f: Json): string[] => (f.picklistValues as Json[]).map((p) => p.value as string);

describe('describe', () => {
  describe('field shape', () => {
    it('gives every field of every standard object all the keys real describe has', () => {
      for (const def of STANDARD_OBJECTS) {
        const d = desc(def.name);
        expect(d).to.include.all.keys(...OBJECT_KEYS);
        for (const f of d.fields as Json[]) {
          expect(f, `${def.name}.${f.name}`).to.include.all.keys(...FIELD_KEYS);
        }
      }
    });

    it('reports byteLength as three bytes per character for text and 18 for ids', () => {
      const d = desc('Account');
      expect(field(d, 'Name')).to.include({ type: 'string', length: 255, byteLength: 765, soapType: 'xsd:string' });
      expect(field(d, 'Id')).to.include({ type: 'id', length: 18, byteLength: 18, soapType: 'tns:ID', idLookup: true });
      expect(field(d, 'ParentId')).to.include({ length: 18, byteLength: 18, soapType: 'tns:ID' });
      expect(field(d, 'NumberOfEmployees')).to.include({ type: 'int', soapType: 'xsd:int', byteLength: 0, digits: 8 });
    });

    it('maps every type to its SOAP type', () => {
      const o = desc('Opportunity');
      expect(field(o, 'CloseDate').soapType).to.equal('xsd:date');
      expect(field(o, 'CreatedDate').soapType).to.equal('xsd:dateTime');
      expect(field(o, 'IsWon').soapType).to.equal('xsd:boolean');
      expect(field(o, 'Amount').soapType).to.equal('xsd:double');
      expect(field(desc('Account'), 'BillingAddress').soapType).to.equal('urn:address');
    });
  });

  describe('Account', () => {
    const d = desc('Account');

    it('has a required name field', () => {
      expect(field(d, 'Name')).to.include({ nillable: false, createable: true, defaultedOnCreate: false, nameField: true, label: 'Account Name' });
    });

    it('has the object flags and key prefix of a real org', () => {
      expect(d).to.include({ name: 'Account', keyPrefix: '001', custom: false, createable: true, deletable: true, undeletable: true, mergeable: true, triggerable: true });
    });

    it('lists the real Industry, Type and Rating values, unrestricted', () => {
      expect(picklistValues(field(d, 'Industry'))).to.include.members(['Banking', 'Food & Beverage', 'Not For Profit', 'Technology']);
      expect(picklistValues(field(d, 'Type'))).to.deep.equal([
        'Prospect', 'Customer - Direct', 'Customer - Channel', 'Channel Partner / Reseller', 'Installation Partner', 'Technology Partner', 'Other',
      ]);
      expect(picklistValues(field(d, 'Rating'))).to.deep.equal(['Hot', 'Warm', 'Cold']);
      expect(field(d, 'Industry').restrictedPicklist).to.equal(false);
      expect((field(d, 'Rating').picklistValues as Json[])[0]).to.deep.equal({ active: true, defaultValue: false, label: 'Hot', validFor: null, value: 'Hot' });
    });

    it('describes BillingAddress as a read-only compound of its components', () => {
      const addr = field(d, 'BillingAddress');
      expect(addr).to.include({ type: 'address', createable: false, updateable: false, soapType: 'urn:address' });
      for (const c of ['BillingStreet', 'BillingCity', 'BillingState', 'BillingPostalCode', 'BillingCountry', 'BillingLatitude', 'BillingLongitude', 'BillingGeocodeAccuracy']) {
        expect(field(d, c).compoundFieldName, c).to.equal('BillingAddress');
        expect(field(d, c).createable, c).to.equal(true);
      }
      expect(field(d, 'BillingStreet')).to.include({ type: 'textarea', length: 255 });
      expect(field(d, 'BillingLatitude')).to.include({ type: 'double', precision: 18, scale: 15 });
      expect(field(d, 'ShippingAddress').type).to.equal('address');
    });

    it('marks system fields read-only and defaulted on create', () => {
      for (const name of ['Id', 'IsDeleted', 'CreatedDate', 'CreatedById', 'LastModifiedDate', 'LastModifiedById', 'SystemModstamp']) {
        expect(field(d, name), name).to.include({ createable: false, updateable: false, nillable: false, defaultedOnCreate: true });
      }
      expect(field(d, 'CreatedById')).to.include({ relationshipName: 'CreatedBy' });
      expect(field(d, 'CreatedById').referenceTo).to.deep.equal(['User']);
    });

    it('has ParentId -> Parent and the ChildAccounts, Contacts, Opportunities and Cases relationships', () => {
      expect(field(d, 'ParentId')).to.include({ relationshipName: 'Parent', type: 'reference' });
      const rels = d.childRelationships as Json[];
      expect(rels).to.deep.include({
        cascadeDelete: false, childSObject: 'Account', deprecatedAndHidden: false, field: 'ParentId',
        junctionIdListNames: [], junctionReferenceTo: [], relationshipName: 'ChildAccounts', restrictedDelete: false,
      });
      const byName = (n: string) => rels.find((r) => r.relationshipName === n);
      expect(byName('Contacts')).to.include({ childSObject: 'Contact', field: 'AccountId' });
      expect(byName('Opportunities')).to.include({ childSObject: 'Opportunity', field: 'AccountId' });
      expect(byName('Cases')).to.include({ childSObject: 'Case', field: 'AccountId' });
    });

    it('has OwnerId as a defaulted, non-polymorphic reference to User', () => {
      expect(field(d, 'OwnerId')).to.include({ relationshipName: 'Owner', defaultedOnCreate: true, nillable: false, createable: true, polymorphicForeignKey: false });
      expect(field(d, 'OwnerId').referenceTo).to.deep.equal(['User']);
    });

    it('includes the Master record type and versioned URLs', () => {
      expect(d.recordTypeInfos).to.have.length(1);
      expect((d.recordTypeInfos as Json[])[0]).to.include({ master: true, recordTypeId: MASTER_RECORD_TYPE_ID, defaultRecordTypeMapping: true, available: true, name: 'Master' });
      expect(d.urls).to.include({
        sobject: '/services/data/v62.0/sobjects/Account',
        describe: '/services/data/v62.0/sobjects/Account/describe',
        rowTemplate: '/services/data/v62.0/sobjects/Account/{ID}',
        layouts: '/services/data/v62.0/sobjects/Account/describe/layouts',
        compactLayouts: '/services/data/v62.0/sobjects/Account/describe/compactLayouts',
      });
      expect(d.urls).to.include.all.keys('approvalLayouts', 'uiDetailTemplate', 'uiEditTemplate', 'defaultValues', 'listviews', 'uiNewRecord', 'quickActions');
    });
  });

  describe('Contact, Opportunity, Lead, Case, User', () => {
    it('gives Contact.AccountId the Account relationship and a compound, non-createable Name', () => {
      const d = desc('Contact');
      expect(d.keyPrefix).to.equal('003');
      expect(field(d, 'AccountId')).to.include({ relationshipName: 'Account', idLookup: false });
      expect(field(d, 'ReportsToId')).to.include({ relationshipName: 'ReportsTo' });
      expect(field(d, 'LastName')).to.include({ nillable: false, createable: true, defaultedOnCreate: false, compoundFieldName: 'Name' });
      expect(field(d, 'FirstName').compoundFieldName).to.equal('Name');
      expect(field(d, 'Salutation').compoundFieldName).to.equal('Name');
      expect(field(d, 'Name')).to.include({ createable: false, updateable: false, nameField: true });
      expect(field(d, 'MailingAddress').type).to.equal('address');
      expect(field(d, 'OtherCity').compoundFieldName).to.equal('OtherAddress');
      expect(field(d, 'Email')).to.include({ type: 'email', idLookup: true });
    });

    it('requires Opportunity Name, StageName and CloseDate and knows the default stages', () => {
      const d = desc('Opportunity');
      expect(d.keyPrefix).to.equal('006');
      for (const n of ['Name', 'StageName', 'CloseDate']) {
        expect(field(d, n), n).to.include({ nillable: false, createable: true, defaultedOnCreate: false });
      }
      expect(picklistValues(field(d, 'StageName'))).to.include.members(['Prospecting', 'Negotiation/Review', 'Closed Won', 'Closed Lost']);
      // Stage flags used by the store must not leak into describe.
      for (const p of field(d, 'StageName').picklistValues as Json[]) expect(p).to.have.all.keys('active', 'defaultValue', 'label', 'validFor', 'value');
      expect(field(d, 'Amount')).to.include({ type: 'currency', precision: 18, scale: 2 });
      expect(field(d, 'Probability')).to.include({ type: 'percent', precision: 3, scale: 0 });
      expect(field(d, 'CloseDate').type).to.equal('date');
      expect(field(d, 'IsWon')).to.include({ type: 'boolean', createable: false, updateable: false });
      expect(field(d, 'IsClosed')).to.include({ createable: false });
      expect(picklistValues(field(d, 'ForecastCategory'))).to.include('Forecast');
      expect(field(d, 'AccountId').relationshipName).to.equal('Account');
    });

    it('requires Lead LastName and Company, defaults Status and owns by User or queue', () => {
      const d = desc('Lead');
      expect(d.keyPrefix).to.equal('00Q');
      expect(field(d, 'LastName').nillable).to.equal(false);
      expect(field(d, 'Company')).to.include({ nillable: false, createable: true, defaultedOnCreate: false });
      expect(field(d, 'Status')).to.include({ defaultedOnCreate: true });
      const status = field(d, 'Status').picklistValues as Json[];
      expect(status.find((p) => p.defaultValue)?.value).to.equal('Open - Not Contacted');
      expect(field(d, 'OwnerId').referenceTo).to.deep.equal(['Group', 'User']);
      expect(field(d, 'OwnerId')).to.include({ polymorphicForeignKey: true, namePointing: true, relationshipName: 'Owner' });
      expect(field(d, 'Address')).to.include({ type: 'address', label: 'Address' });
      expect(field(d, 'City').compoundFieldName).to.equal('Address');
      expect(field(d, 'Name').createable).to.equal(false);
      expect(field(d, 'ConvertedAccountId')).to.include({ relationshipName: 'ConvertedAccount', createable: false });
      expect(field(d, 'ConvertedContactId').relationshipName).to.equal('ConvertedContact');
      expect(field(d, 'ConvertedOpportunityId').relationshipName).to.equal('ConvertedOpportunity');
    });

    it('describes Case with its picklists, lookups and the Cases relationships', () => {
      const d = desc('Case');
      expect(d.keyPrefix).to.equal('500');
      expect(picklistValues(field(d, 'Status'))).to.deep.equal(['New', 'Working', 'Escalated', 'Closed']);
      expect(picklistValues(field(d, 'Priority'))).to.deep.equal(['High', 'Medium', 'Low']);
      expect(picklistValues(field(d, 'Origin'))).to.deep.equal(['Phone', 'Email', 'Web']);
      expect(field(d, 'CaseNumber')).to.include({ autoNumber: true, createable: false, nameField: true });
      expect(field(d, 'ParentId')).to.include({ relationshipName: 'Parent' });
      expect(field(d, 'ContactId')).to.include({ relationshipName: 'Contact' });
      expect(d.childRelationships as Json[]).to.deep.include({
        cascadeDelete: false, childSObject: 'Case', deprecatedAndHidden: false, field: 'ParentId',
        junctionIdListNames: [], junctionReferenceTo: [], relationshipName: 'Cases', restrictedDelete: false,
      });
      expect((desc('Contact').childRelationships as Json[]).find((r) => r.relationshipName === 'Cases')).to.include({ field: 'ContactId' });
    });

    it('makes User not deletable, with required login fields and no record types', () => {
      const d = desc('User');
      expect(d).to.include({ keyPrefix: '005', deletable: false, undeletable: false, createable: true });
      for (const n of ['Username', 'LastName', 'Alias', 'Email', 'TimeZoneSidKey', 'LocaleSidKey', 'EmailEncodingKey', 'ProfileId', 'LanguageLocaleKey']) {
        expect(field(d, n), n).to.include({ nillable: false, createable: true, defaultedOnCreate: false });
      }
      expect(field(d, 'Username')).to.include({ unique: true, idLookup: true });
      expect(field(d, 'ManagerId').relationshipName).to.equal('Manager');
      expect(field(d, 'ProfileId').relationshipName).to.equal('Profile');
      expect(field(d, 'UserRoleId').relationshipName).to.equal('UserRole');
      expect(d.fields.some((f: Json) => f.name === 'IsDeleted')).to.equal(false);
      expect(d.recordTypeInfos).to.deep.equal([]);
      const rels = d.childRelationships as Json[];
      expect(rels.find((r) => r.relationshipName === 'ManagedUsers')).to.include({ childSObject: 'User', field: 'ManagerId' });
      // Audit lookups give User children without a relationship name, as in real orgs.
      expect(rels).to.deep.include({
        cascadeDelete: false, childSObject: 'Account', deprecatedAndHidden: false, field: 'CreatedById',
        junctionIdListNames: [], junctionReferenceTo: [], relationshipName: null, restrictedDelete: false,
      });
    });

    it('makes Organization read-mostly and keeps Profile queryable', () => {
      const org = desc('Organization');
      expect(org).to.include({ keyPrefix: '00D', createable: false, deletable: false, queryable: true, layoutable: false });
      expect((org.fields as Json[]).every((f) => f.createable === false)).to.equal(true);
      expect(field(org, 'Name').type).to.equal('string');
      expect(org.urls).to.have.all.keys('rowTemplate', 'describe', 'sobject');
      const profile = desc('Profile');
      expect(profile).to.include({ keyPrefix: '00e', queryable: true });
      expect(field(profile, 'Name').nameField).to.equal(true);
      expect((profile.childRelationships as Json[]).find((r) => r.relationshipName === 'Users')).to.include({ childSObject: 'User', field: 'ProfileId' });
      expect(desc('RecordType')).to.include({ keyPrefix: '012', deletable: false });
    });
  });

  describe('lookups and errors', () => {
    it('finds objects case-insensitively and answers with canonical names', () => {
      expect(desc('oPpOrTuNiTy').name).to.equal('Opportunity');
    });

    it('throws NOT_FOUND for an unknown object', () => {
      expect(() => describeSObject(schema, 'Nope__c', V)).to.throw(SfError).with.property('errorCode', 'NOT_FOUND');
    });

    it('keeps standard objects free of cdc by default', () => {
      for (const def of STANDARD_OBJECTS) expect(def.cdcEnabled, def.name).to.equal(false);
    });
  });

  describe('describeGlobal', () => {
    it('lists every object with the global keys and urls', () => {
      const g = describeGlobal(schema, V);
      expect(g).to.include({ encoding: 'UTF-8', maxBatchSize: 200 });
      const names = g.sobjects.map((s) => s.name);
      expect(names).to.include.members(['Account', 'Contact', 'Opportunity', 'Lead', 'Case', 'User', 'RecordType', 'Organization', 'Profile']);
      expect(names).to.have.length(STANDARD_OBJECTS.length);
      expect([...names].sort((a, b) => String(a).localeCompare(String(b)))).to.deep.equal(names);
      for (const s of g.sobjects) {
        expect(s).to.include.all.keys(...GLOBAL_KEYS);
        expect(s.urls).to.deep.equal({
          rowTemplate: `/services/data/v62.0/sobjects/${s.name}/{ID}`,
          describe: `/services/data/v62.0/sobjects/${s.name}/describe`,
          sobject: `/services/data/v62.0/sobjects/${s.name}`,
        });
      }
      expect(g.sobjects.find((s) => s.name === 'Lead')).to.include({ keyPrefix: '00Q', custom: false });
    });

    it('uses the requested API version in URLs', () => {
      const g = describeGlobal(schema, '58.0');
      expect((g.sobjects[0]!.urls as Json).sobject).to.match(/^\/services\/data\/v58\.0\/sobjects\//);
    });
  });

  describe('custom schema', () => {
    const custom = () =>
      OrgSchema.fromDefs(STANDARD_OBJECTS, {
        objects: [
          {
            name: 'Invoice__c',
            label: 'Invoice',
            labelPlural: 'Invoices',
            keyPrefix: 'a01',
            custom: true,
            fields: [
              ...customObjectFields('Invoice'),
              reference('Account__c', ['Account'], 'Account__r', { label: 'Account' }),
              text('External_Id__c', 40, { externalId: true, unique: true, label: 'External Id' }),
            ],
          },
        ],
        fields: { Account: [picklist('Tier__c', ['Gold', 'Silver'], { label: 'Tier' })] },
      });

    it('lists the custom object as custom, with a __r child relationship on its parent', () => {
      const s = custom();
      const inv = desc('Invoice__c', s);
      expect(inv).to.include({ custom: true, keyPrefix: 'a01', label: 'Invoice', labelPlural: 'Invoices' });
      expect(field(inv, 'Account__c')).to.include({ custom: true, relationshipName: 'Account__r', type: 'reference' });
      expect(field(inv, 'External_Id__c')).to.include({ externalId: true, idLookup: true, unique: true, byteLength: 120 });
      expect(field(inv, 'Name')).to.include({ nameField: true, custom: false });
      expect((inv.recordTypeInfos as Json[])[0]).to.include({ master: true, recordTypeId: MASTER_RECORD_TYPE_ID });
      const acc = desc('Account', s);
      expect(acc.childRelationships as Json[]).to.deep.include({
        cascadeDelete: false, childSObject: 'Invoice__c', deprecatedAndHidden: false, field: 'Account__c',
        junctionIdListNames: [], junctionReferenceTo: [], relationshipName: 'Invoices__r', restrictedDelete: false,
      });
      expect(field(acc, 'Tier__c')).to.include({ custom: true, type: 'picklist' });
      expect(describeGlobal(s, V).sobjects.find((o) => o.name === 'Invoice__c')).to.include({ custom: true, createable: true });
    });

    it('sees schema changes without going stale and never leaks them into other orgs', () => {
      const s = custom();
      expect(picklistValues(field(desc('Account', s), 'Tier__c'))).to.deep.equal(['Gold', 'Silver']);
      s.apply({ picklists: { 'Account.Tier__c': [{ value: 'Platinum' }] } });
      expect(picklistValues(field(desc('Account', s), 'Tier__c'))).to.deep.equal(['Platinum']);
      expect((desc('Account').fields as Json[]).some((f) => f.name === 'Tier__c')).to.equal(false);
    });

    it('lists declared record types beside Master', () => {
      const s = OrgSchema.fromDefs(STANDARD_OBJECTS);
      const acc = s.object('Account')!;
      acc.def.recordTypes = [{ name: 'Partner', developerName: 'Partner', defaultRecordTypeMapping: true }];
      const infos = desc('Account', s).recordTypeInfos as Json[];
      expect(infos.map((i) => i.name)).to.deep.equal(['Master', 'Partner']);
      expect(infos.find((i) => i.master)).to.include({ available: false, defaultRecordTypeMapping: false });
      const partner = infos.find((i) => !i.master)!;
      expect(partner.recordTypeId).to.match(/^012[A-Za-z0-9]{15}$/);
      expect(desc('Account', s).recordTypeInfos).to.deep.equal(infos);
    });
  });
});
