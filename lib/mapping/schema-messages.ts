/** How the mapping document's schema problems are worded (see lib/schema/problems.ts). */
import type { ErrorObject } from 'ajv';
import { schemaProblems, shown, type OneOfMessage, type ProblemWording } from '../schema/problems.js';
import { API_NAME_PATTERN, VERSION_PATTERN } from './mapping-schema.js';

const SOURCE_KINDS = ['source', 'expression', 'constant'];

/** Alternatives we describe ourselves: the branch errors ajv collects for them explain nothing. */
const ONE_OF_MESSAGES: OneOfMessage[] = [
  {
    schemaPath: /^#\/properties\/fields\/items\/oneOf$/,
    message: (path, e) => {
      // ajv stops counting at the second passing branch, so read the keys off the data itself.
      const present = SOURCE_KINDS.filter((k) => typeof e.data === 'object' && e.data !== null && k in e.data);
      if (present.length < 2) return `${path} needs one of source, expression or constant`;
      return `${path} has ${present.slice(0, -1).join(', ')} and ${present[present.length - 1]}; keep exactly one`;
    },
  },
  {
    schemaPath: /^#\/properties\/relationships\/items\/properties\/via\/oneOf$/,
    objectBranch: 1,
    message: (path, e) => `${path} must be "ledger" or {"externalId": "<target field>"} (got ${shown(e.data)})`,
  },
  {
    schemaPath: /^#\/properties\/match\/oneOf\/0\/properties\/value\/oneOf$/,
    objectBranch: 1,
    message: (path, e) => `${path} must be "sourceId" or {"expression": "<JSONata>"} (got ${shown(e.data)})`,
  },
];

const WORDING: ProblemWording = {
  rootName: 'the mapping',
  patterns: {
    [API_NAME_PATTERN]: 'a Salesforce API name such as Industry or HQ_Id__c',
    [VERSION_PATTERN]: 'a version such as 1.0.0',
  },
  oneOf: ONE_OF_MESSAGES,
};

/** One sentence per distinct problem of a mapping document, in document order. */
export function mappingSchemaProblems(errors: ErrorObject[]): string[] {
  return schemaProblems(errors, WORDING);
}
