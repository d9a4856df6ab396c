/** The SOQL evaluator of the org emulator: parse with soql-parser-js, evaluate against OrgData. */
export { executeQuery } from './execute.js';
export type { QueryOptions, QueryResult } from './types.js';
export { compoundValue, compoundComponents, isCompound } from './compound.js';
