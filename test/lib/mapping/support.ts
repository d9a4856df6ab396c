/**
 * Real describe results for the mapping tests: the demo orgs (hq → subsidiary) the templates are
 * written for, and a `types` org whose Sample__c has a field of every kind the converters handle.
 * Describes are plain data, so they are fetched once per test run and the emulators stopped.
 */
import { startDemoEmulator } from '../../../emulator/data/demo-orgs.js';
import { startEmulator } from '../../../emulator/index.js';
import {
  checkbox, currency, customObjectFields, date, datetime, double, email, int, masterDetail, multipicklist, percent, picklist, reference, text, textarea, time, url,
} from '../../../emulator/schema/field-builders.js';
import type { ObjectDef } from '../../../emulator/schema/types.js';
import type { ObjectDescribe } from '../../../lib/mapping/index.js';
import type { SyncRecord } from '../../../lib/sync/types.js';
import { connectDirect, testOrgSpec } from '../../support/emulator.js';

export interface Describes {
  hq: Record<'Account' | 'Contact' | 'Opportunity', ObjectDescribe>;
  subsidiary: Record<'Account' | 'Contact' | 'Opportunity', ObjectDescribe>;
  /** The `types` org's Sample__c. */
  sample: ObjectDescribe;
  /** The `types` org's Account (Sample__c's lookups point at it). */
  typesAccount: ObjectDescribe;
  /** HQ demo records as a bulk query would deliver them: whole records with every field. */
  hqRecords: Record<'Account' | 'Contact' | 'Opportunity', SyncRecord[]>;
}

const SAMPLE: ObjectDef = {
  name: 'Sample__c',
  label: 'Sample',
  labelPlural: 'Samples',
  keyPrefix: 'a05',
  custom: true,
  fields: [
    ...customObjectFields('Sample'),
    text('Short__c', 10),
    text('Code__c', 40, { label: 'Code' }),
    textarea('Notes__c', 255),
    email('Email__c'),
    url('Site__c'),
    text('Ext__c', 40, { externalId: true, unique: true }),
    text('Plain_Key__c', 40),
    text('Required_Text__c', 40, { required: true }),
    text('Create_Only__c', 40, { createOnly: true }),
    text('Read_Only__c', 40, { readOnly: true }),
    double('Hours__c', 6, 1),
    currency('Budget__c', 16, 2),
    percent('Share__c', 5, 2),
    int('Count__c', 4),
    checkbox('Flag__c'),
    date('Day__c'),
    datetime('Moment__c'),
    time('Clock__c'),
    picklist('Tier__c', ['Gold', 'Silver', 'Bronze']),
    picklist('Level__c', ['Platinum', 'Standard', 'Basic'], { restrictedPicklist: true }),
    multipicklist('Colors__c', ['Red', 'Green', 'Blue']),
    multipicklist('Farben__c', ['Rot', 'Gruen', 'Blau'], { restrictedPicklist: true }),
    reference('Parent__c', ['Sample__c'], 'Parent__r'),
    reference('Account__c', ['Account'], 'Account__r'),
    masterDetail('Master__c', 'Account', 'Master__r'),
  ],
};

let loading: Promise<Describes> | undefined;

async function fetchDescribes(): Promise<Describes> {
  const demo = await startDemoEmulator();
  const types = await startEmulator({ orgs: [testOrgSpec('types', { schema: { objects: [SAMPLE] } })] });
  try {
    const hq = connectDirect(demo, 'hq');
    const sub = connectDirect(demo, 'subsidiary');
    const objects = ['Account', 'Contact', 'Opportunity'] as const;
    const describeAll = async (conn: typeof hq) =>
      Object.fromEntries(await Promise.all(objects.map(async (o) => [o, (await conn.describe(o)) as ObjectDescribe]))) as Describes['hq'];
    const hqDescribes = await describeAll(hq);
    const hqRecords = Object.fromEntries(
      await Promise.all(
        objects.map(async (o) => {
          const names = hqDescribes[o].fields.filter((f) => f.type !== 'address' && f.type !== 'location').map((f) => f.name);
          const rows = (await hq.query(`SELECT ${names.join(', ')} FROM ${o} ORDER BY Id`)).records as Array<Record<string, unknown>>;
          return [o, rows.map((row) => toSyncRecord(o, row))];
        }),
      ),
    ) as Describes['hqRecords'];
    const typesConn = connectDirect(types, 'types');
    return {
      hq: hqDescribes,
      subsidiary: await describeAll(sub),
      sample: (await typesConn.describe('Sample__c')) as ObjectDescribe,
      typesAccount: (await typesConn.describe('Account')) as ObjectDescribe,
      hqRecords,
    };
  } finally {
    await demo.stop();
    await types.stop();
  }
}

/** Fetched on first use and shared by every mapping test file. */
export function loadDescribes(): Promise<Describes> {
  loading ??= fetchDescribes();
  return loading;
}

function toSyncRecord(object: string, row: Record<string, unknown>): SyncRecord {
  const { attributes: _attributes, Id, ...fields } = row;
  return {
    object,
    sourceId: String(Id),
    operation: 'upsert',
    fields: fields as SyncRecord['fields'],
    references: [],
    origin: { orgId: '00DHQ0000000001AAA', via: 'bulk' },
  };
}

let counter = 0;

/** A whole upsert record with the given fields; the Id is unique per call. */
export function record(object: string, fields: SyncRecord['fields'], extra: Partial<SyncRecord> = {}): SyncRecord {
  counter++;
  return {
    object,
    sourceId: `a05Do${String(counter).padStart(10, '0')}AAA`,
    operation: 'upsert',
    fields,
    references: [],
    origin: { orgId: '00DHQ0000000001AAA', via: 'collect' },
    ...extra,
  };
}
