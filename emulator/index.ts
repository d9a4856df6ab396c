import { Emulator, type EmulatorOptions } from './emulator.js';
import { ALL_ROUTES } from './http/routes/index.js';

export { Emulator, LATEST_API_VERSION } from './emulator.js';
export type { EmulatorOptions } from './emulator.js';
export { Org } from './org.js';
export type { OrgSpec, UserSpec, ConnectedAppSpec } from './org.js';
export type { SchemaFile, ObjectDef, FieldDef } from './schema/types.js';
export { startDemoEmulator, demoOrgSpecs, demoJwtKeys, DEMO_CREDENTIALS } from './data/demo-orgs.js';
export { generateOrgData } from './data/generator.js';

/** Starts an emulator with every API on loopback; call `stop()` when done. */
export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  const emulator = new Emulator(options, ALL_ROUTES);
  return emulator.start();
}
