import type { Emulator } from '../../../emulator/index.js';
import { OrgConnection } from '../../../lib/connection/org-connection.js';
import { Ledger } from '../../../lib/ledger/index.js';
import { RecordWriter, type RecordWriterOptions } from '../../../lib/upsert/index.js';
import { PASSWORD, settingsFor } from '../../support/connection.js';
import { restoreOrgs, startTestEmulator, testOrgSpec } from '../../support/emulator.js';
import { instantSleep, SOURCE_ORG, TARGET_SCHEMA } from './helpers.js';

/** The emulator, a ledger, a connection to the target org and a writer, fresh for every test. */
export interface WriterFixture {
  emulator: Emulator;
  ledger: Ledger;
  connection: OrgConnection;
  writer: RecordWriter;
  waits: number[];
  targetOrg: string;
  /** Another writer on the same ledger and connection, with other options. */
  writerWith(options: Partial<RecordWriterOptions>): RecordWriter;
  /** API calls the target org counted since the last reset. */
  calls(): number;
}

export function useWriterFixture(): WriterFixture {
  const f = {} as WriterFixture;
  before(async () => {
    f.emulator = await startTestEmulator([testOrgSpec('alpha', { schema: TARGET_SCHEMA })]);
    f.targetOrg = f.emulator.org('alpha').orgId;
  });
  after(() => f.emulator.stop());
  beforeEach(async () => {
    await restoreOrgs(f.emulator);
    f.ledger = Ledger.open(':memory:');
    f.connection = new OrgConnection(settingsFor(f.emulator), PASSWORD);
    // Log in before counting, so figures are the writer's calls only.
    await f.connection.connection();
    f.emulator.org('alpha').limits.resetCounts();
    const { sleep, waits } = instantSleep();
    f.waits = waits;
    f.writerWith = (options) => new RecordWriter({ target: f.connection, ledger: f.ledger, sourceOrgId: SOURCE_ORG, targetOrgId: f.targetOrg, sleep, random: () => 0.5, ...options });
    f.writer = f.writerWith({});
    f.calls = () => f.emulator.org('alpha').limits.counts().total;
  });
  afterEach(() => {
    f.connection.close();
    f.ledger.close();
  });
  return f;
}
