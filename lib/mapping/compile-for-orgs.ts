import { compileMapping, MappingError, type CompiledMapping, type ExpressionEvaluator, type Mapping, type ObjectDescribe } from './index.js';

/** Where compiling reads describes from: an OrgApi of each org (null for an object the org lacks). */
export interface DescribeSource {
  describeIfExists(objectName: string): Promise<ObjectDescribe | null>;
  /** Forgets a cached describe, so the next ask reads the org again. */
  invalidateDescribes?(objectName?: string): void;
}

/**
 * Compiles `mapping` against what the two orgs say: the source object in the source org, the target
 * object and every object a relationship points at in the target org (so an external Id used to
 * reference a parent is checked there). Throws a MappingError for problems with the mapping, and
 * the org's own error when a describe cannot be read (retry later).
 */
export async function compileForOrgs(mapping: Mapping, source: DescribeSource, target: DescribeSource, evaluator: ExpressionEvaluator): Promise<CompiledMapping> {
  try {
    return await compileAgainst(mapping, source, target, evaluator);
  } catch (err) {
    if (!(err instanceof MappingError) || !source.invalidateDescribes || !target.invalidateDescribes) throw err;
    // Describes are cached a while: a field added in Setup a minute ago may not be in them yet.
    // Before a mapping is refused, it is compiled once more against what the orgs say now.
    source.invalidateDescribes(mapping.source.object);
    for (const o of [mapping.target.object, ...(mapping.relationships ?? []).map((r) => r.object)]) target.invalidateDescribes(o);
    return compileAgainst(mapping, source, target, evaluator);
  }
}

async function compileAgainst(mapping: Mapping, source: DescribeSource, target: DescribeSource, evaluator: ExpressionEvaluator): Promise<CompiledMapping> {
  const targetKey = mapping.target.object.toLowerCase();
  const parents = [...new Map((mapping.relationships ?? []).map((r) => [r.object.toLowerCase(), r.object])).values()].filter(
    (o) => o.toLowerCase() !== targetKey,
  );
  const [sourceDescribe, targetDescribe, ...parentList] = await Promise.all([
    source.describeIfExists(mapping.source.object),
    target.describeIfExists(mapping.target.object),
    ...parents.map((p) => target.describeIfExists(p)),
  ]);
  const parentDescribes: Record<string, ObjectDescribe> = {};
  parents.forEach((p, i) => {
    const d = parentList[i];
    if (d) parentDescribes[p] = d;
  });
  return compileMapping(mapping, { sourceDescribe, targetDescribe, evaluator, parentDescribes });
}
