export { bulkLoad, firstUserId, type BulkLoadOptions, type LoadRow } from './bulk-load.js';
export {
  generateOrgData,
  externalIdValue,
  mulberry32,
  Random,
  type GenerateOptions,
  type GenerateResult,
} from './generator.js';
export {
  demoOrgSpecs,
  demoJwtKeys,
  seedDemoData,
  seedHqData,
  seedSubsidiaryData,
  seedDemoOrgs,
  startDemoEmulator,
  hqDemoId,
  DEMO_CREDENTIALS,
  DEMO_ORG_NAMES,
  NODE_RED_OAUTH_CALLBACK_PATH,
  HQ_TIERS,
  SUBSIDIARY_SERVICE_LEVELS,
  SUBSIDIARY_INDUSTRIES,
  REGIONS,
  type DemoJwtKeys,
  type DemoOrgOptions,
  type DemoEmulatorOptions,
} from './demo-orgs.js';
