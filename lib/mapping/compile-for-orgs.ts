import { compileMapping, type CompiledMapping, type ExpressionEvaluator, type Mapping, type ObjectDescribe } from './index.js';
import type { OrgDescribes } from './org-describes.js';

/**
 * Compiles `mapping` against what the two orgs say: the source object in the source org, the target
 * object and every object a relationship points at in the target org (so an external Id used to
 * reference a parent is checked there). Throws a MappingError for problems with the mapping, and
 * the org's own error when a describe cannot be read (retry later).
 */
export async function compileForOrgs(mapping: Mapping, source: OrgDescribes, target: OrgDescribes, evaluator: ExpressionEvaluator): Promise<CompiledMapping> {
  const targetKey = mapping.target.object.toLowerCase();
  const parents = [...new Map((mapping.relationships ?? []).map((r) => [r.object.toLowerCase(), r.object])).values()].filter(
    (o) => o.toLowerCase() !== targetKey,
  );
  const [sourceDescribe, targetDescribe, ...parentList] = await Promise.all([
    source.describe(mapping.source.object),
    target.describe(mapping.target.object),
    ...parents.map((p) => target.describe(p)),
  ]);
  const parentDescribes: Record<string, ObjectDescribe> = {};
  parents.forEach((p, i) => {
    const d = parentList[i];
    if (d) parentDescribes[p] = d;
  });
  return compileMapping(mapping, { sourceDescribe, targetDescribe, evaluator, parentDescribes });
}
