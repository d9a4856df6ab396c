import { expect } from 'chai';
import { OrgSchema } from '../../emulator/schema/org-schema.js';
import type { FieldDef, FieldType, ObjectDef } from '../../emulator/schema/types.js';
import { OrgData } from '../../emulator/store/org-data.js';
import type { StoredRecord } from '../../emulator/store/types.js';
import { SfError } from '../../emulator/errors.js';
import { makeId } from '../../emulator/util/ids.js';
import { compoundValue, executeQuery, type QueryOptions, type QueryResult } from '../../emulator/soql/index.js';
import { dateLiteralRange } from '../../emulator/soql/date-literals.js';

// ---------------------------------------------------------------------------------------------
// Fixtures: small hand-written object definitions, so these tests do not depend on the standard
// object catalogue.

function field(name: string, type: FieldType, extra: Partial<FieldDef> = {}): FieldDef {
  return { name, type, label: name, nillable: true, createable: true, updateable: true, ...extra };
}

const ref = (name: string, to: string[], relationshipName: string, extra: Partial<FieldDef> = {}) =>
  field(name, 'reference', { referenceTo: to, relationshipName, ...extra });

const system = [field('Id', 'id', { nillable: false }), field('IsDeleted', 'boolean', { nillable: false }), field('CreatedDate', 'datetime')];

function defs(): ObjectDef[] {
  return [
    {
      name: 'Account',
      label: 'Account',
      labelPlural: 'Accounts',
      keyPrefix: '001',
      custom: false,
      fields: [
        ...system,
        field('Name', 'string'),
        ref('ParentId', ['Account'], 'Parent'),
        ref('OwnerId', ['User'], 'Owner'),
        field('Ext__c', 'string', { externalId: true, idLookup: true, custom: true }),
        field('NumberOfEmployees', 'int'),
        field('AnnualRevenue', 'currency'),
        field('Industry', 'picklist', { picklistValues: [{ value: 'Tech', label: 'Technology' }, { value: 'Agriculture' }, { value: 'Banking' }] }),
        field('Tags__c', 'multipicklist', { custom: true }),
        field('Active__c', 'boolean', { custom: true }),
        field('Founded__c', 'date', { custom: true }),
        field('Description', 'textarea', { filterable: false, sortable: false, groupable: false }),
        field('BillingStreet', 'textarea', { compoundFieldName: 'BillingAddress' }),
        field('BillingCity', 'string', { compoundFieldName: 'BillingAddress' }),
        field('BillingState', 'string', { compoundFieldName: 'BillingAddress' }),
        field('BillingPostalCode', 'string', { compoundFieldName: 'BillingAddress' }),
        field('BillingCountry', 'string', { compoundFieldName: 'BillingAddress' }),
        field('BillingLatitude', 'double', { compoundFieldName: 'BillingAddress' }),
        field('BillingLongitude', 'double', { compoundFieldName: 'BillingAddress' }),
        field('BillingGeocodeAccuracy', 'picklist', { compoundFieldName: 'BillingAddress' }),
        field('BillingAddress', 'address', { createable: false, updateable: false }),
      ],
    },
    {
      name: 'Contact',
      label: 'Contact',
      labelPlural: 'Contacts',
      keyPrefix: '003',
      custom: false,
      fields: [
        ...system,
        field('FirstName', 'string'),
        field('LastName', 'string'),
        field('Email', 'email'),
        ref('AccountId', ['Account'], 'Account'),
        ref('OwnerId', ['User', 'Group'], 'Owner'),
        field('Birthdate', 'date'),
      ],
    },
    {
      name: 'User',
      label: 'User',
      labelPlural: 'Users',
      keyPrefix: '005',
      custom: false,
      fields: [...system, field('Name', 'string'), field('Email', 'email'), ref('ManagerId', ['User'], 'Manager')],
    },
    {
      name: 'Group',
      label: 'Group',
      labelPlural: 'Groups',
      keyPrefix: '00G',
      custom: false,
      fields: [...system, field('Name', 'string'), field('Type', 'picklist')],
    },
  ];
}

// 2024-05-15 (a Wednesday) 10:30 UTC.
const NOW = Date.UTC(2024, 4, 15, 10, 30, 0);
const OPTS: QueryOptions = { now: NOW, userId: '', includeDeleted: false, apiVersion: '62.0' };

const counters: Record<string, number> = {};
const id = (prefix: string) => makeId(prefix, '5g', (counters[prefix] = (counters[prefix] ?? 0) + 1));

function put(data: OrgData, object: string, fields: Record<string, unknown>): StoredRecord {
  const prefix = data.schema.object(object)!.keyPrefix;
  const r = { Id: id(prefix), IsDeleted: false, ...fields } as StoredRecord;
  data.table(object)!.put(r);
  return r;
}

interface World {
  data: OrgData;
  boss: StoredRecord;
  ann: StoredRecord;
  group: StoredRecord;
  acme: StoredRecord;
  globex: StoredRecord;
  initech: StoredRecord;
  lonely: StoredRecord;
  smith: StoredRecord;
  jones: StoredRecord;
  brown: StoredRecord;
  orphan: StoredRecord;
}

function world(): World {
  const data = new OrgData(new OrgSchema(defs()));
  const boss = put(data, 'User', { Name: 'Big Boss', Email: 'boss@example.com', ManagerId: null });
  const ann = put(data, 'User', { Name: 'Ann Admin', Email: 'ann@example.com', ManagerId: boss.Id });
  const group = put(data, 'Group', { Name: 'Sales Queue', Type: 'Queue' });
  const acme = put(data, 'Account', {
    Name: 'Acme',
    OwnerId: ann.Id,
    Ext__c: 'EXT-1',
    NumberOfEmployees: 100,
    AnnualRevenue: 1000.5,
    Industry: 'Tech',
    Tags__c: 'A;B;C',
    Active__c: true,
    Founded__c: '2024-05-14',
    CreatedDate: '2024-05-15T01:00:00.000+0000',
    BillingStreet: '1 Main St',
    BillingCity: 'Springfield',
    BillingState: 'IL',
    BillingPostalCode: '62701',
    BillingCountry: 'US',
    BillingLatitude: 39.78,
    BillingLongitude: -89.65,
  });
  const globex = put(data, 'Account', {
    Name: 'globex',
    ParentId: acme.Id,
    OwnerId: boss.Id,
    Ext__c: 'EXT-2',
    NumberOfEmployees: 50,
    AnnualRevenue: 200,
    Industry: 'Banking',
    Tags__c: 'B',
    Active__c: false,
    Founded__c: '2023-12-31',
    CreatedDate: '2024-05-08T23:59:59.000+0000',
  });
  const initech = put(data, 'Account', {
    Name: 'Initech 100%',
    ParentId: globex.Id,
    OwnerId: ann.Id,
    NumberOfEmployees: null,
    AnnualRevenue: 300,
    Industry: 'Agriculture',
    Tags__c: null,
    Active__c: true,
    Founded__c: null,
    CreatedDate: '2024-01-15T12:00:00.000+0000',
  });
  const lonely = put(data, 'Account', { Name: 'Lonely_Co', ParentId: initech.Id, OwnerId: boss.Id, Industry: null, Active__c: false, CreatedDate: '2023-06-01T00:00:00.000+0000' });
  const smith = put(data, 'Contact', { FirstName: 'Jo', LastName: 'Smith', Email: 'jo@acme.com', AccountId: acme.Id, OwnerId: ann.Id, Birthdate: '1990-01-01' });
  const jones = put(data, 'Contact', { FirstName: 'Al', LastName: 'Jones', Email: null, AccountId: acme.Id, OwnerId: group.Id, Birthdate: '1985-06-30' });
  const brown = put(data, 'Contact', { FirstName: 'Bo', LastName: 'Brown', AccountId: globex.Id, OwnerId: ann.Id });
  const orphan = put(data, 'Contact', { FirstName: 'No', LastName: 'Account', AccountId: null, OwnerId: boss.Id });
  // Deleted: in the recycle bin.
  put(data, 'Account', { Name: 'Deleted Corp', IsDeleted: true, OwnerId: ann.Id, Industry: 'Tech', CreatedDate: '2024-05-01T00:00:00.000+0000' });
  put(data, 'Contact', { LastName: 'Gone', IsDeleted: true, AccountId: acme.Id, OwnerId: ann.Id });
  return { data, boss, ann, group, acme, globex, initech, lonely, smith, jones, brown, orphan };
}

function q(data: OrgData, soql: string, opts: Partial<QueryOptions> = {}): QueryResult {
  return executeQuery(data, soql, { ...OPTS, ...opts });
}

function records(res: QueryResult): Array<Record<string, unknown>> {
  return Array.from({ length: res.rowCount }, (_, i) => res.record(i));
}

function names(data: OrgData, soql: string, opts: Partial<QueryOptions> = {}): string[] {
  return records(q(data, soql, opts)).map((r) => String(r.Name ?? r.LastName));
}

function sfError(fn: () => unknown): SfError {
  try {
    fn();
  } catch (e) {
    if (e instanceof SfError) return e;
    throw e;
  }
  throw new Error('expected an SfError');
}

// ---------------------------------------------------------------------------------------------

describe('SOQL evaluator', () => {
  let w: World;
  beforeEach(() => {
    w = world();
  });

  describe('field lists and relationships', () => {
    it('answers case-insensitive names in canonical case, with attributes', () => {
      const res = q(w.data, `select id, name from account where name = 'acme'`);
      expect(res.sObject).to.equal('Account');
      expect(res.totalSize).to.equal(1);
      expect(res.record(0)).to.deep.equal({
        attributes: { type: 'Account', url: `/services/data/v62.0/sobjects/Account/${w.acme.Id}` },
        Id: w.acme.Id,
        Name: 'Acme',
      });
      expect(Object.keys(res.record(0))).to.deep.equal(['attributes', 'Id', 'Name']);
    });

    it('keeps SELECT order and returns null for unset fields', () => {
      const r = q(w.data, `SELECT NumberOfEmployees, Name, Founded__c FROM Account WHERE Name = 'Initech 100%'`).record(0);
      expect(Object.keys(r)).to.deep.equal(['attributes', 'NumberOfEmployees', 'Name', 'Founded__c']);
      expect(r.NumberOfEmployees).to.equal(null);
      expect(r.Founded__c).to.equal(null);
    });

    it('nests parent fields with their own attributes, sharing one object per relationship', () => {
      const r = q(w.data, `SELECT LastName, Account.Name, Account.Owner.Name, Account.Industry FROM Contact WHERE LastName = 'Smith'`).record(0);
      expect(r).to.deep.equal({
        attributes: { type: 'Contact', url: `/services/data/v62.0/sobjects/Contact/${w.smith.Id}` },
        LastName: 'Smith',
        Account: {
          attributes: { type: 'Account', url: `/services/data/v62.0/sobjects/Account/${w.acme.Id}` },
          Name: 'Acme',
          Owner: { attributes: { type: 'User', url: `/services/data/v62.0/sobjects/User/${w.ann.Id}` }, Name: 'Ann Admin' },
          Industry: 'Tech',
        },
      });
    });

    it('gives a null parent as null', () => {
      const r = q(w.data, `SELECT LastName, Account.Name FROM Contact WHERE LastName = 'Account'`).record(0);
      expect(r.Account).to.equal(null);
    });

    it('follows five levels of parents', () => {
      put(w.data, 'Account', { Name: 'Leaf', ParentId: w.lonely.Id });
      const r = q(w.data, `SELECT Parent.Parent.Parent.Parent.Name, Parent.Parent.Parent.Parent.Owner.Email FROM Account WHERE Name = 'Leaf'`).record(0);
      const p = r.Parent as Record<string, Record<string, Record<string, Record<string, unknown>>>>;
      const top = p.Parent!.Parent!.Parent as Record<string, unknown>;
      expect(top.Name).to.equal('Acme');
      expect((top.attributes as { type: string }).type).to.equal('Account');
      expect((top.Owner as Record<string, unknown>).Email).to.equal('ann@example.com');
      // A chain that breaks early is null at the break.
      const short = q(w.data, `SELECT Parent.Parent.Name FROM Account WHERE Name = 'globex'`).record(0);
      expect((short.Parent as Record<string, unknown>).Parent).to.equal(null);
    });

    it('resolves a polymorphic reference by the Id key prefix', () => {
      const rows = records(q(w.data, `SELECT LastName, Owner.Name, Owner.Type FROM Contact WHERE LastName IN ('Smith','Jones') ORDER BY LastName`));
      expect(rows.map((r) => r.Owner)).to.deep.equal([
        { attributes: { type: 'Group', url: `/services/data/v62.0/sobjects/Group/${w.group.Id}` }, Name: 'Sales Queue', Type: 'Queue' },
        { attributes: { type: 'User', url: `/services/data/v62.0/sobjects/User/${w.ann.Id}` }, Name: 'Ann Admin', Type: 'User' },
      ]);
    });

    it('supports TYPEOF on a polymorphic relationship', () => {
      const rows = records(
        q(w.data, `SELECT LastName, TYPEOF Owner WHEN User THEN Email WHEN Group THEN Type ELSE Name END FROM Contact WHERE LastName IN ('Smith','Jones') ORDER BY LastName`),
      );
      expect((rows[0]!.Owner as Record<string, unknown>).Type).to.equal('Queue');
      expect((rows[1]!.Owner as Record<string, unknown>).Email).to.equal('ann@example.com');
    });

    it('accepts the object name or alias as a prefix', () => {
      expect(names(w.data, `SELECT a.Name FROM Account a WHERE a.Name = 'Acme'`)).to.deep.equal(['Acme']);
      expect(names(w.data, `SELECT Account.Name FROM Account WHERE Account.Name = 'Acme'`)).to.deep.equal(['Acme']);
    });

    it('rejects aliases outside aggregate queries', () => {
      const e = sfError(() => q(w.data, 'SELECT Name n FROM Account'));
      expect(e.errorCode).to.equal('MALFORMED_QUERY');
      expect(e.message).to.match(/only aggregate expressions use field aliasing$/);
    });
  });

  describe('child subqueries', () => {
    it('returns filtered, ordered, limited children, or null when none', () => {
      const rows = records(q(w.data, `SELECT Name, (SELECT LastName FROM Contacts WHERE LastName != 'X' ORDER BY LastName DESC LIMIT 5) FROM Account ORDER BY Name`));
      const acme = rows.find((r) => r.Name === 'Acme')!;
      expect(acme.Contacts).to.deep.equal({
        totalSize: 2,
        done: true,
        records: [
          { attributes: { type: 'Contact', url: `/services/data/v62.0/sobjects/Contact/${w.smith.Id}` }, LastName: 'Smith' },
          { attributes: { type: 'Contact', url: `/services/data/v62.0/sobjects/Contact/${w.jones.Id}` }, LastName: 'Jones' },
        ],
      });
      expect(rows.find((r) => r.Name === 'Initech 100%')!.Contacts).to.equal(null);
      const limited = q(w.data, `SELECT Name, (SELECT LastName FROM Contacts ORDER BY LastName LIMIT 1) FROM Account WHERE Name = 'Acme'`).record(0);
      expect((limited.Contacts as { records: Array<{ LastName: string }> }).records.map((c) => c.LastName)).to.deep.equal(['Jones']);
    });

    it('uses the reverse reference index instead of scanning the child table', () => {
      const contacts = w.data.table('Contact')!;
      contacts.scan = () => {
        throw new Error('child subquery scanned the Contact table');
      };
      const r = q(w.data, `SELECT Name, (SELECT Id, Account.Name FROM Contacts) FROM Account WHERE Name = 'globex'`).record(0);
      const child = (r.Contacts as { records: Array<Record<string, unknown>> }).records[0]!;
      expect(child.Id).to.equal(w.brown.Id);
      expect((child.Account as Record<string, unknown>).Name).to.equal('globex');
    });

    it('answers the relationship name in canonical case and supports self relationships', () => {
      const r = q(w.data, `SELECT Name, (SELECT Name FROM childaccounts) FROM Account WHERE Name = 'Acme'`).record(0);
      expect(Object.keys(r)).to.deep.equal(['attributes', 'Name', 'ChildAccounts']);
      expect((r.ChildAccounts as { records: Array<{ Name: string }> }).records.map((c) => c.Name)).to.deep.equal(['globex']);
    });

    it('hides deleted children unless includeDeleted', () => {
      const soql = `SELECT Name, (SELECT LastName FROM Contacts ORDER BY LastName) FROM Account WHERE Name = 'Acme'`;
      const live = q(w.data, soql).record(0).Contacts as { totalSize: number };
      const all = q(w.data, soql, { includeDeleted: true }).record(0).Contacts as { totalSize: number };
      expect([live.totalSize, all.totalSize]).to.deep.equal([2, 3]);
    });
  });

  describe('WHERE', () => {
    it('binds NOT tighter than AND and honours parentheses', () => {
      expect(names(w.data, `SELECT Name FROM Account WHERE NOT Name = 'Acme' AND Active__c = true`)).to.deep.equal(['Initech 100%']);
      expect(names(w.data, `SELECT Name FROM Account WHERE NOT (Name = 'Acme' AND Active__c = true) ORDER BY Name`)).to.deep.equal(['globex', 'Initech 100%', 'Lonely_Co']);
      expect(names(w.data, `SELECT Name FROM Account WHERE (Name = 'Acme' OR Name = 'globex') AND Active__c = false`)).to.deep.equal(['globex']);
      expect(names(w.data, `SELECT Name FROM Account WHERE Name = 'Acme' OR (Name = 'globex' AND Active__c = true)`)).to.deep.equal(['Acme']);
      expect(names(w.data, `SELECT Name FROM Account WHERE ((Name = 'Acme') OR (NOT (Industry = 'Tech' OR Industry = 'Banking') AND Active__c = true)) ORDER BY Name`)).to.deep.equal([
        'Acme',
        'Initech 100%',
      ]);
      expect(names(w.data, `SELECT Name FROM Account WHERE Name = 'Acme' OR Name = 'globex' OR Name = 'Lonely_Co' ORDER BY Name`)).to.have.length(3);
    });

    it('refuses AND and OR mixed without parentheses, as real orgs do', () => {
      const e = sfError(() => q(w.data, `SELECT Id FROM Account WHERE Name = 'a' AND Name = 'b' OR Name = 'c'`));
      expect(e.errorCode).to.equal('MALFORMED_QUERY');
      expect(e.message).to.match(/ERROR at Row:1:Column:\d+\nunexpected token: 'OR'$/);
    });

    it('compares strings case-insensitively and handles = != <> < >', () => {
      expect(names(w.data, `SELECT Name FROM Account WHERE Name = 'ACME'`)).to.deep.equal(['Acme']);
      expect(names(w.data, `SELECT Name FROM Account WHERE Name > 'B' ORDER BY Name`)).to.deep.equal(['globex', 'Initech 100%', 'Lonely_Co']);
      expect(names(w.data, `SELECT Name FROM Account WHERE Name <> 'acme' AND Name != 'GLOBEX' ORDER BY Name`)).to.deep.equal(['Initech 100%', 'Lonely_Co']);
      expect(names(w.data, `SELECT Name FROM Account WHERE NumberOfEmployees >= 50 AND NumberOfEmployees < 100`)).to.deep.equal(['globex']);
      expect(names(w.data, `SELECT Name FROM Account WHERE AnnualRevenue <= 300 AND AnnualRevenue > 200.5`)).to.deep.equal(['Initech 100%']);
      expect(names(w.data, `SELECT Name FROM Account WHERE AnnualRevenue = USD200`)).to.deep.equal(['globex']);
    });

    it('treats null like a value: = null, != null, and != x includes nulls', () => {
      expect(names(w.data, `SELECT Name FROM Account WHERE Industry = null`)).to.deep.equal(['Lonely_Co']);
      expect(names(w.data, `SELECT Name FROM Account WHERE Industry != null ORDER BY Name`)).to.have.length(3);
      expect(names(w.data, `SELECT Name FROM Account WHERE Industry != 'Tech' ORDER BY Name`)).to.deep.equal(['globex', 'Initech 100%', 'Lonely_Co']);
      expect(names(w.data, `SELECT Name FROM Account WHERE NumberOfEmployees < 1000 ORDER BY Name`)).to.deep.equal(['Acme', 'globex']);
      expect(names(w.data, `SELECT LastName FROM Contact WHERE AccountId = null`)).to.deep.equal(['Account']);
    });

    it('matches booleans', () => {
      expect(names(w.data, `SELECT Name FROM Account WHERE Active__c = TRUE ORDER BY Name`)).to.deep.equal(['Acme', 'Initech 100%']);
      expect(names(w.data, `SELECT Name FROM Account WHERE Active__c != true ORDER BY Name`)).to.deep.equal(['globex', 'Lonely_Co']);
    });

    it('supports LIKE with %, _ and escaped wildcards, case-insensitively', () => {
      expect(names(w.data, `SELECT Name FROM Account WHERE Name LIKE 'a%'`)).to.deep.equal(['Acme']);
      expect(names(w.data, `SELECT Name FROM Account WHERE Name LIKE '_LOBEX'`)).to.deep.equal(['globex']);
      expect(names(w.data, `SELECT Name FROM Account WHERE Name LIKE '%100\\%'`)).to.deep.equal(['Initech 100%']);
      expect(names(w.data, `SELECT Name FROM Account WHERE Name LIKE '%y\\_%'`)).to.deep.equal(['Lonely_Co']);
      expect(names(w.data, `SELECT Name FROM Account WHERE Name LIKE 'Acm'`)).to.deep.equal([]);
      expect(names(w.data, `SELECT Name FROM Account WHERE NOT Name LIKE '%O%' ORDER BY Name`)).to.deep.equal(['Acme', 'Initech 100%']);
    });

    it('unescapes string literals', () => {
      put(w.data, 'Account', { Name: "O'Brien \\ Sons" });
      expect(names(w.data, `SELECT Name FROM Account WHERE Name = 'o\\'brien \\\\ sons'`)).to.deep.equal(["O'Brien \\ Sons"]);
    });

    it('supports IN and NOT IN lists', () => {
      expect(names(w.data, `SELECT Name FROM Account WHERE Name IN ('acme', 'GLOBEX') ORDER BY Name`)).to.deep.equal(['Acme', 'globex']);
      expect(names(w.data, `SELECT Name FROM Account WHERE Industry NOT IN ('Tech', 'Banking') ORDER BY Name`)).to.deep.equal(['Initech 100%', 'Lonely_Co']);
      expect(names(w.data, `SELECT Name FROM Account WHERE NumberOfEmployees IN (50, 100) ORDER BY Name`)).to.deep.equal(['Acme', 'globex']);
      expect(names(w.data, `SELECT Name FROM Account WHERE Industry IN ('Tech', null) ORDER BY Name`)).to.deep.equal(['Acme', 'Lonely_Co']);
      expect(names(w.data, `SELECT Name FROM Account WHERE Id IN ('${w.acme.Id.slice(0, 15)}', '${w.globex.Id}') ORDER BY Name`)).to.deep.equal(['Acme', 'globex']);
    });

    it('supports semi-joins and anti-joins', () => {
      expect(names(w.data, `SELECT Name FROM Account WHERE Id IN (SELECT AccountId FROM Contact WHERE LastName LIKE 'S%')`)).to.deep.equal(['Acme']);
      expect(names(w.data, `SELECT Name FROM Account WHERE Id NOT IN (SELECT AccountId FROM Contact) ORDER BY Name`)).to.deep.equal(['Initech 100%', 'Lonely_Co']);
      expect(names(w.data, `SELECT LastName FROM Contact WHERE AccountId IN (SELECT Id FROM Account WHERE Industry = 'Banking')`)).to.deep.equal(['Brown']);
      // The deleted contact of Acme does not count in the semi-join.
      expect(names(w.data, `SELECT Name FROM Account WHERE Id IN (SELECT AccountId FROM Contact WHERE LastName = 'Gone')`)).to.deep.equal([]);
    });

    it('supports INCLUDES and EXCLUDES on multi-select picklists', () => {
      expect(names(w.data, `SELECT Name FROM Account WHERE Tags__c INCLUDES ('b') ORDER BY Name`)).to.deep.equal(['Acme', 'globex']);
      expect(names(w.data, `SELECT Name FROM Account WHERE Tags__c INCLUDES ('A;C')`)).to.deep.equal(['Acme']);
      expect(names(w.data, `SELECT Name FROM Account WHERE Tags__c INCLUDES ('A;Z', 'B') ORDER BY Name`)).to.deep.equal(['Acme', 'globex']);
      expect(names(w.data, `SELECT Name FROM Account WHERE Tags__c INCLUDES ('A;Z')`)).to.deep.equal([]);
      expect(names(w.data, `SELECT Name FROM Account WHERE Tags__c EXCLUDES ('A') ORDER BY Name`)).to.deep.equal(['globex', 'Initech 100%', 'Lonely_Co']);
      expect(names(w.data, `SELECT Name FROM Account WHERE Tags__c = 'c;b;a'`)).to.deep.equal(['Acme']);
    });

    it('filters on relationship paths', () => {
      expect(names(w.data, `SELECT LastName FROM Contact WHERE Account.Name = 'acme' ORDER BY LastName`)).to.deep.equal(['Jones', 'Smith']);
      expect(names(w.data, `SELECT LastName FROM Contact WHERE Account.Parent.Name = 'Acme'`)).to.deep.equal(['Brown']);
      expect(names(w.data, `SELECT LastName FROM Contact WHERE Owner.Name LIKE 'Sales%'`)).to.deep.equal(['Jones']);
    });

    it('supports date functions in WHERE', () => {
      expect(names(w.data, `SELECT Name FROM Account WHERE CALENDAR_YEAR(CreatedDate) = 2023`)).to.deep.equal(['Lonely_Co']);
      expect(names(w.data, `SELECT Name FROM Account WHERE CALENDAR_MONTH(Founded__c) = 12`)).to.deep.equal(['globex']);
    });
  });

  describe('dates', () => {
    it('compares date fields with date literals', () => {
      expect(names(w.data, `SELECT Name FROM Account WHERE Founded__c = 2024-05-14`)).to.deep.equal(['Acme']);
      expect(names(w.data, `SELECT Name FROM Account WHERE Founded__c < 2024-01-01`)).to.deep.equal(['globex']);
      expect(names(w.data, `SELECT Name FROM Account WHERE Founded__c = YESTERDAY`)).to.deep.equal(['Acme']);
      expect(names(w.data, `SELECT Name FROM Account WHERE Founded__c = LAST_YEAR`)).to.deep.equal(['globex']);
      expect(names(w.data, `SELECT Name FROM Account WHERE Founded__c > LAST_YEAR`)).to.deep.equal(['Acme']);
      expect(names(w.data, `SELECT Name FROM Account WHERE Founded__c >= THIS_YEAR`)).to.deep.equal(['Acme']);
      expect(names(w.data, `SELECT Name FROM Account WHERE Founded__c <= LAST_YEAR`)).to.deep.equal(['globex']);
    });

    it('compares datetime fields with datetime literals in any offset', () => {
      expect(names(w.data, `SELECT Name FROM Account WHERE CreatedDate = 2024-05-15T01:00:00Z`)).to.deep.equal(['Acme']);
      expect(names(w.data, `SELECT Name FROM Account WHERE CreatedDate = 2024-05-14T20:00:00-05:00`)).to.deep.equal(['Acme']);
      expect(names(w.data, `SELECT Name FROM Account WHERE CreatedDate = 2024-05-15T01:00:00.000+0000`)).to.deep.equal(['Acme']);
      expect(names(w.data, `SELECT Name FROM Account WHERE CreatedDate > 2024-05-08T23:59:59Z ORDER BY Name`)).to.deep.equal(['Acme']);
      expect(names(w.data, `SELECT Name FROM Account WHERE CreatedDate >= 2024-05-09T01:59:59+02:00 ORDER BY Name`)).to.deep.equal(['Acme', 'globex']);
    });

    it('uses the whole range when a datetime field meets a date literal', () => {
      expect(names(w.data, `SELECT Name FROM Account WHERE CreatedDate = TODAY`)).to.deep.equal(['Acme']);
      expect(names(w.data, `SELECT Name FROM Account WHERE CreatedDate = THIS_MONTH ORDER BY Name`)).to.deep.equal(['Acme', 'globex']);
      expect(names(w.data, `SELECT Name FROM Account WHERE CreatedDate = LAST_WEEK`)).to.deep.equal(['globex']);
      expect(names(w.data, `SELECT Name FROM Account WHERE CreatedDate < THIS_YEAR`)).to.deep.equal(['Lonely_Co']);
      expect(names(w.data, `SELECT Name FROM Account WHERE CreatedDate = LAST_N_DAYS:6`)).to.deep.equal(['Acme']);
      expect(names(w.data, `SELECT Name FROM Account WHERE CreatedDate = LAST_N_DAYS:7 ORDER BY Name`)).to.deep.equal(['Acme', 'globex']);
      expect(names(w.data, `SELECT Name FROM Account WHERE CreatedDate = N_DAYS_AGO:7`)).to.deep.equal(['globex']);
      expect(names(w.data, `SELECT Name FROM Account WHERE CreatedDate = THIS_QUARTER ORDER BY Name`)).to.deep.equal(['Acme', 'globex']);
      expect(names(w.data, `SELECT Name FROM Account WHERE CreatedDate = LAST_N_MONTHS:4`)).to.deep.equal(['Initech 100%']);
      expect(names(w.data, `SELECT Name FROM Account WHERE CreatedDate != THIS_YEAR`)).to.deep.equal(['Lonely_Co']);
    });

    it('computes every relative date literal in UTC from the clock', () => {
      const range = (lit: string) => {
        const r = dateLiteralRange(lit, NOW)!;
        return [new Date(r.start).toISOString().slice(0, 10), new Date(r.end).toISOString().slice(0, 10)];
      };
      // NOW is Wednesday 2024-05-15; weeks start on Sunday.
      expect(range('TODAY')).to.deep.equal(['2024-05-15', '2024-05-16']);
      expect(range('YESTERDAY')).to.deep.equal(['2024-05-14', '2024-05-15']);
      expect(range('TOMORROW')).to.deep.equal(['2024-05-16', '2024-05-17']);
      expect(range('THIS_WEEK')).to.deep.equal(['2024-05-12', '2024-05-19']);
      expect(range('LAST_WEEK')).to.deep.equal(['2024-05-05', '2024-05-12']);
      expect(range('NEXT_WEEK')).to.deep.equal(['2024-05-19', '2024-05-26']);
      expect(range('THIS_MONTH')).to.deep.equal(['2024-05-01', '2024-06-01']);
      expect(range('LAST_MONTH')).to.deep.equal(['2024-04-01', '2024-05-01']);
      expect(range('NEXT_MONTH')).to.deep.equal(['2024-06-01', '2024-07-01']);
      expect(range('LAST_90_DAYS')).to.deep.equal(['2024-02-15', '2024-05-16']);
      expect(range('NEXT_90_DAYS')).to.deep.equal(['2024-05-16', '2024-08-14']);
      expect(range('THIS_QUARTER')).to.deep.equal(['2024-04-01', '2024-07-01']);
      expect(range('LAST_QUARTER')).to.deep.equal(['2024-01-01', '2024-04-01']);
      expect(range('NEXT_QUARTER')).to.deep.equal(['2024-07-01', '2024-10-01']);
      expect(range('THIS_YEAR')).to.deep.equal(['2024-01-01', '2025-01-01']);
      expect(range('LAST_YEAR')).to.deep.equal(['2023-01-01', '2024-01-01']);
      expect(range('NEXT_YEAR')).to.deep.equal(['2025-01-01', '2026-01-01']);
      expect(range('last_n_days:1')).to.deep.equal(['2024-05-14', '2024-05-16']);
      expect(range('NEXT_N_DAYS:2')).to.deep.equal(['2024-05-16', '2024-05-18']);
      expect(range('N_DAYS_AGO:3')).to.deep.equal(['2024-05-12', '2024-05-13']);
      expect(range('LAST_N_WEEKS:2')).to.deep.equal(['2024-04-28', '2024-05-12']);
      expect(range('NEXT_N_WEEKS:1')).to.deep.equal(['2024-05-19', '2024-05-26']);
      expect(range('N_WEEKS_AGO:1')).to.deep.equal(['2024-05-05', '2024-05-12']);
      expect(range('LAST_N_MONTHS:2')).to.deep.equal(['2024-03-01', '2024-05-01']);
      expect(range('NEXT_N_MONTHS:1')).to.deep.equal(['2024-06-01', '2024-07-01']);
      expect(range('N_MONTHS_AGO:5')).to.deep.equal(['2023-12-01', '2024-01-01']);
      expect(range('LAST_N_QUARTERS:2')).to.deep.equal(['2023-10-01', '2024-04-01']);
      expect(range('NEXT_N_QUARTERS:1')).to.deep.equal(['2024-07-01', '2024-10-01']);
      expect(range('N_QUARTERS_AGO:1')).to.deep.equal(['2024-01-01', '2024-04-01']);
      expect(range('LAST_N_YEARS:2')).to.deep.equal(['2022-01-01', '2024-01-01']);
      expect(range('NEXT_N_YEARS:1')).to.deep.equal(['2025-01-01', '2026-01-01']);
      expect(range('N_YEARS_AGO:1')).to.deep.equal(['2023-01-01', '2024-01-01']);
    });

    it('rejects a date literal on a datetime field and quoted values on non-text fields', () => {
      const e = sfError(() => q(w.data, 'SELECT Id FROM Account WHERE CreatedDate = 2024-01-01'));
      expect(e.errorCode).to.equal('INVALID_FIELD');
      expect(e.message).to.match(/\nvalue of filter criterion for field 'CreatedDate' must be of type dateTime and should not be enclosed in quotes$/);
      const n = sfError(() => q(w.data, `SELECT Id FROM Account WHERE NumberOfEmployees = 'abc'`));
      expect(n.errorCode).to.equal('INVALID_FIELD');
      expect(n.message).to.match(/value of filter criterion for field 'NumberOfEmployees' must be of type integer and should not be enclosed in quotes$/);
      expect(sfError(() => q(w.data, `SELECT Id FROM Account WHERE Founded__c = 2024-01-01T00:00:00Z`)).message).to.match(/must be of type date and/);
      expect(sfError(() => q(w.data, `SELECT Id FROM Account WHERE Active__c = 'true'`)).message).to.match(/must be of type boolean and/);
      expect(sfError(() => q(w.data, `SELECT Id FROM Account WHERE Name = 5`)).message).to.match(/must be of type string and should be enclosed in quotes$/);
    });
  });

  describe('ORDER BY, LIMIT, OFFSET', () => {
    it('orders by several fields, case-insensitively, with SOQL null placement', () => {
      expect(names(w.data, 'SELECT Name FROM Account ORDER BY Name')).to.deep.equal(['Acme', 'globex', 'Initech 100%', 'Lonely_Co']);
      expect(names(w.data, 'SELECT Name FROM Account ORDER BY NumberOfEmployees, Name')).to.deep.equal(['Initech 100%', 'Lonely_Co', 'globex', 'Acme']);
      expect(names(w.data, 'SELECT Name FROM Account ORDER BY NumberOfEmployees DESC, Name DESC')).to.deep.equal(['Acme', 'globex', 'Lonely_Co', 'Initech 100%']);
      expect(names(w.data, 'SELECT Name FROM Account ORDER BY NumberOfEmployees ASC NULLS LAST, Name')).to.deep.equal(['globex', 'Acme', 'Initech 100%', 'Lonely_Co']);
      expect(names(w.data, 'SELECT Name FROM Account ORDER BY NumberOfEmployees DESC NULLS FIRST, Name')).to.deep.equal(['Initech 100%', 'Lonely_Co', 'Acme', 'globex']);
    });

    it('orders picklists in their defined order and by relationship paths', () => {
      expect(names(w.data, 'SELECT Name FROM Account WHERE Industry != null ORDER BY Industry')).to.deep.equal(['Acme', 'Initech 100%', 'globex']);
      expect(names(w.data, 'SELECT LastName FROM Contact ORDER BY Account.Name DESC NULLS LAST, LastName')).to.deep.equal(['Brown', 'Jones', 'Smith', 'Account']);
      expect(names(w.data, 'SELECT Name FROM Account ORDER BY Owner.Name, Name DESC')).to.deep.equal(['Initech 100%', 'Acme', 'Lonely_Co', 'globex']);
    });

    it('applies LIMIT and OFFSET, and reports the page size as totalSize', () => {
      const res = q(w.data, 'SELECT Name FROM Account ORDER BY Name LIMIT 2 OFFSET 1');
      expect(res.totalSize).to.equal(2);
      expect(records(res).map((r) => r.Name)).to.deep.equal(['globex', 'Initech 100%']);
      expect(q(w.data, 'SELECT Name FROM Account ORDER BY Name OFFSET 3').rowCount).to.equal(1);
    });

    it('refuses an OFFSET above 2000', () => {
      const e = sfError(() => q(w.data, 'SELECT Name FROM Account LIMIT 10 OFFSET 2001'));
      expect(e.errorCode).to.equal('NUMBER_OUTSIDE_VALID_RANGE');
      expect(e.message).to.equal('Maximum SOQL offset allowed is 2000');
      expect(q(w.data, 'SELECT Name FROM Account LIMIT 10 OFFSET 2000').rowCount).to.equal(0);
    });

    it('refuses ORDER BY on a field that cannot be sorted', () => {
      const e = sfError(() => q(w.data, 'SELECT Name FROM Account ORDER BY Description'));
      expect(e.errorCode).to.equal('INVALID_FIELD');
      expect(e.message).to.match(/field 'Description' can not be sorted in a query call$/);
    });
  });

  describe('aggregates', () => {
    it('answers COUNT() with the count as totalSize and no rows', () => {
      const res = q(w.data, `SELECT COUNT() FROM Account WHERE Active__c = false`);
      expect([res.totalSize, res.rowCount]).to.deep.equal([2, 0]);
      expect(q(w.data, 'SELECT COUNT() FROM Account').totalSize).to.equal(4);
      expect(q(w.data, 'SELECT COUNT() FROM Account', { includeDeleted: true }).totalSize).to.equal(5);
      expect(q(w.data, 'SELECT COUNT() FROM Account LIMIT 3').totalSize).to.equal(3);
    });

    it('aggregates without GROUP BY into one AggregateResult, naming expressions expr0…', () => {
      const res = q(w.data, `SELECT COUNT(Id), COUNT(NumberOfEmployees), COUNT_DISTINCT(Industry), SUM(AnnualRevenue) total, AVG(NumberOfEmployees), MIN(CreatedDate), MAX(Name) FROM Account`);
      expect(res.sObject).to.equal('AggregateResult');
      expect(res.rowCount).to.equal(1);
      expect(res.record(0)).to.deep.equal({
        attributes: { type: 'AggregateResult' },
        expr0: 4,
        expr1: 2,
        expr2: 3,
        total: 1500.5,
        expr3: 75,
        expr4: '2023-06-01T00:00:00.000+0000',
        expr5: 'Lonely_Co',
      });
      expect(res.columns).to.deep.equal(['expr0', 'expr1', 'expr2', 'total', 'expr3', 'expr4', 'expr5']);
      const none = q(w.data, `SELECT COUNT(Id), SUM(AnnualRevenue) FROM Account WHERE Name = 'nobody'`).record(0);
      expect(none).to.deep.equal({ attributes: { type: 'AggregateResult' }, expr0: 0, expr1: null });
    });

    it('groups, filters with HAVING and orders by aggregates', () => {
      const rows = records(q(w.data, `SELECT Owner.Name, COUNT(Id) n, SUM(AnnualRevenue) FROM Account GROUP BY Owner.Name HAVING COUNT(Id) > 1 ORDER BY COUNT(Id) DESC, Owner.Name`));
      expect(rows).to.deep.equal([
        { attributes: { type: 'AggregateResult' }, Name: 'Ann Admin', n: 2, expr0: 1300.5 },
        { attributes: { type: 'AggregateResult' }, Name: 'Big Boss', n: 2, expr0: 200 },
      ]);
      const byIndustry = records(q(w.data, `SELECT Industry, COUNT(Id) FROM Account GROUP BY Industry ORDER BY Industry NULLS LAST`));
      expect(byIndustry.map((r) => [r.Industry, r.expr0])).to.deep.equal([
        ['Tech', 1],
        ['Agriculture', 1],
        ['Banking', 1],
        [null, 1],
      ]);
      const having = records(q(w.data, `SELECT Active__c, MAX(NumberOfEmployees) m FROM Account GROUP BY Active__c HAVING MAX(NumberOfEmployees) < 80`));
      expect(having).to.deep.equal([{ attributes: { type: 'AggregateResult' }, Active__c: false, m: 50 }]);
      const years = records(q(w.data, `SELECT CALENDAR_YEAR(CreatedDate) y, COUNT(Id) FROM Account GROUP BY CALENDAR_YEAR(CreatedDate) ORDER BY CALENDAR_YEAR(CreatedDate)`));
      expect(years.map((r) => [r.y, r.expr0])).to.deep.equal([
        [2023, 1],
        [2024, 3],
      ]);
    });

    it('requires selected fields to be grouped or aggregated', () => {
      const e = sfError(() => q(w.data, 'SELECT Name, COUNT(Id) FROM Account'));
      expect(e.errorCode).to.equal('MALFORMED_QUERY');
      // The real framing shows the tokens around the error, not necessarily the whole query.
      expect(e.message).to.match(/^\nSELECT Name, COUNT\(Id[^\n]*\n {7}\^\nERROR at Row:1:Column:8\nField must be grouped or aggregated: Name$/);
      expect(sfError(() => q(w.data, 'SELECT SUM(Name) FROM Account')).message).to.match(/does not support aggregate operator SUM/);
    });
  });

  describe('FIELDS() and compound fields', () => {
    it('expands FIELDS(ALL|STANDARD|CUSTOM) and enforces the real LIMIT rule', () => {
      const all = q(w.data, `SELECT FIELDS(ALL) FROM Account WHERE Name = 'Acme' LIMIT 200`).record(0);
      expect(Object.keys(all)).to.include.members(['Id', 'Name', 'Ext__c', 'BillingAddress', 'BillingCity']);
      const custom = q(w.data, `SELECT FIELDS(CUSTOM) FROM Account WHERE Name = 'Acme' LIMIT 1`).record(0);
      expect(Object.keys(custom)).to.deep.equal(['attributes', 'Ext__c', 'Tags__c', 'Active__c', 'Founded__c']);
      const standard = q(w.data, `SELECT FIELDS(STANDARD) FROM Account WHERE Name = 'Acme'`).record(0);
      expect(Object.keys(standard)).to.not.include('Ext__c');
      for (const soql of ['SELECT FIELDS(ALL) FROM Account', 'SELECT FIELDS(CUSTOM) FROM Account LIMIT 201']) {
        const e = sfError(() => q(w.data, soql));
        expect([e.errorCode, e.message]).to.deep.equal(['MALFORMED_QUERY', 'The SOQL FIELDS function must have a LIMIT of at most 200']);
      }
      const dup = sfError(() => q(w.data, 'SELECT Id, FIELDS(ALL) FROM Account LIMIT 200'));
      expect([dup.errorCode, dup.message]).to.deep.equal(['INVALID_FIELD', 'duplicate field selected: Id']);
    });

    it('returns address fields as nested objects built from their components', () => {
      const rows = records(q(w.data, `SELECT Name, BillingAddress FROM Account WHERE Name IN ('Acme','globex') ORDER BY Name`));
      expect(rows[0]!.BillingAddress).to.deep.equal({
        city: 'Springfield',
        country: 'US',
        geocodeAccuracy: null,
        latitude: 39.78,
        longitude: -89.65,
        postalCode: '62701',
        state: 'IL',
        street: '1 Main St',
      });
      expect(rows[1]!.BillingAddress).to.equal(null);
      const schema = w.data.schema.object('Account')!;
      expect(compoundValue(schema, schema.field('BillingAddress')!, { BillingCity: 'Paris' })).to.include({ city: 'Paris', street: null });
      // Through a relationship too.
      const c = q(w.data, `SELECT Account.BillingAddress FROM Contact WHERE LastName = 'Smith'`).record(0);
      expect(((c.Account as Record<string, unknown>).BillingAddress as Record<string, unknown>).city).to.equal('Springfield');
    });

    it('applies toLabel to picklists', () => {
      const r = q(w.data, `SELECT toLabel(Industry) FROM Account WHERE Name = 'Acme'`).record(0);
      expect(r.Industry).to.equal('Technology');
    });
  });

  describe('recycle bin', () => {
    it('hides deleted records unless includeDeleted, and lets IsDeleted be selected and filtered', () => {
      expect(names(w.data, `SELECT Name FROM Account WHERE Name LIKE 'Deleted%'`)).to.deep.equal([]);
      const res = q(w.data, `SELECT Name, IsDeleted FROM Account WHERE IsDeleted = true`, { includeDeleted: true });
      expect(records(res).map((r) => [r.Name, r.IsDeleted])).to.deep.equal([['Deleted Corp', true]]);
      expect(q(w.data, `SELECT Name FROM Account`, { includeDeleted: true }).totalSize).to.equal(5);
      expect(q(w.data, `SELECT Name FROM Account WHERE IsDeleted = true`).totalSize).to.equal(0);
    });
  });

  describe('index use', () => {
    it('finds a row among 200k by Id (15 or 18 characters) and by external Id without scanning', function () {
      this.timeout(60_000);
      const data = new OrgData(new OrgSchema(defs()));
      const table = data.table('Account')!;
      let target: StoredRecord | undefined;
      for (let i = 1; i <= 200_000; i++) {
        const r: StoredRecord = { Id: makeId('001', '9z', i), IsDeleted: false, Name: `Account ${i}`, Ext__c: `X-${i}`, NumberOfEmployees: i % 1000 };
        table.put(r);
        if (i === 123_456) target = r;
      }
      const scan = table.scan.bind(table);
      table.scan = () => {
        throw new Error('scanned');
      };
      const byId = q(data, `SELECT Id, Name FROM Account WHERE Id = '${target!.Id}'`);
      expect(records(byId).map((r) => r.Name)).to.deep.equal(['Account 123456']);
      expect(names(data, `SELECT Name FROM Account WHERE Id = '${target!.Id.slice(0, 15)}' AND NumberOfEmployees = 456`)).to.deep.equal(['Account 123456']);
      expect(names(data, `SELECT Name FROM Account WHERE Ext__c = 'x-123456'`)).to.deep.equal(['Account 123456']);
      expect(names(data, `SELECT Name FROM Account WHERE Ext__c IN ('X-1', 'X-2') AND (Name LIKE '%1' OR Name LIKE '%2') ORDER BY Name`)).to.deep.equal(['Account 1', 'Account 2']);
      expect(names(data, `SELECT Name FROM Account WHERE Ext__c = 'X-5' AND Name = 'other'`)).to.deep.equal([]);
      // Without an indexable conjunct the table is scanned.
      expect(() => q(data, `SELECT Name FROM Account WHERE Ext__c = 'X-1' OR Name = 'Account 2'`)).to.throw('scanned');
      table.scan = scan;
      expect(q(data, `SELECT COUNT() FROM Account WHERE NumberOfEmployees = 0`).totalSize).to.equal(200);
      const sorted = q(data, `SELECT Name FROM Account WHERE NumberOfEmployees > 990 ORDER BY NumberOfEmployees DESC, Name LIMIT 3`);
      expect(records(sorted).map((r) => r.Name)).to.deep.equal(['Account 100999', 'Account 101999', 'Account 102999']);
    });

    it('answers a reference equality from the reverse index', () => {
      w.data.table('Contact')!.scan = () => {
        throw new Error('scanned');
      };
      expect(names(w.data, `SELECT LastName FROM Contact WHERE AccountId = '${w.acme.Id}' ORDER BY LastName`)).to.deep.equal(['Jones', 'Smith']);
    });
  });

  describe('Bulk columns', () => {
    it('lists flat columns in SELECT order and resolves relationship paths', () => {
      const res = q(w.data, `SELECT Id, LastName, Account.Name, Account.Owner.Email FROM Contact ORDER BY LastName`);
      expect(res.columns).to.deep.equal(['Id', 'LastName', 'Account.Name', 'Account.Owner.Email']);
      expect(res.flatValue(0, 'Account.Name')).to.equal(null);
      expect(res.flatValue(1, 'Account.Owner.Email')).to.equal('boss@example.com');
      expect(res.flatValue(2, 'Account.Owner.Email')).to.equal('ann@example.com');
      expect(res.flatValue(3, 'account.name')).to.equal('Acme');
    });
  });

  describe('errors', () => {
    it('reports syntax errors as MALFORMED_QUERY', () => {
      const e = sfError(() => q(w.data, 'SELECT Id FORM Account'));
      expect(e.errorCode).to.equal('MALFORMED_QUERY');
      expect(e.message).to.equal(`\nSELECT Id FORM Account\n          ^\nERROR at Row:1:Column:11\nunexpected token: 'FORM'`);
      expect(sfError(() => q(w.data, 'SELECT Id FROM Account WHERE')).message).to.match(/unexpected token: '<EOF>'$/);
      expect(sfError(() => q(w.data, 'SELECT Id FROM Account WHERE Name # 3')).errorCode).to.equal('MALFORMED_QUERY');
    });

    it('refuses bind variables', () => {
      const e = sfError(() => q(w.data, 'SELECT Id FROM Account WHERE Id = :x'));
      expect(e.errorCode).to.equal('MALFORMED_QUERY');
      expect(e.message).to.match(/Column:35\nBind variables only allowed in Apex code$/);
    });

    it('words an unknown field as a real org does', () => {
      const e = sfError(() => q(w.data, 'SELECT Id, Foo FROM Account'));
      expect(e.errorCode).to.equal('INVALID_FIELD');
      expect(e.message).to.equal(
        "\nSELECT Id, Foo FROM Account\n           ^\nERROR at Row:1:Column:12\nNo such column 'Foo' on entity 'Account'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.",
      );
      expect(sfError(() => q(w.data, `SELECT Id FROM Account WHERE Bar__c = 'x'`)).message).to.match(/Column:30\nNo such column 'Bar__c' on entity 'Account'/);
      expect(sfError(() => q(w.data, `SELECT Account.Nope FROM Contact`)).message).to.match(/No such column 'Nope' on entity 'Account'/);
    });

    it('words an unknown object as a real org does', () => {
      const e = sfError(() => q(w.data, 'SELECT Id FROM Foo'));
      expect(e.errorCode).to.equal('INVALID_TYPE');
      expect(e.message).to.equal(
        "\nSELECT Id FROM Foo\n               ^\nERROR at Row:1:Column:16\nsObject type 'Foo' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.",
      );
    });

    it('words unknown relationships as a real org does', () => {
      const child = sfError(() => q(w.data, 'SELECT Id, (SELECT Id FROM Foos) FROM Account'));
      expect(child.errorCode).to.equal('INVALID_TYPE');
      expect(child.message).to.match(
        /Column:28\nDidn't understand relationship 'Foos' in FROM part of query call. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.$/,
      );
      const parent = sfError(() => q(w.data, 'SELECT Id, Foo.Name FROM Contact'));
      expect(parent.errorCode).to.equal('INVALID_FIELD');
      expect(parent.message).to.match(/Column:12\nDidn't understand relationship 'Foo' in field path. If you are attempting to use a custom relationship/);
    });

    it('refuses a malformed Id and a filter on a non-filterable field', () => {
      const id = sfError(() => q(w.data, `SELECT Id FROM Account WHERE Id = 'abc'`));
      expect([id.errorCode, id.message.split('\n').pop()]).to.deep.equal(['INVALID_QUERY_FILTER_OPERATOR', 'invalid ID field: abc']);
      const nf = sfError(() => q(w.data, `SELECT Id FROM Account WHERE Description = 'x'`));
      expect(nf.message).to.match(/field 'Description' can not be filtered in a query call$/);
    });
  });
});
