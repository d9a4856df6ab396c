/**
 * The mapping engine behind `sf-map-fields`: documents (format, schema, import/export, hash,
 * templates), compilation against the orgs' describes, and application to sync records.
 * jsonata-evaluator.ts is left out on purpose: it needs the `jsonata` dev dependency.
 */
export { MAPPING_FORMAT, parseMapping, exportMapping, type Mapping, type FieldMapping, type MatchSpec, type RelationshipMapping, type ValueMap, type MappingValue, type MappingStamp } from './format.js';
export { MAPPING_SCHEMA, MAPPING_SCHEMA_ID } from './mapping-schema.js';
export { MappingError } from './mapping-error.js';
export { mappingHash, canonicalJson } from './mapping-hash.js';
export { MAPPING_TEMPLATES, HQ_ID_FIELD, mappingTemplate, type TemplateName } from './templates.js';
export { compileMapping, type CompileOptions, type CompiledMapping, type CompiledTarget, type CompiledRule, type CompiledRelationship, type CompiledMatch } from './compile.js';
export { applyMapping, type ApplyContext, type MappingResult, type RejectedRecord, type RecordBinding } from './apply.js';
export { suggestFieldMappings, type FieldSuggestion } from './suggest.js';
export { typeCompatibility, fieldCompatibility, type Compatibility, type CompatibilityLevel } from './type-compat.js';
export { PROBLEM_CODES, type ProblemCode, type RecordProblem } from './problems.js';
export { jsonataTruthy, type ExpressionEvaluator, type PreparedExpression } from './expressions.js';
export { redJsonataEvaluator, type RedJsonataUtil, type RedPreparedExpression } from './red-evaluator.js';
export type { ObjectDescribe, DescribeField, DescribePicklistValue } from './describe.js';
export { mapBatch, mappedMeta, type MappedBatch } from './map-batch.js';
export { compileForOrgs, type DescribeSource } from './compile-for-orgs.js';
